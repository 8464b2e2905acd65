"""Verification: score a candidate pair on its boilerplate-free normalized texts, and label it.

Two signals, each in 0..1, built to survive what real news pages do to text:

``containment`` -- *is one a copy of the other?*
    Share of the shorter text's character 10-grams, taken with **all spaces removed**, that
    the other text contains. Removing spaces makes it blind to words glued together by lost
    spaces ("dansla sécurité"), to line breaks and (after normalization's accent folding) to
    mixed accents ("Bùi"/"Bui"); taking the shorter text's share makes a truncated copy (one
    ends early) score like a full copy.
``overlap`` -- *do they report the same event?*
    0.97 x the mean of the IDF-weighted Jaccard similarity and the IDF-weighted containment
    of the two texts' word sets (0.97 calibrates the default threshold, 0.5, on the tune split). Inverse document frequencies come from the corpus being verified
    (:class:`Verifier`), so the words every article of the corpus uses ("ministère",
    "coopération", "sécurité") count little and what one event has of its own -- names, dates,
    figures, places -- counts a lot: two write-ups of one meeting share those; two meetings of
    the same ministries share the vocabulary but not the specifics.

``score`` puts both on one scale where ``threshold`` (default 0.5) means "same story":

* the copy score is ``containment`` mapped piecewise-linearly so that 0.6 -> 0.5 and 1 -> 1
  (``0.5 + 1.25 * (c - 0.6)`` above 0.6, ``c / 1.2`` below); containment 0.8 -> 0.75;
* the story score is ``overlap``, capped at :data:`STORY_MAX` (0.75) -- so a threshold above
  0.75 keeps copies only: the one knob goes from "same story" (about 0.5) to "only copies"
  (0.8 and above) to "only exact" (1.0).

``score = 1`` for equal texts, else the larger of the two.

Labels: ``exact`` (equal normalized text), ``near_copy`` (``containment >= near_copy``, 0.8),
``same_story`` (``score >= threshold``), else ``distinct``.

``fuzz`` (rapidfuzz ``token_set_ratio`` / 100, word overlap ignoring order) is no longer part
of the score; it is kept as an explanation: :func:`score_texts` always fills it, a
:class:`Verifier` (batch) only for duplicate pairs unless ``explain=True`` (``nan`` otherwise;
it was the costliest step).

Numerics and speed. Word weights are fixed-point numbers: each IDF weight is rounded to a
multiple of ``2**-40`` (:data:`FIXED_BITS`), so sums of weights are exact integer sums --
the same whatever order the words come in (processes, engines, a persistent index), in a
compiled kernel as in Python. (Before, the unrounded weights were summed with ``math.fsum``;
the weights moved by less than ``1e-12``, and scores, rounded to 6 decimals, can move in
the last digit in rare cases.) :meth:`Verifier.score_arrays` scores a block of pairs at
once: each document's word ids are one sorted ``int32`` run of a shared array, the shared
weight of a pair is a merge of two runs (numba kernel with the ``[fast]`` extra, else a
vectorized numpy sort; both give the same integers), and everything after that is the same
vectorized numpy arithmetic. The character 10-grams of the gated pairs are 64-bit hashes of
code points, kept as sorted arrays (two different 10-grams colliding is as unlikely as with
Python's ``hash``, which the sets of grams used before relied on).

Examples
--------
>>> v = score_texts("le ministre a signe un accord de cooperation a moscou",
...                 "le ministre a signe un accord de cooperation a moscou")
>>> v.relation, v.score
('exact', 1.0)
>>> score_texts("a b c d e f g", "x y z w v u t").relation
'distinct'
>>> glued = score_texts("le ministre a signe dans la securite un accord a moscou",
...                     "le ministre a signe dansla securite un accord amoscou")
>>> glued.relation, round(glued.containment, 2)
('near_copy', 1.0)
"""

from __future__ import annotations

import itertools
import math
import os
from array import array
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from rapidfuzz import fuzz

from dedup.config import VerifyConfig

__all__ = [
    "COPY_GATE",
    "FIXED_BITS",
    "HAVE_NUMBA",
    "RELATIONS",
    "STORY_MAX",
    "STORY_SCALE",
    "PairArrays",
    "PairScore",
    "Relation",
    "Verifier",
    "WordWeights",
    "score_query",
    "score_texts",
]

try:  # the compiled path is optional (extra ``dedup-news[fast]``)
    if os.environ.get("DEDUP_DISABLE_NUMBA"):
        raise ImportError("disabled by DEDUP_DISABLE_NUMBA")
    from dedup.match import _numba_verify as _nbv

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover - depends on the environment
    _nbv = None
    HAVE_NUMBA = False

Relation = Literal["exact", "near_copy", "same_story", "distinct"]
RELATIONS: tuple[Relation, ...] = ("exact", "near_copy", "same_story", "distinct")
_EXACT, _NEAR, _SAME, _DISTINCT = range(4)

