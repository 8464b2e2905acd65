"""Documents as they enter dedup: an id and a text, validated once.

A problem with one document (no usable id, a text that is not a string, a repeated id, a text
over a size limit ...) is either an error (``on_error="fail"``, the default: an
:class:`~dedup.errors.InputError` naming the document) or, with ``on_error="skip"``, a
:class:`Skipped` record saying what was left out and why. Nothing is dropped silently.

Empty texts (and texts with no letters or digits, e.g. emoji only) are *valid* documents: they
are clustered as singletons and counted as ``empty`` in the pipeline's stats.

Examples
--------
>>> docs, skipped = validate_documents([("a", "x"), ("a", "y"), ("b", None)], on_error="skip")
>>> [d.id for d in docs]
['a']
>>> [(s.reason, s.id) for s in skipped]
[('duplicate_id', 'a'), ('bad_text', 'b')]
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Union

from dedup.errors import InputError

__all__ = [
    "REASONS",
    "DocLike",
    "Document",
    "OnError",
    "Skipped",
    "as_documents",
    "check_document",
    "iter_documents",
    "parse_size",
    "validate_documents",
]

OnError = Literal["fail", "skip"]

#: Reason codes of :class:`Skipped` records, with what they mean.
REASONS: dict[str, str] = {
    "bad_document": "not a Document, an (id, text) pair or a dict with 'id' and 'text'",
    "bad_id": "the id is missing, empty, not a string/integer, or not valid Unicode",
    "bad_text": "the text is not a string",
    "missing_field": "a JSONL record has no id or text field",
    "not_an_object": "a JSONL line is valid JSON but not an object",
    "invalid_json": "a JSONL line is not valid JSON",
    "invalid_utf8": "bytes that are not valid UTF-8",
    "binary_file": "a .txt file that looks binary (NUL bytes)",
    "bad_row": "a CSV row with more or fewer fields than the header",
    "duplicate_id": "an id seen earlier in the run (the first one is kept)",
    "too_large": "a document (or JSONL line) over the size limit (--max-doc-bytes)",
    "unreadable": "a file that could not be read (permissions, vanished)",
}

_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class Document:
    """One input document.

    Parameters
    ----------
    id : str
        Unique within a run.
    text : str
        Raw text (boilerplate and all).
    meta : dict
        Anything the caller wants carried along (source file, line, published date ...).
    """

    id: str
    text: str
    meta: Mapping[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Skipped:
    """A document (or input record) that was left out, and why.

    Attributes
    ----------
    reason : str
        A code from :data:`REASONS`, e.g. ``"invalid_json"``.
    detail : str
        The full message, naming the file and line or the document id.
    id : str or None
        The document id, when it could be read.
    source : str or None
        The input file (``"<stdin>"`` for standard input), when there is one.
    line : int or None
        1-based line of ``source`` where the record starts (JSONL/CSV).
    """

    reason: str
    detail: str
    id: str | None = None
    source: str | None = None
    line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{"id", "source", "line", "reason", "detail"}``."""
        return {
            "id": self.id,
            "source": self.source,
            "line": self.line,
            "reason": self.reason,
            "detail": self.detail,
        }


DocLike = Union[Document, tuple[Any, str], Mapping[str, Any]]


def parse_size(value: str | int | None) -> int | None:
    """A byte count from ``"4M"``, ``"500k"``, ``"1G"`` or ``"12345"``; ``0``/``None`` mean no limit.

    >>> parse_size("4M"), parse_size("500k"), parse_size("0"), parse_size(None)
    (4194304, 512000, None, None)
    """
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        n = value
    else:
        m = re.fullmatch(r"\s*(\d+)\s*([kKmMgG]?)[iI]?[bB]?\s*", str(value))
        if not m:
            raise ValueError(
                f"size must be a number of bytes with an optional k, M or G suffix "
                f"(e.g. 4M), got {value!r}"
            )
        n = int(m.group(1)) * {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}[m.group(2).lower()]
    if n < 0:
        raise ValueError(f"size must be >= 0 (0 = no limit), got {value!r}")
    return n or None


def _where(meta: Mapping[str, Any], fallback: str) -> str:
    source, line = meta.get("source"), meta.get("line")
    if source is None:
        return fallback
    return f"{source}:{line}" if line is not None else str(source)


def _utf8_size(text: str, limit: int) -> int:
    """UTF-8 size of ``text``, or a lower bound when that is already clearly within ``limit``."""
    if len(text) * 4 <= limit:  # a character is at most 4 bytes
        return len(text)
    return len(text.encode("utf-8", "surrogatepass"))


