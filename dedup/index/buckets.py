"""LSH buckets held in memory: band key -> document numbers, as a few sorted runs.

An index process that checks many articles keeps its own copy of the buckets (the SQLite
backend's ``bands`` table holds the same pairs) so that a lookup costs a few binary searches
instead of ~40 B-tree probes of a file larger than SQLite's memory map. Documents arrive in
increasing number order; each batch becomes a sorted run, and the newest runs are merged
while they are small (an LSM tree without disk), so a lookup searches ~20 runs at most and
no document is ever sorted twice in one large merge: runs stop growing at :data:`MAX_RUN`
entries.

Removed documents stay in the runs: the caller passes which numbers are live, and the star
rule counts live members only, exactly as the ``bands`` rows of live documents would be
counted.

Examples
--------
>>> import numpy as np
>>> runs = BandRuns()
>>> runs.add(np.array([1, 2, 3]), np.array([[10, 11], [10, 12], [10, 11]]))
>>> live = np.ones(4, dtype=bool)
>>> runs.lookup(np.array([11, 12]), live, cap=5).tolist()
[1, 2, 3]
>>> runs.lookup(np.array([10]), live, cap=3).tolist()  # a full bucket: its first member only
[1]
"""

from __future__ import annotations

import numpy as np

__all__ = ["MAX_RUN", "BandRuns"]

#: Runs are merged while the result stays under this many (key, number) pairs.
MAX_RUN = 1 << 22


class BandRuns:
    """Band keys of documents, searchable by key (see the module docstring)."""

    def __init__(self) -> None:
        # each run: keys sorted (int64), numbers (int64) in key then number order; runs are
        # in number order (run i's numbers are all below run i+1's)
        self._keys: list[np.ndarray] = []
        self._nums: list[np.ndarray] = []
        self.top = 0  # the largest number added

    def __len__(self) -> int:
        """(key, number) pairs held."""
        return sum(len(k) for k in self._keys)

    @property
    def nbytes(self) -> int:
        return sum(k.nbytes + n.nbytes for k, n in zip(self._keys, self._nums))

    def add(self, nums: np.ndarray, keys: np.ndarray) -> None:
        """Add documents ``nums`` (increasing, all above :attr:`top`) with their band keys
        (``keys[i]``: document ``nums[i]``'s keys, distinct; an empty row of ``keys`` for a
        document without shingles is passed by leaving the document out)."""
        nums = np.asarray(nums, dtype=np.int64)
        if not len(nums):
            return
        if nums[0] <= self.top or np.any(np.diff(nums) <= 0):
            raise ValueError("documents must be added in increasing number order, once")
        keys = np.asarray(keys, dtype=np.int64).reshape(len(nums), -1)
        flat_keys = keys.ravel()
        flat_nums = np.repeat(nums, keys.shape[1])
        order = np.argsort(flat_keys, kind="stable")  # stable: numbers stay increasing
        self._keys.append(flat_keys[order])
        self._nums.append(flat_nums[order])
        self.top = int(nums[-1])
        self._merge()

    def _merge(self) -> None:
        ks, ns = self._keys, self._nums
        while len(ks) >= 2 and len(ks[-2]) <= 2 * len(ks[-1]):
            if len(ks[-2]) + len(ks[-1]) > MAX_RUN:
                break
            # the newer run's numbers are larger: after the equal keys of the older run
            at = np.searchsorted(ks[-2], ks[-1], side="right")
            keys = np.insert(ks[-2], at, ks[-1])
            nums = np.insert(ns[-2], at, ns[-1])
            del ks[-2:], ns[-2:]
            ks.append(keys)
            ns.append(nums)

    def forget_after(self, top: int) -> None:
        """Drop the documents numbered above ``top`` (a rolled-back transaction's)."""
        if top >= self.top:
            return
        for i in range(len(self._keys) - 1, -1, -1):
            keep = self._nums[i] <= top
            if keep.all():
                break
            if keep.any():
                self._keys[i], self._nums[i] = self._keys[i][keep], self._nums[i][keep]
            else:
                del self._keys[i], self._nums[i]
        self.top = top

    def drop_dead(self, live: np.ndarray) -> None:
        """Remove the pairs of documents that are not ``live`` (frees their memory)."""
        for i in range(len(self._keys)):
            nums = self._nums[i]
            keep = live[nums] if len(nums) else np.ones(0, dtype=bool)
            if not keep.all():
                self._keys[i], self._nums[i] = self._keys[i][keep], nums[keep]
        pairs = [(k, n) for k, n in zip(self._keys, self._nums) if len(k)]
        self._keys = [k for k, _ in pairs]
        self._nums = [n for _, n in pairs]

    def lookup(self, keys: np.ndarray, live: np.ndarray, cap: int) -> np.ndarray:
        """Live documents sharing a key with ``keys``, by the star rule of
        :func:`dedup.sketch.lsh.candidate_pairs`: a bucket already holding ``cap`` live
        documents gives its first (lowest-numbered) one only. Sorted, without repeats.

        ``live``: boolean array indexed by document number (every number added must index it).
        """
        q = np.asarray(keys, dtype=np.int64)
        if not len(q) or not self._keys:
            return np.zeros(0, dtype=np.int64)
        parts_n: list[np.ndarray] = []
        parts_k: list[np.ndarray] = []
        totals = np.zeros(len(q), dtype=np.int64)
        spans = []
        for run_k, run_n in zip(self._keys, self._nums):
            lo = np.searchsorted(run_k, q, side="left")
            hi = np.searchsorted(run_k, q, side="right")
            spans.append((lo, hi))
            totals += hi - lo
        big = totals > 2 * cap  # huge buckets: walked key by key, stopping at cap
        for (lo, hi), run_n in zip(spans, self._nums):
            n = np.where(big, 0, hi - lo)
            if not n.any():
                continue
            ends = np.cumsum(n)
            at = np.repeat(lo - (ends - n), n) + np.arange(int(ends[-1]))
            parts_n.append(run_n[at])
            parts_k.append(np.repeat(np.arange(len(q)), n))
        out = [self._walk(j, spans, live, cap) for j in np.flatnonzero(big).tolist()]
        if parts_n:
            nums = np.concatenate(parts_n)
            which = np.concatenate(parts_k)
            ok = live[nums]
            nums, which = nums[ok], which[ok]
            # runs were visited in number order: a stable sort by key keeps each bucket's
            # members in number order
            order = np.argsort(which, kind="stable")
            nums, which = nums[order], which[order]
            count = np.bincount(which, minlength=len(q))
            small = count[which] < cap
            first = np.ones(len(which), dtype=bool)
            first[1:] = which[1:] != which[:-1]
            out.append(nums[small | first])
        return np.unique(np.concatenate(out)) if out else np.zeros(0, dtype=np.int64)

    def _walk(self, j: int, spans: list, live: np.ndarray, cap: int) -> np.ndarray:
        """Bucket ``j`` of a lookup, counted only up to ``cap`` live members."""
        first = None
        found: list[np.ndarray] = []
        seen = 0
        for (lo, hi), run_n in zip(spans, self._nums):
            nums = run_n[lo[j] : hi[j]]
            alive = nums[live[nums]]
            if first is None and len(alive):
                first = alive[:1]
            found.append(alive)
            seen += len(alive)
            if seen >= cap:
                return first  # type: ignore[return-value]
        return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)
