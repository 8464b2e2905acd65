"""``dedup index``: a persistent index to check articles against before storing them."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

from dedup.cli.options import add_config_arguments, add_input_arguments, config_from_args
from dedup.config import DedupConfig
from dedup.index import Index, open_index
from dedup.index.base import to_timestamp
from dedup.io import atomic_output, read_inputs

HELP = "persistent index: check articles against everything stored before"
DESCRIPTION = """\
A persistent, incremental index of articles (SQLite file, or Redis for many workers).

DB is a file path (SQLite, created when missing) or a Redis URL:
  redis://[[user]:password@]host:port/db, rediss://... (TLS), unix:///path/to/socket

  dedup index add DB INPUT...      store articles
  dedup index check DB INPUT...    which stored articles each input duplicates (JSONL);
                                   with --add, check and store each one atomically
  dedup index stats DB             counts, size and settings (JSON)
  dedup index evict DB --older-than 30d
                                   remove old articles (or use the stored --retention)

The index records its settings; opening it with different matching options fails and
names the option that differs. Without matching options an existing index uses its own.

example:
  dedup index add news.db archive.jsonl --retention 30d
  dedup index check news.db incoming.jsonl --add > decisions.jsonl
"""


def _add_db_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("db", metavar="DB", help="index file (SQLite) or redis:// URL")
    g = p.add_argument_group("Redis")
    g.add_argument(
        "--prefix",
        default="dedup:",
        help="Redis key prefix of the index, several indexes can share a database "
        "(default: %(default)s)",
    )
    g.add_argument(
        "--redis-option",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        help="passed to redis.Redis.from_url, e.g. ssl_ca_certs=/etc/ca.pem or "
        "password=... (repeatable; true/false and integers are converted)",
    )


def _add_store_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--retention",
        metavar="DURATION",
        help="keep articles this long, e.g. 30d, 12h (stored in the index; older articles "
        "are never matched and are removed by 'dedup index evict')",
    )
    p.add_argument(
        "--published-at",
        metavar="TIME",
        help="publication time of these articles, ISO 8601 (default: now)",
    )


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "index",
        help=HELP,
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    isub = p.add_subparsers(dest="index_command", metavar="ACTION")
    isub.required = True

    a = isub.add_parser(
        "add",
        help="store articles in the index",
        description="Store articles (each batch of --batch-size is one transaction).",
    )
    _add_db_arguments(a)
    add_input_arguments(a)
    _add_store_arguments(a)
    a.add_argument(
        "--on-conflict",
        choices=["error", "skip", "replace"],
        default="error",
        help="what to do with an id already stored (default: %(default)s)",
    )
    a.add_argument(
        "--batch-size",
        type=int,
        default=1000,
        help="articles per transaction (default: %(default)s)",
    )
    add_config_arguments(a)
    a.set_defaults(func=run_add)

    c = isub.add_parser(
        "check",
        help="find stored duplicates of each input article (JSONL)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="""\
Check each input article against the index. Output: one JSON line per input article,
in input order:
  {"id", "duplicate", "matches": [{"id", "score", "relation"}, ...]}
