"""Index benchmark: check+add latency and throughput, beside datasketch ``MinHashLSH``.

For each index size N the corpus (:func:`benchmarks.corpus.iter_corpus`) is normalized once;
each system is bulk-loaded with the first N articles and then receives Q further articles one
at a time, as a newsroom worker would: *check, then add*. Systems, all in the same run:

``dedup-sqlite``        ``dedup.open_index("x.db").check_and_add`` (atomic, with verification)
``dedup-redis``         the same on a Redis URL
``datasketch-memory``   ``MinHashLSH.query`` + ``insert`` (in memory, no verification)
``datasketch-redis``    the same with datasketch's Redis storage, on the same redis-server

Preparing an article (boilerplate rules, normalization, MinHash, band keys) is the same
function for every system; it is timed once per article (``prep`` line) and left out of the
per-system latency, which is the index operation alone: ``check_and_add`` of a prepared
article for dedup, ``query`` + ``insert`` of a ``LeanMinHash`` for datasketch. An end-to-end
``check_and_add(id, text)`` costs the prep time plus the operation time. datasketch has no normalization-aware verification: its "flagged" count
is every LSH candidate hit, not verified duplicates.

Two settings are measured (``--configs``): ``default`` (content-word shingles, 42x3 bands:
finds rewrites, permissive LSH) and ``copies`` (word 3-grams, 16x8 bands: copies and near
copies only, a selective LSH). The number of candidates each check must verify is printed;
it, not the storage, decides the latency at scale.

The corpus (``--world``): ``default`` is the generator's narrow world (unrelated stories
share many words); ``wide`` is :func:`benchmarks.corpus.iter_corpus` with ``world="wide"``.
It is made in cached chunks of 100,000 articles (``--cache``, ``--jobs`` processes); the
checked articles are another stream of the same world. "found" is the share of checked
articles with an earlier article of their story that got a hit of that story; "false" counts
checks whose hits are all other stories; "cpu p99" is thread CPU time.

Usage::

    python -m benchmarks.index --quick --world wide     # 2k articles, 100 checks
    python -m benchmarks.index --sizes 10000,100000 --world wide --queries 500
    flock /work/wt/heavy.lock python -m benchmarks.index --sizes 1000000 --world wide \
        --systems dedup-sqlite --configs copies --batch-size 20000 --jobs 2

``--index-cache DIR`` keeps each bulk-loaded SQLite index in ``DIR`` and later runs of the same
world, seed, settings and size check a copy of it instead of loading again (a 1M index takes
4-5 minutes to load): the way to compare two versions of the check path on identical files.

A redis-server is started on a free loopback port (``--redis-url`` to use another one;
it is FLUSHDB-ed between systems, so never point it at data you need).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import math
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.corpus import iter_corpus
from dedup.config import BoilerplateConfig, DedupConfig, LSHConfig, ShingleConfig
from dedup.index import open_index
from dedup.pipeline import prepare_texts
from dedup.sketch.minhash import to_datasketch

SYSTEMS = ("dedup-sqlite", "dedup-redis", "datasketch-memory", "datasketch-redis")
CONFIGS = {
    "default": DedupConfig(boilerplate=BoilerplateConfig(learn=False)),
    "copies": DedupConfig(
        boilerplate=BoilerplateConfig(learn=False),
        shingle=ShingleConfig(kind="word", size=3, min_token_len=1),
        lsh=LSHConfig(bands=16, rows=8),
    ),
}


@contextlib.contextmanager
def _frozen_heap() -> Iterator[None]:
    """Time with the harness's own objects (the loaded corpus, millions of them) moved out of
    the cyclic garbage collector's reach: otherwise a full collection traversing them lands
    in a random timed check, a cost of this process, not of the index (every system alike)."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _uncache(path: Path) -> None:
    """Drop a harness file's pages from the page cache (they would push the index's out)."""
    try:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)
    except (OSError, AttributeError):
        pass


