"""Documents as they enter dedup: an id and a text, validated once."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Union

from dedup.errors import InputError

__all__ = ["DocLike", "Document", "as_documents"]


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


DocLike = Union[Document, tuple[Any, str], Mapping[str, Any]]


def _one(item: DocLike, position: int) -> Document:
    if isinstance(item, Document):
        doc = item
    elif isinstance(item, Mapping):
        if "id" not in item or "text" not in item:
            raise InputError(
                f"document #{position}: a dict needs 'id' and 'text' keys, got {sorted(item)[:5]}"
            )
        doc = Document(item["id"], item["text"])  # type: ignore[arg-type]
    elif isinstance(item, tuple) and len(item) == 2:
        doc = Document(item[0], item[1])  # type: ignore[arg-type]
    else:
        raise InputError(
            f"document #{position}: expected a Document, an (id, text) pair or a dict with "
            f"'id' and 'text', got {type(item).__name__}"
        )
    if isinstance(doc.id, bool) or not isinstance(doc.id, (str, int)):
        raise InputError(f"document #{position}: id must be a string or an integer, got {doc.id!r}")
    if not isinstance(doc.text, str):
        raise InputError(
            f"document {doc.id!r}: text must be a string, got {type(doc.text).__name__}"
        )
    return doc if isinstance(doc.id, str) else Document(str(doc.id), doc.text, doc.meta)


def as_documents(items: Iterable[DocLike]) -> list[Document]:
    """Validate and convert input items; ids must be unique.

    >>> [d.id for d in as_documents([("a", "x"), {"id": 2, "text": "y"}])]
    ['a', '2']
    >>> as_documents([("a", "x"), ("a", "y")])
    Traceback (most recent call last):
    ...
    dedup.errors.InputError: document #1: duplicate id 'a' (first seen at #0)
    """
    docs: list[Document] = []
    seen: dict[str, int] = {}
    for pos, item in enumerate(items):
        doc = _one(item, pos)
        if doc.id in seen:
            raise InputError(
                f"document #{pos}: duplicate id {doc.id!r} (first seen at #{seen[doc.id]})"
            )
        seen[doc.id] = pos
        docs.append(doc)
    return docs
