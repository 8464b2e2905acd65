"""Exceptions raised by dedup. Each message says what was wrong and where."""

from __future__ import annotations

__all__ = [
    "ConfigMismatchError",
    "DedupError",
    "InputError",
    "OutputError",
    "RuleFileError",
]


class DedupError(Exception):
    """Base class of every dedup error."""


class InputError(DedupError, ValueError):
    """Bad input: names the file and line, or the document id.

    Attributes
    ----------
    skipped : dedup.documents.Skipped or None
        For a problem with one document (which ``on_error="skip"`` would have skipped): what
        was wrong and where, as data. ``None`` for problems with a whole input (a missing file,
        a CSV without the id column ...), which can never be skipped.
    """

    def __init__(self, message: str, *, skipped: object | None = None) -> None:
        super().__init__(message)
        self.skipped = skipped


class RuleFileError(DedupError, ValueError):
    """A boilerplate rule file could not be read or parsed (names file and line)."""


class ConfigMismatchError(DedupError, ValueError):
    """Stored data was made with different settings than the ones asked for."""


class OutputError(DedupError, OSError):
    """An output file could not be written (names the file and the system's reason)."""