#: The story score never exceeds this: thresholds above it keep copies only.
STORY_MAX = 0.75
#: Word weights are multiples of ``2**-FIXED_BITS``: sums of weights are exact integer sums.
FIXED_BITS = 40
_FIX = float(2**FIXED_BITS)
_INT64_MAX = 2**63 - 1
_CHAR_K = 10
_GATE = 0.65
_CHAR_CACHE = 4096
_BLOCK = 1 << 16  # pairs per vectorized block
#: Smaller blocks take the numpy path (same results): loading compiled kernels costs more
#: than a few pairs (and numba leaves a colour reset code on a terminal at exit).
_COMPILED_FROM = 256
#: Calibration of the story score, chosen on the tune split of benchmarks/data so that the
#: default threshold 0.5 sits between rewrites of one event and other events of one family.
_STORY_SCALE = 0.97
#: Word containment from which the character containment (the copy signal) is computed;
#: below it a pair's containment is 0. Public for exact bounds built elsewhere (the index).
COPY_GATE = _GATE
#: Scale of the story score: ``overlap = STORY_SCALE * (wjac + wcont) / 2``. Public, as above.
STORY_SCALE = _STORY_SCALE
_GRAM_MUL = np.uint64(0x9E3779B97F4A7C15)  # odd: multiplication is a bijection mod 2**64


@dataclass(frozen=True)
class PairScore:
    """Scores of one pair; ``is_duplicate`` is ``relation != "distinct"``.

    Attributes
    ----------
    score : float
        The combined score (see the module docstring) compared with ``threshold``.
    relation : str
        ``exact``, ``near_copy``, ``same_story`` or ``distinct``.
    containment : float
        Space-free character 10-gram containment of the shorter text in the other; computed
        only when the IDF-weighted word containment is at least 0.65 (a copy's always is),
        else 0.0.
    fuzz : float
        rapidfuzz ``token_set_ratio`` / 100 (explanation only); ``nan`` when not computed.
    overlap : float
        Story score: 0.97 x the mean of IDF-weighted word Jaccard and word containment.
    """

    score: float
    relation: Relation
    containment: float
    fuzz: float
    overlap: float

    @property
    def is_duplicate(self) -> bool:
        return self.relation != "distinct"


@dataclass(frozen=True)
class PairArrays:
    """Scores of many pairs as arrays (one row per pair), what :class:`PairScore` holds.

    ``relation`` holds codes: ``RELATIONS[code]`` is the label (0 exact, 1 near_copy,
    2 same_story, 3 distinct). ``score`` is rounded to 6 decimals exactly like
    ``PairScore.score`` (Python's ``round``).

    Examples
    --------
    >>> arr = Verifier(["a b c d", "a b c d", "x y"]).score_arrays(np.array([[0, 1], [0, 2]]))
    >>> arr.relation.tolist(), arr.score.tolist(), arr[1].relation
    ([0, 3], [1.0, 0.0], 'distinct')
    """

    score: np.ndarray  # float64
    relation: np.ndarray  # int8 codes into RELATIONS
    containment: np.ndarray  # float64
    fuzz: np.ndarray  # float64, nan when not computed
    overlap: np.ndarray  # float64

    def __len__(self) -> int:
        return len(self.score)

    def __getitem__(self, k: int) -> PairScore:
        return PairScore(
            float(self.score[k]),
            RELATIONS[int(self.relation[k])],
            float(self.containment[k]),
            float(self.fuzz[k]),
            float(self.overlap[k]),
        )

    @property
    def is_duplicate(self) -> np.ndarray:
        """Boolean mask of the pairs labelled anything but ``distinct``."""
        return self.relation != _DISTINCT

    def to_scores(self) -> list[PairScore]:
        """One :class:`PairScore` per row."""
        rel = [RELATIONS[c] for c in self.relation.tolist()]
        return [
            PairScore(s, r, c, f, o)
            for s, r, c, f, o in zip(
                self.score.tolist(),
                rel,
                self.containment.tolist(),
                self.fuzz.tolist(),
                self.overlap.tolist(),
            )
        ]


@dataclass(frozen=True)
class _Features:
    text: str
    words: frozenset[int]  # word ids (see WordWeights)
    mass: float  # sum of the words' weights (exact: fixed-point)


def _char_grams(text: str) -> np.ndarray:
    """Sorted distinct 64-bit hashes of the space-free text's character 10-grams.

    A text shorter than 10 characters (spaces removed) has one gram, itself; hashes start
    from the gram's length, so it cannot be mistaken for a 10-gram of the same characters.
    """
    cp = _code_points(text)
    if not len(cp):
        return np.empty(0, dtype=np.uint64)
    k = min(_CHAR_K, len(cp))
    m = len(cp) - k + 1
    h = np.full(m, k, dtype=np.uint64)
    for t in range(k):  # polynomial hash, wrapping mod 2**64
        h = h * _GRAM_MUL + cp[t : t + m]
    # mix the bits (splitmix64 finalizer): the polynomial's low bits are weak
    h ^= h >> np.uint64(30)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(27)
    h *= np.uint64(0x94D049BB133111EB)
    h ^= h >> np.uint64(31)
    h.sort()  # distinct by sorting (numpy 2's np.unique hashes first: slower here)
    return h[np.concatenate(([True], h[1:] != h[:-1]))]


