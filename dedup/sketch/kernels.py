"""The hashing core: shingle spans -> 32-bit hashes -> affine32 MinHash signatures.

Two implementations give the same bits:

* a pure-numpy path (always available), vectorized over a whole batch of documents;
* a compiled path (numba, optional extra ``dedup[fast]``) that fuses span finding, hashing and
  the permutation/min loop in one pass per document, with no intermediate arrays.

A batch is one ``uint8`` buffer holding the texts back to back, and each document's
``(start, end)`` in it. Shingles are *spans* of a document:

``word`` n-grams
    from the first byte of token i to the last byte of token i+n-1 (tokens are runs of
    non-space bytes): for normalized text, the tokens joined by single spaces.
``char`` n-grams
    every window of n bytes.
``sep``
    caller-given shingles separated by byte 0x1f (used for lists of shingle strings);
    a document with ``k`` shingles has ``k - 1`` separators, and ``counts`` says how many
    shingles it has (so ``[]`` and ``[""]`` differ).

A document with fewer tokens (bytes) than n, but not empty, has one shingle: its whole text.
An empty document has none and gets the empty signature (all ``2**32 - 1``).
"""

from __future__ import annotations

import os

import numpy as np

from dedup.sketch import hashing as H

__all__ = ["HAVE_NUMBA", "Batch", "minhash_from_hashes", "signatures", "span_hashes", "spans"]

SEP = 0x1F
_SPACE = 0x20
_PAD = 8
_CHUNK_ROWS = 8192  # shingles per vectorized permutation block (4 MB of uint32 at 128 perms)

try:  # the compiled path is optional
    if os.environ.get("DEDUP_DISABLE_NUMBA"):
        raise ImportError("disabled by DEDUP_DISABLE_NUMBA")
    import numba  # noqa: F401

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover - depends on the environment
    HAVE_NUMBA = False


class Batch:
    """Texts packed into one buffer: ``buf`` (uint8), ``starts``/``ends`` (int64, one per doc).

    >>> b = Batch.from_texts(["a b", "", "cd"])
    >>> b.starts.tolist(), b.ends.tolist()
    ([0, 4, 5], [3, 4, 7])
    """

    __slots__ = ("buf", "counts", "ends", "starts")

    def __init__(
        self,
        buf: np.ndarray,
        starts: np.ndarray,
        ends: np.ndarray,
        counts: np.ndarray | None = None,
    ) -> None:
        self.buf = buf
        self.starts = starts
        self.ends = ends
        self.counts = counts

    @classmethod
    def from_texts(cls, texts: list[str] | list[bytes]) -> Batch:
        """Pack texts (str is UTF-8 encoded), each followed by one space."""
        encoded = [t.encode("utf-8") if isinstance(t, str) else t for t in texts]
        return cls._pack(encoded, b" ")

    @classmethod
    def from_shingles(cls, docs: list[list[str]] | list[list[bytes]]) -> Batch:
        """Pack lists of shingle strings (``sep`` mode). A shingle may not contain byte 0x1f."""
        encoded = []
        counts = np.empty(len(docs), dtype=np.int64)
        for i, doc in enumerate(docs):
            joined = "\x1f".join(doc) if (not doc or isinstance(doc[0], str)) else b"\x1f".join(doc)
            data = joined.encode("utf-8") if isinstance(joined, str) else joined
            if data.count(SEP) != max(len(doc) - 1, 0):
                raise ValueError(f"document {i}: a shingle contains the reserved byte 0x1f")
            encoded.append(data)
            counts[i] = len(doc)
        batch = cls._pack(encoded, b"\x1f")
        batch.counts = counts
        return batch

    @classmethod
    def _pack(cls, encoded: list[bytes], sep: bytes) -> Batch:
        lens = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
        ends = np.cumsum(lens + 1) - 1
        starts = ends - lens
        # Zero padding lets the hash read whole 8-byte words without bounds checks.
        buf = np.frombuffer(sep.join(encoded) + sep + b"\x00" * _PAD, dtype=np.uint8)
        return cls(buf, starts, ends)

    def __len__(self) -> int:
        return len(self.starts)


