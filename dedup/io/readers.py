"""Input readers: a directory of ``.txt`` files, one ``.txt``, ``.jsonl``, ``.csv``, or stdin.

Every reader yields :class:`~dedup.documents.Document` with ``meta`` naming the source
(``{"source": path, "line": n}``), and every error names the file and line.

Two kinds of problems:

* **a bad document** (a malformed JSON line, a missing or non-string field, invalid UTF-8 in
  one line or one ``.txt`` file, a binary ``.txt`` file, a CSV row with the wrong number of
  fields, a repeated id, a text over ``max_doc_bytes``): an :class:`~dedup.errors.InputError`
  with ``on_error="fail"`` (default), or a :class:`~dedup.documents.Skipped` record with
  ``on_error="skip"`` -- :class:`InputReader` collects them;
* **a bad input** (a path that does not exist, an unknown extension, a CSV without the id or
  text column, a binary ``.jsonl``/``.csv``): always an ``InputError``.

Files are decoded as UTF-8 (a leading BOM is dropped); ``\\r\\n`` line endings are fine.
JSONL is read line by line and a line longer than the limit is skipped without being held in
memory, so memory stays bounded whatever the input.

Examples
--------
>>> import pathlib, tempfile
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "a.jsonl").write_text('{"id": "x", "text": "hello"}\\n{"id": "y"}\\n')
>>> reader = InputReader([str(d / "a.jsonl")], on_error="skip")
>>> [doc.id for doc in reader]
['x']
>>> [(s.reason, s.line) for s in reader.skipped]
[('missing_field', 2)]
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any, Union

from dedup.documents import Document, OnError, Skipped, check_document
from dedup.errors import InputError

__all__ = [
    "InputReader",
    "read_csv",
    "read_inputs",
    "read_jsonl",
    "read_path",
    "read_text_file",
]

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))

_BOM = b"\xef\xbb\xbf"
_SNIFF = 8192  # bytes looked at to tell a binary file
_SURROGATES = re.compile("[\ud800-\udfff]")
_ESCAPED = re.compile("[\udc80-\udcff]")  # undecodable bytes under errors="surrogateescape"
Record = Union[Document, Skipped]


def line_limit(max_doc_bytes: int | None) -> int | None:
    """Longest JSONL line read into memory: room for a text of ``max_doc_bytes`` UTF-8 bytes
    written with ``\\uXXXX`` escapes (up to 6 bytes per byte of text) and other fields.

    >>> line_limit(None) is None, line_limit(1000)
    (True, 1054576)
    """
    return None if max_doc_bytes is None else 6 * max_doc_bytes + (1 << 20)


def _bounded_lines(
    stream: IO[Any], limit: int | None
) -> Iterator[tuple[int, bytes | str | None, int]]:
    """``(lineno, line, size)``; ``line`` is ``None`` for a line longer than ``limit``, whose
    rest is read and thrown away in chunks (never held in memory whole)."""
    lineno = 0
    while True:
        line = stream.readline() if limit is None else stream.readline(limit + 1)
        if not line:
            return
        lineno += 1
        if limit is not None and len(line) > limit:
            size = len(line)
            while not (line.endswith(b"\n") if isinstance(line, bytes) else line.endswith("\n")):
                line = stream.readline(1 << 20)
                if not line:
                    break
                size += len(line)
            yield lineno, None, size
        else:
            yield lineno, line, len(line)


def _utf8_error_detail(data: bytes, exc: UnicodeDecodeError) -> str:
    return (
        f"not valid UTF-8 (byte {data[exc.start : exc.start + 1]!r} at offset {exc.start}); "
        "convert the input to UTF-8"
    )


def _safe_id(doc_id: Any) -> str | None:
    """An id fit for a Skipped record (reports are UTF-8): a clean string, else ``None``."""
    if isinstance(doc_id, int) and not isinstance(doc_id, bool) and abs(doc_id) < 10**100:
        return str(doc_id)
    if isinstance(doc_id, str) and doc_id and not _SURROGATES.search(doc_id):
        return doc_id
    return None


def _id_hint(raw: bytes, id_field: str) -> str | None:
    """The id of a line that is not valid UTF-8, when the rest of it parses (for the report)."""
    try:
        return _safe_id(json.loads(raw.decode("utf-8", "replace")).get(id_field))
    except (ValueError, RecursionError, AttributeError):
        return None


def _jsonl_records(
    stream: IO[Any],
    name: str,
    *,
    id_field: str,
    text_field: str,
    max_doc_bytes: int | None,
) -> Iterator[Record]:
    for lineno, raw, size in _bounded_lines(stream, line_limit(max_doc_bytes)):
        where = f"{name}:{lineno}"

        def skip(reason: str, detail: str, doc_id: str | None = None) -> Skipped:
            return Skipped(reason, f"{where}: {detail}", doc_id, name, lineno)  # noqa: B023

        if raw is None:
            yield skip(
                "too_large",
                f"line of {size} bytes is over the read limit of {line_limit(max_doc_bytes)} "
                f"(6 x --max-doc-bytes {max_doc_bytes} + 1 MiB); raise --max-doc-bytes "
                "(0 = no limit) or pass --on-error skip",
            )
            continue
        if isinstance(raw, bytes):
            if lineno == 1 and raw.startswith(_BOM):
                raw = raw[len(_BOM) :]
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield skip("invalid_utf8", _utf8_error_detail(raw, exc), _id_hint(raw, id_field))
                continue
        else:
            line = raw[1:] if lineno == 1 and raw.startswith("\ufeff") else raw
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield skip("invalid_json", f"invalid JSON: {exc.msg} (column {exc.colno})")
            continue
        except (ValueError, RecursionError) as exc:  # e.g. huge integers, deep nesting
            yield skip("invalid_json", f"invalid JSON: {exc}")
            continue
        if not isinstance(record, dict):
            yield skip("not_an_object", f"expected a JSON object, got {type(record).__name__}")
            continue
        missing = [
            (field, what)
            for field, what in ((id_field, "id"), (text_field, "text"))
            if field not in record
        ]
        if missing:
            field, what = missing[0]
            doc_id = record.get(id_field)
            yield skip(
                "missing_field",
                f"no {what} field {field!r} (fields: {', '.join(sorted(record)[:8]) or 'none'}); "
                f"pass --{what}-field NAME",
                _safe_id(doc_id),
            )
            continue
        yield check_document(
            record[id_field],
            record[text_field],
            where=where,
            meta={"source": name, "line": lineno},
            max_doc_bytes=max_doc_bytes,
        )


def _open_binary(path: Path) -> IO[bytes]:
    try:
        fh = open(path, "rb")  # closed by the caller
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    head = fh.peek(_SNIFF)[:_SNIFF] if hasattr(fh, "peek") else b""
    if b"\x00" in head:
        fh.close()
        raise InputError(
            f"{path}: looks like a binary file (NUL byte), not UTF-8 text; "
            "pass a .jsonl/.csv text file"
        )
    return fh


def _csv_records(
    stream: IO[str],
    name: str,
    *,
    id_field: str,
    text_field: str,
    max_doc_bytes: int | None,
) -> Iterator[Record]:
    reader = csv.reader(stream)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise InputError(f"{name}:1: cannot parse the CSV header: {exc}") from None
    if header is None:  # an empty file: no documents (reported by InputReader)
        return
    if any(_ESCAPED.search(col) for col in header):
        raise InputError(f"{name}:1: header is not valid UTF-8; convert the file to UTF-8")
    for col, what in ((id_field, "id"), (text_field, "text")):
        if col not in header:
            raise InputError(
                f"{name}:1: no {what} column {col!r} in header {header}; pass --{what}-field NAME"
            )
    id_col, text_col = header.index(id_field), header.index(text_field)
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader, None)
        except csv.Error as exc:
            raise InputError(f"{name}:{start}: cannot parse CSV: {exc}") from None
        if row is None:
            return
        where = f"{name}:{start}"
        if not row or (len(row) == 1 and not row[0].strip() and len(header) > 1):
            continue  # a blank line
        if len(row) != len(header):
            doc_id = _safe_id(row[id_col]) if id_col < len(row) else None
            yield Skipped(
                "bad_row",
                f"{where}: row has {len(row)} fields, the header has {len(header)}",
                doc_id,
                name,
                start,
            )
            continue
        if any(_ESCAPED.search(c) for c in row):
            yield Skipped(
                "invalid_utf8",
                f"{where}: not valid UTF-8; convert the input to UTF-8",
                None,
                name,
                start,
            )
            continue
        yield check_document(
            row[id_col],
            row[text_col],
            where=where,
            meta={"source": name, "line": start},
            max_doc_bytes=max_doc_bytes,
        )


def _text_file_record(path: Path, max_doc_bytes: int | None) -> Record:
    name = str(path)
    try:
        size = path.stat().st_size
        if max_doc_bytes is not None and size > max_doc_bytes:
            return Skipped(
                "too_large",
                f"{name}: file of {size} bytes is over the limit of {max_doc_bytes}; raise "
                "--max-doc-bytes (0 = no limit) or pass --on-error skip",
                path.stem,
                name,
            )
        data = path.read_bytes()
    except OSError as exc:
        return Skipped("unreadable", f"{name}: cannot read: {exc.strerror}", path.stem, name)
    if b"\x00" in data[:_SNIFF]:
        return Skipped(
            "binary_file", f"{name}: looks like a binary file (NUL byte), not text", path.stem, name
        )
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return Skipped(
            "invalid_utf8",
            f"{name}:{line}: {_utf8_error_detail(data, exc)}",
            path.stem,
            name,
            line,
        )
    return check_document(
        path.stem, text, where=name, meta={"source": name}, max_doc_bytes=max_doc_bytes
    )


def _raise_on_skip(records: Iterable[Record]) -> Iterator[Document]:
    for rec in records:
        if isinstance(rec, Skipped):
            raise InputError(rec.detail, skipped=rec)
        yield rec


def read_text_file(path: Path, *, max_doc_bytes: int | None = None) -> Document:
    """One document from a text file; the id is the file name without its extension."""
    return next(_raise_on_skip([_text_file_record(Path(path), max_doc_bytes)]))


def read_jsonl(
    stream: IO[Any],
    name: str,
    *,
    id_field: str = "id",
    text_field: str = "text",
    max_doc_bytes: int | None = None,
) -> Iterator[Document]:
    """Documents from JSON Lines, binary or text stream (blank lines are skipped).

    The first bad line raises :class:`~dedup.errors.InputError` naming ``name:line``; use
    :class:`InputReader` to skip bad lines instead.
    """
    yield from _raise_on_skip(
        _jsonl_records(
            stream, name, id_field=id_field, text_field=text_field, max_doc_bytes=max_doc_bytes
        )
    )


def read_csv(
    stream: IO[str],
    name: str,
    *,
    id_field: str = "id",
    text_field: str = "text",
    max_doc_bytes: int | None = None,
) -> Iterator[Document]:
    """Documents from CSV with a header row (open the stream with ``newline=""``)."""
    yield from _raise_on_skip(
        _csv_records(
            stream, name, id_field=id_field, text_field=text_field, max_doc_bytes=max_doc_bytes
        )
    )


class InputReader:
    """Read inputs into validated documents with unique ids, accounting for everything.

    Iterating yields the accepted documents in input order. With ``on_error="fail"`` the first
    bad document raises :class:`~dedup.errors.InputError`; with ``"skip"`` it is recorded in
    :attr:`skipped` and reading goes on (for a repeated id the first document is kept).

    Parameters
    ----------
    paths : iterable of str or Path
        Directories (every ``*.txt`` in them, sorted by name; id = file name without ``.txt``),
        ``.txt``, ``.jsonl``/``.ndjson`` or ``.csv`` files, or ``-`` for JSONL on stdin.
    id_field, text_field : str
        Field (column) names of JSONL and CSV inputs.
    on_error : {"fail", "skip"}
    max_doc_bytes : int, optional
        Documents whose text is longer (UTF-8 bytes) are ``too_large``. ``None``: no limit.

    Attributes
    ----------
    read : int
        Records seen: accepted documents plus skipped ones.
    accepted : int
    skipped : list of Skipped
    ignored : list of str
        Directory entries that are not ``.txt`` files (not documents, listed so the caller
        can say so).
    empty_inputs : list of str
        Input files that held no documents at all.
    """

    def __init__(
        self,
        paths: Iterable[str | Path],
        *,
        id_field: str = "id",
        text_field: str = "text",
        on_error: OnError = "fail",
        max_doc_bytes: int | None = None,
    ) -> None:
        if on_error not in ("fail", "skip"):
            raise ValueError(f"on_error must be 'fail' or 'skip', got {on_error!r}")
        self.paths = [str(p) for p in paths]
        self.id_field = id_field
        self.text_field = text_field
        self.on_error = on_error
        self.max_doc_bytes = max_doc_bytes
        self.read = 0
        self.accepted = 0
        self.skipped: list[Skipped] = []
        self.ignored: list[str] = []
        self.empty_inputs: list[str] = []
        self._seen: dict[str, str] = {}

    def summary(self) -> dict[str, Any]:
        """Counts: ``read``, ``accepted``, ``skipped``, ``skipped_by_reason``, ``ignored``, ``empty_inputs``."""
        by_reason: dict[str, int] = {}
        for s in self.skipped:
            by_reason[s.reason] = by_reason.get(s.reason, 0) + 1
        return {
            "read": self.read,
            "accepted": self.accepted,
            "skipped": len(self.skipped),
            "skipped_by_reason": dict(sorted(by_reason.items())),
            "ignored": len(self.ignored),
            "empty_inputs": len(self.empty_inputs),
        }

    def _records(self, path: str) -> Iterator[Record]:
        kw = {
            "id_field": self.id_field,
            "text_field": self.text_field,
            "max_doc_bytes": self.max_doc_bytes,
        }
        if path == "-":
            stream = getattr(sys.stdin, "buffer", sys.stdin)
            yield from _jsonl_records(stream, "<stdin>", **kw)  # type: ignore[arg-type]
            return
        p = Path(path)
        if p.is_dir():
            entries = sorted(p.iterdir())
            for f in entries:
                if f.suffix.lower() == ".txt" and f.is_file():
                    yield _text_file_record(f, self.max_doc_bytes)
                else:
                    self.ignored.append(str(f))
            return
        if not p.exists():
            raise InputError(f"{p}: no such file or directory")
        suffix = p.suffix.lower()
        if suffix == ".txt":
            yield _text_file_record(p, self.max_doc_bytes)
        elif suffix in (".jsonl", ".ndjson"):
            with _open_binary(p) as fh:
                yield from _jsonl_records(fh, str(p), **kw)  # type: ignore[arg-type]
        elif suffix == ".csv":
            with (
                _open_binary(p) as fh,
                io.TextIOWrapper(
                    fh, encoding="utf-8-sig", errors="surrogateescape", newline=""
                ) as text,
            ):
                yield from _csv_records(text, str(p), **kw)  # type: ignore[arg-type]
        else:
            raise InputError(
                f"{p}: unknown input type {suffix or '(no extension)'!r}; "
                "pass a directory of .txt files, a .txt, .jsonl or .csv file, or - for JSONL "
                "on stdin"
            )

    def _handle(self, skipped: Skipped) -> None:
        if self.on_error == "fail":
            raise InputError(skipped.detail, skipped=skipped)
        self.skipped.append(skipped)

    def __iter__(self) -> Iterator[Document]:
        for path in self.paths:
            before = self.read
            for rec in self._records(path):
                self.read += 1
                if isinstance(rec, Skipped):
                    self._handle(rec)
                    continue
                where = rec.meta.get("source", path)
                if "line" in rec.meta:
                    where = f"{where}:{rec.meta['line']}"
                first = self._seen.get(rec.id)
                if first is not None:
                    self._handle(
                        Skipped(
                            "duplicate_id",
                            f"{where}: duplicate id {rec.id!r} (first seen at {first})",
                            rec.id,
                            rec.meta.get("source"),
                            rec.meta.get("line"),
                        )
                    )
                    continue
                self._seen[rec.id] = str(where)
                self.accepted += 1
                yield rec
            if self.read == before:
                self.empty_inputs.append(path)


def read_path(
    path: str | Path, *, id_field: str = "id", text_field: str = "text"
) -> Iterator[Document]:
    """Documents from one input: a directory, ``.txt``, ``.jsonl``/``.ndjson``, ``.csv``, or ``-``."""
    yield from InputReader([path], id_field=id_field, text_field=text_field)


def read_inputs(
    paths: Iterable[str | Path], *, id_field: str = "id", text_field: str = "text"
) -> Iterator[Document]:
    """Documents from several inputs, in order; the first bad document raises ``InputError``.

    Use :class:`InputReader` for ``on_error="skip"``, a size limit and the counts.
    """
    yield from InputReader(paths, id_field=id_field, text_field=text_field)