def _code_points(text: str) -> np.ndarray:
    """The space-free text's code points (uint64)."""
    glued = text.replace(" ", "")
    return np.frombuffer(glued.encode("utf-32-le"), dtype="<u4").astype(np.uint64)


def _copy_score(c: np.ndarray) -> np.ndarray:
    return np.where(c >= 0.6, 0.5 + 1.25 * (c - 0.6), c / 1.2)


def _round6(x: np.ndarray) -> np.ndarray:
    """``[round(v, 6) for v in x]``, vectorized, with the same results.

    ``rint(x * 1e6) / 1e6`` is Python's correctly rounded ``round(v, 6)`` whenever ``x * 1e6``
    is not within rounding error of a half; those few values are rounded by Python.
    """
    y = x * 1e6
    out = np.rint(y) / 1e6
    tie = np.abs(y - np.floor(y) - 0.5) < 1e-6
    for k in np.flatnonzero(tie).tolist():
        out[k] = round(float(x[k]), 6)
    return out


def _quantize(w: float) -> int:
    return round(w * _FIX)


class WordWeights:
    """Word ids and smoothed inverse document frequencies, ``log((n + 1) / (df + 1)) + 1``.

    Words glued by a lost space ("dansla") are split back when the word occurs in one document
    only (``raw_df``) and both halves are words of the corpus found in two or more documents;
    ``df`` counts documents per word after that split. Weights are rounded to multiples of
    ``2**-40`` (:data:`FIXED_BITS`; ``fixed`` holds them as integers), so that their sums are
    exact.

    Build it from a corpus with :meth:`from_texts`, or from counts made elsewhere (a
    persistent index, a Spark job) with the constructor: the same counts give the same weights,
    whatever order they come in.

    Examples
    --------
    >>> w = WordWeights.from_texts(["hanoi talks", "hanoi trade", "moscow talks"])
    >>> w.n_docs, w.raw_df["hanoi"], round(w.weight_of("hanoi"), 3), round(w.weight_of("moscow"), 3)
    (3, 2, 1.288, 1.693)
    """

    def __init__(self, raw_df: Mapping[str, int], df: Mapping[str, int], n_docs: int) -> None:
        self.raw_df = raw_df
        self.n_docs = n_docs
        words = sorted(df)  # ids independent of the order counts arrive in
        self.ids: dict[str, int] = dict(zip(words, range(len(words))))
        counts = list(map(df.__getitem__, words))
        # the weight depends on the count alone: computed once per distinct count
        of = {c: _quantize(math.log((n_docs + 1) / (c + 1)) + 1.0) for c in set(counts)}
        fixed = list(map(of.__getitem__, counts))
        #: Weights as integers, in units of ``2**-FIXED_BITS``.
        self.fixed = np.array(fixed, dtype=np.int64)
        self.weight: list[float] = [f / _FIX for f in fixed]
        self._splittable: frozenset[str] | None = None

    def splittable(self) -> frozenset[str]:
        """The words :func:`_unglue` may split: of one document (``raw_df``), 4+ characters
        (computed once, on first use)."""
        if self._splittable is None:
            self._splittable = _splittable(self.raw_df)
        return self._splittable

    @staticmethod
    def raw_counts(texts: Iterable[str]) -> dict[str, int]:
        """Documents per word (first pass)."""
        raw: dict[str, int] = {}
        for t in texts:
            for w in set(t.split()):
                raw[w] = raw.get(w, 0) + 1
        return raw

    @staticmethod
    def document_words(text: str, raw_df: Mapping[str, int]) -> set[str]:
        """The words of one document after splitting glued words (what ``df`` counts)."""
        return _unglue(set(text.split()), raw_df)

    @classmethod
    def from_texts(cls, texts: Sequence[str]) -> WordWeights:
        """Two passes over a corpus; nothing kept per document."""
        raw = cls.raw_counts(texts)
        df: dict[str, int] = {}
        for t in texts:
            for w in _unglue(set(t.split()), raw):
                df[w] = df.get(w, 0) + 1
        return cls(raw, df, len(texts))

    def weight_of(self, word: str) -> float:
        """Weight of a word; a word the corpus has not seen weighs as a word of one document."""
        k = self.ids.get(word)
        if k is not None:
            return self.weight[k]
        return _quantize(math.log((self.n_docs + 1) / 2) + 1.0) / _FIX

    def features(self, text: str) -> _Features:
        """One document's word ids and their summed weight (exact)."""
        words = _unglue(set(text.split()), self.raw_df)
        ids = frozenset(self.ids[w] for w in words if w in self.ids)
        fixed = self.fixed.tolist() if len(ids) else []
        return _Features(text, ids, sum(fixed[i] for i in ids) / _FIX)


