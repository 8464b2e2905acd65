"""``dedup cluster``: read inputs, cluster, write one line per document."""

from __future__ import annotations

import argparse
import sys

from dedup.cli import EXIT_OK, EXIT_SKIPPED
from dedup.cli.options import (
    add_config_arguments,
    add_input_arguments,
    config_from_args,
    make_progress,
)
from dedup.config import DedupConfig
from dedup.documents import REASONS, parse_size
from dedup.errors import DedupError
from dedup.io import WRITERS, InputReader, atomic_output, write_skipped
from dedup.pipeline import ClusterResult, DocResult, cluster

HELP = "cluster duplicate and same-story articles"
DESCRIPTION = """\
Cluster articles that are copies or reports of the same story.

Output (default JSONL on stdout): one line per input document, in input order:
  {"id", "cluster", "representative", "duplicate", "score", "relation"}
Documents with the same "cluster" value are in one cluster; "relation" says how a
duplicate relates to its representative: exact, near_copy or same_story.

Bad documents (malformed JSON, missing fields, invalid UTF-8, binary .txt files, repeated
ids, texts over --max-doc-bytes) stop the run with exit code 2 and a message naming the file
and line; with --on-error skip they are left out, listed on stderr (and in --skipped FILE),
and the exit code is 3. Documents with no words (empty, emoji only) are kept as singletons.

exit codes: 0 ok, 1 internal error, 2 bad input/options (nothing written),
            3 done but some documents were skipped, 130 interrupted

example:
  dedup cluster seeds/ --format table
  dedup cluster news.jsonl -o clusters.jsonl --on-error skip --skipped skipped.jsonl
"""

#: Default of --max-doc-bytes: news articles are kilobytes; a text of several MB is an
#: extraction accident, and costs about 25x (alone) to 100x (verified) its size in memory.
DEFAULT_MAX_DOC_BYTES = "4M"


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
    p.add_argument(
        "--report",
        metavar="FILE",
        help="also write a self-contained HTML report: clusters, scores, and the shared "
        "passages of each member and its representative side by side",
    )
    add_error_arguments(p)
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


def _size(value: str) -> int | None:
    try:
        return parse_size(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_error_arguments(p: argparse.ArgumentParser) -> None:
    """--on-error, --skipped and --max-doc-bytes: what happens to bad documents."""
    g = p.add_argument_group("bad input")
    g.add_argument(
        "--on-error",
        choices=["fail", "skip"],
        default="fail",
        help="fail: stop at the first bad document, exit 2, write nothing; skip: leave bad "
        "documents out, list them on stderr, exit 3 (default: %(default)s)",
    )
    g.add_argument(
        "--skipped",
        metavar="FILE",
        help="also write the skipped documents here as JSONL "
        '{"id", "source", "line", "reason", "detail"} (written even when none are skipped)',
    )
    g.add_argument(
        "--max-doc-bytes",
        metavar="SIZE",
        type=_size,
        default=parse_size(DEFAULT_MAX_DOC_BYTES),
        help="a document whose text is longer (UTF-8 bytes; suffixes k, M, G) is bad input "
        f"(reason too_large); 0 = no limit (default: {DEFAULT_MAX_DOC_BYTES})",
    )


def run(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    if getattr(args, "engine", "local") == "spark":
        return _run_spark(args, config)
    reader = InputReader(
        args.inputs,
        id_field=args.id_field,
        text_field=args.text_field,
        on_error=args.on_error,
        max_doc_bytes=args.max_doc_bytes,
    )
    # the reader is consumed by cluster(): input texts are freed once prepared; the prepared
    # texts (result.stripped) are kept only for the HTML report
    result = cluster(
        reader,
        config,
        n_jobs=args.jobs,
        progress=make_progress(args.progress),
        keep_stripped=bool(args.report),
    )
    write = WRITERS[args.format]
    if args.output:
        with atomic_output(args.output) as fh:
            write(result.records, fh)
    else:
        write(result.records, sys.stdout)
    if args.report:
        from dedup.report.html import render_html

        page = render_html(result)
        with atomic_output(args.report) as fh:
            fh.write(page)
    if args.skipped:
        with atomic_output(args.skipped) as fh:
            write_skipped(reader.skipped, fh)
    s = result.stats
    if args.output or args.format != "table":
        sys.stderr.write(
            f"dedup: {s['documents']} documents, {s['clusters']} clusters, "
            f"{s['duplicate_pairs']} duplicate pairs ({s['candidate_pairs']} candidates checked)\n"
        )
    report_accounting(reader, result)
    return EXIT_SKIPPED if reader.skipped else EXIT_OK


def report_accounting(reader: InputReader, result: ClusterResult, *, limit: int = 20) -> None:
    """Stderr lines: what was read, skipped (first ``limit``, with reasons), empty or ignored."""
    err = sys.stderr.write
    if reader.skipped:
        by_reason = reader.summary()["skipped_by_reason"]
        reasons = ", ".join(f"{n} {r}" for r, n in by_reason.items())
        err(
            f"dedup: read {reader.read} documents: {reader.accepted} clustered, "
            f"{len(reader.skipped)} skipped ({reasons})\n"
        )
        for sk in reader.skipped[:limit]:
            err(f"dedup: skipped {sk.detail}\n")
        if len(reader.skipped) > limit:
            err(f"dedup: ... and {len(reader.skipped) - limit} more (see --skipped FILE)\n")
        unknown = sorted(set(by_reason) - set(REASONS))
        if unknown:  # pragma: no cover - every reason code is documented
            err(f"dedup: undocumented skip reasons: {unknown}\n")
    empty = [r.id for r, t in zip(result.records, result.normalized) if not t]
    if empty:
        shown = ", ".join(empty[:5]) + (", ..." if len(empty) > 5 else "")
        err(
            f"dedup: note: {len(empty)} documents have no words after normalization "
            f"(empty, emoji or boilerplate only); each is its own cluster: {shown}\n"
        )
    if reader.ignored:
        shown = ", ".join(reader.ignored[:5]) + (", ..." if len(reader.ignored) > 5 else "")
        err(f"dedup: note: ignored {len(reader.ignored)} directory entries not *.txt: {shown}\n")
    for path in reader.empty_inputs:
        err(f"dedup: warning: {path}: no documents\n")


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
