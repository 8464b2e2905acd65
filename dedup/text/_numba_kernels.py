"""Compiled loops of the text fast paths (numba; imported only when numba is installed).

Each has a pure numpy / Python twin giving the same output (``dedup.text.normalization``,
``dedup.text.boilerplate``); tests compare them.
"""

from __future__ import annotations

import numpy as np
from numba import njit

try:  # numba's own reader of a str's buffer (not public API: without it, strings are encoded)
    from numba.cpython.unicode import _get_code_point
except ImportError:  # pragma: no cover
    _get_code_point = None

from dedup.text._compiled import (
    DIGIT,
    INFO_CLASS,
    INFO_FIRST,
    INFO_LAST,
    INFO_ONE,
    INFO_RARE,
    NONBLANK,
    UNJUDGED,
)

_SPACE = 32
_NEWLINE = 10
_DROP = 254


@njit(cache=True, nogil=True)
def fold_collapse(units, spans, table, multi, multi_bytes, out):  # type: ignore[no-untyped-def]
    """Map ``units`` through ``table`` into ``out`` with separator runs collapsed; then, as
    lines after the text's, ``spans`` (pairs: ``-1, -1`` a line break, ``a, b`` the units
    ``units[a:b]``; may be empty).

    Letters/digits are copied, a line break ends the line, a run of separators between two
    letters/digits of one line becomes one space, dropped units vanish; a unit folding to
    several characters (table value 255) is replaced by ``multi_bytes[multi[u]:multi[u+1]]``.
    ``out`` must hold a byte per unit and line break folded, and ``len(multi_bytes)`` more
    per such unit. Returns the length written, or -1 when a unit needs the slow path (not
    looked at yet, half of a surrogate pair).
    """
    # (the text's units in this loop, the few of ``spans`` in _fold_run: the loop here
    # starts from a known state, which its code is faster for)
    n = 0
    word = 0  # the last unit written on this line is a letter/digit
    pending = 0  # separators came after it
    for i in range(units.shape[0]):
        u = units[i]
        c = table[u]
        if c >= _DROP - 1 or c == 0:  # rare: several letters, nothing, the slow path
            if c == _DROP:
                continue
            if c == 255:
                for k in range(multi[u], multi[u + 1]):
                    e = multi_bytes[k]
                    if e == _SPACE:
                        pending = word
                    else:
                        if pending:
                            out[n] = _SPACE
                            n += 1
                            pending = 0
                        out[n] = e
                        n += 1
                        word = 1
                continue
            return -1
        # without branches: a separator writes nothing (it may make a space pending), a
        # line break itself (nothing pending after it), a letter/digit a pending space and
        # itself; the writes past ``n`` are overwritten (at most one byte per unit is kept)
        sp = c == _SPACE
        w = 1 - sp - (c == _NEWLINE)
        out[n] = _SPACE
        n += pending & w
        out[n] = c
        n += 1 - sp
        pending = word & sp  # (pending implies word)
        word = w | (word & sp)
    for k in range(0, spans.shape[0], 2):
        a = spans[k]
        if a < 0:  # a line break (as the table folds it)
            out[n] = _NEWLINE
            n += 1
            word = 0
            pending = 0
            continue
        n, word, pending = _fold_run(
            units[a : spans[k + 1]], table, multi, multi_bytes, out, n, word, pending
        )
        if n < 0:
            return -1
    return n


@njit(cache=True, nogil=True)
def _fold_run(units, table, multi, multi_bytes, out, n, word, pending):  # type: ignore[no-untyped-def]
    """:func:`fold_collapse`'s loop on ``units`` from the state ``n`` (bytes written),
    ``word``, ``pending``: the new state, ``n = -1`` when a unit needs the slow path."""
    for i in range(units.shape[0]):
        u = units[i]
        c = table[u]
        if c >= _DROP - 1 or c == 0:  # rare: several letters, nothing, the slow path
            if c == _DROP:
                continue
            if c == 255:
                for k in range(multi[u], multi[u + 1]):
                    e = multi_bytes[k]
                    if e == _SPACE:
                        pending = word
                    else:
                        if pending:
                            out[n] = _SPACE
                            n += 1
                            pending = 0
                        out[n] = e
                        n += 1
                        word = 1
                continue
            return -1, word, pending
        # without branches: a separator writes nothing (it may make a space pending), a
        # line break itself (nothing pending after it), a letter/digit a pending space and
        # itself; the writes past ``n`` are overwritten (at most one byte per unit is kept)
        sp = c == _SPACE
        w = 1 - sp - (c == _NEWLINE)
        out[n] = _SPACE
        n += pending & w
        out[n] = c
        n += 1 - sp
        pending = word & sp  # (pending implies word)
        word = w | (word & sp)
    return n, word, pending


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


