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
