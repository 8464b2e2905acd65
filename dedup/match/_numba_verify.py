"""numba kernels of the verification core (optional extra ``dedup-news[fast]``).

Same results as the numpy paths of :mod:`dedup.match.verify` (integer arithmetic only, so
there is nothing to round differently): tests hold both to each other and to a plain Python
reference.
"""

from __future__ import annotations

import numba as nb
import numpy as np


@nb.njit(cache=True, nogil=True)
def shared_weight(ptr, ids, fixed, pi, pj, mark):  # type: ignore[no-untyped-def]
    """For each pair ``(pi[k], pj[k])``: the summed fixed-point weight of the shared words.

    ``ids[ptr[d]:ptr[d + 1]]`` are document ``d``'s word numbers. The weights of ``pi[k]``'s
    words are written into ``mark`` (zeros elsewhere, and again on return) and ``pj[k]``'s
    words look them up: no branches per word. Pairs sorted by ``pi`` mark each document once.
    """
    out = np.zeros(len(pi), dtype=np.int64)
    cur = -1
    for k in range(len(pi)):
        i = pi[k]
        if i != cur:
            if cur >= 0:
                for t in range(ptr[cur], ptr[cur + 1]):
                    mark[ids[t]] = 0
            for t in range(ptr[i], ptr[i + 1]):
                mark[ids[t]] = fixed[ids[t]]
            cur = i
        j = pj[k]
        s = np.int64(0)
        for t in range(ptr[j], ptr[j + 1]):
            s += mark[ids[t]]
        out[k] = s
    if cur >= 0:
        for t in range(ptr[cur], ptr[cur + 1]):
            mark[ids[t]] = 0
    return out


@nb.njit(cache=True, nogil=True)
def _gram_hashes(cp, k, mul):  # type: ignore[no-untyped-def]
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
    return h


@nb.njit(cache=True, nogil=True)
def gram_counts(cpa, cpb, k, mul):  # type: ignore[no-untyped-def]
    """``(shared, distinct in a, distinct in b)`` gram hashes of two texts' code points
    (not empty), through one open-addressing table: no sorting, nothing kept."""
    ha = _gram_hashes(cpa, k, mul)
    hb = _gram_hashes(cpb, k, mul)
    size = 16
    while size < 2 * (len(ha) + len(hb)):
        size *= 2
    mask = np.uint64(size - 1)
    keys = np.zeros(size, dtype=np.uint64)
    flag = np.zeros(size, dtype=np.uint8)
    na = 0
    nb = 0
    both = 0
    for side in range(2):
        h = ha if side == 0 else hb
        bit = np.uint8(1) if side == 0 else np.uint8(2)
        for x in h:
            p = x & mask
            while flag[p] != 0 and keys[p] != x:
                p = (p + np.uint64(1)) & mask
            f = flag[p]
            if f & bit:
                continue
            keys[p] = x
            flag[p] = f | bit
            if side == 0:
                na += 1
            else:
                nb += 1
                if f & np.uint8(1):
                    both += 1
    return both, na, nb
