"""Input readers: a directory of ``.txt`` files, one ``.txt``, ``.jsonl``, ``.csv``, or stdin.

Every reader yields :class:`~dedup.documents.Document` with ``meta`` naming the source
(``{"source": path, "line": n}``), and every error names the file and line.

Examples
--------
>>> import pathlib, tempfile
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "a.jsonl").write_text('{"id": "x", "text": "hello"}\\n')
>>> [doc.id for doc in read_inputs([str(d / "a.jsonl")])]
['x']
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

from dedup.documents import Document
from dedup.errors import InputError

__all__ = ["read_csv", "read_inputs", "read_jsonl", "read_path", "read_text_file"]

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


def _decode(data: bytes, where: str) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{where}: not valid UTF-8 (byte {exc.start}: {data[exc.start : exc.start + 1]!r}); "
            "convert the file to UTF-8"
        ) from None
    return text[1:] if text.startswith("\ufeff") else text


def read_text_file(path: Path) -> Document:
    """One document from a text file; the id is the file name without its extension."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    if b"\x00" in data[:8192]:
        raise InputError(f"{path}: looks like a binary file (NUL byte), not text")
    return Document(path.stem, _decode(data, str(path)), {"source": str(path)})


def _field(record: dict[str, Any], name: str, where: str, what: str) -> Any:
    if name not in record:
        raise InputError(
            f"{where}: no {what} field {name!r} (fields: {', '.join(sorted(record)[:8])}); "
            f"pass --{what}-field NAME"
        )
    return record[name]


def _make_doc(doc_id: Any, text: Any, where: str, meta: dict[str, Any]) -> Document:
    if isinstance(doc_id, bool) or not isinstance(doc_id, (str, int)) or doc_id == "":
        raise InputError(f"{where}: id must be a non-empty string or an integer, got {doc_id!r}")
    if not isinstance(text, str):
        raise InputError(f"{where}: text of {doc_id!r} must be a string, got {type(text).__name__}")
    return Document(str(doc_id), text, meta)


def read_jsonl(
    stream: TextIO, name: str, *, id_field: str = "id", text_field: str = "text"
) -> Iterator[Document]:
    """Documents from JSON Lines (blank lines are skipped)."""
    for lineno, line in enumerate(stream, 1):
        if not line.strip():
            continue
        where = f"{name}:{lineno}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{where}: invalid JSON: {exc.msg} (column {exc.colno})") from None
        if not isinstance(record, dict):
            raise InputError(f"{where}: expected a JSON object, got {type(record).__name__}")
        doc_id = _field(record, id_field, where, "id")
        text = _field(record, text_field, where, "text")
        yield _make_doc(doc_id, text, where, {"source": name, "line": lineno})


def read_csv(
    stream: TextIO, name: str, *, id_field: str = "id", text_field: str = "text"
) -> Iterator[Document]:
    """Documents from CSV with a header row."""
    reader = csv.DictReader(stream)
    header = reader.fieldnames or []
    for col, what in ((id_field, "id"), (text_field, "text")):
        if col not in header:
            raise InputError(
                f"{name}:1: no {what} column {col!r} in header {header}; pass --{what}-field NAME"
            )
    for record in reader:
        where = f"{name}:{reader.line_num}"
        if None in record:
            raise InputError(f"{where}: more fields than the header has")
        yield _make_doc(
            record[id_field], record[text_field], where, {"source": name, "line": reader.line_num}
        )


def _open_text(path: Path) -> TextIO:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    return io.StringIO(_decode(data, str(path)), newline="")


def read_path(
    path: str | Path, *, id_field: str = "id", text_field: str = "text"
) -> Iterator[Document]:
    """Documents from one input: a directory, ``.txt``, ``.jsonl``/``.ndjson``, ``.csv``, or ``-``."""
    if str(path) == "-":
        yield from read_jsonl(sys.stdin, "<stdin>", id_field=id_field, text_field=text_field)
        return
    p = Path(path)
    if p.is_dir():
        files = sorted(f for f in p.iterdir() if f.suffix.lower() == ".txt" and f.is_file())
        for f in files:
            yield read_text_file(f)
        return
    if not p.exists():
        raise InputError(f"{p}: no such file or directory")
    suffix = p.suffix.lower()
    if suffix == ".txt":
        yield read_text_file(p)
    elif suffix in (".jsonl", ".ndjson"):
        yield from read_jsonl(_open_text(p), str(p), id_field=id_field, text_field=text_field)
    elif suffix == ".csv":
        yield from read_csv(_open_text(p), str(p), id_field=id_field, text_field=text_field)
    else:
        raise InputError(
            f"{p}: unknown input type {suffix or '(no extension)'!r}; "
            "pass a directory of .txt files, a .txt, .jsonl or .csv file, or - for JSONL on stdin"
        )


def read_inputs(
    paths: Iterable[str | Path], *, id_field: str = "id", text_field: str = "text"
) -> Iterator[Document]:
    """Documents from several inputs, in order."""
    for path in paths:
        yield from read_path(path, id_field=id_field, text_field=text_field)
