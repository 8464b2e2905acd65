"""numba kernels of the hashing core (optional extra ``dedup-news[fast]``).

Bit-for-bit the numpy path of :mod:`dedup.sketch.kernels`; tests hold both to the pure-Python
reference (``tests/sketch/reference.py``). All arithmetic is unsigned and explicitly typed:
numba turns mixed signed/unsigned 64-bit arithmetic into floats.

One pass per document, no intermediate arrays beyond three per-call scratch buffers:

1. *tokens* (word mode, or char mode with ``min_len > 1``): the document's tokens (runs of
   non-whitespace bytes, whitespace as Python's ``str.split`` on ASCII) of at least
   ``min_len`` bytes are copied into a scratch buffer, joined by single spaces -- exactly the
   text :func:`dedup.sketch.shingles.shingle_text` makes -- while their start/end offsets are
   recorded;
2. every shingle's bytes are hashed with ``dedup_hash32`` (8 bytes per step, one unaligned
   load each) and pre-mixed with ``fmix32`` into a small per-document array;
3. the affine32 permutations reduce that array to the signature, permutation-major, so the
   inner loop over shingles is a SIMD min-reduction.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from dedup.sketch import hashing as H

K1 = np.uint64(H.H_K1)
K2 = np.uint64(H.H_K2)
INIT = np.uint64(H.H_INIT)
M1 = np.uint64(H.F64_M1)
M2 = np.uint64(H.F64_M2)
F1 = np.uint32(H.F32_M1)
F2 = np.uint32(H.F32_M2)
U0 = np.uint64(0)
U1 = np.uint64(1)
S8 = np.uint64(8)
S29 = np.uint64(29)
S32 = np.uint64(32)
S33 = np.uint64(33)
SPACE = np.uint8(0x20)
SEP = np.uint8(0x1F)
MAXH = np.uint32(0xFFFFFFFF)

#: ASCII whitespace as ``str.split()`` sees it: \t \n \v \f \r, \x1c-\x1f and space.
WHITESPACE = np.zeros(256, dtype=np.uint8)
WHITESPACE[[0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x1F, 0x20]] = 1


@nb.njit(nogil=True, cache=True, inline="always")
def _load8(buf, q):
    # Eight byte loads or-ed together; LLVM folds them into one unaligned 64-bit load.
    # Unsigned indices skip numba's negative-index wraparound, which would block the fold.
    u = np.uint64(q)
    return (
        np.uint64(buf[u])
        | (np.uint64(buf[u + np.uint64(1)]) << np.uint64(8))
        | (np.uint64(buf[u + np.uint64(2)]) << np.uint64(16))
        | (np.uint64(buf[u + np.uint64(3)]) << np.uint64(24))
        | (np.uint64(buf[u + np.uint64(4)]) << np.uint64(32))
        | (np.uint64(buf[u + np.uint64(5)]) << np.uint64(40))
        | (np.uint64(buf[u + np.uint64(6)]) << np.uint64(48))
        | (np.uint64(buf[u + np.uint64(7)]) << np.uint64(56))
    )


@nb.njit(nogil=True, cache=True, inline="always")
def _hash32(buf, s, n):
    """dedup_hash32 of buf[s:s+n]; reads up to 7 bytes past the end (callers pad)."""
    h = (np.uint64(n) * K1) ^ INIT
    i = 0
    while i + 8 <= n:
        h = (h ^ _load8(buf, s + i)) * K2
        h ^= h >> S29
        i += 8
    if i < n:
        w = _load8(buf, s + i) & ((U1 << (S8 * np.uint64(n - i))) - U1)
        h = (h ^ w) * K2
        h ^= h >> S29
    h ^= h >> S33
    h *= M1
    h ^= h >> S33
    h *= M2
    h ^= h >> S33
    return np.uint32(h >> S32)


@nb.njit(nogil=True, cache=True, inline="always")
def _fmix32(x):
    x ^= x >> np.uint32(16)
    x = np.uint32(x * F1)
    x ^= x >> np.uint32(13)
    x = np.uint32(x * F2)
    x ^= x >> np.uint32(16)
    return x


@nb.njit(nogil=True, cache=True, inline="always")
def _minimize(sig, xs, count, a, b):
    # Permutation-major: the running minimum stays in a register and the inner loop over
    # shingles vectorizes (a min-reduction over 32-bit lanes).
    for k in range(sig.shape[0]):
        ak = a[k]
        bk = b[k]
        m = MAXH
        for i in range(count):
            m = min(m, np.uint32(ak * xs[i] + bk))
        sig[k] = m


@nb.njit(nogil=True, cache=True, inline="always")
def _tokens(buf, s0, e0, min_len, ws, scratch, tstart, tend):
    """Copy tokens of >= min_len bytes into ``scratch`` joined by single spaces; count them."""
    p = 0
    nt = 0
    r = s0
    while r < e0:
        while r < e0 and ws[buf[r]]:
            r += 1
        if r >= e0:
            break
        ts = r
        while r < e0 and not ws[buf[r]]:
            r += 1
        tl = r - ts
        if tl >= min_len:
            if nt > 0:
                scratch[p] = SPACE
                p += 1
            tstart[nt] = p
            for j in range(tl):
                scratch[p + j] = buf[ts + j]
            p += tl
            tend[nt] = p
            nt += 1
    return nt, p


@nb.njit(nogil=True, cache=True)
def signatures_fused(buf, starts, ends, counts, mode, n, min_len, ws, a, b, out):
    """Fill ``out[d]`` with the signature of document d (mode 0 word, 1 char, 2 sep)."""
    nd = starts.shape[0]
    longest = 1
    for d in range(nd):
        longest = max(longest, ends[d] - starts[d] + 1)
    xs = np.empty(longest + 1, dtype=np.uint32)  # pre-mixed hashes of one document's shingles
    scratch = np.zeros(longest + 16, dtype=np.uint8)  # tokens joined by single spaces
    tstart = np.empty(longest // 2 + 2, dtype=np.int64)
    tend = np.empty(longest // 2 + 2, dtype=np.int64)
    for d in range(nd):
        c = 0
        s0 = starts[d]
        e0 = ends[d]
        if mode == 2:  # caller's shingles separated by 0x1f
            if counts[d] > 0:
                q = s0
                for r in range(s0, e0):
                    if buf[r] == SEP:
                        xs[c] = _fmix32(_hash32(buf, q, r - q))
                        c += 1
                        q = r + 1
                xs[c] = _fmix32(_hash32(buf, q, e0 - q))
                c += 1
        elif mode == 1 and min_len <= 1:  # char n-grams of the text as given
            length = e0 - s0
            if length >= n:
                for q in range(s0, e0 - n + 1):
                    xs[c] = _fmix32(_hash32(buf, q, n))
                    c += 1
            elif length > 0:
                xs[c] = _fmix32(_hash32(buf, s0, length))
                c += 1
        else:
            nt, length = _tokens(buf, s0, e0, min_len, ws, scratch, tstart, tend)
            if mode == 1:  # char n-grams of the kept tokens joined by spaces
                if length >= n:
                    for q in range(length - n + 1):
                        xs[c] = _fmix32(_hash32(scratch, q, n))
                        c += 1
                elif length > 0:
                    xs[c] = _fmix32(_hash32(scratch, 0, length))
                    c += 1
            elif nt >= n:  # word n-grams
                for i in range(nt - n + 1):
                    gs = tstart[i]
                    xs[c] = _fmix32(_hash32(scratch, gs, tend[i + n - 1] - gs))
                    c += 1
            elif nt > 0:
                xs[c] = _fmix32(_hash32(scratch, 0, length))
                c += 1
        _minimize(out[d], xs, c, a, b)


@nb.njit(nogil=True, cache=True)
def minimize_hashes(hashes, counts, a, b, out):
    """Signatures from per-shingle 32-bit hashes grouped by document (any shingle hash)."""
    total = hashes.shape[0]
    xs = np.empty(max(total, 1), dtype=np.uint32)
    for i in range(total):
        xs[i] = _fmix32(np.uint32(hashes[i]))
    lo = 0
    for d in range(counts.shape[0]):
        c = counts[d]
        _minimize(out[d], xs[lo:], c, a, b)
        lo += c


@nb.njit(nogil=True, cache=True)
def floor_kernel(xs, counts, a, b, out):
    """The arithmetic floor: only the multiply-add-min per (shingle, permutation).

    Used by ``benchmarks/hashing.py`` as the compiled reference point; ``xs`` are already
    hashed and pre-mixed.
    """
    lo = 0
    for d in range(counts.shape[0]):
        c = counts[d]
        _minimize(out[d], xs[lo:], c, a, b)
        lo += c
