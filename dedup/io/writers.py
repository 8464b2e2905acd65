"""Output writers (JSONL, CSV, a table for people) and atomic file output.

An output file is written to a temporary file next to it and renamed into place when complete,
so an interrupted run never leaves a half-written file that looks finished.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TextIO

from dedup.pipeline import DocResult

__all__ = ["WRITERS", "atomic_output", "write_csv", "write_jsonl", "write_table"]

_FIELDS = ("id", "cluster", "representative", "duplicate", "score", "relation")


@contextlib.contextmanager
def atomic_output(path: str | Path) -> Iterator[TextIO]:
    """Open ``path`` for writing text; it appears only if the block finishes without error."""
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_jsonl(records: Sequence[DocResult], out: TextIO) -> None:
    """One JSON object per document, in input order."""
    for r in records:
        out.write(json.dumps(r.to_dict(), ensure_ascii=False) + "\n")


def write_csv(records: Sequence[DocResult], out: TextIO) -> None:
    """CSV with a header; empty cells for missing score/relation."""
    w = csv.writer(out, lineterminator="\n")
    w.writerow(_FIELDS)
    for r in records:
        d = r.to_dict()
        w.writerow(["" if d[k] is None else d[k] for k in _FIELDS])


def write_table(records: Sequence[DocResult], out: TextIO) -> None:
    """A readable summary: clusters with more than one member, then the count of singletons."""
    groups: dict[int, list[DocResult]] = {}
    for r in records:
        groups.setdefault(r.cluster, []).append(r)
    multi = [g for g in groups.values() if len(g) > 1]
    multi.sort(key=lambda g: (-len(g), g[0].cluster))
    out.write(
        f"{len(records)} documents, {len(groups)} clusters, "
        f"{sum(len(g) - 1 for g in multi)} duplicates\n"
    )
    for g in multi:
        rep = next(r for r in g if not r.duplicate)
        out.write(f"\ncluster {rep.cluster} ({len(g)} documents)\n")
        out.write(f"  * {rep.id}  (representative)\n")
        for r in g:
            if r.duplicate:
                out.write(f"    {r.id}  {r.relation}  score {r.score:.3f}\n")
    singles = len(groups) - len(multi)
    out.write(f"\n{singles} documents without duplicates\n")


WRITERS = {"jsonl": write_jsonl, "csv": write_csv, "table": write_table}