def _splittable(df: Mapping[str, int]) -> frozenset[str]:
    """The words :func:`_unglue` may split: of one document, 4+ characters."""
    return frozenset(w for w, c in df.items() if c == 1 and len(w) >= 4)


def _unglue_among(words: set[str], splittable: frozenset[str], df: Mapping[str, int]) -> set[str]:
    """``_unglue(words, df)``, given ``_splittable(df)``: the words that may split found by
    one set intersection instead of a test of each word."""
    glued = words & splittable
    return (words - glued) | _unglue(glued, df) if glued else words


def _unglue(words: set[str], df: Mapping[str, int]) -> set[str]:
    out = set()
    for w in words:
        if df.get(w, 0) == 1 and len(w) >= 4:
            best = max(
                ((min(df.get(w[:k], 0), df.get(w[k:], 0)), k) for k in range(1, len(w))),
                default=(0, 0),
            )
            if best[0] >= 2:
                out.add(w[: best[1]])
                out.add(w[best[1] :])
                continue
        out.add(w)
    return out


class _Table:
    """Per-document features of a corpus, compact: word ids of document ``d`` are
    ``ids[ptr[d]:ptr[d + 1]]`` (sorted, unique, int32); ``mass`` their summed weight (float,
    the exact rounding of the integer sum); ``big`` marks documents whose integer sum might
    not fit in int64 (their pairs are summed with Python integers); ``thash``/``tlen`` find
    equal texts."""

    __slots__ = ("big", "fixed", "ids", "mass", "order", "ptr", "thash", "tlen")

    def __init__(self, texts: Sequence[str], weights: WordWeights, ids: np.ndarray,
                 ptr: np.ndarray) -> None:  # fmt: skip
        n = len(texts)
        # internal word numbers: most frequent words first, so that the words most documents
        # share sit together in memory (the kernel looks weights up by number)
        df = np.bincount(ids, minlength=len(weights.fixed))
        #: ``order[internal number] = WordWeights id``
        self.order = np.argsort(-df, kind="stable").astype(np.int32)
        rank = np.empty(len(self.order), dtype=np.int32)
        rank[self.order] = np.arange(len(self.order), dtype=np.int32)
        for a in range(0, len(ids), 1 << 20):  # renumber in place, then sort each run again
            ids[a : a + (1 << 20)] = rank[ids[a : a + (1 << 20)]]
        del rank, df
        ids, ptr = _sort_unique_runs(ids, np.diff(ptr))
        self.ptr = ptr
        self.ids = ids
        lens = np.diff(ptr)
        self.fixed = fixed = weights.fixed[self.order]
        top = int(fixed.max()) if len(fixed) else 0
        self.big = lens * max(top, 1) > _INT64_MAX // 2
        # exact per-document sums, a few million words at a time: int64 prefix sums may
        # wrap, but differences of documents that fit are exact (two's complement)
        mass = np.zeros(n, dtype=np.int64)
        for d0, d1 in _chunks(ptr):
            a, b = int(ptr[d0]), int(ptr[d1])
            cs = np.zeros(b - a + 1, dtype=np.int64)
            with np.errstate(over="ignore"):
                np.cumsum(fixed[ids[a:b]], out=cs[1:])
                mass[d0:d1] = cs[ptr[d0 + 1 : d1 + 1] - a] - cs[ptr[d0:d1] - a]
        self.mass = mass.astype(np.float64) / _FIX
        for d in np.flatnonzero(self.big).tolist():
            run = self.ids[self.ptr[d] : self.ptr[d + 1]].tolist()
            self.mass[d] = sum(fixed[run].tolist()) / _FIX
        self.thash = np.fromiter((hash(t) for t in texts), dtype=np.int64, count=n)
        self.tlen = np.fromiter((len(t) for t in texts), dtype=np.int64, count=n)

    def run(self, d: int) -> np.ndarray:
        """Document ``d``'s internal word numbers, sorted."""
        return self.ids[self.ptr[d] : self.ptr[d + 1]]

    def word_ids(self, d: int) -> np.ndarray:
        """Document ``d``'s :class:`WordWeights` ids, sorted."""
        return np.sort(self.order[self.run(d)])


def _chunks(ptr: np.ndarray, chunk: int = 1 << 20) -> Iterator[tuple[int, int]]:
    """Ranges ``(d0, d1)`` of documents holding about ``chunk`` ids each (at least one doc)."""
    n = len(ptr) - 1
    d0 = 0
    while d0 < n:
        d1 = int(np.searchsorted(ptr, ptr[d0] + chunk, side="right")) - 1
        d1 = min(max(d1, d0 + 1), n)
        yield d0, d1
        d0 = d1


