"""A slow, obviously correct MinHash: Python ints, plain definitions, no numpy arithmetic.

Every fast path of :mod:`dedup.sketch` is held to this module bit for bit. It shares no code
with the package: the hash is written out from its definition, the permutation parameters are
datasketch's own (``datasketch.MinHash(num_perm, seed).permutations``), and the signature is the
datasketch 2.0 ``affine32`` formula::

    x      = fmix32(hash32(shingle))            # MurmurHash3 32-bit finalizer
    sig[k] = min over shingles of (a[k] * x + b[k]) mod 2**32     (2**32 - 1 when empty)
"""

from __future__ import annotations

import hashlib

from datasketch import MinHash

M32 = 2**32
M64 = 2**64


def dedup_hash32(data: bytes) -> int:
    """dedup32, from its definition.

    h = len * 0x9E3779B97F4A7C15 xor 0x27D4EB2F165667C5 (mod 2**64); for each 8-byte
    little-endian word w of the data (the last one zero-filled):
    h = (h xor w) * 0xC2B2AE3D27D4EB4F mod 2**64, h = h xor (h >> 29);
    then MurmurHash3's fmix64 and the top 32 bits.
    """
    h = (len(data) * 0x9E3779B97F4A7C15 % M64) ^ 0x27D4EB2F165667C5
    for i in range(0, len(data), 8):
        chunk = data[i : i + 8]
        w = sum(byte << (8 * j) for j, byte in enumerate(chunk))
        h = ((h ^ w) * 0xC2B2AE3D27D4EB4F) % M64
        h = h ^ (h >> 29)
    h = h ^ (h >> 33)
    h = (h * 0xFF51AFD7ED558CCD) % M64
    h = h ^ (h >> 33)
    h = (h * 0xC4CEB9FE1A85EC53) % M64
    h = h ^ (h >> 33)
    return h >> 32


def sha1_hash32(data: bytes) -> int:
    """datasketch's default: first 4 bytes of SHA-1, little-endian."""
    return int.from_bytes(hashlib.sha1(data).digest()[:4], "little")


def fmix32(h: int) -> int:
    h = h ^ (h >> 16)
    h = (h * 0x85EBCA6B) % M32
    h = h ^ (h >> 13)
    h = (h * 0xC2B2AE35) % M32
    return h ^ (h >> 16)


def permutations(num_perm: int, seed: int) -> tuple[list[int], list[int]]:
    a, b = MinHash(num_perm=num_perm, seed=seed).permutations
    return [int(v) for v in a], [int(v) for v in b]


def minhash(shingles, num_perm: int = 128, seed: int = 1, hashfunc=dedup_hash32) -> list[int]:  # type: ignore[no-untyped-def]
    """Signature of one document given as shingle strings (str is UTF-8 encoded) or bytes."""
    a, b = permutations(num_perm, seed)
    sig = [M32 - 1] * num_perm
    for s in set(shingles):
        data = s.encode("utf-8") if isinstance(s, str) else s
        x = fmix32(hashfunc(data))
        for k in range(num_perm):
            sig[k] = min(sig[k], (a[k] * x + b[k]) % M32)
    return sig


def shingles(text: str, kind: str, n: int, min_token_len: int) -> list[str]:
    """Shingles of a text, from the plain definition (independent of dedup.sketch.shingles).

    Tokens are ``text.split()``; those shorter than ``min_token_len`` are dropped when
    ``min_token_len > 1`` and the rest joined by single spaces. Word n-grams join n tokens by
    one space; char n-grams are windows of n characters of the (reduced) text. A non-empty
    text shorter than n gives one shingle, the whole (reduced) text; an empty one none.
    """
    if min_token_len > 1:
        text = " ".join(t for t in text.split() if len(t) >= min_token_len)
    if kind == "char":
        if len(text) >= n:
            return [text[i : i + n] for i in range(len(text) - n + 1)]
        return [text] if text else []
    toks = text.split()
    if len(toks) >= n:
        return [" ".join(toks[i : i + n]) for i in range(len(toks) - n + 1)]
    return [" ".join(toks)] if toks else []
