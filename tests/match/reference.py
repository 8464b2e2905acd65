"""The plain Python verification of one pair, as it was before the batch kernels.

Kept as the reference the fast paths of :mod:`dedup.match.verify` are held to: word sets as
``frozenset``, sums with ``math.fsum`` (exact, order-independent), character 10-grams as a
set of Python ``hash`` values. Given the same (fixed-point) word weights, the batch paths
must give the same bits.
"""

from __future__ import annotations

import math

from rapidfuzz import fuzz

from dedup.config import VerifyConfig
from dedup.match.verify import STORY_MAX, PairScore, WordWeights

_CHAR_K = 10
_GATE = 0.65
_STORY_SCALE = 0.97


def char_grams(text: str) -> frozenset[int]:
    glued = text.replace(" ", "")
    k = _CHAR_K
    if len(glued) >= k:
        return frozenset(hash(glued[i : i + k]) for i in range(len(glued) - k + 1))
    return frozenset([hash(glued)]) if glued else frozenset()


def copy_score(c: float) -> float:
    return 0.5 + 1.25 * (c - 0.6) if c >= 0.6 else c / 1.2


def reference_score(
    ta: str, tb: str, idf: WordWeights, cfg: VerifyConfig | None = None, explain: bool = False
) -> PairScore:
    cfg = cfg or VerifyConfig()
    a, b = idf.features(ta), idf.features(tb)
    if a.text == b.text:
        return PairScore(1.0, "exact" if a.text else "distinct", 1.0, 1.0, 1.0)
    if not a.text or not b.text:
        return PairScore(0.0, "distinct", 0.0, 0.0, 0.0)
    shared = math.fsum(map(idf.weight.__getitem__, a.words & b.words))
    mass_a = math.fsum(map(idf.weight.__getitem__, a.words))
    mass_b = math.fsum(map(idf.weight.__getitem__, b.words))
    union = mass_a + mass_b - shared
    wjac = shared / union if union else 0.0
    small = min(mass_a, mass_b)
    wcont = shared / small if small else 0.0
    overlap = _STORY_SCALE * (wjac + wcont) / 2.0
    if wcont >= _GATE:
        ca, cb = char_grams(a.text), char_grams(b.text)
        containment = len(ca & cb) / min(len(ca), len(cb))
    else:
        containment = 0.0
    score = max(copy_score(containment), min(overlap, STORY_MAX))
    if containment >= cfg.near_copy:
        relation = "near_copy"
    elif score >= cfg.threshold:
        relation = "same_story"
    else:
        relation = "distinct"
    fz = (
        fuzz.token_set_ratio(a.text, b.text, processor=None) / 100.0
        if explain or relation != "distinct"
        else math.nan
    )
    return PairScore(round(score, 6), relation, containment, fz, overlap)  # type: ignore[arg-type]
