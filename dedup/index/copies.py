"""In-process copies of an SQLite index's candidate rows, word numbers and buckets.

A :class:`~dedup.index.sqlite.SQLiteIndex` connection that has made its warm-up lookups keeps
what a lookup and the verification bound read (the ``cands`` rows, the ``wids`` rows and the
buckets) in arrays indexed by document number, so a check reads nothing from the file but the
few texts that survive the bound. This module holds those arrays and the operations on them;
the index decides *when* to read rows into them (document numbers only grow, so "the rows
numbered after :attr:`DocCopies.top`" is always what is new) and which are removed.

At 1M articles they take ~2 GB (signatures 512 bytes and their low bytes 128, word numbers
~760 bytes, bucket pairs 504 bytes per article).

Examples
--------
>>> import numpy as np
>>> from dedup.config import LSHConfig
>>> lsh = LSHConfig(bands=2, rows=2)
>>> copies = DocCopies(lsh)
>>> sig = np.arange(4, dtype="<u4").tobytes()
>>> copies.put([(1, 0.0, None, sig, np.array([3, 5], dtype="<u4").tobytes())])
>>> copies.top, bool(copies.live[1]), copies.word_numbers(np.array([1])).tolist()
(1, True, [3, 5])
>>> found, seen = copies.filter(np.arange(4, dtype=np.uint32), None, np.array([1]), None, 3)
>>> [c.ref for c in found], seen
([1], 1)
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from dedup.index.base import CandidateRows
from dedup.index.buckets import BandRuns
from dedup.sketch.lsh import band_keys, empty_rows

try:  # the compiled gather is optional (extra ``dedup-news[fast]``)
    if os.environ.get("DEDUP_DISABLE_NUMBA"):
        raise ImportError("disabled by DEDUP_DISABLE_NUMBA")
    from dedup.index._numba_bound import gather_words as _gather_words
except ImportError:  # pragma: no cover - depends on the environment
    _gather_words = None

__all__ = ["CopyRow", "DocCopies"]

#: A row to copy: (number, ts, text hash or None, signature bytes, word-number bytes or None).
CopyRow = tuple[int, float, int | None, bytes, bytes | None]

# band keys are computed this many documents at a time (documents x bands x rows uint64)
_BAND_SLICE = 100_000


class DocCopies:
    """Copies of documents' candidate rows, word numbers and band keys, by document number.

    Numbers are never reused by the index, so an entry, once written, only changes from live
    to not live (a removed document keeps its arrays; no lookup reaches it: its buckets are
    dropped with it).

    Parameters
    ----------
    lsh : LSHConfig
        The index's banding (the band keys of the copied signatures).

    Attributes
    ----------
    sig, sig8 : ndarray
        Signatures (uint32, documents x num_perm) and their low bytes (a first filter).
    ts, text_hash, has_hash, live : ndarray
        Each document's time, text hash (valid where ``has_hash``) and whether it is stored.
    top : int
        The highest number copied.
    gone : int or None
        The last row of the index's ``gone`` table applied (None: unknown, re-read).
    buckets : BandRuns
        The buckets of the live documents.
    """

    def __init__(self, lsh: Any) -> None:
        self.lsh = lsh
        self.sig = np.zeros((0, 0), dtype=np.uint32)
        self.sig8 = np.zeros((0, 0), dtype=np.uint8)
        self.ts = np.zeros(0)
        self.text_hash = np.zeros(0, dtype=np.int64)
        self.has_hash = np.zeros(0, dtype=bool)
        self.live = np.zeros(0, dtype=bool)
        # document num's word numbers are _wflat[_wstart[num]:][:_wlen[num]]
        self._wflat = np.zeros(0, dtype=np.uint32)
        self._wstart = np.zeros(0, dtype=np.int64)
        self._wlen = np.zeros(0, dtype=np.int32)
        self._wused = 0
        self.top = 0
        self.gone: int | None = None
        self.buckets = BandRuns(lsh.bands)

    # ---- writing -----------------------------------------------------------------------

    def grow(self, top: int, width: int) -> None:
        """Make the arrays indexed by document number hold number ``top`` (with room)."""
        if top < len(self.ts):
            return
        cap = max(top + 1 + top // 8, len(self.ts) + len(self.ts) // 4)
        width = self.sig.shape[1] or width
        for name, shape, dtype in (
            ("sig", (cap, width), np.uint32),
            ("sig8", (cap, width), np.uint8),
            ("ts", (cap,), np.float64),
            ("text_hash", (cap,), np.int64),
            ("has_hash", (cap,), bool),
            ("live", (cap,), bool),
            ("_wstart", (cap,), np.int64),
            ("_wlen", (cap,), np.int32),
        ):
            old = getattr(self, name)
            new = np.zeros(shape, dtype=dtype)
            if len(old):
                new[: len(old)] = old
            setattr(self, name, new)

    def put(self, rows: Sequence[CopyRow], bands: bool = True) -> None:
        """Copy documents' rows (sorted by number, each after every number copied) and,
        unless ``bands`` is False, add them to the buckets (see :meth:`add_bands`)."""
        if not rows:
            return
        top = rows[-1][0]
        blobs = [r[4] or b"" for r in rows]
        lens = np.fromiter(map(len, blobs), np.int64, len(blobs)) // 4
        used = self._wused
        if used + int(lens.sum()) > len(self._wflat):
            grown = np.zeros(max(used + int(lens.sum()), len(self._wflat) * 2), np.uint32)
            grown[:used] = self._wflat[:used]
            self._wflat = grown
        self.grow(top, len(rows[0][3]) // 4)
        if len(rows) == 1:  # one document (check_and_add): no temporary arrays
            num, ts, h, sig, _ = rows[0]
            self.sig[num] = np.frombuffer(sig, "<u4")
            self.sig8[num] = self.sig[num] & 0xFF
            self.ts[num], self.has_hash[num], self.live[num] = ts, h is not None, True
            self.text_hash[num] = 0 if h is None else h
            n = int(lens[0])
            self._wflat[used : used + n] = np.frombuffer(blobs[0], "<u4")
            self._wstart[num], self._wlen[num] = used, n
            self._wused = used + n
            self.top = max(self.top, num)
            if bands:
                self.add_bands(np.array([num], dtype=np.int64))
            return
        nums = np.fromiter((r[0] for r in rows), np.int64, len(rows))
        self.sig[nums] = np.frombuffer(b"".join(r[3] for r in rows), "<u4").reshape(len(rows), -1)
        self.sig8[nums] = self.sig[nums] & 0xFF
        self.ts[nums] = [r[1] for r in rows]
        self.has_hash[nums] = [r[2] is not None for r in rows]
        self.text_hash[nums] = [0 if r[2] is None else r[2] for r in rows]
        self.live[nums] = True
        ends = used + np.cumsum(lens)
        self._wflat[used : int(ends[-1])] = np.frombuffer(b"".join(blobs), "<u4")
        self._wstart[nums] = ends - lens
        self._wlen[nums] = lens
        self._wused = int(ends[-1])
        self.top = max(self.top, top)
        if bands:
            self.add_bands(nums)

    def add_bands(self, nums: np.ndarray, keys: np.ndarray | None = None) -> None:
        """Add the copied documents ``nums`` to the buckets: their band keys (``keys``, or
        computed from their signatures as when they were stored; none without shingles)."""
        if keys is not None:
            self.buckets.add(nums, keys)
            return
        if not len(nums):
            return
        parts = []
        for lo in range(0, len(nums), _BAND_SLICE):
            sigs = self.sig[nums[lo : lo + _BAND_SLICE]]
            ok = ~empty_rows(sigs)
            parts.append((nums[lo : lo + _BAND_SLICE][ok], band_keys(sigs[ok], self.lsh)))
        self.buckets.add(
            np.concatenate([n for n, _ in parts]),
            np.concatenate([k for _, k in parts]).view(np.int64),
        )

    def mark_removed(self, nums: np.ndarray) -> None:
        """Documents removed (numbers beyond the copies are ignored)."""
        self.live[nums[nums < len(self.live)]] = False

    def set_live(self, live: np.ndarray) -> None:
        """Exactly the numbers ``live`` are stored (the rest are dropped from the buckets)."""
        self.live[:] = False
        self.live[live] = True
        self.buckets.drop_dead(self.live)

    def mark(self) -> tuple[int, int]:
        """A point to go back to with :meth:`forget_after` (at a transaction's start)."""
        return self.top, self._wused

    def forget_after(self, mark: tuple[int, int]) -> None:
        """Drop the documents copied since ``mark`` (a rolled-back transaction's: their
        numbers will be given again)."""
        top, used = mark
        self.live[top + 1 :] = False
        self.top, self._wused = top, used
        self.buckets.forget_after(top)
        self.gone = None  # removals the transaction made may have been copied: re-read

    def keep_marks(self, mark: tuple[int, int]) -> tuple[int, int]:
        """``mark`` moved past everything copied (after taking over a loader's copies)."""
        return max(mark[0], self.top), max(mark[1], self._wused)

    #: Whether :meth:`gather_words` runs compiled (numba installed).
    compiled_gather: bool = _gather_words is not None

    # ---- reading -----------------------------------------------------------------------

    def lookup(self, keys: Sequence[int], cap: int) -> np.ndarray:
        """The live documents in the buckets ``keys``, by the star rule (see
        :meth:`BandRuns.lookup`)."""
        return self.buckets.lookup(np.array(keys), self.live, cap)

    def filter(
        self,
        signature: np.ndarray,
        text_hash: int | None,
        nums: np.ndarray,
        min_ts: float | None,
        need: int,
    ) -> tuple[CandidateRows, int]:
        """The live documents of ``nums`` (sorted, all copied) with ``ts >= min_ts`` whose
        signature agrees with ``signature`` in at least ``need`` places, or with the text
        hash ``text_hash``; and how many were live and recent enough (before this filter).
        """
        arr = nums[self.live[nums]]
        if min_ts is not None:
            arr = arr[self.ts[arr] >= min_ts]
        seen = len(arr)
        if not seen:
            return CandidateRows(arr, arr, arr, arr, np.zeros((0, 0), np.uint32)), 0
        same = None
        if text_hash is not None:
            same = self.has_hash[arr] & (self.text_hash[arr] == text_hash)
        # the low bytes first (a quarter of the bytes to gather): equal values have equal
        # low bytes, so this keeps every candidate the full comparison keeps
        q8 = (signature & 0xFF).astype(np.uint8)
        first = np.count_nonzero(self.sig8[arr] == q8, axis=1) >= need
        if same is not None:
            first |= same
            same = same[first]
        arr = arr[first]
        sigs = self.sig[arr]
        ok = np.count_nonzero(sigs == signature, axis=1) >= need
        if same is not None:
            ok |= same
        at = arr[ok]
        found = CandidateRows(at, self.ts[at], self.text_hash[at], self.has_hash[at], sigs[ok])
        return found, seen

    def word_numbers(self, nums: np.ndarray) -> np.ndarray:
        """The word numbers of documents ``nums``, concatenated (uint32)."""
        lens = self._wlen[nums].astype(np.int64)
        ends = np.cumsum(lens)
        at = np.repeat(self._wstart[nums] - (ends - lens), lens)
        return self._wflat[at + np.arange(len(at))]

    def word_counts_of(self, nums: np.ndarray) -> np.ndarray:
        """How many distinct words each of ``nums`` has (int64)."""
        return self._wlen[nums].astype(np.int64)

    def gather_words(
        self,
        nums: np.ndarray,
        count_of: np.ndarray,
        known: np.ndarray,
        in_query: np.ndarray,
        member: np.ndarray,
        mark: int,
        compiled: bool = True,
    ) -> tuple[np.ndarray, np.ndarray, int]:
        """Documents ``nums``' word numbers with what the verification bound reads of them,
        in one pass (compiled when numba is installed and ``compiled``; the numpy passes
        otherwise, the reference the tests compare it with).

        Returns ``lens`` (words per document); ``words``, a (3, total) int64 array: the
        concatenated word numbers (as :meth:`word_numbers`), their counts
        ``count_of[word]`` and ``max(1, count + 1 if in_query[word] > 0)`` (a check's
        document frequency: the query is one more document of its words; a word removed
        meanwhile counts 1); and how many words are not ``known`` (the caller reads their
        counts, then gathers again). Sets ``member[word] = mark`` for each word (a stamp:
        nothing to clear between checks). ``in_query``, ``member``, ``known``: indexed by
        word number, like ``count_of``.

        Examples
        --------
        >>> from dedup.config import LSHConfig
        >>> copies = DocCopies(LSHConfig(bands=2, rows=2))
        >>> sig = np.arange(4, dtype="<u4").tobytes()
        >>> copies.put([(1, 0.0, None, sig, np.array([3, 5], dtype="<u4").tobytes())])
        >>> count_of, in_query = np.array([0, 0, 0, 7, 0, 0]), np.zeros(6)
        >>> in_query[5] = 1.0
        >>> member = np.zeros(6, dtype=np.uint32)
        >>> lens, words, unknown = copies.gather_words(
        ...     np.array([1]), count_of, np.ones(6, bool), in_query, member, 9)
        >>> lens.tolist(), words.tolist(), unknown, member.tolist()
        ([2], [[3, 5], [7, 0], [7, 1]], 0, [0, 0, 0, 9, 0, 9])
        """
        lens = self._wlen[nums].astype(np.int64)
        total = int(lens.sum())
        if compiled and _gather_words is not None:
            out = np.empty((3, total), dtype=np.int64)
            unknown = _gather_words(
                nums,
                self._wflat,
                self._wstart,
                self._wlen,
                count_of,
                known,
                in_query,
                member,
                mark,
                out,
            )
            return lens, out, int(unknown)
        flat = self.word_numbers(nums).astype(np.int64)
        counts = count_of[flat]
        df = np.maximum(1, counts + (in_query[flat] > 0.0))
        member[flat] = mark
        return lens, np.stack((flat, counts, df)), int(np.count_nonzero(~known[flat]))