def _release_memory() -> None:
    """Collect garbage and give freed heap pages back to the system (glibc)."""
    gc.collect()
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _rss_anon() -> int:
    """Resident memory of this process's own (anonymous) pages: not the index file's pages
    that the memory map holds, which the page cache shares."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) * 1024
    return _rss()


def speed_probe() -> float:
    """Milliseconds for a fixed CPU workload (Python dicts and loops, numpy gathers), the
    best of 5: printed beside each run so that runs made while a shared VM ran slower can be
    told apart (this machine's speed drifts by ±30 % within the hour)."""
    rng = np.random.default_rng(0)
    table = rng.random(1 << 20)
    idx = rng.integers(0, len(table), 200_000)
    words = {f"w{i}": i for i in range(20_000)}
    keys = list(words)
    best = math.inf
    for _ in range(5):
        t = time.perf_counter()
        total = 0
        for k in keys:
            total += words[k]
        total += int(table[idx].sum())
        best = min(best, time.perf_counter() - t)
    return best * 1e3


def _rss() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_redis(workdir: Path) -> tuple[subprocess.Popen, str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server not found; install it or pass --systems without redis")
    port = _free_port()
    proc = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ],
        stdout=subprocess.DEVNULL,
    )
    import redis

    r = redis.Redis(port=port)
    for _ in range(200):
        try:
            r.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    return proc, f"redis://127.0.0.1:{port}/0"


def _flush(url: str) -> None:
    """FLUSHDB without blocking the server, then wait until the memory is really freed."""
    import redis

    r = redis.Redis.from_url(url)
    r.flushdb(asynchronous=True)
    while int(r.info("memory").get("lazyfree_pending_objects", 0)):
        time.sleep(0.2)
    r.close()


CHUNK = 100_000


def _chunk_path(cache: Path, world: str, seed: int, k: int) -> Path:
    return cache / f"index-corpus-{world}-s{seed}-c{k:03d}-{CHUNK}.json"


def _make_chunk(args: tuple[Path, str, int, int]) -> Path:
    """Generate and normalize chunk ``k``: ``CHUNK`` articles of ``iter_corpus(seed=
    seed * 1000 + k)``, ids and stories prefixed with the chunk number (so chunks are
    independent streams of stories in the same world and can be made in parallel)."""
    cache, world, seed, k = args
    out = _chunk_path(cache, world, seed, k)
    if out.exists():
        return out
    docs = list(iter_corpus(CHUNK, seed=seed * 1000 + k, world=world))
    _, norm, _ = prepare_texts([d["text"] for d in docs], CONFIGS["default"])
    rows = {
        "ids": [f"c{k:03d}-{d['id']}" for d in docs],
        "stories": [f"c{k:03d}-{d['story']}" for d in docs],
        "kinds": [d["kind"] for d in docs],
        "texts": [d["text"] for d in docs],
        "normalized": list(norm),
    }
    tmp = out.with_suffix(f".tmp{os.getpid()}")
    # JSON, not pickle: the project never unpickles files (tests/test_reliability.py)
    with tmp.open("w", encoding="utf-8") as fh:
        json.dump(rows, fh, ensure_ascii=False)
    tmp.rename(out)
    return out


def load_corpus(
    n: int, n_queries: int, *, world: str, seed: int, cache: Path, jobs: int
) -> tuple[dict[str, list[Any]], dict[str, list[Any]]]:
    """The first ``n`` articles (to load; normalized texts) and ``n_queries`` articles of
    another stream (to check; raw texts), as column dicts; chunks are cached under ``cache``
    and made by ``jobs`` processes."""
    cache.mkdir(parents=True, exist_ok=True)
    n_chunks = -(-n // CHUNK)
    todo = [(cache, world, seed, k) for k in range(n_chunks)]
    if jobs > 1:
        import multiprocessing as mp

        with mp.get_context("spawn").Pool(jobs) as pool:
            paths = pool.map(_make_chunk, todo, chunksize=1)
    else:
        paths = [_make_chunk(t) for t in todo]
    cols: dict[str, list[Any]] = {}
    for path in paths:
        with path.open(encoding="utf-8") as fh:
            part = json.load(fh)
        _uncache(path)  # (gigabytes of page cache the index files need more)
        for key, values in part.items():
            cols.setdefault(key, []).extend(values)
        if len(cols["ids"]) >= n:
            break
    base = {key: v[:n] for key, v in cols.items() if key != "texts"}  # normalized suffices
    # the checked articles: another stream of stories of the same world (seed ... 999), so
    # every size checks the same articles; they include variants of each other
    docs = list(iter_corpus(n_queries, seed=seed * 1000 + 999, world=world))
    queries = {
        "ids": [f"q-{d['id']}" for d in docs],
        "stories": [f"q-{d['story']}" for d in docs],
        "kinds": [d["kind"] for d in docs],
        "texts": [d["text"] for d in docs],
    }
    return base, queries


def _pct(xs: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(xs), q)) * 1e3