# ---------------------------------------------------------------- numpy path


def spans(batch: Batch, mode: str, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shingle spans of every document: ``(starts, lengths, per_doc_counts)`` (numpy path)."""
    if mode == "sep":
        return _sep_spans(batch)
    nd = len(batch)
    lengths = batch.ends - batch.starts
    if mode == "char":
        counts = np.where(lengths >= n, lengths - n + 1, np.minimum(lengths, 1))
        doc = np.repeat(np.arange(nd), counts)
        first = np.cumsum(counts) - counts
        offset = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(first, counts)
        starts = batch.starts[doc] + offset
        lens = np.where(lengths[doc] >= n, n, lengths[doc])
        return starts, lens.astype(np.int64), counts
    if mode != "word":
        raise ValueError(f"unknown shingle mode {mode!r}")
    buf = batch.buf
    is_tok = buf != _SPACE
    # every document is followed by one space, and the buffer ends with zero padding
    is_tok[len(buf) - _PAD :] = False
    prev = np.concatenate(([False], is_tok[:-1]))
    nxt = np.concatenate((is_tok[1:], [False]))
    tstart = np.flatnonzero(is_tok & ~prev)
    tend = np.flatnonzero(is_tok & ~nxt) + 1
    tdoc = np.searchsorted(batch.ends, tstart, side="left")
    ntok = np.bincount(tdoc, minlength=nd)
    counts = np.where(ntok >= n, ntok - n + 1, np.minimum(ntok, 1))
    first_tok = np.cumsum(ntok) - ntok
    doc = np.repeat(np.arange(nd), counts)
    first = np.cumsum(counts) - counts
    i = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(first, counts)
    g = first_tok[doc] + i
    last = np.where(ntok[doc] >= n, g + n - 1, first_tok[doc] + ntok[doc] - 1)
    starts = tstart[g] if len(g) else np.zeros(0, np.int64)
    lens = (tend[last] - starts) if len(g) else np.zeros(0, np.int64)
    return starts.astype(np.int64), lens.astype(np.int64), counts


def _sep_spans(batch: Batch) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    counts = batch.counts if batch.counts is not None else np.ones(len(batch), np.int64)
    # Every document is followed by one 0x1f, so each shingle ends at the next 0x1f.
    seps = np.flatnonzero(batch.buf[: len(batch.buf) - _PAD] == SEP)
    inner = np.setdiff1d(seps, batch.ends, assume_unique=True)
    starts = np.sort(np.concatenate((batch.starts[counts > 0], inner + 1)))
    ends = seps[np.searchsorted(seps, starts, side="left")]
    return starts.astype(np.int64), (ends - starts).astype(np.int64), counts


def span_hashes(buf: np.ndarray, starts: np.ndarray, lens: np.ndarray) -> np.ndarray:
    """:func:`~dedup.sketch.hashing.dedup_hash32` of every span, vectorized (uint32)."""
    u = np.uint64
    h = (lens.astype(np.uint64) * u(H.H_K1)) ^ u(H.H_INIT)
    nchunks = (lens + 7) // 8
    maxc = int(nchunks.max()) if len(nchunks) else 0
    idx = np.arange(len(starts))
    for c in range(maxc):
        active = idx[nchunks > c]
        base = starts[active] + 8 * c
        rem = lens[active] - 8 * c
        w = np.zeros(len(active), dtype=np.uint64)
        for j in range(8):
            byte = buf[base + j].astype(np.uint64)
            byte[rem <= j] = 0
            w |= byte << u(8 * j)
        x = (h[active] ^ w) * u(H.H_K2)
        h[active] = x ^ (x >> u(29))
    h ^= h >> u(33)
    h *= u(H.F64_M1)
    h ^= h >> u(33)
    h *= u(H.F64_M2)
    h ^= h >> u(33)
    return (h >> u(32)).astype(np.uint32)


def _fmix32_np(x: np.ndarray) -> np.ndarray:
    x = x.astype(np.uint32)
    x ^= x >> np.uint32(16)
    x *= np.uint32(H.F32_M1)
    x ^= x >> np.uint32(13)
    x *= np.uint32(H.F32_M2)
    x ^= x >> np.uint32(16)
    return x


def minhash_from_hashes(
    hashes: np.ndarray, counts: np.ndarray, a: np.ndarray, b: np.ndarray
) -> np.ndarray:
    """Signatures (n_docs x num_perm, uint32) from per-shingle 32-bit hashes grouped by doc."""
    nd, p = len(counts), len(a)
    out = np.full((nd, p), H.MAX_HASH, dtype=np.uint32)
    if nd == 0 or len(hashes) == 0:
        return out
    x = _fmix32_np(hashes)
    ends = np.cumsum(counts)
    begins = ends - counts
    d0 = 0
    with np.errstate(over="ignore"):
        while d0 < nd:
            # a block of whole documents of about _CHUNK_ROWS shingles
            d1 = int(np.searchsorted(ends, begins[d0] + _CHUNK_ROWS, side="right"))
            d1 = max(d1, d0 + 1)
            lo, hi = int(begins[d0]), int(ends[d1 - 1])
            if hi > lo:
                phv = x[lo:hi, None] * a[None, :] + b[None, :]
                docs = np.arange(d0, d1)
                nz = docs[counts[d0:d1] > 0]
                out[nz] = np.minimum.reduceat(phv, begins[nz] - lo, axis=0)
            d0 = d1
    return out


def _signatures_numpy(batch: Batch, mode: str, n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    starts, lens, counts = spans(batch, mode, n)
    return minhash_from_hashes(span_hashes(batch.buf, starts, lens), counts, a, b)


# ---------------------------------------------------------------- compiled path

_numba_kernel = None


def _compile() -> object:
    """Build (once) the fused numba kernel; cached on disk by numba."""
    global _numba_kernel
    if _numba_kernel is None:
        from dedup.sketch import _numba_kernels

        _numba_kernel = _numba_kernels.signatures_fused
    return _numba_kernel


MODE_CODES = {"word": 0, "char": 1, "sep": 2}


def signatures(
    batch: Batch,
    mode: str,
    n: int,
    num_perm: int,
    seed: int,
    *,
    backend: str = "auto",
) -> np.ndarray:
    """MinHash signatures of a batch with the ``dedup32`` hash (uint32, n_docs x num_perm).

    Parameters
    ----------
    batch : Batch
        Packed texts or shingle lists.
    mode : {"word", "char", "sep"}
        How shingles are found (see the module docstring).
    n : int
        Shingle size (ignored for ``sep``).
    num_perm, seed : int
        Permutations, as datasketch.
    backend : {"auto", "numba", "numpy"}
        ``auto`` uses numba when installed.
    """
    if mode not in MODE_CODES:
        raise ValueError(f"unknown shingle mode {mode!r}; pass 'word', 'char' or 'sep'")
    a, b = H.permutations(num_perm, seed)
    use_numba = backend == "numba" or (backend == "auto" and HAVE_NUMBA)
    if backend not in ("auto", "numba", "numpy"):
        raise ValueError(f"unknown backend {backend!r}; pass 'auto', 'numba' or 'numpy'")
    if use_numba:
        if not HAVE_NUMBA:
            raise RuntimeError("backend='numba' needs numba: pip install 'dedup-news[fast]'")
        kernel = _compile()
        counts = batch.counts if batch.counts is not None else np.ones(len(batch), np.int64)
        out = np.empty((len(batch), num_perm), dtype=np.uint32)
        from dedup.sketch._numba_kernels import shifted_words

        words = shifted_words(batch.buf)
        kernel(batch.buf, words, batch.starts, batch.ends, counts, MODE_CODES[mode], n, a, b, out)
        return out
    return _signatures_numpy(batch, mode, n, a, b)
