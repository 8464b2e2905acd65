"""Sketching stages: shingles, hashes, MinHash signatures and LSH candidates."""

from dedup.sketch.lsh import band_keys, candidate_pairs
from dedup.sketch.minhash import minhash_shingles, minhash_texts
from dedup.sketch.shingles import shingle_set, shingles

__all__ = [
    "band_keys",
    "candidate_pairs",
    "minhash_shingles",
    "minhash_texts",
    "shingle_set",
    "shingles",
]
