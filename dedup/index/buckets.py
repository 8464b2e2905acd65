"""LSH buckets held in memory: band key -> document numbers, as a few sorted runs.

An index process that checks many articles keeps its own copy of the buckets (the SQLite
backend's ``bands`` table holds the same pairs) so that a lookup costs a few binary searches
instead of ~40 B-tree probes of a file larger than SQLite's memory map.

Each (key, document) pair is one unsigned 64-bit word: the key's high 32 bits, then the
document number (low 32 bits). Pairs of one bucket are then contiguous and in number order;
other keys may share the high bits, so each pair also keeps its key's low 32 bits
(``check``), compared at lookup. A bucket is a key, whatever band it came from (as in the
``bands`` table; keys of different bands are hashed apart). Documents arrive in increasing number order; each batch
becomes a run, and the newest runs are merged while they are small (an LSM tree without
disk), so a lookup searches a few runs. 12 bytes per pair.

Removed documents stay in the runs: the caller passes which numbers are live, and the star
rule counts live members only, exactly as the ``bands`` rows of live documents would be
counted.

Examples
--------
>>> import numpy as np
>>> keys = np.array([[10, 11], [10, 12], [10, 11]])  # three documents, two bands
>>> runs = BandRuns(bands=2)
>>> runs.add(np.array([1, 2, 3]), keys)
>>> live = np.ones(4, dtype=bool)
>>> runs.lookup(np.array([10, 12]), live, 5).tolist()
[1, 2, 3]
>>> runs.lookup(np.array([10, 11]), live, 3).tolist()  # band 0 full: its first only
[1, 3]
"""

from __future__ import annotations

import os

import numpy as np

try:  # the compiled sort is optional (extra ``dedup-news[fast]``)
    if os.environ.get("DEDUP_DISABLE_NUMBA"):
        raise ImportError("disabled by DEDUP_DISABLE_NUMBA")
    from dedup.index._numba_buckets import merge_runs as _merge_runs
    from dedup.index._numba_buckets import scan_run as _scan_run
    from dedup.index._numba_buckets import sort_pairs as _sort_pairs
except ImportError:  # pragma: no cover - depends on the environment
    _sort_pairs = _merge_runs = _scan_run = None

__all__ = ["MAX_RUN", "BandRuns"]

#: Runs are merged while the result stays under this many pairs (the run made from a whole
#: index at once may be larger).
MAX_RUN = 1 << 23
_NUM_BITS = 32
_NUM_MASK = np.uint64((1 << _NUM_BITS) - 1)
#: Batches of at least this many pairs are sorted by the compiled radix sort (when numba is
#: installed: ~3x numpy's argsort and gathers at 42M pairs).
_RADIX_FROM = 1 << 16


