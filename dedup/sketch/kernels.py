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
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from dedup.sketch import hashing as H

__all__ = ["HAVE_NUMBA", "Batch", "minhash_from_hashes", "signatures", "span_hashes", "spans"]

SEP = 0x1F
_SPACE = 0x20
_PAD = 32  # zero bytes after the last document: kernels read 8-byte words in fours, 32-byte blocks
_CHUNK_ROWS = 8192  # shingles per vectorized permutation block (4 MB of uint32 at 128 perms)

try:  # the compiled path is optional
    if os.environ.get("DEDUP_DISABLE_NUMBA"):
        raise ImportError("disabled by DEDUP_DISABLE_NUMBA")
    import numba  # noqa: F401

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover - depends on the environment
    HAVE_NUMBA = False


def _as_bytes(s: str | bytes) -> bytes:
    return s.encode("utf-8") if isinstance(s, str) else s


class Batch:
    """Texts packed into one buffer: ``buf`` (uint8), ``starts``/``ends`` (int64, one per doc).

    Each document is followed by one separator byte (space for texts, 0x1f for shingle
    lists) and the buffer ends with zero padding, so kernels may read 31 bytes past any span.

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
        return cls._pack(list(texts), " ")

    @classmethod
    def from_shingles(
        cls, docs: list[list[str]] | list[list[bytes]], ids: Sequence[int] | None = None
    ) -> Batch | None:
        """Pack lists of shingles (``sep`` mode): str (hashed as UTF-8) or bytes.

        Returns ``None`` when a shingle contains the separator byte 0x1f: such a batch
        cannot be split unambiguously (callers then hash shingle by shingle). ``ids`` number
        the documents in error messages (default: their positions).
        """
        joined = []
        for i, doc in enumerate(docs):
            try:
                joined.append("\x1f".join(doc))  # type: ignore[arg-type]
            except TypeError:
                try:
                    joined.append(b"\x1f".join(_as_bytes(s) for s in doc))
                except TypeError:
                    raise ValueError(
                        f"document {i if ids is None else ids[i]}: shingles must be str or bytes, "
                        f"got {sorted({type(s).__name__ for s in doc})}"
                    ) from None
        counts = np.fromiter(map(len, docs), dtype=np.int64, count=len(docs))
        batch = cls._pack(joined, "\x1f")
        # Every document adds len(doc) - 1 separators of its own plus the one after it.
        expected = int(np.maximum(counts - 1, 0).sum()) + len(docs)
        if int(np.count_nonzero(batch.buf == SEP)) != expected:
            return None
        batch.counts = counts
        return batch

    @classmethod
    def _pack(cls, items: list, sep: str) -> Batch:  # type: ignore[type-arg]
        n = len(items)
        data = None
        if all(type(t) is str for t in items):
            joined = sep.join(items)
            if joined.isascii():  # one join, one copy: byte lengths are str lengths
                data = joined.encode("ascii")
                lens = np.fromiter(map(len, items), dtype=np.int64, count=n)
        if data is None:
            encoded = [t.encode("utf-8") if isinstance(t, str) else bytes(t) for t in items]
            lens = np.fromiter(map(len, encoded), dtype=np.int64, count=n)
            data = sep.encode().join(encoded)
        ends = np.cumsum(lens + 1) - 1
        starts = ends - lens
        # Zero padding lets the hash read whole 8-byte words without bounds checks.
        buf = np.frombuffer(data + sep.encode() + b"\x00" * _PAD, dtype=np.uint8)
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

_LAYOUT: np.ndarray | bool | None = False  # False: not measured yet; None: not usable


def _measure_layout() -> np.ndarray | None:
    """Offsets of the CPython objects the in-place kernel reads, measured and cross-checked."""
    import ctypes
    import sys

    def i64(addr: int) -> int:
        return ctypes.c_int64.from_address(addr).value

    def u32(addr: int) -> int:
        return ctypes.c_uint32.from_address(addr).value

    if sys.implementation.name != "cpython" or sys.maxsize != 2**63 - 1:
        return None
    # Strings made at run time (not interned constants), of several lengths.
    ascii_s = ["".join(["ab", "cdefghij"] * k) for k in (1, 3)]
    latin_s = "".join(["é", "abcdefgh"])
    wide_s = "".join(["€", "abcdefgh"])
    lst, tup = list(ascii_s), tuple(ascii_s)
    off_type = 8
    if not all(
        i64(id(o) + off_type) == id(type(o)) for o in (lst, tup, ascii_s[0], b"xy", latin_s)
    ):
        return None
    off_size = 16
    if not (i64(id(lst) + off_size) == 2 and i64(id(tup) + off_size) == 2):
        return None
    list_items, tuple_items = 24, 24
    if i64(i64(id(lst) + list_items) + 8) != id(ascii_s[1]):
        return None
    if i64(id(tup) + tuple_items + 8) != id(ascii_s[1]):
        return None
    if any(i64(id(s) + off_size) != len(s) for s in ascii_s):
        return None
    # Data of a compact ASCII str follows its header: find it, same offset for all lengths.
    str_data = next(
        (o for o in range(24, 97, 8) if ctypes.string_at(id(ascii_s[0]) + o, 10) == b"abcdefghij"),
        None,
    )
    if str_data is None or ctypes.string_at(id(ascii_s[1]) + str_data, 30) != ascii_s[1].encode():
        return None
    bts = bytes(bytearray(b"0123456789"))
    bytes_data = next(
        (o for o in range(24, 97, 8) if ctypes.string_at(id(bts) + o, 10) == bts), None
    )
    if bytes_data is None or i64(id(bts) + off_size) != 10:
        return None
    # The state bit-field (interned:2, kind:3, compact:1, ascii:1 since CPython 3.3) sits
    # after length and hash; the kind/compact/ascii bits must tell ASCII from the others.
    off_state = 32
    mask = 0b11111 << 2
    want = u32(id(ascii_s[0]) + off_state) & mask
    if any(u32(id(s) + off_state) & mask != want for s in ascii_s):
        return None
    if u32(id(latin_s) + off_state) & mask == want or u32(id(wide_s) + off_state) & mask == want:
        return None
    if want != (1 << 2) | (1 << 5) | (1 << 6):  # kind 1, compact, ascii
        return None
    return np.array(
        [
            id(list),
            id(tuple),
            id(str),
            id(bytes),
            off_type,
            off_size,
            list_items,
            tuple_items,
            off_state,
            mask,
            want,
            str_data,
            bytes_data,
        ],
        dtype=np.int64,
    )


def object_layout() -> np.ndarray | None:
    """The measured CPython layout for the in-place kernel, or ``None`` where it does not apply.

    Measured once, at the first call; ``DEDUP_NO_INPLACE=1`` in the environment at that
    point turns the in-place path off for the process.
    """
    global _LAYOUT
    if _LAYOUT is False:
        if os.environ.get("DEDUP_NO_INPLACE"):
            # opt-out: callers that cannot promise their shingle lists stay unmodified while a
            # (GIL-free) kernel reads them, e.g. lists mutated by other threads
            _LAYOUT = None
        else:
            try:
                _LAYOUT = _measure_layout()
            except Exception:  # pragma: no cover - exotic interpreters
                _LAYOUT = None
    return _LAYOUT  # type: ignore[return-value]


def fill_from_list(
    docs: list,  # type: ignore[type-arg]
    out: np.ndarray,
    bad: np.ndarray,
    lo: int,
    hi: int,
    seed: int,
) -> int:
    """Rows ``lo:hi`` of ``out`` from ``docs[lo:hi]``, shingle lists read in place.

    ``docs`` must be an exact ``list`` (of lists/tuples of str/bytes) that stays alive and
    unmodified during the call, and :func:`object_layout` must not be ``None``. Documents the
    kernel cannot read (non-ASCII ``str``, other item types) get ``bad[d] = True`` and an
    undefined row; returns how many.
    """
    a, b = padded_permutations(out.shape[1], seed)
    return _numba_module().signatures_list(id(docs), lo, hi, _LAYOUT, a, b, out, bad)  # type: ignore[no-any-return]


@lru_cache(maxsize=16)
def padded_permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`~dedup.sketch.hashing.permutations` zero-padded to a multiple of 16 lanes.

    The compiled kernels keep the running minima in SIMD vectors of 16 (or 128) lanes; the
    padded lanes are computed and dropped.

    >>> a, b = padded_permutations(20, 1)
    >>> len(a), bool((a[:20] == H.permutations(20, 1)[0]).all()), int(a[20:].max())
    (32, True, 0)
    """
    a, b = H.permutations(num_perm, seed)
    p16 = -(-num_perm // 16) * 16
    ap = np.zeros(p16, dtype=np.uint32)
    bp = np.zeros(p16, dtype=np.uint32)
    ap[:num_perm] = a
    bp[:num_perm] = b
    ap.setflags(write=False)
    bp.setflags(write=False)
    return ap, bp


_numba = None


def _numba_module():  # type: ignore[no-untyped-def]
    """The compiled kernels (imported, hence compiled or loaded from numba's cache, once)."""
    global _numba
    if _numba is None:
        from dedup.sketch import _numba_kernels

        _numba = _numba_kernels
    return _numba


MODE_CODES = {"word": 0, "char": 1, "sep": 2}


def use_numba(backend: str) -> bool:
    """Whether ``backend`` selects the compiled kernels (``auto``: when numba is installed)."""
    if backend not in ("auto", "numba", "numpy"):
        raise ValueError(f"unknown backend {backend!r}; pass 'auto', 'numba' or 'numpy'")
    if backend == "numba" and not HAVE_NUMBA:
        raise RuntimeError("backend='numba' needs numba: pip install 'dedup-news[fast]'")
    return backend == "numba" or (backend == "auto" and HAVE_NUMBA)


def signatures(
    batch: Batch,
    mode: str,
    n: int,
    num_perm: int,
    seed: int,
    *,
    min_len: int = 1,
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
    min_len : int
        Tokens shorter than this many bytes are dropped first (``word``/``char`` modes). The
        numba path does it in the kernel; the numpy path needs texts already reduced to their
        kept tokens joined by single spaces (``min_len=1``; see :func:`prepare_for_numpy`).
    backend : {"auto", "numba", "numpy"}
        ``auto`` uses numba when installed.

    Examples
    --------
    >>> b = Batch.from_texts(["bui van nam", ""])
    >>> s1 = signatures(b, "word", 2, 16, 1, backend="numpy")
    >>> s1.shape, int(s1[1, 0]) == 2**32 - 1
    ((2, 16), True)
    """
    if mode not in MODE_CODES:
        raise ValueError(f"unknown shingle mode {mode!r}; pass 'word', 'char' or 'sep'")
    if use_numba(backend):
        nbk = _numba_module()
        a, b = padded_permutations(num_perm, seed)
        counts = batch.counts if batch.counts is not None else np.ones(len(batch), np.int64)
        out = np.empty((len(batch), num_perm), dtype=np.uint32)
        nbk.signatures_fused(
            batch.buf,
            batch.starts,
            batch.ends,
            counts,
            MODE_CODES[mode],
            n,
            min_len,
            a,
            b,
            out,
        )
        return out
    a, b = H.permutations(num_perm, seed)
    if min_len > 1 or mode == "word":
        # The numpy path splits on single spaces only: normalize whitespace and drop short
        # tokens the way the kernel does, in Python.
        texts = [
            prepare_for_numpy(bytes(batch.buf[s:e]), mode, min_len)
            for s, e in zip(batch.starts.tolist(), batch.ends.tolist())
        ]
        batch = Batch.from_texts(texts)
    return _signatures_numpy(batch, mode, n, a, b)


# bytes.split() does not split on \x1c-\x1f; str.split() does.
_SEPS_TO_SPACE = bytes.maketrans(b"\x1c\x1d\x1e\x1f", b"    ")


def prepare_for_numpy(text: bytes, mode: str, min_len: int) -> bytes:
    """The bytes the numpy path shingles: tokens of >= ``min_len`` bytes joined by one space.

    Whitespace is ASCII whitespace as ``str.split`` sees it. ``char`` mode with
    ``min_len == 1`` keeps the text as it is.

    >>> prepare_for_numpy(b" le  ministre\tde la police ", "word", 3)
    b'ministre police'
    """
    if mode == "char" and min_len <= 1:
        return text
    toks = text.translate(_SEPS_TO_SPACE).split()
    return b" ".join(t for t in toks if len(t) >= min_len)


def minimize(hashes: np.ndarray, counts: np.ndarray, num_perm: int, seed: int) -> np.ndarray:
    """Signatures from per-shingle 32-bit hashes grouped by document (compiled when available)."""
    if HAVE_NUMBA:
        a, b = padded_permutations(num_perm, seed)
        out = np.empty((len(counts), num_perm), dtype=np.uint32)
        _numba_module().minimize_hashes(
            np.ascontiguousarray(hashes, dtype=np.uint32),
            np.ascontiguousarray(counts, dtype=np.int64),
            a,
            b,
            out,
        )
        return out
    return minhash_from_hashes(hashes, counts, *H.permutations(num_perm, seed))
