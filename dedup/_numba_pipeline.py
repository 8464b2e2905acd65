"""numba kernel of :mod:`dedup.pipeline` (optional extra ``dedup-news[fast]``); the numpy
path there gives the same count."""

from __future__ import annotations

import numba as nb
import numpy as np


@nb.njit(cache=True, nogil=True)
def count_first_found(pi, pj, keys, star_only, band):  # type: ignore[no-untyped-def]
    """How many pairs ``(pi[k], pj[k])`` of band ``band`` no earlier band produced.

    Band ``c`` produced pair ``(i, j)`` (``i < j``) when both have the same key in it and
    ``i`` is not a non-first member of an over-sized bucket (``star_only[i, c]``).
    """
    n = 0
    for k in range(len(pi)):
        i = pi[k]
        j = pj[k]
        seen = False
        for c in range(band):
            if keys[i, c] == keys[j, c] and not star_only[i, c]:
                seen = True
                break
        if not seen:
            n += 1
    return n


@nb.njit(cache=True, nogil=True)
def similar_enough(sigs, pi, pj, min_similarity):  # type: ignore[no-untyped-def]
    """``(sigs[pi] == sigs[pj]).mean(axis=1) >= min_similarity``, pair by pair (the
    signature filter of :func:`dedup.sketch.lsh.filter_pairs`, same float comparison)."""
    m = sigs.shape[1]
    keep = np.zeros(len(pi), dtype=np.bool_)
    for k in range(len(pi)):
        a = sigs[pi[k]]
        b = sigs[pj[k]]
        same = 0
        for s in range(m):
            if a[s] == b[s]:
                same += 1
        keep[k] = same / m >= min_similarity
    return keep