@njit(cache=True, nogil=True)
def line_scan(
    units,
    info,
    one_masks,
    tri_ok,
    tri_start,
    nd_units,
    nd_start,
    nd_len,
    nd_mask,
    rule_req,
    digits_ok,
    first_masks,
    last_masks,
    starts,
    lflags,
    cands,
):  # type: ignore[no-untyped-def]
    """One pass over a document's units (UTF-16 code units, or bytes of ASCII text): its
    lines, what they hold, and the lines each rule may match.

    ``info[u]`` describes unit ``u`` (see ``dedup.text._compiled``): its needle key (the
    low 5 bits of the unit, of the lowercase letter for an ASCII letter), its class
    (``NONBLANK``, ``WORD``, ``DIGIT``, ``UNSTABLE``), its rare bits (``LINE_BREAK``,
    ``UNJUDGED``), and three indexes: into ``one_masks`` (the needle bits of the one-unit
    needle ``u``; 0 for none), ``first_masks`` and ``last_masks`` (the rules a line may
    match when ``u`` is its first / last non-blank unit).

    Writes ``starts[k]`` (start of line ``k``; ``starts[n_lines]`` is one past the text's
    end + 1), ``lflags[k]`` (the classes of the line's units OR'ed; ``lflags[n_lines]``
    those of all lines) and the candidate lines of each rule ``r``,
    ``cands[cands[r]:cands[r + 1]]`` in order (``cands`` holds ``n_rules + 1 + n_lines *
    n_rules``; its length used is returned): a non-blank line is a candidate of rule ``r``
    when it holds every needle bit of ``rule_req[r]``, bit ``r`` is set in ``digits_ok[k]``
    for its longest run of ``k`` units of class ``DIGIT`` (``k`` up to 255), and in the
    first and last masks of its first and last non-blank units.

    Longer needles: those that may start at ``i`` are ``tri_start[key]:tri_start[key+1]``
    (``tri_ok[key]`` tells whether there are any), ``key = k[i] << 10 | k[i+1] << 5 |
    k[i+2]`` from the units' keys (0 past the end); needle ``j`` is ``nd_units[nd_start[j]:]
    [:nd_len[j]]`` (ASCII, lowercase; compared with ASCII letters lowercased) and sets the
    bits ``nd_mask[j]``. Returns -1 when the text holds a unit with the rare bit
    ``UNJUDGED`` (a twin: ASCII needles cannot judge it; a surrogate: the line starts would
    not be str offsets).
    """
    n = units.shape[0]
    line = 0
    mask = np.uint64(0)
    lf = 0  # the info of the line's units OR'ed (its class bits: the line's flags)
    doc = 0  # the flags of every line
    ls = 0  # start of the line
    n_rules = rule_req.shape[0]
    no_needles = np.uint64(0)
    for r in range(n_rules):
        if rule_req[r] == 0:
            no_needles |= np.uint64(1) << np.uint64(r)
    no_digits = digits_ok[0]  # the rules that need no run of digits
    fits = np.zeros(starts.shape[0] - 1, dtype=np.uint64)  # the rules each line fits
    any_fit = np.uint64(0)
    starts[0] = 0
    rare = np.int64(3 << INFO_RARE)
    # the info of the units at i, i + 1, i + 2 (0 past the end)
    x1 = np.int64(info[units[0]]) if n > 0 else np.int64(0)
    x2 = np.int64(info[units[1]]) if n > 1 else np.int64(0)
    for i in range(n + 1):
        if i < n:
            x0 = x1
            x1 = x2
            x2 = np.int64(info[units[i + 2]]) if i + 2 < n else np.int64(0)
            # per unit only what needs every unit: its class OR'ed, its one-unit needle's
            # bits, its 3-unit key (the first / last non-blank unit and the runs of digits
            # are looked up at the line's end: branches per unit cost more than that)
            if not x0 & rare:
                lf |= x0
                mask |= one_masks[(x0 >> INFO_ONE) & 31]
                key = ((x0 & 31) << 10) | ((x1 & 31) << 5) | (x2 & 31)
                if tri_ok[key]:
                    for j in range(tri_start[key], tri_start[key + 1]):
                        length = nd_len[j]
                        if i + length > n:
                            continue
                        s = nd_start[j]
                        ok = True
                        for m in range(length):
                            w = units[i + m]
                            if 65 <= w <= 90:
                                w += 32
                            if w != nd_units[s + m]:
                                ok = False
                                break
                        if ok:
                            mask |= nd_mask[j]
                continue
            if (x0 >> INFO_RARE) & UNJUDGED:
                return -1
        # the end of a line (a line break, or the end of the text): units ls .. i - 1
        starts[line + 1] = i + 1
        c = (lf >> INFO_CLASS) & 15
        lflags[line] = c
        if c & NONBLANK:
            # the rules whose needles the line holds (without any: those with none) ...
            fit = no_needles
            if mask:
                for r in range(n_rules):
                    req = rule_req[r]
                    if (mask & req) == req:
                        fit |= np.uint64(1) << np.uint64(r)
            # ... that may start and end with its first and last non-blank characters ...
            a = ls
            while not (info[units[a]] >> INFO_CLASS) & NONBLANK:
                a += 1
            b = i - 1
            while not (info[units[b]] >> INFO_CLASS) & NONBLANK:
                b -= 1
            fit &= (
                first_masks[(info[units[a]] >> INFO_FIRST) & 255]
                & last_masks[(info[units[b]] >> INFO_LAST) & 255]
            )
            # ... and have its runs of digits (counted when a rule left needs one)
            if fit & ~no_digits:
                longest = 0
                if c & DIGIT:
                    run = 0
                    for p in range(a, b + 1):
                        if (info[units[p]] >> INFO_CLASS) & DIGIT:
                            run += 1
                            longest = max(longest, run)
                        else:
                            run = 0
                fit &= digits_ok[min(longest, 255)]
            fits[line] = fit
            any_fit |= fit
        line += 1
        doc |= c
        mask = np.uint64(0)
        lf = 0
        ls = i + 1
    lflags[line] = doc
    # by rule: its lines after the offsets
    k = n_rules + 1
    for r in range(n_rules):
        cands[r] = k
        bit = np.uint64(1) << np.uint64(r)
        if any_fit & bit:
            for j in range(line):
                if fits[j] & bit:
                    cands[k] = j
                    k += 1
    cands[n_rules] = k
    return k


