"""Redis backend: one index shared by many workers on many hosts (needs ``redis``, the
``dedup-news[redis]`` extra).

Keys (``P`` is the prefix, default ``"dedup:"``; one Redis database can hold several indexes
under different prefixes)::

    P meta            JSON: format marker, version, settings   (written once, SET NX)
    P seq             counter for internal document numbers
    P i:<id>          id -> number
    P d:<num>         hash: id, ts, pub, added, h (text hash), sig (raw uint32 LE), text
    P ts              sorted set: number by timestamp (time window, eviction, count)
    P b:<band key>    sorted set of numbers sharing one LSH band key (8 raw bytes),
                      scored by number: oldest first (format version 3; 2 used sets)
    P x:<text hash>   set of numbers with one normalized text
    P w               hash: word -> number of stored documents using it (``set(text.split())``)

The document count is ``ZCARD P ts``; word counts change in the same script as the document
they count, so they never drift from the stored texts.

**Atomicity.** Writing a document is one Lua script (``_INSERT``): Redis runs a script to the
end without interleaving, so a worker killed mid-``add`` leaves all of the document or none,
and the id check and the insert cannot race. ``check_and_add`` is optimistic: it ``WATCH``-es
the document's band keys, its text-hash key and its id key, looks up and verifies candidates
in Python, then runs the insert script inside ``MULTI``/``EXEC``. Any document that could match
must share a band key or the text hash, so if another worker adds (or removes) one in between,
``EXEC`` fails and the check is redone with the new document visible. Workers never block each
other on unrelated stories, and no lock can be left behind by a crashed worker.

Scripts build key names from the prefix, so use a standalone Redis (or one cluster slot), not
Redis Cluster with keys spread over slots.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from dedup.config import DedupConfig
from dedup.errors import DedupError
from dedup.index.base import (
    FORMAT_VERSION,
    AddResult,
    Candidate,
    DuplicateIdError,
    Index,
    IndexFormatError,
    OnConflict,
    Prepared,
    check_stored,
    dumps_settings,
)
from dedup.sketch.lsh import band_keys

__all__ = ["RedisIndex"]

# ARGV: prefix, id, ts, pub, added, text_hash, sig, text, number of band keys, band keys...,
# words (distinct)...  Returns the new number, or 0 if the id is already stored.
_INSERT = """
local p = ARGV[1]
local ikey = p .. 'i:' .. ARGV[2]
if redis.call('EXISTS', ikey) == 1 then return 0 end
local num = redis.call('INCR', p .. 'seq')
redis.call('SET', ikey, num)
redis.call('HSET', p .. 'd:' .. num, 'id', ARGV[2], 'ts', ARGV[3], 'pub', ARGV[4],
           'added', ARGV[5], 'h', ARGV[6], 'sig', ARGV[7], 'text', ARGV[8])
redis.call('ZADD', p .. 'ts', ARGV[3], num)
if ARGV[6] ~= '' then redis.call('SADD', p .. 'x:' .. ARGV[6], num) end
local nb = tonumber(ARGV[9])
for i = 10, 9 + nb do redis.call('ZADD', p .. 'b:' .. ARGV[i], num, num) end
for i = 10 + nb, #ARGV do redis.call('HINCRBY', p .. 'w', ARGV[i], 1) end
return num
"""

# ARGV: prefix, id, num, text_hash, number of band keys, band keys..., words (distinct)...
# Deletes only if id still maps to num (a number's text never changes, so its words are
# the ones given).
_DELETE = """
local p = ARGV[1]
local ikey = p .. 'i:' .. ARGV[2]
if redis.call('GET', ikey) ~= ARGV[3] then return 0 end
redis.call('DEL', ikey, p .. 'd:' .. ARGV[3])
redis.call('ZREM', p .. 'ts', ARGV[3])
if ARGV[4] ~= '' then redis.call('SREM', p .. 'x:' .. ARGV[4], ARGV[3]) end
local nb = tonumber(ARGV[5])
for i = 6, 5 + nb do redis.call('ZREM', p .. 'b:' .. ARGV[i], ARGV[3]) end
for i = 6 + nb, #ARGV do
  if redis.call('HINCRBY', p .. 'w', ARGV[i], -1) <= 0 then redis.call('HDEL', p .. 'w', ARGV[i]) end
