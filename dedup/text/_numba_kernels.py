"""Compiled loops of the text fast paths (numba; imported only when numba is installed).

Each has a pure numpy / Python twin giving the same output (``dedup.text.normalization``,
``dedup.text.boilerplate``); tests compare them.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_SPACE = 32
_NEWLINE = 10
_DROP = 254


@njit(cache=True, nogil=True)
def fold_collapse(units, table, multi, multi_bytes, out):  # type: ignore[no-untyped-def]
    """Map ``units`` through ``table`` into ``out`` with separator runs collapsed.

    Letters/digits are copied, a line break ends the line, a run of separators between two
    letters/digits of one line becomes one space, dropped units vanish; a unit folding to
    several characters (table value 255) is replaced by ``multi_bytes[multi[u]:multi[u+1]]``.
    ``out`` must hold ``len(units) + len(multi_bytes) * count of such units``. Returns the
    length written, or -1 when a unit needs the slow path (not looked at yet, half of a
    surrogate pair).
    """
    n = 0
    word = False  # the last unit written on this line is a letter/digit
    pending = False  # separators came after it
    for i in range(units.shape[0]):
        u = units[i]
        c = table[u]
        if c == _SPACE:
            pending = word
        elif c == _NEWLINE:
            out[n] = _NEWLINE
            n += 1
            word = False
            pending = False
        elif c == _DROP:
            continue
        elif c == 255:
            for k in range(multi[u], multi[u + 1]):
                e = multi_bytes[k]
                if e == _SPACE:
                    pending = word
                else:
                    if pending:
                        out[n] = _SPACE
                        n += 1
                        pending = False
                    out[n] = e
                    n += 1
                    word = True
        elif c == 0 or c == _DROP - 1:
            return -1
        else:
            if pending:
                out[n] = _SPACE
                n += 1
                pending = False
            out[n] = c
            n += 1
            word = True
    return n


@njit(cache=True, nogil=True)
def _hit(bit_start, bit_idx, k, line, last, found, counts):  # type: ignore[no-untyped-def]
    for t in range(bit_start[k], bit_start[k + 1]):
        b = bit_idx[t]
        if last[b] != line and counts[b] < found.shape[1]:
            last[b] = line
            found[b, counts[b]] = line
            counts[b] += 1


@njit(cache=True, nogil=True)
def needle_lines(
    units,
    flags,
    one_start,
    one_idx,
    pair_ok,
    first,
    order,
    nd_units,
    nd_start,
    nd_len,
    nd_bit_start,
    nd_bit_idx,
    found,
    counts,
):  # type: ignore[no-untyped-def]
    """For each needle bit ``b``, the lines of ``units`` (UTF-16 code units) holding one of
    its needles, in order, into ``found[b, :counts[b]]`` (ASCII letters compared
    case-insensitively).

    ``flags[u]``: 1 a twin (see below), 2 a one-unit needle, 4 may start a longer needle,
    8 the line break (upper and lower case letters flagged alike). The bits of the one-unit
    needle ``u`` are ``one_idx[one_start[u]:one_start[u+1]]``; ``pair_ok``: whether a longer
    needle may start with two units (by their low bytes); ``first[u]:first[u+1]`` indexes
    ``order``, the longer needles starting with unit ``u``, whose bits are
    ``nd_bit_idx[nd_bit_start[j]:nd_bit_start[j+1]]``. Returns -1 when the text holds a twin
    (a non-ASCII character matching an ASCII letter case-insensitively: ASCII needles cannot
    judge it).
    """
    line = 0
    n = units.shape[0]
    last = np.full(found.shape[0], -1, dtype=np.int64)
    for i in range(n):
        u = units[i]
        f = flags[u]
        if f == 0:
            continue
        if f & 8:
            line += 1
            continue
        if f & 1:
            return -1
        if 65 <= u <= 90:
            u += 32
        if f & 2:
            _hit(one_start, one_idx, u, line, last, found, counts)
        if f & 4 and i + 1 < n:
            v = units[i + 1]
            if 65 <= v <= 90:
                v += 32
            if pair_ok[(u & 0xFF) << 8 | (v & 0xFF)]:
                for k in range(first[u], first[u + 1]):
                    j = order[k]
                    length = nd_len[j]
                    if i + length > n:
                        continue
                    s = nd_start[j]
                    ok = True
                    for m in range(1, length):
                        w = units[i + m]
                        if 65 <= w <= 90:
                            w += 32
                        if w != nd_units[s + m]:
                            ok = False
                            break
                    if ok:
                        _hit(nd_bit_start, nd_bit_idx, j, line, last, found, counts)
    return 0


def warm_up() -> None:
    """Compile (or load from numba's cache) for the argument types used."""
    table = np.full(0x10000, _SPACE, dtype=np.uint8)
    out = np.empty(4, dtype=np.uint8)
    multi = np.zeros(0x10001, dtype=np.int64)
    fold_collapse(np.zeros(4, dtype=np.uint16), table, multi, out[:0], out)
    fold_collapse(np.zeros(4, dtype=np.uint8), table, multi, out[:0], out)
