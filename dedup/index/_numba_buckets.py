"""numba kernel of the in-memory buckets (optional extra ``dedup-news[fast]``).

A least-significant-digit radix sort of 64-bit values carrying a 32-bit payload: the order
of ``np.argsort(values, kind="stable")``, in linear time (a digit that every value shares is
skipped).
"""

from __future__ import annotations

import numba as nb
import numpy as np

_BITS = 11  # 2048 buckets per pass: the scattered writes stay within the caches


@nb.njit(cache=True, nogil=True)
def sort_pairs(values, payload):  # type: ignore[no-untyped-def]
    """``values`` (uint64) sorted, and ``payload`` (uint32) in the same order (new arrays)."""
    n = len(values)
    a = values.copy()
    b = np.empty_like(a)
    pa = payload.copy()
    pb = np.empty_like(pa)
    size = 1 << _BITS
    counts = np.empty(size, dtype=np.int64)
    mask = np.uint64(size - 1)
    for p in range(-(-64 // _BITS)):
        shift = np.uint64(_BITS * p)
        counts[:] = 0
        for i in range(n):
            counts[(a[i] >> shift) & mask] += 1
        if n == 0 or counts[(a[0] >> shift) & mask] == n:
            continue  # every value has this digit
        total = 0
        for d in range(size):
            c = counts[d]
            counts[d] = total
            total += c
        for i in range(n):
            d = (a[i] >> shift) & mask
            j = counts[d]
            counts[d] = j + 1
            b[j] = a[i]
            pb[j] = pa[i]
        a, b = b, a
        pa, pb = pb, pa
    return a, pa


@nb.njit(cache=True, nogil=True)
def merge_runs(a, ca, b, cb):  # type: ignore[no-untyped-def]
    """Two sorted runs of distinct values (``a``, ``b``: uint64) merged into one, their
    payloads (``ca``, ``cb``: uint32) in the same order, in one linear pass (new arrays)."""
    na, nb_ = len(a), len(b)
    out = np.empty(na + nb_, dtype=a.dtype)
    pay = np.empty(na + nb_, dtype=ca.dtype)
    i = j = k = 0
    while i < na and j < nb_:
        if a[i] < b[j]:
            out[k] = a[i]
            pay[k] = ca[i]
            i += 1
        else:
            out[k] = b[j]
            pay[k] = cb[j]
            j += 1
        k += 1
    while i < na:
        out[k] = a[i]
        pay[k] = ca[i]
        i += 1
        k += 1
    while j < nb_:
        out[k] = b[j]
        pay[k] = cb[j]
        j += 1
        k += 1
    return out, pay
