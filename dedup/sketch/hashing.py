"""Shingle hash functions and the permutation parameters of datasketch's ``affine32`` scheme.

Two shingle hashes are available (``MinHashConfig.hash``):

``"dedup32"`` (default)
    :func:`dedup_hash32`: 8 bytes at a time, multiply-xorshift, MurmurHash3 64-bit finalizer,
    top 32 bits. Cheap enough to compute inside the compiled kernel straight from the text.
``"sha1_32"``
    datasketch's default ``sha1_hash32`` (first 4 bytes of SHA-1, little-endian).

Either one is a plain ``bytes -> int`` function, so a datasketch ``MinHash`` built with
``hashfunc=dedup_hash32`` (or the default ``sha1_hash32``) and the same ``seed``/``num_perm``
holds exactly the values dedup computes.

Examples
--------
>>> from datasketch import MinHash
>>> m = MinHash(num_perm=16, hashfunc=dedup_hash32)
>>> m.update(b"vice ministre bui")
>>> 0 <= dedup_hash32(b"vice ministre bui") < 2**32
True
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable
from functools import lru_cache

import numpy as np

__all__ = [
    "MAX_HASH",
    "dedup_hash32",
    "fmix32",
    "hash_function",
    "permutations",
    "sha1_hash32",
]

MASK64 = (1 << 64) - 1
MASK32 = (1 << 32) - 1
MAX_HASH = MASK32  # value of an empty signature slot, as in datasketch affine32

# Constants of dedup_hash32 (golden ratio and two xxHash/Murmur multipliers).
H_INIT = 0x27D4EB2F165667C5
H_K1 = 0x9E3779B97F4A7C15
H_K2 = 0xC2B2AE3D27D4EB4F
F64_M1 = 0xFF51AFD7ED558CCD
F64_M2 = 0xC4CEB9FE1A85EC53
F32_M1 = 0x85EBCA6B
F32_M2 = 0xC2B2AE35


def _fmix64(h: int) -> int:
    h ^= h >> 33
    h = (h * F64_M1) & MASK64
    h ^= h >> 33
    h = (h * F64_M2) & MASK64
    return h ^ (h >> 33)


def fmix32(h: int) -> int:
    """MurmurHash3's 32-bit finalizer, the pre-mix datasketch applies before permuting.

    >>> fmix32(0)
    0
    """
    h ^= h >> 16
    h = (h * F32_M1) & MASK32
    h ^= h >> 13
    h = (h * F32_M2) & MASK32
    return h ^ (h >> 16)


def dedup_hash32(data: bytes) -> int:
    """dedup's fast 32-bit shingle hash (pure-Python definition).

    Parameters
    ----------
    data : bytes
        The shingle's bytes (UTF-8 of its text).

    Returns
    -------
    int
        A value in ``[0, 2**32)``.

    Examples
    --------
    >>> dedup_hash32(b"bui van nam") == dedup_hash32("bui van nam".encode())
    True
    >>> dedup_hash32(b"a") != dedup_hash32(b"a\\x00")
    True
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    n = len(data)
    h = ((n * H_K1) & MASK64) ^ H_INIT
    for i in range(0, n, 8):
        w = int.from_bytes(data[i : i + 8], "little")
        h = ((h ^ w) * H_K2) & MASK64
        h ^= h >> 29
    return _fmix64(h) >> 32


def sha1_hash32(data: bytes) -> int:
    """datasketch's default hash: the first 4 bytes of SHA-1, little-endian.

    >>> from datasketch.hashfunc import sha1_hash32 as ds
    >>> sha1_hash32(b"abc") == ds(b"abc")
    True
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    return struct.unpack("<I", hashlib.sha1(data).digest()[:4])[0]


def hash_function(name: str) -> Callable[[bytes], int]:
    """The ``bytes -> int`` function for a ``MinHashConfig.hash`` name (for datasketch's ``hashfunc=``)."""
    try:
        return {"dedup32": dedup_hash32, "sha1_32": sha1_hash32}[name]
    except KeyError:
        raise ValueError(f"unknown hash {name!r}; pass 'dedup32' or 'sha1_32'") from None


@lru_cache(maxsize=16)
def permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``(a, b)`` of datasketch 2.0's ``affine32`` scheme, as uint32 arrays.

    The same draws as ``datasketch.MinHash(num_perm, seed).permutations``.

    >>> from datasketch import MinHash
    >>> a, b = permutations(8, 1)
    >>> bool((MinHash(num_perm=8, seed=1).permutations == [a, b]).all())
    True
    """
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    a.setflags(write=False)
    b.setflags(write=False)
    return a, b
