"""numba kernel of the verification bound over word numbers (optional extra
``dedup-news[fast]``): :func:`dedup.index.base._prune_ids`'s per-candidate sums in one pass
over the candidates' words, instead of a numpy pass (and a temporary array) per quantity.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np


@nb.njit(cache=True, nogil=True)
def bound_sums(flat, lens, df_f, length_of, wa_by_num, n1):  # type: ignore[no-untyped-def]
    """Per candidate (its words ``flat[...]``, ``lens[k]`` of them, counts ``df_f``): the
    query weight of the words it shares (``wa_by_num[word number]``, 0 for the others), the
    weight ``log(n1 / (df + 1)) + 1`` of its words no verifier can split, and how many it
    has that one may split (count 1, 4+ characters: ``length_of[word number]``)."""
    k = len(lens)
    shared = np.zeros(k)
    m_lo = np.zeros(k)
    n_glued = np.zeros(k, dtype=np.int64)
    at = 0
    for c in range(k):
        s = 0.0
        m = 0.0
        g = 0
        for i in range(at, at + lens[c]):
            w = flat[i]
            s += wa_by_num[w]
            d = df_f[i]
            if d == 1 and length_of[w] >= 4:
                g += 1
            else:
                m += math.log(n1 / (d + 1.0)) + 1.0
        at += lens[c]
        shared[c] = s
        m_lo[c] = m
        n_glued[c] = g
    return shared, m_lo, n_glued


@nb.njit(cache=True, nogil=True)
def gather_words(nums, wflat, wstart, wlen, count_of, known, in_query, member, mark, out):  # type: ignore[no-untyped-def]
    """:meth:`dedup.index.copies.DocCopies.gather_words` in one pass: documents ``nums``'
    word numbers (``wflat[wstart[d]:][:wlen[d]]``) into ``out[0]``, their stored counts
    (``count_of``) into ``out[1]`` and ``max(1, count + 1 if in_query > 0)`` into ``out[2]``;
    ``member[word] = mark`` for each; returns how many words had no ``known`` count."""
    at = 0
    unknown = 0
    for c in range(len(nums)):
        d = nums[c]
        s = wstart[d]
        for i in range(s, s + wlen[d]):
            w = wflat[i]
            out[0, at] = w
            n = count_of[w]
            out[1, at] = n
            if in_query[w] > 0.0:
                n += 1
            out[2, at] = n if n > 1 else 1
            member[w] = mark
            if not known[w]:
                unknown += 1
            at += 1
    return unknown