def _sort_unique_runs(ids: np.ndarray, lens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sort each document's run of ids and drop repeats (vectorized, in chunks of runs).

    Returns the new ids (int32) and ``ptr`` (int64, ``n + 1``).
    """
    n = len(lens)
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lens, out=ptr[1:])
    out = np.empty(len(ids), dtype=np.int32)
    new_lens = np.zeros(n, dtype=np.int64)
    w = 0
    for d0, d1 in _chunks(ptr):
        a, b = int(ptr[d0]), int(ptr[d1])
        row = np.repeat(np.arange(d1 - d0, dtype=np.int64), lens[d0:d1])
        key = np.sort((row << 32) | ids[a:b].astype(np.int64))
        if len(key) > 1:
            key = key[np.concatenate(([True], key[1:] != key[:-1]))]
        new_lens[d0:d1] = np.bincount(key >> 32, minlength=d1 - d0)
        out[w : w + len(key)] = key & 0xFFFFFFFF
        w += len(key)
    np.cumsum(new_lens, out=ptr[1:])
    return out[:w], ptr


def _split_glued(words: list[str], raw: np.ndarray, vocab: Mapping[str, int]) -> np.ndarray:
    """``(word id, first half id, second half id)`` of the words :func:`_unglue` splits.

    Only a word of one document (``raw == 1``) of 4+ characters can be split, so the decision
    is made once per word of the vocabulary, not once per occurrence.
    """
    rows = []
    for t in np.flatnonzero(raw == 1).tolist():
        w = words[t]
        if len(w) < 4:
            continue
        best = max(
            (
                (min(_raw_of(w[:k], raw, vocab), _raw_of(w[k:], raw, vocab)), k)
                for k in range(1, len(w))
            ),
            default=(0, 0),
        )
        if best[0] >= 2:
            rows.append((t, vocab[w[: best[1]]], vocab[w[best[1] :]]))
    return np.array(rows, dtype=np.int64).reshape(-1, 3)


def _raw_of(w: str, raw: np.ndarray, vocab: Mapping[str, int]) -> int:
    k = vocab.get(w)
    return 0 if k is None else int(raw[k])


def _build(texts: Sequence[str], weights: WordWeights | None) -> tuple[WordWeights, _Table]:
    """Word weights (if not given) and the feature table.

    Without weights: one pass over the texts gives each document's distinct words as ids of
    a provisional vocabulary; document frequencies, the splitting of glued words (decided
    once per word) and the final ids are then array operations -- the same weights and
    features as :meth:`WordWeights.from_texts` and :meth:`WordWeights.features`.
    """
    n = len(texts)
    lens = np.zeros(n, dtype=np.int64)
    buf = array("i")
    if weights is None:
        # word -> provisional id, in first-seen order; the loop over words runs in C
        vocab: defaultdict[str, int] = defaultdict(itertools.count().__next__)
        get = vocab.__getitem__
        for d, t in enumerate(texts):
            before = len(buf)
            buf.extend(map(get, set(t.split())))
            lens[d] = len(buf) - before
        tmp = np.frombuffer(buf, dtype=np.int32) if len(buf) else np.zeros(0, np.int32)
        words = list(vocab)
        raw = np.bincount(tmp, minlength=len(words))
        raw_df = dict(zip(words, raw.tolist()))
        split = _split_glued(words, raw, vocab)
        del vocab
        if len(split):  # replace each split word by its first half, insert the second
            is_split = np.zeros(len(words), dtype=bool)
            is_split[split[:, 0]] = True
            halves = np.zeros((len(words), 2), dtype=np.int32)
            halves[split[:, 0]] = split[:, 1:]
            at = np.flatnonzero(is_split[tmp])
            old_ids = tmp[at]
            tmp = np.array(tmp)  # writable
            tmp[at] = halves[old_ids, 0]
            tmp = np.insert(tmp, at + 1, halves[old_ids, 1])
            ptr0 = np.zeros(n + 1, dtype=np.int64)
            np.cumsum(lens, out=ptr0[1:])
            lens = lens + np.bincount(np.searchsorted(ptr0, at, side="right") - 1, minlength=n)
            del is_split, halves, at, old_ids, ptr0
        present = np.flatnonzero(np.bincount(tmp, minlength=len(words)))
        order = sorted(present.tolist(), key=words.__getitem__)
        final = np.full(len(words), -1, dtype=np.int32)
        final[order] = np.arange(len(order), dtype=np.int32)
        if not tmp.flags.writeable:
            tmp = np.array(tmp)
        for a in range(0, len(tmp), 1 << 22):  # to final ids, in place
            tmp[a : a + (1 << 22)] = final[tmp[a : a + (1 << 22)]]
        del buf
        ids, ptr = _sort_unique_runs(tmp, lens)
        df = np.bincount(ids, minlength=len(order))
        weights = WordWeights(raw_df, dict(zip([words[t] for t in order], df.tolist())), n)
        del words, order, final, tmp
    else:
        known = weights.ids
        sets = [set(t.split()) for t in texts]
        if weights._splittable is not None or len(weights.raw_df) <= sum(map(len, sets)):
            # the words that may split found by one set intersection per text (the same
            # words as _unglue's test of each one)
            may = weights.splittable()
            for d, words in enumerate(sets):
                words = _unglue_among(words, may, weights.raw_df)
                run = [known[w] for w in words if w in known]
                buf.extend(run)
                lens[d] = len(run)
        else:  # (counts of a large corpus, few texts)
            for d, words in enumerate(sets):
                run = [known[w] for w in _unglue(words, weights.raw_df) if w in known]
                buf.extend(run)
                lens[d] = len(run)
        tmp = np.frombuffer(buf, dtype=np.int32) if len(buf) else np.zeros(0, np.int32)
        ids, ptr = _sort_unique_runs(tmp, lens)
    return weights, _Table(texts, weights, ids, ptr)


def _shared_numpy(tab: _Table, fixed: np.ndarray, pi: np.ndarray, pj: np.ndarray) -> np.ndarray:
    """Summed fixed-point weight of the words each pair shares (sort-based, exact)."""
    la = tab.ptr[pi + 1] - tab.ptr[pi]
    lb = tab.ptr[pj + 1] - tab.ptr[pj]
    m = len(pi)
    pair = np.repeat(np.arange(m, dtype=np.int64), la + lb)
    # gather both runs of every pair back to back
    starts = np.empty(2 * m, dtype=np.int64)
    starts[0::2] = tab.ptr[pi]
    starts[1::2] = tab.ptr[pj]
    sizes = np.empty(2 * m, dtype=np.int64)
    sizes[0::2] = la
    sizes[1::2] = lb
    offs = np.cumsum(sizes) - sizes
    pos = np.arange(int(sizes.sum()), dtype=np.int64) - np.repeat(offs - starts, sizes)
    key = np.sort((pair << 32) | tab.ids[pos].astype(np.int64))
    dup = np.flatnonzero(key[1:] == key[:-1])  # a word in both runs of one pair
    out = np.zeros(m, dtype=np.int64)
    if len(dup):
        np.add.at(out, key[dup] >> 32, fixed[key[dup] & 0xFFFFFFFF])
    return out


def score_texts(a: str, b: str, config: VerifyConfig | None = None) -> PairScore:
    """Score and label two normalized texts (see the module docstring).

    Without a corpus, word weights come from the two texts alone (shared words weigh 1,
    words of one text 1.4): use :class:`Verifier` on a whole corpus for corpus weights.

    Parameters
    ----------
    a, b : str
        Normalized, boilerplate-free texts (:func:`dedup.text.normalize`).
    config : VerifyConfig, optional
        ``threshold`` and ``near_copy`` cut-offs.
    """
    return Verifier([a, b], config, explain=True).score(0, 1)


def score_query(
    query: str,
    texts: Sequence[str],
    counts: Mapping[str, int],
    n_docs: int,
    config: VerifyConfig | None = None,
) -> list[PairScore]:
    """Score one text against each of a few others, with word counts made elsewhere.

    The scores of ``Verifier([query, *texts], config, weights=WordWeights(counts, counts,
    n_docs))`` for the pairs ``(0, k)``, bit for bit, without that class's batch machinery
    (a vocabulary, arrays per text, a renumbering): what a persistent index needs for one
    checked article and its few surviving candidates. Words are compared as strings, their
    fixed-point weights summed as Python integers (exact, as in the batch path), and each
    weight computed once per distinct count.

    Parameters
    ----------
    query : str
        Normalized text.
    texts : sequence of str
        Normalized texts to score against ``query``.
    counts : mapping of str to int
        Documents per word (the raw counts and the counts after splitting glued words, as an
        index keeps them); a word without a count has no weight.
    n_docs : int
        Documents counted.
    config : VerifyConfig, optional
        ``threshold`` and ``near_copy`` cut-offs.

    Examples
    --------
    >>> counts = {"hanoi": 2, "talks": 2, "trade": 1, "moscow": 1}
    >>> [s.relation for s in score_query("hanoi talks", ["hanoi talks", "moscow trade"], counts, 3)]
    ['exact', 'distinct']
    """
    cfg = config or VerifyConfig()
    fixed_of: dict[int, int] = {}  # count -> fixed-point weight

    def weight(c: int) -> int:
        f = fixed_of.get(c)
        if f is None:
            f = fixed_of[c] = _quantize(math.log((n_docs + 1) / (c + 1)) + 1.0)
        return f

    may = _splittable(counts)

    def features(text: str) -> tuple[dict[str, int], int]:
        words = _unglue_among(set(text.split()), may, counts)
        got = {w: weight(counts[w]) for w in words if w in counts}
        return got, sum(got.values())

    qw, qm = features(query)
    q_points = _code_points(query) if _nbv is not None else None
    out = []
    for text in texts:
        if text == query:
            out.append(PairScore(1.0, "exact" if text else "distinct", 1.0, 1.0, 1.0))
            continue
        if not text or not query:
            out.append(PairScore(0.0, "distinct", 0.0, 0.0, 0.0))
            continue
        tw, tm = features(text)
        small_w, big_w = (qw, tw) if len(qw) <= len(tw) else (tw, qw)
        shared = sum(f for w, f in small_w.items() if w in big_w) / _FIX
        # the same float operations, in the same order, as _score_block
        ma, mb = qm / _FIX, tm / _FIX
        union = ma + mb - shared
        wjac = shared / union if union != 0 else 0.0
        small = min(ma, mb)
        wcont = shared / small if small != 0 else 0.0
        overlap = _STORY_SCALE * (wjac + wcont) / 2.0
        containment = 0.0
        if wcont >= _GATE:
            if q_points is not None and _nbv is not None:
                common, na, nb = _nbv.gram_counts(q_points, _code_points(text), _CHAR_K, _GRAM_MUL)
            else:
                ca, cb = _char_grams(query), _char_grams(text)
                common, na, nb = len(np.intersect1d(ca, cb, assume_unique=True)), len(ca), len(cb)
            containment = int(common) / min(int(na), int(nb))
        copy = 0.5 + 1.25 * (containment - 0.6) if containment >= 0.6 else containment / 1.2
        score = max(copy, min(overlap, STORY_MAX))
        if containment >= cfg.near_copy:
            relation: Relation = "near_copy"
        elif score >= cfg.threshold:
            relation = "same_story"
        else:
            relation = "distinct"
        fz = math.nan
        if relation != "distinct":
            fz = fuzz.token_set_ratio(query, text, processor=None) / 100.0
        out.append(PairScore(round(score, 6), relation, containment, fz, overlap))
    return out


class Verifier:
    """Scores candidate pairs of one corpus, computing each document's features once.

    Word weights (IDF) are computed over ``texts``: pass the whole corpus, not just the pair.
    The features of all documents are built on first use, as compact arrays (about 4 bytes
    per distinct word of a document).

    Parameters
    ----------
    texts : sequence of str
        Normalized, boilerplate-free texts, indexed like the signature matrix.
    config : VerifyConfig, optional
    explain : bool
        Also compute ``fuzz`` for distinct pairs (otherwise ``nan``: it is not needed to decide).
    weights : WordWeights, optional
        Word weights of a larger corpus (an index, a distributed job); default: from ``texts``.

    Examples
    --------
    >>> v = Verifier(["a b c d e f", "a b c d e f", "x y"])
    >>> [s.relation for s in v.score_pairs(np.array([[0, 1], [0, 2]]))]
    ['exact', 'distinct']
    """

    def __init__(
        self,
        texts: Sequence[str],
        config: VerifyConfig | None = None,
        *,
        explain: bool = False,
        weights: WordWeights | None = None,
    ) -> None:
        self.texts = texts
        self.config = config or VerifyConfig()
        self.explain = explain
        self._given = weights
        self._weights: WordWeights | None = weights
        self._table: _Table | None = None
        self._chars: dict[int, np.ndarray] = {}
        self._mark: np.ndarray | None = None

    @property
    def _idf(self) -> WordWeights:
        if self._weights is None:
            self._prepare()
        assert self._weights is not None
        return self._weights

    def _prepare(self) -> _Table:
        if self._table is None:
            self._weights, self._table = _build(self.texts, self._given)
        return self._table

    def prepare(self) -> None:
        """Compute the word weights (unless given) and every document's features now,
        instead of on first use: two passes over the texts."""
        self._prepare()

    def _grams(self, d: int) -> np.ndarray:
        g = self._chars.get(d)
        if g is None:
            if len(self._chars) >= _CHAR_CACHE:  # bounded: a few thousand texts' grams
                self._chars.pop(next(iter(self._chars)))
            g = self._chars[d] = _char_grams(self.texts[d])
        return g

    def _marks(self, size: int) -> np.ndarray:
        """Scratch array of the kernel (all zeros between calls)."""
        if self._mark is None or len(self._mark) != size:
            self._mark = np.zeros(size, dtype=np.int64)
        return self._mark

    def _gram_counts(self, i: int, j: int, compiled: bool) -> tuple[int, int, int]:
        """Distinct character 10-grams both texts have, and each has (texts not empty)."""
        if compiled and _nbv is not None:  # one hash table per pair: cheaper than sorted arrays
            a, b = (_code_points(self.texts[d]) for d in (i, j))
            both, na, nb = _nbv.gram_counts(a, b, _CHAR_K, _GRAM_MUL)
            return int(both), int(na), int(nb)
        ca, cb = self._grams(i), self._grams(j)
        return len(np.intersect1d(ca, cb, assume_unique=True)), len(ca), len(cb)

    def score(self, i: int, j: int) -> PairScore:
        """Score documents ``i`` and ``j``."""
        return self.score_arrays(np.array([[i, j]], dtype=np.int64))[0]

    def score_pairs(self, pairs: Any) -> list[PairScore]:
        """Score every ``(i, j)`` row of ``pairs``, in order."""
        return self.score_arrays(pairs).to_scores()

    def score_arrays(self, pairs: Any, *, block: int = _BLOCK) -> PairArrays:
        """Score every ``(i, j)`` row of ``pairs`` (an ``(m, 2)`` integer array), in order.

        The same scores as :meth:`score_pairs`, as arrays: nothing is allocated per pair
        but the rows of the result (33 bytes), computed ``block`` pairs at a time.
        """
        p = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
        m = len(p)
        n = len(self.texts)
        if m and (p.min() < 0 or p.max() >= n):
            raise IndexError(f"pair index out of range: the verifier has {n} texts")
        out = PairArrays(
            np.empty(m), np.empty(m, dtype=np.int8), np.empty(m), np.empty(m), np.empty(m)
        )
        if m:
            self._prepare()
        for s in range(0, m, block):
            e = min(m, s + block)
            self._score_block(p[s:e, 0], p[s:e, 1], out, s)
        return out

    def _score_block(self, pi: np.ndarray, pj: np.ndarray, out: PairArrays, s: int) -> None:
        tab = self._prepare()
        fixed = tab.fixed
        cfg = self.config
        texts = self.texts
        m = len(pi)
        # equal texts (hash and length first, then the texts themselves) and empty ones
        eq = (tab.thash[pi] == tab.thash[pj]) & (tab.tlen[pi] == tab.tlen[pj])
        for k in np.flatnonzero(eq).tolist():
            eq[k] = texts[int(pi[k])] == texts[int(pj[k])]
        empty = ~eq & ((tab.tlen[pi] == 0) | (tab.tlen[pj] == 0))
        regular = ~(eq | empty)
        # shared weight: exact integer sums
        big = tab.big[pi] | tab.big[pj]
        fast = regular & ~big
        shared = np.zeros(m, dtype=np.float64)
        fi, fj = pi[fast], pj[fast]
        compiled = _nbv is not None and m >= _COMPILED_FROM
        if compiled:
            ints = _nbv.shared_weight(tab.ptr, tab.ids, fixed, fi, fj, self._marks(len(fixed)))
        else:
            ints = _shared_numpy(tab, fixed, fi, fj)
        shared[fast] = ints.astype(np.float64) / _FIX
        for k in np.flatnonzero(regular & big).tolist():
            common = np.intersect1d(tab.run(int(pi[k])), tab.run(int(pj[k])), assume_unique=True)
            shared[k] = sum(fixed[common].tolist()) / _FIX
        # the same float operations, in the same order, as the scalar definition
        ma, mb = tab.mass[pi], tab.mass[pj]
        union = ma + mb - shared
        wjac = np.divide(shared, union, out=np.zeros(m), where=union != 0)
        small = np.minimum(ma, mb)
        wcont = np.divide(shared, small, out=np.zeros(m), where=small != 0)
        overlap = _STORY_SCALE * (wjac + wcont) / 2.0
        # character containment, only where the word containment says it can matter
        containment = np.zeros(m)
        # (compiled whenever numba is there: 3x faster per pair than the numpy grams, even
        # for the few pairs of an index check)
        for k in np.flatnonzero(regular & (wcont >= _GATE)).tolist():
            common, na, nb = self._gram_counts(int(pi[k]), int(pj[k]), _nbv is not None)
            containment[k] = common / min(na, nb)
        score = np.maximum(_copy_score(containment), np.minimum(overlap, STORY_MAX))
        relation = np.where(
            containment >= cfg.near_copy, _NEAR, np.where(score >= cfg.threshold, _SAME, _DISTINCT)
        ).astype(np.int8)
        fz = np.full(m, np.nan)
        for k in np.flatnonzero(regular & ((relation != _DISTINCT) | self.explain)).tolist():
            a, b = texts[int(pi[k])], texts[int(pj[k])]
            fz[k] = fuzz.token_set_ratio(a, b, processor=None) / 100.0
        score = _round6(score)
        # equal texts: exact (two empty texts are equal but not a duplicate); one empty: zeros
        filled = eq.astype(np.float64)
        for arr in (score, containment, fz, overlap):
            arr[~regular] = filled[~regular]
        relation[eq] = _EXACT
        relation[eq & (tab.tlen[pi] == 0)] = _DISTINCT
        relation[empty] = _DISTINCT
        e = s + m
        out.score[s:e] = score
        out.relation[s:e] = relation
        out.containment[s:e] = containment
        out.fuzz[s:e] = fz
        out.overlap[s:e] = overlap
