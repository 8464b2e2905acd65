"""``dedup cluster``: read inputs, cluster, write one line per document."""

from __future__ import annotations

import argparse
import sys

from dedup.cli.options import (
    add_config_arguments,
    add_input_arguments,
    config_from_args,
    make_progress,
)
from dedup.config import DedupConfig
from dedup.errors import DedupError
from dedup.io import WRITERS, atomic_output, read_inputs
from dedup.pipeline import DocResult, cluster

HELP = "cluster duplicate and same-story articles"
DESCRIPTION = """\
Cluster articles that are copies or reports of the same story.

Output (default JSONL on stdout): one line per input document, in input order:
  {"id", "cluster", "representative", "duplicate", "score", "relation"}
Documents with the same "cluster" value are in one cluster; "relation" says how a
duplicate relates to its representative: exact, near_copy or same_story.

example:
  dedup cluster seeds/ --format table
"""


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "cluster",
        help=HELP,
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_input_arguments(p)
    p.add_argument(
        "-o", "--output", metavar="OUT", help="write here (atomically) instead of stdout"
    )
    p.add_argument(
        "--format",
        choices=sorted(WRITERS),
        default="jsonl",
        help="jsonl (default), csv, or table (a summary for people)",
    )
    p.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=1,
        help="processes/threads to use, -1 for all cores (default: 1)",
    )
    prog = p.add_mutually_exclusive_group()
    prog.add_argument(
        "--progress",
        dest="progress",
        action="store_true",
        default=None,
        help="show progress on stderr (default: only when stderr is a terminal)",
    )
    prog.add_argument(
        "--no-progress", dest="progress", action="store_false", help="never show progress"
    )
    add_config_arguments(p)
    g = p.add_argument_group("engine")
    g.add_argument(
        "--engine",
        choices=["local", "spark"],
        default="local",
        help="local: this process (default); spark: Apache Spark, same output "
        "(needs pip install 'dedup-news[spark]' and Java 17+; Parquet and JSONL inputs are "
        "read by Spark)",
    )
    g.add_argument(
        "--spark-master",
        default="local[*]",
        metavar="URL",
        help="Spark master URL with --engine spark: local[N], spark://HOST:PORT, yarn ... "
        "(default: %(default)s)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    if getattr(args, "engine", "local") == "spark":
        return _run_spark(args, config)
    docs = list(read_inputs(args.inputs, id_field=args.id_field, text_field=args.text_field))
    result = cluster(docs, config, n_jobs=args.jobs, progress=make_progress(args.progress))
    write = WRITERS[args.format]
    if args.output:
        with atomic_output(args.output) as fh:
            write(result.records, fh)
    else:
        write(result.records, sys.stdout)
    s = result.stats
    if args.output or args.format != "table":
        sys.stderr.write(
            f"dedup: {s['documents']} documents, {s['clusters']} clusters, "
            f"{s['duplicate_pairs']} duplicate pairs ({s['candidate_pairs']} candidates checked)\n"
        )
    return 0


def _run_spark(args: argparse.Namespace, config: DedupConfig) -> int:
    """``--engine spark``: read with Spark, cluster with :mod:`dedup.engines.spark`, write here."""
    try:
        from dedup.engines import spark as engine

        engine._require_pyspark()
    except ImportError as exc:
        raise DedupError(str(exc)) from None
    spark = engine.session(args.spark_master)
    try:
        df = engine.read_inputs(
            spark, args.inputs, id_field=args.id_field, text_field=args.text_field
        )
        result = engine.cluster_spark(df, config, progress=make_progress(args.progress))
        rows = result.records.select(
            "id", "cluster", "representative", "duplicate", "score", "relation"
        ).toLocalIterator()
        records = (DocResult(*row) for row in rows)
        write = WRITERS[args.format]
        if args.output:
            with atomic_output(args.output) as fh:
                write(list(records) if args.format == "table" else records, fh)  # type: ignore[arg-type]
        else:
            write(list(records) if args.format == "table" else records, sys.stdout)  # type: ignore[arg-type]
        s = result.stats
    finally:
        spark.stop()
    if args.output or args.format != "table":
        sys.stderr.write(
            f"dedup: {s['documents']} documents, {s['clusters']} clusters, "
            f"{s['duplicate_pairs']} duplicate pairs ({s['candidate_pairs']} candidates checked)\n"
        )
    return 0
