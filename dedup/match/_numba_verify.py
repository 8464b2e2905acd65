"""numba kernels of the verification core (optional extra ``dedup-news[fast]``).

Same results as the numpy paths of :mod:`dedup.match.verify` (integer arithmetic only, so
there is nothing to round differently): tests hold both to each other and to a plain Python
reference.
"""

from __future__ import annotations

import numba as nb
import numpy as np


@nb.njit(cache=True, nogil=True)
def shared_weight(ptr, ids, fixed, pi, pj):  # type: ignore[no-untyped-def]
    """For each pair ``(pi[k], pj[k])``: the summed fixed-point weight of the shared word ids.

    ``ids[ptr[d]:ptr[d + 1]]`` are document ``d``'s word ids, sorted and unique.
    """
    out = np.zeros(len(pi), dtype=np.int64)
    for k in range(len(pi)):
        a0 = ptr[pi[k]]
        a1 = ptr[pi[k] + 1]
        b0 = ptr[pj[k]]
        b1 = ptr[pj[k] + 1]
        s = np.int64(0)
        while a0 < a1 and b0 < b1:
            x = ids[a0]
            y = ids[b0]
            if x == y:
                s += fixed[x]
                a0 += 1
                b0 += 1
            elif x < y:
                a0 += 1
            else:
                b0 += 1
        out[k] = s
    return out


@nb.njit(cache=True, nogil=True)
def count_common(a, b):  # type: ignore[no-untyped-def]
    """Number of values two sorted unique arrays share."""
    i = 0
    j = 0
    n = 0
    while i < len(a) and j < len(b):
        x = a[i]
        y = b[j]
        if x == y:
            n += 1
            i += 1
            j += 1
        elif x < y:
            i += 1
        else:
            j += 1
    return n


@nb.njit(cache=True, nogil=True)
def char_grams(cp, k, mul):  # type: ignore[no-untyped-def]
    """Sorted distinct hashes of the ``k``-grams of code points ``cp`` (uint64, not empty);
    the same values as the numpy path of :func:`dedup.match.verify._char_grams`."""
    n = len(cp)
    kk = min(k, n)
    m = n - kk + 1
    h = np.empty(m, dtype=np.uint64)
    for s in range(m):
        x = np.uint64(kk)
        for t in range(kk):
            x = x * mul + cp[s + t]
        x ^= x >> np.uint64(30)
        x *= np.uint64(0xBF58476D1CE4E5B9)
        x ^= x >> np.uint64(27)
        x *= np.uint64(0x94D049BB133111EB)
        x ^= x >> np.uint64(31)
        h[s] = x
    h.sort()
    u = 0
    for s in range(m):
        if s == 0 or h[s] != h[u - 1]:
            h[u] = h[s]
            u += 1
    return h[:u].copy()
