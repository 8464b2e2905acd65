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


@nb.njit(cache=True, nogil=True)
def scan_run(run, check, base, low, live, cap, count, first, out, n_out):  # type: ignore[no-untyped-def]
    """One run's part of :meth:`dedup.index.buckets.BandRuns.lookup`: for each query band
    ``j`` whose bucket has fewer than ``cap`` live members so far (``count[j]``), a binary
    search for the bucket's high bits ``base[j]``, then its pairs in number order: a live
    member whose key's low bits are ``low[j]`` is appended to ``out`` (number, band) from
    ``n_out`` on, the first one found is ``first[j]``, and the scan of the bucket stops at
    ``cap`` members. Returns the new ``n_out``."""
    num_mask = np.uint64(0xFFFFFFFF)
    high_mask = ~num_mask
    n = len(run)
    for j in range(len(base)):
        if count[j] >= cap:
            continue
        b = base[j]
        lo = 0
        hi = n
        while lo < hi:
            mid = (lo + hi) >> 1
            if run[mid] < b:
                lo = mid + 1
            else:
                hi = mid
        q = low[j]
        i = lo
        while i < n and (run[i] & high_mask) == b:
            if check[i] == q:
                num = np.int64(run[i] & num_mask)
                if live[num]:
                    if count[j] == 0:
                        first[j] = num
                    count[j] += 1
                    out[0, n_out] = num
                    out[1, n_out] = j
                    n_out += 1
                    if count[j] >= cap:
                        break
            i += 1
    return n_out
