"""The ``dedup`` command. Each subcommand lives in its own module with a ``register`` function."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from dedup import __version__
from dedup.errors import DedupError

__all__ = ["build_parser", "main"]

#: Subcommand modules, in ``--help`` order; each defines ``register(subparsers)``.
SUBCOMMANDS = ["dedup.cli.cluster_cmd"]
SUBCOMMANDS.append("dedup.cli.index_cmd")

EXIT_OK = 0
EXIT_ERROR = 1  # unexpected failure
EXIT_USAGE = 2  # bad options or bad input (the message names the file/line or document id)


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
    try:
        return int(args.func(args) or 0)
    except (DedupError, ValueError) as exc:
        sys.stderr.write(f"dedup: error: {exc}\n")
        return EXIT_USAGE
    except BrokenPipeError:  # e.g. piped into head
        return EXIT_OK
    except KeyboardInterrupt:
        sys.stderr.write("dedup: interrupted\n")
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
