"""Command-line options shared by subcommands: settings -> :class:`~dedup.config.DedupConfig`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from dedup.config import (
    BoilerplateConfig,
    ClusterConfig,
    DedupConfig,
    LSHConfig,
    MinHashConfig,
    ShingleConfig,
    VerifyConfig,
)

__all__ = [
    "add_config_arguments",
    "add_field_arguments",
    "add_input_arguments",
    "config_from_args",
    "make_progress",
]


def add_input_arguments(p: argparse.ArgumentParser) -> None:
    """INPUT... plus the field-name options of JSONL/CSV inputs."""
    p.add_argument(
        "inputs",
        metavar="INPUT",
        nargs="+",
        help="a directory (every *.txt in it; id = file name without .txt), a .txt file, "
        "a .jsonl or .csv file, or - for JSONL on stdin",
    )
    add_field_arguments(p)


def add_field_arguments(p: argparse.ArgumentParser) -> None:
    """``--id-field`` / ``--text-field``: which JSONL/CSV fields hold the id and the text."""
    p.add_argument(
        "--id-field", default="id", help="id field of JSONL/CSV input (default: %(default)s)"
    )
    p.add_argument(
        "--text-field", default="text", help="text field of JSONL/CSV input (default: %(default)s)"
    )


def add_config_arguments(p: argparse.ArgumentParser) -> None:
    """Every setting of :class:`DedupConfig`, with its default shown in ``--help``."""
    d = DedupConfig()
    g = p.add_argument_group("matching")
    g.add_argument(
        "--threshold",
        type=float,
        default=d.verify.threshold,
        help="verified score needed to call two articles duplicates, 0..1: about 0.5 finds the "
        "same story told in other words, 0.8 and up only copies (default: %(default)s)",
    )
    g.add_argument(
        "--near-copy",
        type=float,
        default=d.verify.near_copy,
        help="containment (share of the shorter text's 10-character chunks, spaces removed, found "
        "in the other) from which a duplicate is labelled near_copy rather than "
        "same_story (default: %(default)s)",
    )
    g.add_argument(
        "--method",
        choices=["star", "connected"],
        default=d.cluster.method,
        help="star: every member verified against its representative (no chaining); connected: "
        "transitive union of all verified pairs (default: %(default)s)",
    )
    g.add_argument(
        "--representative",
        choices=["first", "longest"],
        default=d.cluster.representative,
        help="which member represents a cluster (default: %(default)s)",
    )
    g = p.add_argument_group("shingles and MinHash")
    g.add_argument(
        "--shingle",
        choices=["word", "char"],
        default=d.shingle.kind,
        help="word n-grams or character n-grams (default: %(default)s)",
    )
    g.add_argument(
        "--ngram", type=int, default=d.shingle.size, help="shingle size n (default: %(default)s)"
    )
    g.add_argument(
        "--min-token-len",
        type=int,
        default=d.shingle.min_token_len,
        help="leave out shorter tokens before shingling (function words) (default: %(default)s)",
    )
    g.add_argument(
        "--num-perm",
        type=int,
        default=d.minhash.num_perm,
        help="MinHash permutations (default: %(default)s)",
    )
    g.add_argument(
        "--seed", type=int, default=d.minhash.seed, help="permutation seed (default: %(default)s)"
    )
    g.add_argument(
        "--hash",
        choices=["dedup32", "sha1_32"],
        default=d.minhash.hash,
        help="shingle hash: dedup32 (fast) or sha1_32 (datasketch's default, for signatures "
        "equal to datasketch.MinHash()) (default: %(default)s)",
    )
    g.add_argument(
        "--bands", type=int, default=d.lsh.bands, help="LSH bands (default: %(default)s)"
    )
    g.add_argument(
        "--rows", type=int, default=d.lsh.rows, help="LSH rows per band (default: %(default)s)"
    )
    g = p.add_argument_group("boilerplate")
    g.add_argument(
        "--rules", metavar="FILE", help="boilerplate rule file to use instead of the packaged one"
    )
    g.add_argument(
        "--extra-rules", metavar="FILE", help="boilerplate rule file added to the packaged one"
    )
    g.add_argument("--no-rules", action="store_true", help="apply no boilerplate rules")
    g.add_argument(
        "--no-learn", action="store_true", help="do not learn boilerplate lines from the corpus"
    )
    g.add_argument(
        "--learn-min-docs",
        type=int,
        default=d.boilerplate.learn_min_docs,
        help="a line recurring in at least this many documents is learned boilerplate "
        "(default: %(default)s)",
    )


def config_from_args(args: argparse.Namespace) -> DedupConfig:
    """Build the config; invalid values raise ``ValueError`` with the setting's name."""
    return DedupConfig(
        boilerplate=BoilerplateConfig(
            rules=not args.no_rules,
            rules_path=args.rules,
            extra_rules_path=args.extra_rules,
            learn=not args.no_learn,
            learn_min_docs=args.learn_min_docs,
        ),
        shingle=ShingleConfig(kind=args.shingle, size=args.ngram, min_token_len=args.min_token_len),
        minhash=MinHashConfig(num_perm=args.num_perm, seed=args.seed, hash=args.hash),
        lsh=LSHConfig(bands=args.bands, rows=args.rows),
        verify=VerifyConfig(threshold=args.threshold, near_copy=args.near_copy),
        cluster=ClusterConfig(method=args.method, representative=args.representative),
    )


def make_progress(enabled: bool | None) -> Callable[[str, int, int], None] | None:
    """A stderr progress line when stderr is a terminal (or when forced with --progress)."""
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return None

    def progress(stage: str, done: int, total: int) -> None:
        if total < 0:  # not known yet: documents are still being read
            sys.stderr.write(f"\r{stage:>8} {done} documents")
            sys.stderr.flush()
            return
        width = 30
        filled = width if total == 0 else int(width * done / total)
        end = "\n" if done >= total else ""
        sys.stderr.write(
            f"\r{stage:>8} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}{end}"
        )
        sys.stderr.flush()

    return progress
