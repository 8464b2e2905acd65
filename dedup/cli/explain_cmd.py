"""``dedup explain``: show why two articles match (or do not)."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

from dedup.cli.options import add_config_arguments, add_field_arguments, config_from_args
from dedup.errors import InputError
from dedup.io import read_inputs
from dedup.io.readers import read_text_file
from dedup.match.verify import Verifier
from dedup.pipeline import prepare_texts
from dedup.report.explain import explain
from dedup.report.terminal import render_text

HELP = "show why two articles match: shared passages, removed boilerplate, scores"
DESCRIPTION = """\
Show two articles side by side with the passages they share highlighted, the boilerplate
that was removed before comparing struck through (with the rule that removed it), and the
verifier's scores and relation label with what each means.

A and B are two text files, or, with --input, two document ids in the given inputs (the
whole input is prepared as 'dedup cluster' prepares it, so boilerplate learned from the
corpus is removed too).

Without colour (output not a terminal, or --color never) shared passages are written
[[like this]] and removed boilerplate ~~like this~~{rule}.

examples:
  dedup explain seeds/000_9106e3a7f7abc474.txt seeds/001_679247a4154d51ed.txt
  dedup explain --input seeds/ 000_9106e3a7f7abc474 001_679247a4154d51ed --layout stacked
  dedup explain a.txt b.txt --format json
"""


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "explain",
        help=HELP,
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("a", metavar="A", help="first article: a text file, or an id with --input")
    p.add_argument("b", metavar="B", help="second article: a text file, or an id with --input")
    p.add_argument(
        "--input",
        dest="explain_inputs",
        metavar="INPUT",
        action="append",
        help="look A and B up as ids in this input (directory, .txt, .jsonl, .csv or -); "
        "may be given more than once",
    )
    add_field_arguments(p)
    p.add_argument(
        "--format",
        choices=["text", "json"],
        default="text",
        help="text (for people, default) or json (segments and scores)",
    )
    p.add_argument(
        "--color",
        choices=["auto", "always", "never"],
        default="auto",
        help="ANSI colours: auto (when stdout is a terminal and NO_COLOR is unset), always, "
        "never (default: %(default)s)",
    )
    p.add_argument(
        "--layout",
        choices=["auto", "side", "stacked"],
        default="auto",
        help="side by side, or A above B; auto: side by side on a terminal of 100+ "
        "columns, stacked otherwise (default: %(default)s)",
    )
    p.add_argument(
        "--width",
        type=int,
        default=None,
        help="columns to use (default: the terminal's width, 100 when not a terminal)",
    )
    p.add_argument(
        "--min-run",
        type=int,
        default=3,
        help="shortest run of shared words shown as a shared passage (default: %(default)s)",
    )
    add_config_arguments(p)
    p.set_defaults(func=run)


def _load(args: argparse.Namespace, config):  # type: ignore[no-untyped-def]
    """The two sides as (id, Stripped-or-text)."""
    if not args.explain_inputs:
        docs = []
        for name in (args.a, args.b):
            path = Path(name)
            if not path.is_file():
                raise InputError(
                    f"{name}: no such file; pass two text files, or two ids with --input INPUT"
                )
            docs.append(read_text_file(path))
        return [(d.id, d.text) for d in docs]
    docs = list(
        read_inputs(args.explain_inputs, id_field=args.id_field, text_field=args.text_field)
    )
    index = {d.id: k for k, d in enumerate(docs)}
    missing = [x for x in (args.a, args.b) if x not in index]
    if missing:
        sample = ", ".join(d.id for d in docs[:5]) + (" ..." if len(docs) > 5 else "")
        raise InputError(
            f"id {missing[0]!r} not in {', '.join(args.explain_inputs)} "
            f"({len(docs)} documents: {sample}); pass ids from the input's id field"
        )
    stripped, normalized, _ = prepare_texts([d.text for d in docs], config)
    # score with the whole input as the corpus (word weights), as `dedup cluster` does
    scores = Verifier(normalized, config.verify, explain=True).score(index[args.a], index[args.b])
    return [(x, stripped[index[x]]) for x in (args.a, args.b)], scores


def run(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    if args.explain_inputs:
        ((id_a, a), (id_b, b)), scores = _load(args, config)
    else:
        (id_a, a), (id_b, b) = _load(args, config)
        scores = None
    e = explain(a, b, config, ids=(id_a, id_b), min_run=args.min_run, scores=scores)
    if args.format == "json":
        json.dump(e.to_dict(), sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
        return 0
    tty = sys.stdout.isatty()
    if args.color == "auto":
        color = tty and not os.environ.get("NO_COLOR")
    else:
        color = args.color == "always"
    width = args.width or (shutil.get_terminal_size((100, 24)).columns if tty else 100)
    layout = args.layout
    if layout == "auto":
        layout = "side" if tty and width >= 100 else "stacked"
    sys.stdout.write(render_text(e, color=color, width=width, layout=layout) + "\n")
    return 0