class BandRuns:
    """Band keys of documents, searchable by key (see the module docstring).

    Parameters
    ----------
    bands : int
        Bands per document (the keys of a document are given band by band).
    """

    def __init__(self, bands: int) -> None:
        self.bands = bands
        # each run: packed pairs sorted by value, and their keys' low 32 bits; runs in number
        # order (run i's numbers are all below run i+1's)
        self._runs: list[np.ndarray] = []
        self._checks: list[np.ndarray] = []
        self.top = 0  # the largest number added

    def __len__(self) -> int:
        """(key, number) pairs held."""
        return sum(len(r) for r in self._runs)

    @property
    def nbytes(self) -> int:
        return sum(r.nbytes + c.nbytes for r, c in zip(self._runs, self._checks))

    @staticmethod
    def _high(keys: np.ndarray) -> np.ndarray:
        """The key's high 32 bits, above the number's 32 bits."""
        return keys.view(np.uint64) & ~_NUM_MASK

    def add(self, nums: np.ndarray, keys: np.ndarray) -> None:
        """Add documents ``nums`` (increasing, all above :attr:`top`, below 2**32) with their
        band keys (``keys[i, b]``: document ``nums[i]``'s key of band ``b``). A document
        without shingles has no keys: leave it out."""
        nums = np.asarray(nums, dtype=np.int64)
        if not len(nums):
            return
        if nums[0] <= self.top or np.any(np.diff(nums) <= 0) or nums[-1] >= 1 << _NUM_BITS:
            raise ValueError("documents must be added in increasing number order, once")
        keys = np.ascontiguousarray(keys, dtype=np.int64).reshape(len(nums), self.bands)
        run = (self._high(keys) | nums.astype(np.uint64)[:, None]).ravel()
        low = keys.ravel().view(np.uint64).astype(np.uint32)  # (the low 32 bits)
        if _sort_pairs is not None and len(run) >= _RADIX_FROM:
            run, check = _sort_pairs(run, low)
        else:
            order = np.argsort(run, kind="stable")
            run, check = run[order], low[order]
        self._runs.append(run)
        self._checks.append(check)
        self.top = int(nums[-1])
        self._merge()

    def _merge(self) -> None:
        runs, checks = self._runs, self._checks
        while len(runs) >= 2 and len(runs[-2]) <= 2 * len(runs[-1]):
            if len(runs[-2]) + len(runs[-1]) > MAX_RUN:
                break
            if _merge_runs is not None:  # one linear pass (np.insert sorts its positions:
                # ~5 ms for two runs of 10k pairs, ~0.25 s for two of 1M)
                run, check = _merge_runs(runs[-2], checks[-2], runs[-1], checks[-1])
            else:
                at = np.searchsorted(runs[-2], runs[-1])  # (pairs are distinct values)
                run = np.insert(runs[-2], at, runs[-1])
                check = np.insert(checks[-2], at, checks[-1])
            del runs[-2:], checks[-2:]
            runs.append(run)
            checks.append(check)

    def forget_after(self, top: int) -> None:
        """Drop the documents numbered above ``top`` (a rolled-back transaction's)."""
        if top >= self.top:
            return
        for i in range(len(self._runs) - 1, -1, -1):
            keep = (self._runs[i] & _NUM_MASK) <= np.uint64(top)
            if keep.all():
                break
            if keep.any():
                self._runs[i], self._checks[i] = self._runs[i][keep], self._checks[i][keep]
            else:
                del self._runs[i], self._checks[i]
        self.top = top

    def drop_dead(self, live: np.ndarray) -> None:
        """Remove the pairs of documents that are not ``live`` (frees their memory)."""
        runs, checks = [], []
        for run, check in zip(self._runs, self._checks):
            keep = live[(run & _NUM_MASK).astype(np.int64)]
            if not keep.all():
                run, check = run[keep], check[keep]
            if len(run):
                runs.append(run)
                checks.append(check)
        self._runs, self._checks = runs, checks

    def lookup(self, keys: np.ndarray, live: np.ndarray, cap: int) -> np.ndarray:
        """Live documents sharing a key with ``keys`` (``keys[b]``: the query's key of band
        ``b``), by the star rule of :func:`dedup.sketch.lsh.candidate_pairs`: a bucket already
        holding ``cap`` live documents gives its first (lowest-numbered) one only. Sorted,
        without repeats.

        ``live``: boolean array indexed by document number (every number added must index
        it).
        """
        q = np.asarray(keys, dtype=np.int64)
        if not len(q) or not self._runs:
            return np.zeros(0, dtype=np.int64)
        if _scan_run is not None:
            return self._lookup_compiled(q, live, cap)
        band = np.arange(len(q))
        base = self._high(q)
        q_low = q.view(np.uint64).astype(np.uint32)
        spans = []
        totals = np.zeros(len(q), dtype=np.int64)
        for run in self._runs:
            lo = np.searchsorted(run, base, side="left")
            hi = np.searchsorted(run, base | _NUM_MASK, side="right")
            spans.append((lo, hi))
            totals += hi - lo
        big = totals > 2 * cap  # huge buckets: walked key by key, stopping at cap
        out = [self._walk(j, q_low[j], spans, live, cap) for j in np.flatnonzero(big)]
        parts_n: list[np.ndarray] = []
        parts_b: list[np.ndarray] = []
        for (lo, hi), run, check in zip(spans, self._runs, self._checks):
            n = np.where(big, 0, hi - lo)
            total = int(n.sum())
            if not total:
                continue
            ends = np.cumsum(n)
            at = np.repeat(lo - (ends - n), n) + np.arange(total)
            which = np.repeat(band, n)
            ok = check[at] == q_low[which]  # (the same high bits, another key: not a member)
            parts_n.append((run[at[ok]] & _NUM_MASK).astype(np.int64))
            parts_b.append(which[ok])
        if parts_n:
            nums = np.concatenate(parts_n)
            which = np.concatenate(parts_b)
            ok = live[nums]
            nums, which = nums[ok], which[ok]
            # runs were visited in number order: a stable sort by band keeps each bucket's
            # members in number order
            order = np.argsort(which, kind="stable")
            nums, which = nums[order], which[order]
            count = np.bincount(which, minlength=len(q))
            first = np.ones(len(which), dtype=bool)
            first[1:] = which[1:] != which[:-1]
            out.append(nums[(count[which] < cap) | first])
        if not out:
            return np.zeros(0, dtype=np.int64)
        found = np.concatenate(out)
        found.sort()
        keep = np.ones(len(found), dtype=bool)
        keep[1:] = found[1:] != found[:-1]
        return found[keep]

    def _lookup_compiled(self, q: np.ndarray, live: np.ndarray, cap: int) -> np.ndarray:
        """:meth:`lookup` by the compiled scan, one call per run (in number order, so each
        bucket's members arrive in number order and its scan stops at ``cap``)."""
        base = self._high(q)
        low = q.view(np.uint64).astype(np.uint32)
        count = np.zeros(len(q), dtype=np.int64)
        first = np.zeros(len(q), dtype=np.int64)
        out = np.empty((2, len(q) * cap), dtype=np.int64)  # (at most cap per bucket)
        n_out = 0
        for run, check in zip(self._runs, self._checks):
            n_out = _scan_run(run, check, base, low, live, cap, count, first, out, n_out)
        full = count >= cap  # a full bucket gives its first member only
        nums = out[0, :n_out][~full[out[1, :n_out]]]
        return np.unique(np.concatenate((nums, first[full])))

    def _walk(self, j: int, low: np.uint32, spans: list, live: np.ndarray, cap: int) -> np.ndarray:
        """Bucket ``j`` of a lookup (key low bits ``low``), counted only up to ``cap`` live
        members."""
        first = None
        found: list[np.ndarray] = []
        seen = 0
        for (lo, hi), run, check in zip(spans, self._runs, self._checks):
            start, stop = int(lo[j]), int(hi[j])
            step = 2 * cap  # a slice at a time: a huge bucket is read only up to cap live
            while start < stop:
                end = min(stop, start + step)
                nums = (run[start:end][check[start:end] == low] & _NUM_MASK).astype(np.int64)
                alive = nums[live[nums]]
                if first is None and len(alive):
                    first = alive[:1]
                found.append(alive)
                seen += len(alive)
                if seen >= cap:
                    return first  # type: ignore[return-value]
                start += step
                step *= 2
        return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)