matches are stored articles, best first. Inputs are checked against the index only, not
against each other -- unless --add stores each article right after checking it (atomic
check-and-add; then "added" says whether it was stored).""",
    )
    _add_db_arguments(c)
    add_input_arguments(c)
    _add_store_arguments(c)
    c.add_argument(
        "--add",
        action="store_true",
        help="store each article after checking it (atomically; safe with several workers)",
    )
    c.add_argument(
        "--originals-only",
        action="store_true",
        help="with --add: store only articles without a stored duplicate",
    )
    c.add_argument(
        "-o", "--output", metavar="OUT", help="write here (atomically) instead of stdout"
    )
    add_config_arguments(c)
    c.set_defaults(func=run_check)

    s = isub.add_parser("stats", help="counts, size and settings of an index (JSON)")
    _add_db_arguments(s)
    s.add_argument(
        "--integrity",
        action="store_true",
        help="also run a full integrity check (SQLite file check; both backends: recount the word counts from the stored texts)",
    )
    s.set_defaults(func=run_stats)

    e = isub.add_parser(
        "evict",
        help="remove old articles",
        description="Remove articles published (or, without a date, added) before a cut-off.",
    )
    _add_db_arguments(e)
    e.add_argument(
        "--older-than",
        metavar="DURATION",
        help="e.g. 30d, 12h, 90m, 45s, 2w (default: the index's stored retention)",
    )
    e.set_defaults(func=run_evict)


def _redis_options(args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in args.redis_option:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"--redis-option expects KEY=VALUE, got {item!r}")
        low = value.lower()
        out[key] = (
            True
            if low == "true"
            else False
            if low == "false"
            else int(value)
            if value.lstrip("-").isdigit()
            else value
        )
    return out


def _open(args: argparse.Namespace, *, with_config: bool, create: bool) -> Index:
    from dedup.index import is_redis_url

    config = None
    if with_config:
        config = config_from_args(args)
        if config == DedupConfig():
            config = None  # no matching option given: an existing index uses its own settings
    options: dict[str, Any] = {}
    if is_redis_url(args.db):
        options = {"prefix": args.prefix, **_redis_options(args)}
    elif args.redis_option or args.prefix != "dedup:":
        raise ValueError("--prefix and --redis-option apply to redis:// indexes only")
    return open_index(
        args.db,
        config,
        retention=getattr(args, "retention", None),
        create=create,
        **options,
    )


def run_add(args: argparse.Namespace) -> int:
    published = to_timestamp(args.published_at, what="--published-at")
    docs = read_inputs(args.inputs, id_field=args.id_field, text_field=args.text_field)
    rows = ({"id": d.id, "text": d.text, "published_at": published} for d in docs)
    with _open(args, with_config=True, create=True) as idx:
        n = idx.add_many(rows, batch_size=args.batch_size, on_conflict=args.on_conflict)
        sys.stderr.write(f"dedup: added {n} articles; the index holds {len(idx)}\n")
    return 0


@contextmanager
def _out(path: str | None) -> Iterator[TextIO]:
    if path:
        with atomic_output(path) as fh:
            yield fh
    else:
        yield sys.stdout


def run_check(args: argparse.Namespace) -> int:
    if args.originals_only and not args.add:
        raise ValueError("--originals-only needs --add")
    published = args.published_at
    to_timestamp(published, what="--published-at")
    n = dups = 0
    with _open(args, with_config=True, create=args.add) as idx, _out(args.output) as fh:
        for doc in read_inputs(args.inputs, id_field=args.id_field, text_field=args.text_field):
            record: dict[str, Any] = {"id": doc.id}
            if args.add:
                r = idx.check_and_add(
                    doc.id, doc.text, published, add_duplicates=not args.originals_only
                )
                matches = r.matches
                record["added"] = r.added
            else:
                matches = tuple(idx.check(doc.text))
            record["duplicate"] = bool(matches)
            record["matches"] = [m.to_dict() for m in matches]
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
            n += 1
            dups += bool(matches)
    sys.stderr.write(f"dedup: {n} articles checked, {dups} of them duplicate stored articles\n")
    return 0


def run_stats(args: argparse.Namespace) -> int:
    with _open(args, with_config=False, create=False) as idx:
        stats = idx.stats()
        if args.integrity:
            check = getattr(idx, "integrity_check", None)
            stats["integrity"] = (
                (check() or ["ok"]) if check else ["not available for this backend"]
            )
    json.dump(stats, sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")
    return 0


def run_evict(args: argparse.Namespace) -> int:
    with _open(args, with_config=False, create=False) as idx:
        n = idx.evict(args.older_than)
        sys.stderr.write(f"dedup: evicted {n} articles; the index holds {len(idx)}\n")
    return 0