class Base:
    """The loaded articles, signed on the fly in slices (a million Prepared would not fit)."""

    def __init__(self, helper: Any, ids: list[str], normalized: list[str], tag: str = "") -> None:
        self.helper, self.ids, self.normalized, self.n = helper, ids, normalized, len(ids)
        self.tag = tag  # names a cached index built from these articles (--index-cache)

    def rows(self, step: int = 20000) -> Any:
        t0 = time.perf_counter()
        for i in range(0, self.n, step):
            if i and i % 100_000 == 0:
                rate = i / (time.perf_counter() - t0)
                print(f"#     loaded {i} ({rate:.0f} articles/s)", file=sys.stderr, flush=True)
            preps = self.helper.sign_normalized(self.normalized[i : i + step])
            yield from ((d, p, None) for d, p in zip(self.ids[i : i + step], preps))


def run_dedup(
    system: str,
    cfg: DedupConfig,
    base: Base,
    queries: list[Any],
    workdir: Path,
    redis_url: str | None,
    batch_size: int = 5000,
    index_cache: Path | None = None,
) -> dict[str, Any]:
    cached = None
    if system == "dedup-sqlite":
        path = workdir / "bench.db"
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        if index_cache is not None:
            index_cache.mkdir(parents=True, exist_ok=True)
            cached = index_cache / f"{base.tag}.db"
            if cached.exists():  # built by an earlier run: check a copy (the checks add to it)
                shutil.copyfile(cached, path)
                # written out before the checks start: they would otherwise compete with the
                # kernel writing gigabytes of copied pages back (wall and CPU time)
                with open(path, "rb+") as fh:
                    os.fsync(fh.fileno())
                _uncache(cached)  # the source's pages: not what a worker would hold
        idx = open_index(path, cfg)
    else:
        _flush(redis_url)
        idx = open_index(redis_url, cfg, prefix="bench:")
        used0 = int(idx._r.info("memory")["used_memory"])  # type: ignore[attr-defined]
    t0 = time.perf_counter()
    if cached is not None and cached.exists():
        load_s = json.loads(cached.with_suffix(".json").read_text())["load_s"]
        print(f"#     reusing {cached} (load time of the run that built it)", flush=True)
    else:
        idx.add_prepared(base.rows(), batch_size=batch_size)
        load_s = time.perf_counter() - t0
    if system == "dedup-sqlite":
        import sqlite3

        # fold the WAL in, so the file alone is measured; a checkpoint that another
        # connection's reader blocks (the index's own threads) is tried again, and whatever
        # the WAL still holds is counted too
        con = sqlite3.connect(path)
        for _ in range(100):
            if not con.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]:
                break
            time.sleep(0.05)
        con.close()
        wal = Path(f"{path}-wal")
        size = os.path.getsize(path) + (os.path.getsize(wal) if wal.exists() else 0)
        if cached is not None and not cached.exists():
            idx.close()  # (closing checkpoints; reopened below)
            tmp = cached.with_suffix(f".tmp{os.getpid()}")
            shutil.copyfile(path, tmp)
            cached.with_suffix(".json").write_text(json.dumps({"load_s": load_s}))
            tmp.rename(cached)
            idx = open_index(path, cfg)
    else:
        size = int(idx._r.info("memory")["used_memory"]) - used0  # type: ignore[attr-defined]

    warm_s = rss_copies = None
    if system == "dedup-sqlite":
        # a long-running worker: its in-process copies (cands, wids, buckets) loaded before the
        # timed checks by one untimed lookup (reported apart: a worker loads them once, in a
        # thread its 17th lookup starts), then 20 untimed checks (no adds) so that every path
        # has run once
        idx.warm_up_checks = 0  # type: ignore[attr-defined]
        _release_memory()
        rss0 = _rss_anon()
        t = time.perf_counter()
        idx._match(queries[0][1])  # lookup and verification: every copy and count loaded
        warm_s = time.perf_counter() - t
        for _, prep in queries[:20]:  # and every path run once (first calls cost more)
            idx._match(prep)
        _release_memory()  # (the load's temporary arrays)
        rss_copies = _rss_anon() - rss0
        print(
            f"#     copies loaded in {warm_s:.1f} s, +{rss_copies / 1e6:.0f} MB resident",
            flush=True,
        )
    # and the add path: a worker's first adds cost more (statements prepared, the first
    # write-ahead-log and vocabulary pages); 20 untimed check_and_adds of the first checked
    # articles under other ids, removed again (the index then holds what it held), timed
    # apart (``first_adds_ms``)
    first_adds = []
    for k, (_, prep) in enumerate(queries[:20]):
        t = time.perf_counter()
        idx._check_and_insert(f"warm-up-{k}", prep, time.time(), None, True)
        first_adds.append((time.perf_counter() - t) * 1e3)
    for k in range(len(first_adds)):
        idx.remove(f"warm-up-{k}")
    if first_adds:
        print(
            f"#     untimed first adds: {first_adds[0]:.1f} ms, then max "
            f"{max(first_adds[1:], default=0):.1f} ms",
            flush=True,
        )
    n_cands: list[int] = []
    lookup = idx._lookup

    def counting(prep, min_ts, *a, **k):  # type: ignore[no-untyped-def]
        c = lookup(prep, min_ts, *a, **k)
        # SQLite filters on sig8 inside the lookup: count what the LSH buckets returned
        n_cands.append(getattr(idx, "_lsh_candidates", len(c)))
        return c

    idx._lookup = counting  # type: ignore[method-assign]
    probe = [speed_probe()]
    lat, cpu, decisions = [], [], []
    with _frozen_heap():
        for q, prep in queries:
            c, t = time.thread_time(), time.perf_counter()
            # = idx.check_and_add(q["id"], q["text"]) minus preparing the text (timed apart)
            r = idx._check_and_insert(q["id"], prep, time.time(), None, True)
            lat.append(time.perf_counter() - t)
            cpu.append(time.thread_time() - c)
            decisions.append((q["id"], tuple(m.id for m in r.matches)))
    probe.append(speed_probe())
    print(f"#     speed probe before / after the checks: {probe[0]:.2f} / {probe[1]:.2f} ms")
    idx.close()
    fold_ms = None
    if system == "dedup-sqlite":
        # The checks appended their word counts to the log (wlog); a background thread folds
        # it into the words table once it holds FOLD_ROWS documents, holding the write lock
        # meanwhile. Time that fold here (it happens once per FOLD_ROWS adds).
        import sqlite3

        from dedup.index.sqlite import fold_log

        con = sqlite3.connect(path, isolation_level=None)
        t = time.perf_counter()
        con.execute("BEGIN IMMEDIATE")
        folded = fold_log(con)
        con.execute("COMMIT")
        fold_ms = (time.perf_counter() - t) * 1e3
        con.close()
        print(f"#     fold of {folded} logged documents: {fold_ms:.1f} ms", flush=True)
    return {
        "fold_ms": fold_ms,
        "probe_ms": probe,
        "warm_s": warm_s,
        "copies_rss_bytes": rss_copies,
        "first_adds_ms": first_adds,
        "load_s": load_s,
        "bytes_per_article": size / base.n,
        "lat": lat,
        "cpu": cpu,
        "flagged": sum(1 for _, d in decisions if d),
        "hits": decisions,
        "candidates_per_check": statistics.mean(n_cands) if n_cands else 0.0,
        "decisions": decisions,
    }


