"""Verification: score a candidate pair on its boilerplate-free normalized texts, and label it.

Three signals, each in 0..1:

``containment``
    share of the shorter text's word 5-grams found in the other -- 1.0 for a copy, also for a
    truncated copy (one ends early).
``fuzz``
    ``rapidfuzz.fuzz.token_set_ratio`` / 100 -- word overlap that ignores order and repeats.
``overlap``
    Jaccard similarity of *content-word bigrams* (adjacent tokens of 4+ characters): what two
    rewrites of one report still share (names, places, key phrases), and what two different
    reports on the same topic mostly do not.

``score = 1`` for equal texts, else ``max(containment, (fuzz + overlap) / 2)``: a copy scores by
containment; a rewrite needs *both* broad word overlap and shared phrases.

Labels: ``exact`` (equal normalized text), ``near_copy`` (containment >= ``near_copy``),
``same_story`` (score >= ``threshold``), else ``distinct``.

Examples
--------
>>> v = score_texts("le ministre a signe un accord de cooperation a moscou",
...                 "le ministre a signe un accord de cooperation a moscou")
>>> v.relation, v.score
('exact', 1.0)
>>> score_texts("a b c d e f g", "x y z w v u t").relation
'distinct'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from rapidfuzz import fuzz

from dedup.config import VerifyConfig

__all__ = ["RELATIONS", "PairScore", "Relation", "Verifier", "score_texts"]

Relation = Literal["exact", "near_copy", "same_story", "distinct"]
RELATIONS: tuple[Relation, ...] = ("exact", "near_copy", "same_story", "distinct")
_CONTENT_LEN = 4


@dataclass(frozen=True)
class PairScore:
    """Scores of one pair; ``is_duplicate`` is ``relation != "distinct"``."""

    score: float
    relation: Relation
    containment: float
    fuzz: float
    overlap: float

    @property
    def is_duplicate(self) -> bool:
        return self.relation != "distinct"


@dataclass(frozen=True)
class _Features:
    text: str
    grams5: frozenset[str]
    content2: frozenset[str]


def _features(text: str) -> _Features:
    toks = text.split()
    if len(toks) >= 5:
        g5 = frozenset(" ".join(toks[i : i + 5]) for i in range(len(toks) - 4))
    else:
        g5 = frozenset([text]) if text else frozenset()
    content = [t for t in toks if len(t) >= _CONTENT_LEN]
    if len(content) >= 2:
        c2 = frozenset(f"{content[i]} {content[i + 1]}" for i in range(len(content) - 1))
    else:
        c2 = frozenset(content)
    return _Features(text, g5, c2)


def _score(a: _Features, b: _Features, cfg: VerifyConfig) -> PairScore:
    if a.text == b.text:
        return PairScore(1.0, "exact" if a.text else "distinct", 1.0, 1.0, 1.0)
    if not a.text or not b.text:
        return PairScore(0.0, "distinct", 0.0, 0.0, 0.0)
    inter5 = len(a.grams5 & b.grams5)
    containment = inter5 / min(len(a.grams5), len(b.grams5))
    fz = fuzz.token_set_ratio(a.text, b.text, processor=None) / 100.0
    union2 = len(a.content2 | b.content2)
    overlap = len(a.content2 & b.content2) / union2 if union2 else 0.0
    score = max(containment, (fz + overlap) / 2.0)
    if containment >= cfg.near_copy:
        relation: Relation = "near_copy"
    elif score >= cfg.threshold:
        relation = "same_story"
    else:
        relation = "distinct"
    return PairScore(round(score, 6), relation, containment, fz, overlap)


def score_texts(a: str, b: str, config: VerifyConfig | None = None) -> PairScore:
    """Score and label two normalized texts (see the module docstring).

    Parameters
    ----------
    a, b : str
        Normalized, boilerplate-free texts (:func:`dedup.text.normalize`).
    config : VerifyConfig, optional
        ``threshold`` and ``near_copy`` cut-offs.
    """
    cfg = config or VerifyConfig()
    return _score(_features(a), _features(b), cfg)


class Verifier:
    """Scores candidate pairs of one corpus, computing each document's features once.

    Parameters
    ----------
    texts : sequence of str
        Normalized, boilerplate-free texts, indexed like the signature matrix.
    config : VerifyConfig, optional

    Examples
    --------
    >>> v = Verifier(["a b c d e f", "a b c d e f", "x y"])
    >>> [s.relation for s in v.score_pairs(np.array([[0, 1], [0, 2]]))]
    ['exact', 'distinct']
    """

    def __init__(self, texts: Sequence[str], config: VerifyConfig | None = None) -> None:
        self.texts = texts
        self.config = config or VerifyConfig()
        self._cache: dict[int, _Features] = {}

    def _get(self, i: int) -> _Features:
        f = self._cache.get(i)
        if f is None:
            f = self._cache[i] = _features(self.texts[i])
        return f

    def score(self, i: int, j: int) -> PairScore:
        """Score documents ``i`` and ``j``."""
        return _score(self._get(i), self._get(j), self.config)

    def score_pairs(self, pairs: np.ndarray) -> list[PairScore]:
        """Score every ``(i, j)`` row of ``pairs``, in order."""
        return [self.score(int(i), int(j)) for i, j in pairs]
