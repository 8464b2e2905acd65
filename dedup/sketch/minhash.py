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
>>> from dedup.sketch.shingles import shingle_text, shingles
>>> m = MinHash(num_perm=128, hashfunc=hash_function("dedup32"))
>>> for s in shingles("bui van nam et aleksandr gorovoy", ShingleConfig()):
...     m.update(s.encode())
>>> bool((m.hashvalues == sigs[0]).all())
True
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from dedup.config import MinHashConfig, ShingleConfig
from dedup.sketch import kernels
from dedup.sketch.hashing import hash_function, permutations
from dedup.sketch.shingles import shingle_text, shingles

__all__ = [
    "estimate_jaccard",
    "from_datasketch",
    "hash_function",
    "minhash_shingles",
    "minhash_texts",
    "to_datasketch",
]

_BLOCK = 4096  # documents per kernel call: bounds memory of the packed buffer


def _run_blocks(n_docs: int, n_jobs: int, work) -> np.ndarray:  # type: ignore[no-untyped-def]
    blocks = [(i, min(i + _BLOCK, n_docs)) for i in range(0, n_docs, _BLOCK)]
    if n_jobs == 1 or len(blocks) <= 1:
        parts = [work(lo, hi) for lo, hi in blocks]
    else:
        # The kernels release the GIL (numba nogil); blocks are independent, order is kept.
        with ThreadPoolExecutor(max_workers=n_jobs) as pool:
            parts = list(pool.map(lambda lh: work(*lh), blocks))
    return np.concatenate(parts) if parts else np.zeros((0, 0), dtype=np.uint32)


def _resolve_jobs(n_jobs: int) -> int:
    if n_jobs == -1:
        import os

        return os.cpu_count() or 1
    if n_jobs < 1:
        raise ValueError(f"n_jobs must be >= 1 or -1 (all cores), got {n_jobs}")
    return n_jobs


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
        Normalized texts (:func:`dedup.text.normalize`): tokens joined by single spaces.
    shingle : ShingleConfig, optional
        Word or char n-grams and their size.
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
    n_jobs = _resolve_jobs(n_jobs)
    texts = list(texts)
    if mcfg.hash != "dedup32":
        return minhash_shingles([shingles(t, scfg) for t in texts], mcfg)
    if not texts:
        return np.zeros((0, mcfg.num_perm), dtype=np.uint32)

    def work(lo: int, hi: int) -> np.ndarray:
        batch = kernels.Batch.from_texts([shingle_text(t, scfg) for t in texts[lo:hi]])
        return kernels.signatures(
            batch, scfg.kind, scfg.size, mcfg.num_perm, mcfg.seed, backend=backend
        )

    return _run_blocks(len(texts), n_jobs, work)


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
        One list of shingles per document; str is hashed as UTF-8.
    minhash : MinHashConfig, optional
        Settings; with ``hash="sha1_32"`` the result equals ``datasketch.MinHash()`` with its
        default hash function.

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
    mcfg = minhash or MinHashConfig()
    n_jobs = _resolve_jobs(n_jobs)
    docs = list(docs)
    if not docs:
        return np.zeros((0, mcfg.num_perm), dtype=np.uint32)
    if mcfg.hash == "dedup32":

        def work(lo: int, hi: int) -> np.ndarray:
            batch = kernels.Batch.from_shingles(list(docs[lo:hi]))  # type: ignore[arg-type]
            return kernels.signatures(batch, "sep", 0, mcfg.num_perm, mcfg.seed, backend=backend)

        return _run_blocks(len(docs), n_jobs, work)
    fn = hash_function(mcfg.hash)
    a, b = permutations(mcfg.num_perm, mcfg.seed)
    counts = np.fromiter((len(d) for d in docs), dtype=np.int64, count=len(docs))
    hv = np.fromiter(
        (fn(s.encode("utf-8") if isinstance(s, str) else s) for d in docs for s in d),
        dtype=np.uint32,
        count=int(counts.sum()),
    )
    return kernels.minhash_from_hashes(hv, counts, a, b)


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
