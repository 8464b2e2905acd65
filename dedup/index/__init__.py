"""A persistent, incremental near-duplicate index: check each article before storing it.

:func:`open_index` picks the backend from its target: a file path is an SQLite index
(embedded, the default); a ``redis://``, ``rediss://`` (TLS) or ``unix://`` URL is a Redis
index shared by many workers on many hosts. Both give the same answers.

Examples
--------
>>> import tempfile, os
>>> from dedup.index import open_index
>>> path = os.path.join(tempfile.mkdtemp(), "news.db")
>>> story = "Le ministre a signé l'accord de coopération à Moscou le 5 septembre avec son homologue."
>>> with open_index(path) as idx:
...     idx.check_and_add("a", story).duplicate
...     r = idx.check_and_add("b", story + " Photo : VNA")
...     r.duplicate_of, r.matches[0].relation
...     len(idx)
False
('a', 'exact')
2
"""

from __future__ import annotations

import os
from typing import Any

from dedup.config import DedupConfig
from dedup.index.base import (
    FORMAT,
    FORMAT_VERSION,
    AddResult,
    DuplicateIdError,
    Index,
    IndexFormatError,
    Match,
    Prepared,
    parse_duration,
)
from dedup.index.sqlite import SQLiteIndex

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "AddResult",
    "DuplicateIdError",
    "Index",
    "IndexFormatError",
    "Match",
    "Prepared",
    "SQLiteIndex",
    "is_redis_url",
    "open_index",
    "parse_duration",
]

_REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


def is_redis_url(target: str | os.PathLike[str]) -> bool:
    """True for ``redis://``, ``rediss://`` and ``unix://`` URLs.

    >>> is_redis_url("redis://localhost:6379/0"), is_redis_url("news.db")
    (True, False)
    """
    return isinstance(target, str) and target.lower().startswith(_REDIS_SCHEMES)


def open_index(
    target: str | os.PathLike[str],
    config: DedupConfig | None = None,
    *,
    retention: Any = None,
    create: bool = True,
    **options: Any,
) -> Index:
    """Open (or create) an index.

    Parameters
    ----------
    target : str or path
        A file path (SQLite) or a Redis URL (``redis://[:password@]host:port/db``,
        ``rediss://`` for TLS, ``unix:///path/to/socket``).
    config : DedupConfig, optional
        Settings of a new index. An existing index refuses different settings
        (:class:`~dedup.errors.ConfigMismatchError` names each one); omit to use its own.
    retention : timedelta, str or float, optional
        Time window, e.g. ``"30d"``: older documents are never matched and are removed by
        :meth:`Index.evict`. Stored in the index.
    create : bool
        Create the index when missing.
    **options
        Backend options. SQLite: ``timeout`` (seconds to wait for a lock). Redis: ``prefix``
        (key namespace, default ``"dedup:"``) and anything ``redis.Redis.from_url`` takes
        (``password``, ``username``, ``ssl_ca_certs``, ``ssl_certfile``, ``ssl_keyfile``,
        ``ssl_cert_reqs``, ``socket_timeout`` ...), passed through unchanged.

    Returns
    -------
    Index
        :class:`~dedup.index.sqlite.SQLiteIndex` or :class:`~dedup.index.redis.RedisIndex`.
    """
    seconds = None if retention is None else parse_duration(retention)
    if is_redis_url(target):
        from dedup.index.redis import RedisIndex

        return RedisIndex(str(target), config, retention=seconds, create=create, **options)
    unknown = set(options) - {"timeout"}
    if unknown:
        raise ValueError(
            f"unknown option(s) for an SQLite index: {', '.join(sorted(unknown))}; "
            "only 'timeout' applies (Redis options need a redis:// URL)"
        )
    return SQLiteIndex(target, config, retention=seconds, create=create, **options)