end
return 1
"""

_MAX_RETRIES = 1000


def _key_bytes(k: int) -> bytes:
    return int(k).to_bytes(8, "little", signed=True)


class RedisIndex(Index):
    """Index in a Redis database (see the module docstring); use :func:`dedup.open_index`.

    Parameters
    ----------
    url : str
        ``redis://[[user]:password@]host:port/db``, ``rediss://`` (TLS) or ``unix://`` URL.
    config : DedupConfig, optional
        Settings of a new index; an existing one refuses different settings.
    retention : float, optional
        Seconds; stored in the index.
    create : bool
        Create the index when the prefix holds none.
    prefix : str
        Key namespace (default ``"dedup:"``).
    **redis_options
        Passed to ``redis.Redis.from_url`` unchanged (``password``, ``ssl_ca_certs`` ...).
        ``decode_responses`` is forced off: signatures are binary.
    """

    def __init__(
        self,
        url: str,
        config: DedupConfig | None = None,
        *,
        retention: float | None = None,
        create: bool = True,
        prefix: str = "dedup:",
        **redis_options: Any,
    ) -> None:
        try:
            import redis
        except ImportError:
            raise DedupError(
                "a redis:// index needs the redis package: pip install 'dedup-news[redis]'"
            ) from None
        self._redis_mod = redis
        self.prefix = prefix
        self._p = prefix.encode()
        self.location = f"{_redact(url)} prefix={prefix!r}"
        redis_options["decode_responses"] = False
        self._r = redis.Redis.from_url(url, **redis_options)
        try:
            self._r.ping()
        except redis.RedisError as exc:
            raise DedupError(f"cannot reach Redis at {_redact(url)}: {exc}") from None
        self._insert_script = self._r.register_script(_INSERT)
        self._delete_script = self._r.register_script(_DELETE)
        self.config, self.retention = self._open(config, retention, create)

    def _k(self, *parts: bytes | str) -> bytes:
        return self._p + b"".join(p.encode() if isinstance(p, str) else p for p in parts)

    def _open(
        self, config: DedupConfig | None, retention: float | None, create: bool
    ) -> tuple[DedupConfig, float | None]:
        meta_key = self._k("meta")
        raw = self._r.get(meta_key)
        if raw is None:
            if not create:
                raise IndexFormatError(f"{self.location}: no index here (pass create=True)")
            cfg = config or DedupConfig()
            if self._r.set(meta_key, dumps_settings(cfg, retention), nx=True):
                return cfg, retention
            raw = self._r.get(meta_key)  # another worker created it first
        try:
            meta = json.loads(raw)
        except (TypeError, ValueError, UnicodeDecodeError):
            raise IndexFormatError(
                f"{self.location}: key {meta_key!r} is not a dedup index marker; "
                "pass another prefix"
            ) from None
        if not isinstance(meta, dict):
            raise IndexFormatError(f"{self.location}: key {meta_key!r} is not a dedup index marker")
        # version 2 had set buckets; versions 4, 5 and 6 changed the SQLite layout only
        cfg = check_stored(self.location, meta, config, readable=(3, 4, 5, FORMAT_VERSION))
        if retention is not None and retention != meta.get("retention"):
            self._r.set(meta_key, dumps_settings(cfg, retention))
        else:
            retention = meta.get("retention")
        return cfg, retention

    # ---- primitives ----------------------------------------------------------------------

    def _watch_keys(self, doc_id: str, prep: Prepared) -> list[bytes]:
        keys = [self._k("i:", doc_id)]
        keys += [self._k("b:", _key_bytes(k)) for k in prep.keys]
        if prep.text_hash is not None:
            keys.append(self._k("x:", str(prep.text_hash)))
        return keys

    def _lookup(self, prep: Prepared, min_ts: float | None, client: Any = None) -> list[Candidate]:
        if not prep.keys and prep.text_hash is None:
            return []
        cap = self.config.lsh.max_bucket
        # each bucket's first ``cap`` members, oldest first; a bucket already holding ``cap``
        # documents gives its first member only (the star rule, as the SQLite backend)
        # (read on a separate connection: the caller's WATCH, already set, still sees writes)
        found: set[int] = set()
        pipe = self._r.pipeline(transaction=False)
        for k in prep.keys:
            pipe.zrange(self._k("b:", _key_bytes(k)), 0, cap - 1)
        if prep.text_hash is not None:
            pipe.smembers(self._k("x:", str(prep.text_hash)))
        results = pipe.execute()
        for members in results[: len(prep.keys)]:
            found.update(int(n) for n in (members if len(members) < cap else members[:1]))
        for members in results[len(prep.keys) :]:
            found.update(int(n) for n in members)
        nums = sorted(found)
        if not nums:
            return []
        pipe = self._r.pipeline(transaction=False)
        for n in nums:
            pipe.hmget(self._k("d:", str(n)), "id", "ts", "sig", "h")
        out = []
        for n, (doc_id, ts, sig, h) in zip(nums, pipe.execute()):
            if doc_id is None:
                continue  # removed since the SUNION
            t = float(ts)
            if min_ts is not None and t < min_ts:
                continue
            out.append(Candidate(n, doc_id.decode(), t, sig, int(h) if h else None))
        return out

    def _texts(self, refs: Sequence[Any]) -> list[str]:
        pipe = self._r.pipeline(transaction=False)
        for n in refs:
            pipe.hget(self._k("d:", str(n)), "text")
        return [(t or b"").decode() for t in pipe.execute()]

    def _word_counts(self, words: Sequence[str]) -> tuple[dict[str, int], int]:
        if not words:
            return {}, len(self)
        pipe = self._r.pipeline(transaction=True)  # one snapshot of the counts and the total
        pipe.hmget(self._k("w"), [w.encode() for w in words])
        pipe.zcard(self._k("ts"))
        values, n_docs = pipe.execute()
        counts = {w: int(v) for w, v in zip(words, values) if v is not None}
        return counts, int(n_docs)

    def stored_word_counts(self) -> tuple[dict[str, int], int]:
        counts = {
            w.decode(): int(v)
            for w, v in self._r.hscan_iter(self._k("w"), count=1000)  # type: ignore[union-attr]
        }
        return counts, len(self)

    def _all_texts(self) -> Iterator[str]:
        nums = self._r.zrange(self._k("ts"), 0, -1)
        for i in range(0, len(nums), 1000):
            pipe = self._r.pipeline(transaction=False)
            for n in nums[i : i + 1000]:
                pipe.hget(self._k("d:", n), "text")
            yield from ((t or b"").decode() for t in pipe.execute())

    def integrity_check(self) -> list[str]:
        """Recount the word counts from the stored texts; [] when they agree.

        Run it while no one writes: documents added during the recount show up as differences.
        """
        return self.word_count_problems()

    def _args(self, doc_id: str, prep: Prepared, ts: float, pub: float | None) -> list[Any]:
        return [
            self._p,
            doc_id.encode(),
            repr(ts),
            "" if pub is None else repr(pub),
            repr(time.time()),
            "" if prep.text_hash is None else str(prep.text_hash),
            prep.sig_bytes,
            prep.normalized.encode(),
            len(prep.keys),
            *(_key_bytes(k) for k in prep.keys),
            *(w.encode() for w in set(prep.normalized.split())),
        ]

    def _insert(
        self, rows: Sequence[tuple[str, Prepared, float, float | None]], on_conflict: OnConflict
    ) -> int:
        if on_conflict == "replace":
            for doc_id, *_ in rows:
                self.remove(doc_id)
        pipe = self._r.pipeline(transaction=False)
        for doc_id, prep, ts, pub in rows:
            self._insert_script(args=self._args(doc_id, prep, ts, pub), client=pipe)
        results = pipe.execute()
        added = sum(1 for x in results if int(x) > 0)
        if on_conflict == "error":
            clash = [row[0] for row, x in zip(rows, results) if int(x) <= 0]
            if clash:
                raise DuplicateIdError(
                    f"document {clash[0]!r} is already in the index {self.location} "
                    f"({len(clash)} ids clashed; the other {added} documents were added); "
                    "remove it first, or pass on_conflict='skip' or 'replace'"
                )
        return added

    def _check_and_insert(
        self,
        doc_id: str,
        prep: Prepared,
        ts: float,
        published_at: float | None,
        add_duplicates: bool,
    ) -> AddResult:
        watch = self._watch_keys(doc_id, prep)
        args = self._args(doc_id, prep, ts, published_at)
        for _ in range(_MAX_RETRIES):
            with self._r.pipeline(transaction=True) as pipe:
                try:
                    pipe.watch(*watch)
                    if pipe.exists(watch[0]):
                        raise DuplicateIdError(
                            f"document {doc_id!r} is already in the index {self.location}; "
                            "remove it first"
                        )
                    matches = (
                        self._verify(prep, self._lookup(prep, self._min_ts(), client=pipe))
                        if prep.normalized
                        else []
                    )
                    added = add_duplicates or not matches
                    pipe.multi()
                    if added:
                        self._insert_script(args=args, client=pipe)
                    pipe.execute()
                    return AddResult(doc_id, added, tuple(matches))
                except self._redis_mod.WatchError:
                    continue
        raise DedupError(
            f"check_and_add({doc_id!r}) gave up after {_MAX_RETRIES} conflicting writes"
        )

    def _delete_num(
        self,
        doc_id: str,
        num: int,
        sig: bytes,
        text_hash: bytes | None,
        text: bytes | None,
        client: Any = None,
    ) -> int:
        sig_arr = np.frombuffer(sig, dtype="<u4").reshape(1, -1)
        keys = band_keys(sig_arr, self.config.lsh).view(np.int64)[0]
        args: list[Any] = [self._p, doc_id.encode(), str(num), text_hash or b""]
        if (sig_arr == 0xFFFFFFFF).all():
            args.append(0)
        else:
            args += [len(keys), *(_key_bytes(k) for k in keys)]
        args += [w.encode() for w in set((text or b"").decode().split())]
        return self._delete_script(args=args, client=client)  # type: ignore[no-any-return]

    def remove(self, doc_id: str) -> bool:
        """Delete one document; returns whether it was there."""
        doc_id = str(doc_id)
        num = self._r.get(self._k("i:", doc_id))
        if num is None:
            return False
        sig, h, text = self._r.hmget(self._k("d:", num), "sig", "h", "text")
        if sig is None:
            return False
        return bool(self._delete_num(doc_id, int(num), sig, h, text))

    def _evict_before(self, cutoff: float) -> int:
        total = 0
        while True:
            nums = self._r.zrangebyscore(self._k("ts"), "-inf", f"({cutoff!r}", start=0, num=1000)
            if not nums:
                return total
            pipe = self._r.pipeline(transaction=False)
            for n in nums:
                pipe.hmget(self._k("d:", n), "id", "sig", "h", "text")
            rows = pipe.execute()
            pipe = self._r.pipeline(transaction=False)
            for n, (doc_id, sig, h, text) in zip(nums, rows):
                if doc_id is None:
                    pipe.zrem(self._k("ts"), n)  # stale entry
                    continue
                self._delete_num(doc_id.decode(), int(n), sig, h, text, client=pipe)
            total += sum(1 for x in pipe.execute() if x == 1)

    def __len__(self) -> int:
        return int(self._r.zcard(self._k("ts")))

    def __contains__(self, doc_id: object) -> bool:
        return bool(self._r.exists(self._k("i:", str(doc_id))))

    def ids(self) -> list[str]:
        """Every stored id, oldest first."""
        nums = self._r.zrange(self._k("ts"), 0, -1)
        pipe = self._r.pipeline(transaction=False)
        for n in nums:
            pipe.hget(self._k("d:", n), "id")
        return [x.decode() for x in pipe.execute() if x is not None]

    def _stats(self) -> dict[str, Any]:
        n = len(self)
        lo = self._r.zrange(self._k("ts"), 0, 0, withscores=True)
        hi = self._r.zrange(self._k("ts"), -1, -1, withscores=True)
        used = int(self._r.info("memory").get("used_memory", 0))
        return {
            "backend": "redis",
            "documents": n,
            "oldest": lo[0][1] if lo else None,
            "newest": hi[0][1] if hi else None,
            "server_used_memory_bytes": used,
        }

    def drop(self) -> int:
        """Delete every key of this index (its prefix); returns the number of keys deleted."""
        n = 0
        for batch in _batched(self._r.scan_iter(match=self._p + b"*", count=1000), 1000):
            n += self._r.delete(*batch)
        return n

    def close(self) -> None:
        """Close the connection pool."""
        self._r.close()


def _batched(it: Any, size: int) -> Any:
    batch = []
    for x in it:
        batch.append(x)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _redact(url: str) -> str:
    """The URL without its password."""
    if "@" not in url:
        return url
    scheme, _, rest = url.partition("://")
    creds, _, host = rest.rpartition("@")
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user + ':***' if user else ':***'}@{host}"
