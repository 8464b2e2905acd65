"""The ``dedup`` command. Each subcommand lives in its own module with a ``register`` function.

Exit codes (also in ``docs/reliability.md``):

====  ==========================================================================================
0     success: every input document is in the output
1     unexpected error (a bug): a traceback is printed; please report it
2     bad input, bad options or an unwritable output: nothing was written, and the message
      names the file and line or the document id
3     completed with ``--on-error skip`` but some documents were skipped: the output has a line
      for every *accepted* document; the skipped ones are listed on stderr (and in
      ``--skipped FILE``)
130   interrupted (Ctrl-C / SIGINT): no output file was written
====  ==========================================================================================
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
import warnings
from collections.abc import Sequence

from dedup import __version__
from dedup.errors import DedupError

__all__ = ["build_parser", "main"]

#: Subcommand modules, in ``--help`` order; each defines ``register(subparsers)``.
SUBCOMMANDS = ["dedup.cli.cluster_cmd", "dedup.cli.index_cmd", "dedup.cli.explain_cmd"]

EXIT_OK = 0
EXIT_ERROR = 1  # unexpected failure
EXIT_USAGE = 2  # bad options or bad input (the message names the file/line or document id)
EXIT_SKIPPED = 3  # completed, but --on-error skip left some documents out (reported)
EXIT_INTERRUPTED = 130  # SIGINT


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dedup",
        description="Find near-duplicate and same-story news articles.",
        epilog="Run 'dedup COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"dedup {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in SUBCOMMANDS:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    # unidecode warns about lone surrogates in a text ("narrow Python build"): misleading here;
    # they are simply dropped by normalization like any other non-letter.
    warnings.filterwarnings("ignore", message="Surrogate character", category=RuntimeWarning)
    try:
        return int(args.func(args) or 0)
    except (DedupError, ValueError) as exc:
        sys.stderr.write(f"dedup: error: {exc}\n")
        return EXIT_USAGE
    except BrokenPipeError:  # e.g. piped into head
        return EXIT_OK
    except KeyboardInterrupt:
        sys.stderr.write("dedup: interrupted; an -o output file was not written or changed\n")
        return EXIT_INTERRUPTED
    except Exception as exc:
        traceback.print_exc()
        sys.stderr.write(
            f"dedup: internal error ({type(exc).__name__}: {exc}); this is a bug, please report "
            "it with the traceback above\n"
        )
        return EXIT_ERROR


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
