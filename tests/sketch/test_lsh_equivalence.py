"""candidate_pairs equals the plain definition: np.unique over every bucket's pairs."""

from __future__ import annotations

import numpy as np
import pytest

from dedup.config import LSHConfig
from dedup.sketch.lsh import band_keys, candidate_pairs, empty_rows


def reference_candidate_pairs(sigs: np.ndarray, cfg: LSHConfig) -> np.ndarray:
    """Buckets built with a dict per band; cliques up to max_bucket, stars beyond; np.unique."""
    keys = band_keys(sigs, cfg)
    empty = empty_rows(sigs)
    found = set()
    for band in range(cfg.bands):
        buckets: dict[int, list[int]] = {}
        for i in range(len(sigs)):
            if not empty[i]:
                buckets.setdefault(int(keys[i, band]), []).append(i)
        for members in buckets.values():
            members.sort()
            if len(members) <= cfg.max_bucket:
                found.update((a, b) for x, a in enumerate(members) for b in members[x + 1 :])
            else:
                found.update((members[0], b) for b in members[1:])
    packed = np.unique(np.array([a * (1 << 32) + b for a, b in found], dtype=np.int64))
    return np.stack((packed >> 32, packed & 0xFFFFFFFF), axis=1)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_candidate_pairs_equal_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    # few distinct values per slot: many buckets of every size, some above max_bucket
    sigs = rng.integers(0, 3 + seed, size=(400, 24)).astype(np.uint32)
    sigs[rng.integers(0, 400, 20)] = 2**32 - 1  # empty documents
    cfg = LSHConfig(bands=8, rows=3, max_bucket=12 + 20 * seed)
    got = candidate_pairs(sigs, cfg)
    ref = reference_candidate_pairs(sigs, cfg)
    assert got.dtype == ref.dtype and got.shape == ref.shape
    assert np.array_equal(got, ref)
    assert len(got) > 0


def test_no_pairs() -> None:
    sigs = np.arange(40, dtype=np.uint32).reshape(5, 8)
    assert candidate_pairs(sigs, LSHConfig(bands=2, rows=4)).shape == (0, 2)
