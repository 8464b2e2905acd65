"""Output writers (JSONL, CSV, a table for people) and atomic file output.

An output file is written to a temporary file next to it and renamed into place when complete,
so an interrupted run never leaves a half-written file that looks finished.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import re
import stat
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TextIO

from dedup.documents import Skipped
from dedup.errors import OutputError
from dedup.pipeline import DocResult

__all__ = [
    "WRITERS",
    "atomic_output",
    "write_csv",
    "write_jsonl",
    "write_skipped",
    "write_table",
]

_FIELDS = ("id", "cluster", "representative", "duplicate", "score", "relation")


def _new_file_mode(target: Path) -> int:
    """Mode of the finished file: the existing file's, or what ``open()`` would give (umask)."""
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@contextlib.contextmanager
def atomic_output(path: str | Path) -> Iterator[TextIO]:
    """Open ``path`` for writing text; it appears only if the block finishes without error.

    The text goes to a hidden temporary file in the same directory (``.NAME.XXXX.tmp``), which
    is flushed, fsynced and renamed over ``path`` at the end: readers see either the old file
    or the complete new one, never a partial one. On an exception (including Ctrl-C) the
    temporary file is removed; a ``SIGKILL`` or power loss can leave it behind, but never a
    partial ``path``.

    Raises
    ------
    OutputError
        The directory does not exist or cannot be written (the message names the path).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_output(out) as fh:
    ...     _ = fh.write("done\\n")
    >>> out.read_text()
    'done\\n'
    """
    target = Path(path)
    mode = _new_file_mode(target)
    try:
        fd, tmp = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or "."
        )
    except OSError as exc:
        raise OutputError(f"{target}: cannot write: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            yield fh
            fh.flush()
            os.fchmod(fh.fileno(), mode)
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and not isinstance(exc, (OutputError, BrokenPipeError)):
            raise OutputError(f"{target}: cannot write: {exc.strerror or exc}") from exc
        raise
    _fsync_dir(target.parent)


def _fsync_dir(directory: Path) -> None:
    # make the rename itself durable; not every platform/file system allows it
    with contextlib.suppress(OSError):
        fd = os.open(directory or ".", os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# Characters that str.splitlines() (and JavaScript) treat as line breaks but JSON does not escape
_LINE_BREAKS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})
_SURROGATE = re.compile("[\ud800-\udfff]")


def _json_line(obj: object) -> str:
    """One JSON line, UTF-8 encodable, that every line splitter sees as exactly one line."""
    text = json.dumps(obj, ensure_ascii=False)
    if _SURROGATE.search(text):  # not encodable as UTF-8: escape everything
        return json.dumps(obj) + "\n"
    return text.translate(_LINE_BREAKS) + "\n"


def write_jsonl(records: Sequence[DocResult], out: TextIO) -> None:
    """One JSON object per document, in input order.

    >>> import io
    >>> from dedup.pipeline import DocResult
    >>> out = io.StringIO()
    >>> write_jsonl([DocResult("a\u2028b", 0, "a\u2028b", False, None, None)], out)
    >>> len(out.getvalue().splitlines())
    1
    """
    for r in records:
        out.write(_json_line(r.to_dict()))


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


def write_skipped(skipped: Sequence[Skipped], out: TextIO) -> None:
    """One JSON object per skipped document: ``{"id", "source", "line", "reason", "detail"}``."""
    for s in skipped:
        out.write(_json_line(s.to_dict()))


WRITERS = {"jsonl": write_jsonl, "csv": write_csv, "table": write_table}