@njit(cache=True, nogil=True)
def bmp_units(text, out):  # type: ignore[no-untyped-def]
    """Copy the code points of ``text`` into ``out`` (``uint16``, ``len(text)`` long): its
    UTF-16 units (``encode("utf-16-le", "surrogatepass")``) when every character is in the
    BMP, and return the number of line breaks (``text.count("\\n")``, counted on the way);
    return -1 without writing when ``text`` is stored with 4 bytes a character (it may hold
    one outside). Reads the string's own buffer: no encoder in between."""
    if text._kind == 4:
        return -1
    breaks = 0
    for i in range(len(text)):
        u = _get_code_point(text, i)
        out[i] = u
        if u == _NEWLINE:
            breaks += 1
    return breaks


def warm_up() -> None:
    """Compile (or load from numba's cache) for the argument types used."""
    table = np.full(0x10000, _SPACE, dtype=np.uint8)
    out = np.empty(4, dtype=np.uint8)
    multi = np.zeros(0x10001, dtype=np.int64)
    for dtype in (np.uint16, np.uint8):
        spans = np.array([-1, -1, 0, 2], dtype=np.int64)
        fold_collapse(np.zeros(4, dtype=dtype), spans, table, multi, out[:0], out)
    global bmp_units
    try:
        bmp_units("\u00e9\u1ea3", np.empty(2, dtype=np.uint16))
    except Exception:  # pragma: no cover  (a numba whose str internals differ)
        bmp_units = None
    u32 = np.zeros(0x10000, dtype=np.uint32)
    u64 = np.zeros(1, dtype=np.uint64)
    i64 = np.zeros(0x8001, dtype=np.int64)
    for units in (np.zeros(4, dtype=np.uint16), np.zeros(4, dtype=np.uint8)):
        line_scan(
            units,
            u32,
            u64,
            np.zeros(0x8000, dtype=np.uint8),
            i64,
            np.zeros(0, dtype=np.uint16),
            i64[:0],
            i64[:0],
            u64[:0],
            u64[:1],
            np.zeros(256, dtype=np.uint64),
            u64,
            u64,
            np.empty(2, dtype=np.int64),
            np.empty(2, dtype=np.uint8),
            np.empty(3, dtype=np.int64),
        )
