"""Local engine vs the Spark engine on generated articles, side by side in one run.

Both engines get the same generated corpus (:func:`benchmarks.corpus.generate_corpus`); the
Spark engine reads it from a Parquet file, as it would on a cluster. Reported: wall time of
each (Spark: session start-up separately), Spark's time per stage, and whether both gave the
same records (they must).

Usage::

    python -m benchmarks.spark --docs 100000                # the issue's size
    python -m benchmarks.spark --docs 10000 --master 'local[2]' --json out.json
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.corpus import generate_corpus

FIELDS = ("id", "cluster", "representative", "duplicate", "score", "relation")


def _same(spark_rows: list[tuple], local_rows: list[tuple]) -> bool:  # type: ignore[type-arg]
    if len(spark_rows) != len(local_rows):
        return False
    for a, b in zip(spark_rows, local_rows):
        if a[:4] != b[:4] or a[5] != b[5]:
            return False
        if (a[4] is None) != (b[4] is None):
            return False
        if a[4] is not None and not math.isclose(a[4], b[4], abs_tol=1e-9):
            return False
    return True


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--partitions", type=int, default=8, help="spark.sql.shuffle.partitions")
    ap.add_argument("--local-jobs", type=int, default=1, help="n_jobs of the local engine")
    ap.add_argument("--json", help="also write the figures here")
    args = ap.parse_args(argv)

    import pyarrow as pa
    import pyarrow.parquet as pq

    import dedup
    from dedup.spark import cluster_spark, session

    corpus = generate_corpus(args.docs, seed=args.seed)
    docs = [(d["id"], d["text"]) for d in corpus]
    tmp = Path(tempfile.mkdtemp(prefix="dedup-spark-bench-"))
    parquet = tmp / "corpus.parquet"
    pq.write_table(
        pa.table({"id": [d[0] for d in docs], "text": [d[1] for d in docs]}),
        parquet,
        row_group_size=max(1000, args.docs // 16),
    )

    local_stages: dict[str, float] = {}
    lmark = [time.perf_counter()]

    def local_progress(stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if done:  # a stage's end: time since its start
            local_stages[stage] = round(now - lmark[0], 2)
        elif stage == "verify":  # LSH + prefilter run between hashing and verification
            local_stages["lsh"] = round(now - lmark[0], 2)
        lmark[0] = now

    t0 = time.perf_counter()
    local = dedup.cluster(docs, n_jobs=args.local_jobs, progress=local_progress)
    t_local = time.perf_counter() - t0
    local_stages["cluster"] = round(time.perf_counter() - lmark[0], 2)
    local_rows = [tuple(r.to_dict()[f] for f in FIELDS) for r in local.records]
    print(f"local: {t_local:.1f}s  {local.stats}", file=sys.stderr, flush=True)

    t0 = time.perf_counter()
    spark = session(
        args.master, "dedup-bench", {"spark.sql.shuffle.partitions": str(args.partitions)}
    )
    t_session = time.perf_counter() - t0
    stages: dict[str, float] = {}
    mark = [time.perf_counter()]

    def progress(stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        stages[stage] = round(now - mark[0], 2)
        mark[0] = now
        print(f"  spark {stage}: {stages[stage]:.1f}s", file=sys.stderr, flush=True)

    t0 = time.perf_counter()
    df = spark.read.parquet(str(parquet))
    result = cluster_spark(df, progress=progress)
    rows = [tuple(r[f] for f in FIELDS) for r in result.records.select(*FIELDS).collect()]
    t_spark = time.perf_counter() - t0
    stages["collect"] = round(time.perf_counter() - mark[0], 2)
    spark.stop()

    figures = {
        "docs": args.docs,
        "master": args.master,
        "shuffle_partitions": args.partitions,
        "local_seconds": round(t_local, 2),
        "local_jobs": args.local_jobs,
        "local_stage_seconds": local_stages,
        "spark_session_seconds": round(t_session, 2),
        "spark_seconds": round(t_spark, 2),
        "spark_over_local": round(t_spark / t_local, 2),
        "spark_stage_seconds": stages,
        "same_records": _same(rows, local_rows),
        "same_stats": result.stats == local.stats,
        "stats": local.stats,
    }
    print(json.dumps(figures, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0 if figures["same_records"] else 1


if __name__ == "__main__":
    sys.exit(main())
