"""MinHash signatures: normalized texts (or shingle lists) -> one 2-D uint32 array.

Signatures follow datasketch 2.0's default ``affine32`` scheme, so a row can become a
``datasketch.LeanMinHash`` (:func:`to_datasketch`) and equals what ``datasketch.MinHash``
computes with the same hash function, seed and number of permutations.

Examples
--------
>>> from dedup.config import MinHashConfig, ShingleConfig
>>> sigs = minhash_texts(["bui van nam et aleksandr gorovoy", "bui van nam et aleksandr moscou"])
>>> sigs.shape, sigs.dtype.name
((2, 128), 'uint32')
>>> 0.0 < float(estimate_jaccard(sigs[0], sigs[1])) < 1.0
True
>>> from datasketch import MinHash
>>> from dedup.sketch.shingles import shingles

T = TypeVar("T")
>>> m = MinHash(num_perm=128, hashfunc=hash_function("dedup32"))
>>> for s in shingles("bui van nam et aleksandr gorovoy", ShingleConfig()):
...     m.update(s.encode())
>>> bool((m.hashvalues == sigs[0]).all())
True
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from functools import lru_cache
from itertools import islice
from typing import TypeVar

import numpy as np

from dedup.config import MinHashConfig, ShingleConfig
from dedup.sketch import kernels
from dedup.sketch.hashing import hash_function, permutations
from dedup.sketch.shingles import shingles

T = TypeVar("T")

__all__ = [
    "estimate_jaccard",
    "from_datasketch",
    "hash_function",
    "iter_minhash_texts",
    "minhash_shingles",
    "minhash_texts",
    "to_datasketch",
]

_BLOCK = 4096  # documents per kernel call: bounds memory of the packed buffer
_DEFAULT_MINHASH = MinHashConfig()
_MIN_DOCS_PER_THREAD = 16  # minhash_shingles: fewer documents per thread are not worth a hand-off


def _resolve_jobs(n_jobs: int) -> int:
    if n_jobs == -1:
        import os

        return os.cpu_count() or 1
    if not isinstance(n_jobs, int) or n_jobs < 1:
        raise ValueError(f"n_jobs must be >= 1 or -1 (all cores), got {n_jobs!r}")
    return n_jobs


def _blocks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    it = iter(items)
    while True:
        block = list(islice(it, size))
        if not block:
            return
        yield block


def _map_blocks(
    work: Callable[[list[T]], np.ndarray], blocks: Iterator[list[T]], n_jobs: int
) -> Iterator[np.ndarray]:
    """``work`` over blocks, in order; with ``n_jobs > 1`` that many blocks run at once.

    The kernels release the GIL (numba ``nogil``), so threads use several cores; at most
    ``2 * n_jobs`` blocks are in flight, which keeps memory bounded on any input size.
    """
    if n_jobs == 1:
        for block in blocks:
            yield work(block)
        return
    pool = _pool(n_jobs)
    pending: deque[Future[np.ndarray]] = deque()
    for block in blocks:
        pending.append(pool.submit(work, block))
        if len(pending) >= 2 * n_jobs:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


@lru_cache(maxsize=4)
def _pool(n_jobs: int) -> ThreadPoolExecutor:
    """One thread pool per size, kept for the process: many small calls pay no start-up."""
    return ThreadPoolExecutor(max_workers=n_jobs, thread_name_prefix="dedup-hash")


def _text_block(
    texts: list[str], scfg: ShingleConfig, mcfg: MinHashConfig, backend: str
) -> np.ndarray:
    """Signatures of one block of normalized texts (dedup32 hash)."""
    m = scfg.min_token_len
    fallback: list[int] = []
    packed = texts
    if not all(map(str.isascii, texts)):
        # The kernels work on bytes: give them texts whose tokens are whole and whose token
        # lengths in bytes agree with str lengths. Non-ASCII char n-grams (characters, not
        # bytes) are hashed from their shingle strings instead.
        packed = list(texts)
        for i, t in enumerate(texts):
            if t.isascii():
                continue
            if scfg.kind == "word":
                packed[i] = " ".join(tok for tok in t.split() if len(tok) >= m)
            else:
                fallback.append(i)
                packed[i] = ""
    batch = kernels.Batch.from_texts(packed)
    out = kernels.signatures(
        batch, scfg.kind, scfg.size, mcfg.num_perm, mcfg.seed, min_len=m, backend=backend
    )
    if fallback:
        out[fallback] = _hash_each(
            [shingles(texts[i], scfg) for i in fallback], hash_function("dedup32"), mcfg, backend
        )
    return out


def _hash_each(
    docs: list,  # type: ignore[type-arg]
    fn: Callable[[bytes], int],
    mcfg: MinHashConfig,
    backend: str,
    ids: Sequence[int] | None = None,
) -> np.ndarray:
    """Signatures with a Python hash function applied to every shingle (sha1_32, odd input)."""
    counts = np.fromiter(map(len, docs), dtype=np.int64, count=len(docs))
    try:
        hv = np.fromiter(
            (fn(s.encode("utf-8") if isinstance(s, str) else s) for d in docs for s in d),
            dtype=np.uint32,
            count=int(counts.sum()),
        )
    except TypeError:
        for i, d in enumerate(docs):
            if not all(isinstance(s, (str, bytes)) for s in d):
                raise ValueError(
                    f"document {i if ids is None else ids[i]}: shingles must be str or bytes, "
                    f"got {sorted({type(s).__name__ for s in d})}"
                ) from None
        raise
    if kernels.use_numba(backend):
        return kernels.minimize(hv, counts, mcfg.num_perm, mcfg.seed)
    a, b = permutations(mcfg.num_perm, mcfg.seed)
    return kernels.minhash_from_hashes(hv, counts, a, b)


def iter_minhash_texts(
    texts: Iterable[str],
    shingle: ShingleConfig | None = None,
    minhash: MinHashConfig | None = None,
    *,
    block_size: int = _BLOCK,
    n_jobs: int = 1,
    backend: str = "auto",
) -> Iterator[np.ndarray]:
    """Signatures of a stream of normalized texts, one ``(<= block_size, num_perm)`` array at a time.

    Memory stays bounded by a few blocks whatever the length of the stream (a block of 4096
    documents of 4 KB packs into 16 MB), so a corpus of millions of documents can be hashed
    straight from a file into a uint32 ``memmap`` or an index.

    >>> blocks = list(iter_minhash_texts(iter(["a b c"] * 5), block_size=2))
    >>> [b.shape for b in blocks]
    [(2, 128), (2, 128), (1, 128)]
    """
    scfg = shingle or ShingleConfig()
    mcfg = minhash or MinHashConfig()
    n_jobs = _resolve_jobs(n_jobs)
    if block_size < 1:
        raise ValueError(f"block_size must be >= 1, got {block_size}")
    if mcfg.hash != "dedup32":

        def work(block: list[str]) -> np.ndarray:
            return minhash_shingles([shingles(t, scfg) for t in block], mcfg, backend=backend)

    else:

        def work(block: list[str]) -> np.ndarray:
            return _text_block(block, scfg, mcfg, backend)

    yield from _map_blocks(work, _blocks(texts, block_size), n_jobs)


def _collect(n: int, num_perm: int, parts: Iterator[np.ndarray]) -> np.ndarray:
    out = np.empty((n, num_perm), dtype=np.uint32)
    pos = 0
    for part in parts:
        out[pos : pos + len(part)] = part
        pos += len(part)
    return out


def _block_size(n: int, n_jobs: int) -> int:
    # Small inputs are split so that every thread gets a share.
    return max(1, min(_BLOCK, -(-n // n_jobs)))


def minhash_texts(
    texts: Sequence[str],
    shingle: ShingleConfig | None = None,
    minhash: MinHashConfig | None = None,
    *,
    n_jobs: int = 1,
    backend: str = "auto",
) -> np.ndarray:
    """Signatures of normalized texts.

    Parameters
    ----------
    texts : sequence of str
        Normalized texts (:func:`dedup.text.normalize`): tokens joined by single spaces. Other
        text works too and gives what :func:`dedup.sketch.shingles.shingles` defines.
    shingle : ShingleConfig, optional
        Word or char n-grams, their size and the minimum token length.
    minhash : MinHashConfig, optional
        ``num_perm``, ``seed`` and the shingle hash.
    n_jobs : int
        Threads for the compiled kernel (``-1``: all cores). Output does not depend on it.
    backend : {"auto", "numba", "numpy"}
        Force one implementation of the ``dedup32`` path (both give the same bits).

    Returns
    -------
    numpy.ndarray
        ``(len(texts), num_perm)`` uint32.
    """
    scfg = shingle or ShingleConfig()
    mcfg = minhash or MinHashConfig()
    jobs = _resolve_jobs(n_jobs)
    texts = list(texts)
    parts = iter_minhash_texts(
        texts, scfg, mcfg, block_size=_block_size(len(texts), jobs), n_jobs=jobs, backend=backend
    )
    return _collect(len(texts), mcfg.num_perm, parts)


def minhash_shingles(
    docs: Sequence[Sequence[str]] | Sequence[Sequence[bytes]],
    minhash: MinHashConfig | None = None,
    *,
    n_jobs: int = 1,
    backend: str = "auto",
) -> np.ndarray:
    """Signatures of documents given as lists of shingle strings (or bytes).

    Parameters
    ----------
    docs : sequence of sequences of str or bytes
        One list of shingles per document; str is hashed as UTF-8. Repeats do not matter.
    minhash : MinHashConfig, optional
        Settings; with ``hash="sha1_32"`` the result equals ``datasketch.MinHash()`` with its
        default hash function.
    n_jobs : int
        Threads for the compiled kernel (``-1``: all cores). Output does not depend on it.
    backend : {"auto", "numba", "numpy"}
        Force one implementation (both give the same bits).

    Returns
    -------
    numpy.ndarray
        ``(len(docs), num_perm)`` uint32.

    Examples
    --------
    >>> sig = minhash_shingles([["a b", "b c"], []])
    >>> bool((sig[1] == 2**32 - 1).all())
    True
    """
    mcfg = minhash or _DEFAULT_MINHASH
    jobs = _resolve_jobs(n_jobs)
    if type(docs) is not list:
        docs = list(docs)
    if (
        mcfg.hash == "dedup32"
        and kernels.use_numba(backend)
        and kernels.object_layout() is not None
    ):
        return _shingles_in_place(docs, mcfg, jobs, backend)

    def work(item: tuple[int, list]) -> np.ndarray:  # type: ignore[type-arg]
        start, block = item
        return _shingles_packed(block, range(start, start + len(block)), mcfg, backend)

    blocks = _numbered_blocks(docs, _block_size(len(docs), jobs))
    return _collect(len(docs), mcfg.num_perm, _map_blocks(work, blocks, jobs))


def _numbered_blocks(docs: list[T], size: int) -> Iterator[tuple[int, list[T]]]:
    return ((i * size, b) for i, b in enumerate(_blocks(docs, size)))


def _shingles_packed(
    block: list,  # type: ignore[type-arg]
    ids: Sequence[int],
    mcfg: MinHashConfig,
    backend: str,
) -> np.ndarray:
    """Signatures of shingle lists packed into one buffer (or hashed in Python for sha1_32)."""
    if mcfg.hash == "dedup32":
        batch = kernels.Batch.from_shingles(block, ids)
        if batch is not None:
            return kernels.signatures(batch, "sep", 0, mcfg.num_perm, mcfg.seed, backend=backend)
    return _hash_each(block, hash_function(mcfg.hash), mcfg, backend, ids)


def _shingles_in_place(
    docs: list,  # type: ignore[type-arg]
    mcfg: MinHashConfig,
    jobs: int,
    backend: str,
) -> np.ndarray:
    """The compiled kernel reads the shingle lists where they are, straight into the output.

    One kernel call per thread and range of documents, no per-block lists or copies;
    documents it cannot read in place (non-ASCII ``str``, other sequences or items) are then
    redone through the packed buffer, which gives the same bits.
    """
    n = len(docs)
    out = np.empty((n, mcfg.num_perm), dtype=np.uint32)
    bad = np.zeros(n, dtype=np.bool_)
    if n == 0:
        return out
    # a thread gets at least _MIN_DOCS_PER_THREAD documents: below that, handing work to the
    # pool costs more than it saves
    jobs = max(1, min(jobs, n // _MIN_DOCS_PER_THREAD))
    if jobs == 1:
        n_bad = kernels.fill_from_list(docs, out, bad, 0, n, mcfg.seed)
    else:
        size = _block_size(n, jobs)
        pool = _pool(jobs)
        futures = [
            pool.submit(kernels.fill_from_list, docs, out, bad, lo, min(lo + size, n), mcfg.seed)
            for lo in range(size, n, size)
        ]
        # the first range runs in the calling thread, which would otherwise only wait
        n_bad = kernels.fill_from_list(docs, out, bad, 0, min(size, n), mcfg.seed)
        n_bad += sum(f.result() for f in futures)
    if n_bad:
        redo = np.flatnonzero(bad).tolist()
        out[redo] = _shingles_packed([docs[i] for i in redo], redo, mcfg, backend)
    return out


def estimate_jaccard(sig_a: np.ndarray, sig_b: np.ndarray) -> float | np.ndarray:
    """Estimated Jaccard similarity: the fraction of equal signature slots.

    Works row-wise on 2-D arrays.

    >>> import numpy as np
    >>> estimate_jaccard(np.array([1, 2, 3, 4]), np.array([1, 2, 0, 0]))
    0.5
    """
    eq = np.asarray(sig_a) == np.asarray(sig_b)
    if eq.ndim == 1:
        return float(eq.mean())
    return eq.mean(axis=-1)


def to_datasketch(signature: np.ndarray, minhash: MinHashConfig | None = None):  # type: ignore[no-untyped-def]
    """A ``datasketch.LeanMinHash`` holding one signature row.

    >>> lean = to_datasketch(minhash_texts(["a b c"])[0])
    >>> lean.scheme, len(lean)
    ('affine32', 128)
    """
    from datasketch import LeanMinHash

    mcfg = minhash or MinHashConfig()
    sig = np.asarray(signature, dtype=np.uint32)
    if sig.shape != (mcfg.num_perm,):
        raise ValueError(
            f"signature has shape {sig.shape}; expected ({mcfg.num_perm},) for num_perm={mcfg.num_perm}"
        )
    return LeanMinHash(seed=mcfg.seed, hashvalues=sig, scheme="affine32")


def from_datasketch(m) -> np.ndarray:  # type: ignore[no-untyped-def]
    """The signature row (uint32) of a datasketch ``MinHash``/``LeanMinHash`` (affine32 only)."""
    scheme = getattr(m, "scheme", None)
    if scheme != "affine32":
        raise ValueError(
            f"MinHash has scheme {scheme!r}; dedup signatures use 'affine32' (datasketch's default)"
        )
    return np.asarray(m.hashvalues, dtype=np.uint32)
