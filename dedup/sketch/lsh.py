"""LSH banding over a signature matrix: candidate pairs without comparing all pairs.

Each band of ``rows`` signature slots is folded into one 64-bit key; documents sharing a key
in any band are candidates. Everything is vectorized over the whole matrix; only buckets
with two or more documents are touched in Python.

Examples
--------
>>> import numpy as np
>>> from dedup.config import LSHConfig
>>> sigs = np.array([[1, 2, 3, 4], [1, 2, 9, 9], [7, 7, 7, 7]], dtype=np.uint32)
>>> candidate_pairs(sigs, LSHConfig(bands=2, rows=2)).tolist()
[[0, 1]]
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from dedup.config import LSHConfig
from dedup.sketch.hashing import MAX_HASH

__all__ = ["band_keys", "candidate_pairs", "empty_rows", "filter_pairs"]

_K = np.uint64(0x9E3779B97F4A7C15)
_M = np.uint64(0xBF58476D1CE4E5B9)


def band_keys(signatures: np.ndarray, config: LSHConfig | None = None) -> np.ndarray:
    """``(n_docs, bands)`` uint64 keys: band b of a row hashes slots ``b*rows .. b*rows+rows-1``.

    Keys are stable across runs and processes (no Python ``hash``), so they can be stored in
    an index.

    Examples
    --------
    >>> import numpy as np
    >>> keys = band_keys(np.array([[1, 2, 3, 4], [1, 2, 5, 6]], dtype=np.uint32), LSHConfig(bands=2, rows=2))
    >>> keys.shape, bool(keys[0, 0] == keys[1, 0]), bool(keys[0, 1] == keys[1, 1])
    ((2, 2), True, False)
    """
    cfg = config or LSHConfig()
    sig = np.asarray(signatures)
    if sig.ndim != 2:
        raise ValueError(f"signatures must be 2-D (n_docs, num_perm), got shape {sig.shape}")
    need = cfg.bands * cfg.rows
    if sig.shape[1] < need:
        raise ValueError(
            f"signatures have {sig.shape[1]} slots; bands*rows = {need}: pass fewer bands or rows"
        )
    blocks = sig[:, :need].astype(np.uint64).reshape(len(sig), cfg.bands, cfg.rows)
    with np.errstate(over="ignore"):
        h = np.full((len(sig), cfg.bands), np.uint64(cfg.rows), dtype=np.uint64)
        for r in range(cfg.rows):
            h = (h ^ blocks[:, :, r]) * _K
            h ^= h >> np.uint64(31)
        h = (h + np.arange(cfg.bands, dtype=np.uint64)) * _M  # different bands never collide
        h ^= h >> np.uint64(29)
    return h


def empty_rows(signatures: np.ndarray) -> np.ndarray:
    """Boolean mask of rows with no shingles (every slot at the maximum)."""
    return np.all(np.asarray(signatures) == MAX_HASH, axis=1)


def candidate_pairs(signatures: np.ndarray, config: LSHConfig | None = None) -> np.ndarray:
    """Candidate pairs ``(i, j)``, ``i < j``, sorted, without repeats.

    Empty signatures (documents without shingles) are never candidates. A bucket larger than
    ``config.max_bucket`` pairs its members with its first member only (a star, not a clique).

    Parameters
    ----------
    signatures : numpy.ndarray
        ``(n_docs, num_perm)`` signature matrix.
    config : LSHConfig, optional
        Bands, rows, bucket cap.

    Returns
    -------
    numpy.ndarray
        ``(n_pairs, 2)`` int64.
    """
    cfg = config or LSHConfig()
    keys = band_keys(signatures, cfg)
    valid = np.flatnonzero(~empty_rows(signatures))
    found: list[np.ndarray] = []
    for band in range(cfg.bands):
        k = keys[valid, band]
        order = np.argsort(k, kind="stable")
        ks = k[order]
        if len(ks) < 2:
            continue
        same = ks[1:] == ks[:-1]
        if not same.any():
            continue
        # bucket boundaries among the sorted keys
        starts = np.flatnonzero(np.concatenate(([True], ~same)))
        sizes = np.diff(np.concatenate((starts, [len(ks)])))
        pairs2 = starts[sizes == 2]  # the common case, vectorized
        if len(pairs2):
            a, b = valid[order[pairs2]], valid[order[pairs2 + 1]]
            found.append(np.stack((np.minimum(a, b), np.maximum(a, b)), axis=1))
        for s, size in zip(starts[sizes > 2].tolist(), sizes[sizes > 2].tolist()):
            members = np.sort(valid[order[s : s + size]])
            if size <= cfg.max_bucket:
                i, j = _triu(size)
                found.append(np.stack((members[i], members[j]), axis=1))
            else:
                found.append(np.stack((np.full(size - 1, members[0]), members[1:]), axis=1))
    if not found:
        return np.zeros((0, 2), dtype=np.int64)
    pairs = np.concatenate(found).astype(np.int64)
    return _unique_pairs(pairs[:, 0] * (1 << 32) + pairs[:, 1])


def _unique_pairs(packed: np.ndarray) -> np.ndarray:
    """Sorted distinct packed pairs, unpacked: ``np.unique`` by an in-place sort.

    numpy 2's ``np.unique`` goes through a hash table before sorting, several times slower
    on tens of millions of int64 than sorting and dropping repeats; same result.
    """
    packed.sort()
    if len(packed) > 1:
        packed = packed[np.concatenate(([True], packed[1:] != packed[:-1]))]
    return np.stack((packed >> 32, packed & 0xFFFFFFFF), axis=1)


@lru_cache(maxsize=256)
def _triu(size: int) -> tuple[np.ndarray, np.ndarray]:
    """``np.triu_indices(size, k=1)``, cached: buckets of the same size recur."""
    i, j = np.triu_indices(size, k=1)
    i.flags.writeable = False
    j.flags.writeable = False
    return i, j


def filter_pairs(
    signatures: np.ndarray, pairs: np.ndarray, min_similarity: float, *, block: int = 65536
) -> np.ndarray:
    """Keep the pairs whose signatures agree in at least ``min_similarity`` of their slots.

    >>> import numpy as np
    >>> sigs = np.array([[1, 2, 3, 4], [1, 2, 0, 0], [1, 0, 0, 0]], dtype=np.uint32)
    >>> filter_pairs(sigs, np.array([[0, 1], [0, 2]]), 0.5).tolist()
    [[0, 1]]
    """
    if len(pairs) == 0 or min_similarity <= 0.0:
        return pairs
    keep = np.empty(len(pairs), dtype=bool)
    for lo in range(0, len(pairs), block):
        p = pairs[lo : lo + block]
        keep[lo : lo + block] = (signatures[p[:, 0]] == signatures[p[:, 1]]).mean(
            axis=1
        ) >= min_similarity
    return pairs[keep]
