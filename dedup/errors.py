"""Exceptions raised by dedup. Each message says what was wrong and where."""

from __future__ import annotations

__all__ = ["ConfigMismatchError", "DedupError", "InputError", "RuleFileError"]


class DedupError(Exception):
    """Base class of every dedup error."""


class InputError(DedupError, ValueError):
    """Bad input: names the file and line, or the document id."""


class RuleFileError(DedupError, ValueError):
    """A boilerplate rule file could not be read or parsed (names file and line)."""


class ConfigMismatchError(DedupError, ValueError):
    """Stored data was made with different settings than the ones asked for."""
