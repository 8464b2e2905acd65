"""Shingles as Python strings: the plain, readable definition the fast core must agree with.

The hashing core (:mod:`dedup.sketch.kernels`) never builds these strings; this module is what
verification, explanations and tests use, and what a user passes to datasketch.

Examples
--------
>>> shingles("bui van nam et", ShingleConfig(kind="word", size=3, min_token_len=1))
['bui van nam', 'van nam et']
>>> shingles("bui van nam et", ShingleConfig(kind="word", size=1))
[]
>>> shingles("ab", ShingleConfig(kind="char", size=5, min_token_len=1))
['ab']
>>> shingles("", ShingleConfig())
[]
"""

from __future__ import annotations

from dedup.config import ShingleConfig

__all__ = ["shingle_set", "shingle_text", "shingles"]


def shingle_text(normalized: str, config: ShingleConfig | None = None) -> str:
    """The text shingles are taken from: ``normalized`` without tokens shorter than ``min_token_len``.

    >>> shingle_text("le ministre de la police", ShingleConfig(min_token_len=4))
    'ministre police'
    """
    cfg = config or ShingleConfig()
    if cfg.min_token_len <= 1:
        return normalized
    return " ".join(t for t in normalized.split() if len(t) >= cfg.min_token_len)


def shingles(normalized: str, config: ShingleConfig | None = None) -> list[str]:
    """Shingles of a normalized text, in order, repeats kept.

    Parameters
    ----------
    normalized : str
        Output of :func:`dedup.text.normalize` (tokens joined by single spaces). Tokens shorter
        than ``config.min_token_len`` are dropped first (:func:`shingle_text`).
    config : ShingleConfig, optional
        Kind and size; defaults to ``ShingleConfig()``.

    Returns
    -------
    list of str
        Word n-grams (tokens joined by one space) or character n-grams. A non-empty text
        shorter than n yields one shingle, the whole text; an empty text yields none.
    """
    cfg = config or ShingleConfig()
    n = cfg.size
    normalized = shingle_text(normalized, cfg)
    if cfg.kind == "char":
        if len(normalized) >= n:
            return [normalized[i : i + n] for i in range(len(normalized) - n + 1)]
        return [normalized] if normalized else []
    toks = normalized.split()
    if len(toks) >= n:
        return [" ".join(toks[i : i + n]) for i in range(len(toks) - n + 1)]
    return [" ".join(toks)] if toks else []


def shingle_set(normalized: str, config: ShingleConfig | None = None) -> frozenset[str]:
    """The set of :func:`shingles` (what Jaccard similarity is defined on)."""
    return frozenset(shingles(normalized, config))
