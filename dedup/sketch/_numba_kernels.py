"""numba kernels of the hashing core (optional extra ``dedup-news[fast]``).

Bit-for-bit the numpy path of :mod:`dedup.sketch.kernels`; tests hold both to the pure-Python
reference. All arithmetic is unsigned and explicitly typed: numba turns mixed signed/unsigned
64-bit arithmetic into floats.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from dedup.sketch import hashing as H

_U64 = nb.uint64
_U32 = nb.uint32
K1 = np.uint64(H.H_K1)
K2 = np.uint64(H.H_K2)
INIT = np.uint64(H.H_INIT)
M1 = np.uint64(H.F64_M1)
M2 = np.uint64(H.F64_M2)
F1 = np.uint32(H.F32_M1)
F2 = np.uint32(H.F32_M2)
S29 = np.uint64(29)
S32 = np.uint64(32)
S33 = np.uint64(33)
SPACE = np.uint8(0x20)
SEP = np.uint8(0x1F)
MAXH = np.uint32(0xFFFFFFFF)


def shifted_words(buf: np.ndarray) -> np.ndarray:
    """``words[r, i]`` = the 8 bytes of ``buf`` at ``8 * i + r`` as a little-endian uint64.

    Eight shifted copies of the buffer turn every unaligned 8-byte read into one array load.
    """
    n = (len(buf) + 7) // 8 + 1
    padded = np.zeros(n * 8 + 8, dtype=np.uint8)
    padded[: len(buf)] = buf
    words = np.empty((8, n), dtype=np.uint64)
    for r in range(8):
        words[r] = padded[r : r + n * 8].view("<u8")
    return words


@nb.njit(nogil=True, cache=True, inline="always")
def _hash32(words, s, n):
    h = (np.uint64(n) * K1) ^ INIT
    i = 0
    while i < n:
        q = s + i
        w = words[q & 7, q >> 3]
        m = n - i
        if m < 8:
            w &= (np.uint64(1) << np.uint64(8 * m)) - np.uint64(1)
        h = (h ^ w) * K2
        h ^= h >> S29
        i += 8
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
    # shingles vectorizes (a reduction), instead of re-reading and re-writing sig per shingle.
    for k in range(sig.shape[0]):
        ak = a[k]
        bk = b[k]
        m = MAXH
        for i in range(count):
            m = min(m, np.uint32(ak * xs[i] + bk))
        sig[k] = m


@nb.njit(nogil=True, cache=True)
def signatures_fused(buf, words, starts, ends, counts, mode, n, a, b, out):
    """Fill ``out[d]`` with the signature of document d (mode 0 word, 1 char, 2 sep)."""
    nd = starts.shape[0]
    longest = 1
    for d in range(nd):
        longest = max(longest, ends[d] - starts[d] + 1)
    xs = np.empty(longest, dtype=np.uint32)  # pre-mixed hashes of one document's shingles
    tok_s = np.empty(max(n, 1), dtype=np.int64)  # ring buffer of the last n token starts
    for d in range(nd):
        c = 0
        s0 = starts[d]
        e0 = ends[d]
        if mode == 1:  # char n-grams
            length = e0 - s0
            if length >= n:
                for q in range(s0, e0 - n + 1):
                    xs[c] = _fmix32(_hash32(words, q, n))
                    c += 1
            elif length > 0:
                xs[c] = _fmix32(_hash32(words, s0, length))
                c += 1
        elif mode == 2:  # caller's shingles separated by 0x1f
            if counts[d] > 0:
                q = s0
                for r in range(s0, e0 + 1):
                    if r == e0 or buf[r] == SEP:
                        xs[c] = _fmix32(_hash32(words, q, r - q))
                        c += 1
                        q = r + 1
        else:  # word n-grams
            ntok = 0
            r = s0
            first_start = -1
            last_end = -1
            while r < e0:
                while r < e0 and buf[r] == SPACE:
                    r += 1
                if r >= e0:
                    break
                ts = r
                while r < e0 and buf[r] != SPACE:
                    r += 1
                if first_start < 0:
                    first_start = ts
                last_end = r
                tok_s[ntok % n] = ts
                ntok += 1
                if ntok >= n:
                    gs = tok_s[(ntok - n) % n]
                    xs[c] = _fmix32(_hash32(words, gs, r - gs))
                    c += 1
            if 0 < ntok < n:
                xs[c] = _fmix32(_hash32(words, first_start, last_end - first_start))
                c += 1
        _minimize(out[d], xs, c, a, b)