def run_datasketch(
    system: str,
    cfg: DedupConfig,
    base: Base,
    queries: list[Any],
    redis_url: str | None,
) -> dict[str, Any]:
    from datasketch import MinHashLSH

    storage = None
    if system == "datasketch-redis":
        import redis

        _flush(redis_url)
        r = redis.Redis.from_url(redis_url)
        used0 = int(r.info("memory")["used_memory"])
        host, port = redis_url.split("//")[1].split("/")[0].split(":")
        storage = {
            "type": "redis",
            "basename": b"bench",
            "redis": {"host": host, "port": int(port)},
        }
    gc.collect()
    rss0 = _rss()
    lsh = MinHashLSH(
        num_perm=cfg.minhash.num_perm, params=(cfg.lsh.bands, cfg.lsh.rows), storage_config=storage
    )
    t0 = time.perf_counter()
    with lsh.insertion_session(buffer_size=5000) as session:
        for doc_id, prep, _ in base.rows():
            session.insert(
                doc_id, to_datasketch(prep.signature, cfg.minhash), check_duplication=False
            )
    load_s = time.perf_counter() - t0
    gc.collect()
    size = (int(r.info("memory")["used_memory"]) - used0) if storage else (_rss() - rss0)
    lat, cpu, flagged, n_cands, all_hits = [], [], 0, [], []
    with _frozen_heap():
        for q, prep in queries:
            c, t = time.thread_time(), time.perf_counter()
            m = to_datasketch(prep.signature, cfg.minhash)
            hits = lsh.query(m)
            lsh.insert(q["id"], m, check_duplication=False)
            lat.append(time.perf_counter() - t)
            cpu.append(time.thread_time() - c)
            flagged += bool(hits)
            all_hits.append((q["id"], tuple(hits)))
            n_cands.append(len(hits))
    if storage:
        _flush(redis_url)
    return {
        "load_s": load_s,
        "bytes_per_article": size / base.n,
        "lat": lat,
        "cpu": cpu,
        "flagged": flagged,
        "hits": all_hits,
        "candidates_per_check": statistics.mean(n_cands),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--sizes", default="10000,100000", help="indexed articles (default: %(default)s)"
    )
    ap.add_argument(
        "--queries", type=int, default=500, help="checked articles per run (default: %(default)s)"
    )
    ap.add_argument("--systems", default=",".join(SYSTEMS))
    ap.add_argument("--configs", default="default,copies")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--redis-url", help="use this Redis (it is FLUSHDB-ed!) instead of starting one"
    )
    ap.add_argument(
        "--jobs", type=int, default=1, help="processes for generating/normalizing the corpus"
    )
    ap.add_argument("--quick", action="store_true", help="2000 articles, 100 checks")
    ap.add_argument(
        "--world",
        choices=("default", "wide"),
        default="default",
        help="generator world (benchmarks.corpus.iter_corpus): 'default' (narrow, unrelated "
        "stories share many words) or 'wide' (many countries, ministries, topics; "
        "default: %(default)s)",
    )
    ap.add_argument(
        "--cache",
        default=os.environ.get(
            "DEDUP_BENCH_CACHE", str(Path(tempfile.gettempdir()) / "dedup-bench")
        ),
        help="directory for the generated, normalized corpus chunks (default: %(default)s)",
    )
    ap.add_argument("--json", metavar="OUT", help="also write the results as JSON")
    ap.add_argument("--workdir", help="where the index files are built (default: a temp dir)")
    ap.add_argument(
        "--batch-size", type=int, default=5000, help="documents per bulk-load transaction"
    )
    ap.add_argument(
        "--index-cache",
        help="keep each bulk-loaded dedup-sqlite index here and reuse it in later runs of the "
        "same world, seed, settings and size (a copy is checked; the load rate reported is "
        "the building run's)",
    )
    args = ap.parse_args(argv)
    sizes = [2000] if args.quick else [int(x) for x in args.sizes.split(",")]
    n_queries = 100 if args.quick else args.queries
    systems = [s for s in args.systems.split(",") if s]
    configs = [c for c in args.configs.split(",") if c]
    for s in systems:
        if s not in SYSTEMS:
            raise SystemExit(f"unknown system {s!r}; choose from {', '.join(SYSTEMS)}")

    cache = Path(args.cache)
    if args.workdir:
        Path(args.workdir).mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="dedup-bench-", dir=args.workdir))
    server = None
    redis_url = args.redis_url
    if redis_url is None and any("redis" in s for s in systems):
        server, redis_url = start_redis(workdir)
    print(f"# python -m benchmarks.index {' '.join(argv if argv is not None else sys.argv[1:])}")
    print(f"# cpus={os.cpu_count()} load={os.getloadavg()[0]:.1f} redis={redis_url}")
    header = (
        f"{'N':>8} {'config':8} {'system':18} {'load/s':>9} {'B/article':>10} "
        f"{'median ms':>9} {'p99 ms':>8} {'cpu p99':>7} {'checks/s':>8} {'cands':>7} {'flagged':>7} "
        f"{'found':>6} {'false':>5}"
    )
    rows: list[dict[str, Any]] = []
    try:
        for n in sizes:
            t = time.perf_counter()
            base_cols, q_cols = load_corpus(
                n, n_queries, world=args.world, seed=args.seed, cache=cache, jobs=args.jobs
            )
            norm = base_cols["normalized"]
            base_ids = base_cols["ids"]
            queries = [
                {"id": i, "text": x, "story": st}
                for i, x, st in zip(q_cols["ids"], q_cols["texts"], q_cols["stories"])
            ]
            story_of = dict(zip(base_ids, base_cols["stories"]))
            story_of.update((q["id"], q["story"]) for q in queries)
            seen = set(base_cols["stories"])
            expected = set()  # queries with an earlier document of their story
            for q in queries:
                if q["story"] in seen:
                    expected.add(q["id"])
                seen.add(q["story"])
            del base_cols, q_cols
            if args.index_cache and set(systems) == {"dedup-sqlite"}:
                tags = [f"index-{args.world}-s{args.seed}-{c}-{n}" for c in configs]
                if all((Path(args.index_cache) / f"{tag}.db").exists() for tag in tags):
                    # every index is cached: the articles are not loaded again, so the checks
                    # are timed in a process holding what a worker holds (not ~4 GB of texts
                    # besides, which pushed the index file out of the page cache at 1M)
                    norm = norm[:2000]  # (to time signing)
                    _release_memory()
            gen_s = time.perf_counter() - t
            print(
                f"# N={n}: corpus ({args.world} world) generated/normalized/read in {gen_s:.0f}s; "
                f"{len(expected)} of {len(queries)} checked articles have an earlier one of "
                "their story"
            )
            print(header)
            for cname in configs:
                cfg = CONFIGS[cname]
                helper = open_index(workdir / f"helper-{cname}.db", cfg)
                t = time.perf_counter()
                helper.sign_normalized(norm[:2000])
                sign_s = (time.perf_counter() - t) / min(n, 2000) * n
                base = Base(helper, base_ids, norm, f"index-{args.world}-s{args.seed}-{cname}-{n}")
                prep_lat, qprep = [], []
                for q in queries:
                    t = time.perf_counter()
                    qprep.append((q, helper.prepare(q["text"])))
                    prep_lat.append(time.perf_counter() - t)
                print(
                    f"#   {cname}: signing {n / sign_s:.0f} articles/s; prep_ms (shared by all "
                    f"systems) median {_pct(prep_lat, 50):.2f} p99 {_pct(prep_lat, 99):.2f}"
                )
                decisions = {}
                for system in systems:
                    gc.collect()
                    if system.startswith("dedup"):
                        res = run_dedup(
                            system,
                            cfg,
                            base,
                            qprep,
                            workdir,
                            redis_url,
                            args.batch_size,
                            Path(args.index_cache) if args.index_cache else None,
                        )
                        decisions[system] = res.pop("decisions")
                    else:
                        res = run_datasketch(system, cfg, base, qprep, redis_url)
                    lat = res.pop("lat")
                    cpu = res.pop("cpu")
                    hits = res.pop("hits")
                    same = {qid for qid, h in hits if any(story_of[x] == story_of[qid] for x in h)}
                    res["found"] = len(same & expected) / max(1, len(expected))
                    res["false_flags"] = sum(1 for qid, h in hits if h and qid not in same)
                    row = {
                        "n": n,
                        "config": cname,
                        "system": system,
                        **res,
                        "lat_ms": [round(x * 1e3, 3) for x in lat],
                        "cpu_ms": [round(x * 1e3, 3) for x in cpu],
                        "median_ms": _pct(lat, 50),
                        "p99_ms": _pct(lat, 99),
                        "cpu_median_ms": _pct(cpu, 50),
                        "cpu_p99_ms": _pct(cpu, 99),
                        "checks_per_s": len(lat) / sum(lat),
                        "load_articles_per_s": n / res["load_s"],
                        "prep_median_ms": _pct(prep_lat, 50),
                    }
                    rows.append(row)
                    if args.json:  # after every row: a run stopped later keeps what it measured
                        Path(args.json).write_text(json.dumps(rows, indent=2))
                    print(
                        f"{n:>8} {cname:8} {system:18} {row['load_articles_per_s']:>9.0f} "
                        f"{row['bytes_per_article']:>10.0f} {row['median_ms']:>9.2f} "
                        f"{row['p99_ms']:>8.2f} {row['cpu_p99_ms']:>7.2f} "
                        f"{row['checks_per_s']:>8.0f} "
                        f"{row['candidates_per_check']:>7.1f} {row['flagged']:>7} "
                        f"{row['found']:>6.3f} {row['false_flags']:>5}",
                        flush=True,
                    )
                if len(decisions) == 2:
                    a, b = decisions.values()
                    print(f"#   dedup-sqlite and dedup-redis decisions identical: {a == b}")
                helper.close()
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