def check_document(
    doc_id: Any,
    text: Any,
    *,
    where: str,
    meta: Mapping[str, Any] | None = None,
    max_doc_bytes: int | None = None,
) -> Document | Skipped:
    """A validated :class:`Document`, or a :class:`Skipped` record saying what is wrong.

    Parameters
    ----------
    doc_id, text : any
        As read from the input. Integer ids become strings.
    where : str
        How to name the document in a message (``"file.jsonl:12"``, ``"document #3"``).
    meta : mapping, optional
        Carried into the document; ``source`` and ``line`` are copied into a ``Skipped``.
    max_doc_bytes : int, optional
        Texts longer than this many UTF-8 bytes are ``too_large``.

    Examples
    --------
    >>> check_document(7, "hello", where="x").id
    '7'
    >>> check_document("", "hello", where="x.jsonl:3").detail
    "x.jsonl:3: id must be a non-empty string or an integer, got ''"
    """
    meta = dict(meta or {})
    source, line = meta.get("source"), meta.get("line")
    if isinstance(doc_id, bool) or not isinstance(doc_id, (str, int)) or doc_id == "":
        shown = repr(doc_id)
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        return Skipped(
            "bad_id",
            f"{where}: id must be a non-empty string or an integer, got {shown}",
            None,
            source,
            line,
        )
    if isinstance(doc_id, int):
        try:
            doc_id = str(doc_id)
        except ValueError:  # more digits than Python will print
            return Skipped("bad_id", f"{where}: integer id is too long", None, source, line)
    if _SURROGATE.search(doc_id):
        return Skipped(
            "bad_id",
            f"{where}: id {doc_id!r} is not valid Unicode (lone surrogate); it cannot be written "
            "as UTF-8",
            None,
            source,
            line,
        )
    if not isinstance(text, str):
        return Skipped(
            "bad_text",
            f"{where}: text of {doc_id!r} must be a string, got {type(text).__name__}",
            doc_id,
            source,
            line,
        )
    if max_doc_bytes is not None:
        size = _utf8_size(text, max_doc_bytes)
        if size > max_doc_bytes:
            return Skipped(
                "too_large",
                f"{where}: text of {doc_id!r} is {size} bytes, over the limit of {max_doc_bytes}; "
                "raise --max-doc-bytes (0 = no limit) or pass --on-error skip",
                doc_id,
                source,
                line,
            )
    return Document(doc_id, text, meta)


def _one(item: Any, position: int, max_doc_bytes: int | None) -> Document | Skipped:
    fallback = f"document #{position}"
    if isinstance(item, Document):
        return check_document(
            item.id,
            item.text,
            where=_where(item.meta, fallback),
            meta=item.meta,
            max_doc_bytes=max_doc_bytes,
        )
    if isinstance(item, Mapping):
        if "id" not in item or "text" not in item:
            keys = sorted(map(str, item))[:5]
            return Skipped(
                "bad_document",
                f"{fallback}: a dict needs 'id' and 'text' keys, got {keys}",
                None,
            )
        return check_document(item["id"], item["text"], where=fallback, max_doc_bytes=max_doc_bytes)
    if isinstance(item, tuple) and len(item) == 2:
        return check_document(item[0], item[1], where=fallback, max_doc_bytes=max_doc_bytes)
    return Skipped(
        "bad_document",
        f"{fallback}: expected a Document, an (id, text) pair or a dict with 'id' and 'text', "
        f"got {type(item).__name__}",
    )


def iter_documents(
    items: Iterable[DocLike],
    *,
    on_error: OnError = "fail",
    max_doc_bytes: int | None = None,
    skipped: list[Skipped] | None = None,
) -> Iterator[Document]:
    """Validate and convert input items one at a time (see :func:`validate_documents`).

    The streaming form: each good item is yielded as soon as it is read, so a caller can
    work on a corpus without holding it all. Bad items raise :class:`~dedup.errors.InputError`
    when they are reached (``on_error="fail"``) or are appended to ``skipped`` (``"skip"``).

    Examples
    --------
    >>> bad: list[Skipped] = []
    >>> [d.id for d in iter_documents([("a", "x"), ("a", "y"), ("b", 3)], on_error="skip",
    ...                               skipped=bad)]
    ['a']
    >>> [s.reason for s in bad]
    ['duplicate_id', 'bad_text']
    """
    if on_error not in ("fail", "skip"):
        raise ValueError(f"on_error must be 'fail' or 'skip', got {on_error!r}")
    if skipped is None:
        skipped = []
    seen: dict[str, str] = {}
    for pos, item in enumerate(items):
        doc = _one(item, pos, max_doc_bytes)
        if isinstance(doc, Document):
            where = _where(doc.meta, f"#{pos}")
            if doc.id in seen:
                doc = Skipped(
                    "duplicate_id",
                    f"{_where(doc.meta, f'document #{pos}')}: duplicate id {doc.id!r} "
                    f"(first seen at {seen[doc.id]})",
                    doc.id,
                    doc.meta.get("source"),
                    doc.meta.get("line"),
                )
            else:
                seen[doc.id] = where
                yield doc
                continue
        if on_error == "fail":
            raise InputError(doc.detail, skipped=doc)
        skipped.append(doc)


def validate_documents(
    items: Iterable[DocLike],
    *,
    on_error: OnError = "fail",
    max_doc_bytes: int | None = None,
) -> tuple[list[Document], list[Skipped]]:
    """Validate and convert input items: ids unique, texts strings, sizes within the limit.

    Parameters
    ----------
    items : iterable
        :class:`Document`, ``(id, text)`` pairs or dicts with ``id`` and ``text``.
    on_error : {"fail", "skip"}
        ``"fail"``: the first bad item raises :class:`~dedup.errors.InputError` (its
        ``skipped`` attribute describes the item). ``"skip"``: bad items are left out and
        returned as :class:`Skipped` records; for a repeated id the first document is kept.
    max_doc_bytes : int, optional
        Texts longer than this (UTF-8 bytes) are ``too_large``. ``None``: no limit.

    Returns
    -------
    documents : list of Document
        In input order.
    skipped : list of Skipped
        Empty with ``on_error="fail"``.
    """
    skipped: list[Skipped] = []
    docs = list(
        iter_documents(items, on_error=on_error, max_doc_bytes=max_doc_bytes, skipped=skipped)
    )
    return docs, skipped


def as_documents(items: Iterable[DocLike]) -> list[Document]:
    """Validate and convert input items; ids must be unique (see :func:`validate_documents`).

    >>> [d.id for d in as_documents([("a", "x"), {"id": 2, "text": "y"}])]
    ['a', '2']
    >>> as_documents([("a", "x"), ("a", "y")])
    Traceback (most recent call last):
    ...
    dedup.errors.InputError: document #1: duplicate id 'a' (first seen at #0)
    """
    return validate_documents(items)[0]
