"""datasketch compatibility, threads, streaming, the numpy fallback, and LSH recall."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest
from datasketch import LeanMinHash, MinHash

from benchmarks.corpus import generate_corpus
from dedup.config import LSHConfig, MinHashConfig, ShingleConfig
from dedup.sketch import kernels
from dedup.sketch.hashing import dedup_hash32, sha1_hash32
from dedup.sketch.lsh import candidate_pairs
from dedup.sketch.minhash import (
    estimate_jaccard,
    from_datasketch,
    iter_minhash_texts,
    minhash_shingles,
    minhash_texts,
    to_datasketch,
)
from dedup.sketch.shingles import shingle_set, shingles
from dedup.text.normalization import normalize

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return [normalize(d["text"]) for d in generate_corpus(40, seed=11)]


@pytest.mark.parametrize("num_perm,seed", [(128, 1), (64, 42)])
def test_equals_datasketch_with_dedup_hash(texts: list[str], num_perm: int, seed: int) -> None:
    scfg = ShingleConfig(kind="word", size=3, min_token_len=1)
    mcfg = MinHashConfig(num_perm=num_perm, seed=seed)
    sigs = minhash_texts(texts[:8], scfg, mcfg)
    for t, sig in zip(texts[:8], sigs):
        m = MinHash(num_perm=num_perm, seed=seed, hashfunc=dedup_hash32)
        for s in shingles(t, scfg):
            m.update(s.encode("utf-8"))
        assert np.array_equal(m.hashvalues, sig)


def test_equals_datasketch_default_sha1(texts: list[str]) -> None:
    scfg = ShingleConfig()
    mcfg = MinHashConfig(hash="sha1_32")
    docs = [shingles(t, scfg) for t in texts[:6]]
    bulk = MinHash.bulk([[s.encode() for s in d] for d in docs], num_perm=128, seed=1)
    for sigs in (minhash_shingles(docs, mcfg), minhash_texts(texts[:6], scfg, mcfg)):
        for m, sig in zip(bulk, sigs):
            assert m.hashfunc.__name__ == "sha1_hash32"  # datasketch's own default
            assert np.array_equal(m.hashvalues, sig)
    assert sha1_hash32(b"abc") == MinHash().hashfunc(b"abc")


def test_to_datasketch_round_trip(texts: list[str]) -> None:
    sigs = minhash_texts(texts[:3])
    lean = to_datasketch(sigs[0])
    assert isinstance(lean, LeanMinHash)
    assert np.array_equal(from_datasketch(lean), sigs[0])
    other = to_datasketch(sigs[1])
    assert lean.jaccard(other) == pytest.approx(estimate_jaccard(sigs[0], sigs[1]))
    # a LeanMinHash built by datasketch from scratch equals ours and survives serialization
    m = MinHash(num_perm=128, seed=1, hashfunc=dedup_hash32)
    for s in shingles(texts[0], ShingleConfig()):
        m.update(s.encode())
    ds_lean = LeanMinHash(m)
    assert ds_lean == lean
    buf = bytearray(lean.bytesize())
    lean.serialize(buf)
    assert np.array_equal(from_datasketch(LeanMinHash.deserialize(buf)), sigs[0])
    with pytest.raises(ValueError, match="expected \\(128,\\)"):
        to_datasketch(sigs[0][:10])
    with pytest.raises(ValueError, match="affine32"):
        from_datasketch(MinHash(num_perm=8, scheme="legacy"))


@pytest.mark.parametrize("kind,size", [("word", 1), ("word", 3), ("char", 5)])
def test_two_jobs_equal_one(monkeypatch: pytest.MonkeyPatch, kind: str, size: int) -> None:
    import dedup.sketch.minhash as mh

    monkeypatch.setattr(mh, "_BLOCK", 7)  # many blocks, so both threads work
    docs = [normalize(d["text"]) for d in generate_corpus(50, seed=3)]
    scfg = ShingleConfig(kind=kind, size=size, min_token_len=2)  # type: ignore[arg-type]
    one = minhash_texts(docs, scfg, n_jobs=1)
    assert np.array_equal(one, minhash_texts(docs, scfg, n_jobs=2))
    assert np.array_equal(one, minhash_texts(docs, scfg, n_jobs=-1))
    sh = [shingles(t, scfg) for t in docs]
    assert np.array_equal(minhash_shingles(sh, n_jobs=1), minhash_shingles(sh, n_jobs=2))
    assert np.array_equal(one, minhash_shingles(sh))


def test_streaming_blocks_equal_batch(texts: list[str]) -> None:
    whole = minhash_texts(texts)
    for jobs in (1, 2):
        parts = list(iter_minhash_texts(iter(texts), block_size=6, n_jobs=jobs))
        assert [len(p) for p in parts] == [6] * 6 + [4]
        assert all(p.dtype == np.uint32 for p in parts)
        assert np.array_equal(np.concatenate(parts), whole)


def test_numpy_fallback_when_numba_is_disabled(texts: list[str]) -> None:
    """DEDUP_DISABLE_NUMBA=1 (what a machine without numba gets) gives the same bits."""
    code = (
        "import sys, numpy as np\n"
        "from dedup.sketch import kernels\n"
        "from dedup.sketch.minhash import minhash_texts, minhash_shingles\n"
        "from dedup.config import ShingleConfig\n"
        "assert not kernels.HAVE_NUMBA\n"
        "texts = sys.stdin.read().split('\\x00')\n"
        "a = minhash_texts(texts, ShingleConfig(kind='word', size=2, min_token_len=3))\n"
        "b = minhash_shingles([t.split() for t in texts])\n"
        "sys.stdout.write(np.concatenate([a, b]).tobytes().hex())\n"
    )
    env = dict(os.environ, DEDUP_DISABLE_NUMBA="1", PYTHONPATH=str(ROOT))
    res = subprocess.run(
        [sys.executable, "-c", code],
        input="\x00".join(texts[:10]),
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=True,
    )
    got = np.frombuffer(bytes.fromhex(res.stdout), dtype=np.uint32).reshape(20, 128)
    a = minhash_texts(texts[:10], ShingleConfig(kind="word", size=2, min_token_len=3))
    b = minhash_shingles([t.split() for t in texts[:10]])
    assert np.array_equal(got, np.concatenate([a, b]))


def _near_duplicates(n_base: int, rng: random.Random) -> list[str]:
    vocab = [f"w{i:05d}" for i in range(20000)]
    docs = []
    for _ in range(n_base):
        base = rng.sample(vocab, 150)
        docs.append(base)
        for _ in range(3):  # variants with a share of words replaced: Jaccard ~0.2-1
            share = rng.uniform(0.0, 0.6)
            docs.append([rng.choice(vocab) if rng.random() < share else w for w in base])
    return [" ".join(d) for d in docs]


def test_lsh_recall_on_near_duplicates() -> None:
    rng = random.Random(5)
    texts = _near_duplicates(60, rng)
    scfg = ShingleConfig()
    sets = [shingle_set(t, scfg) for t in texts]
    truth = {
        (i, j)
        for i, j in combinations(range(len(texts)), 2)
        if len(sets[i] & sets[j]) / len(sets[i] | sets[j]) >= 0.6
    }
    assert len(truth) > 100  # the generator does produce such pairs
    found = {tuple(p) for p in candidate_pairs(minhash_texts(texts, scfg), LSHConfig()).tolist()}
    recall = len(truth & found) / len(truth)
    assert recall >= 0.95, recall


def test_object_layout_is_measured_or_off() -> None:
    layout = kernels.object_layout()
    if layout is not None and kernels.HAVE_NUMBA:  # CPython: in-place reader == packed buffer
        docs = [["x" * n for n in range(0, 70, 3)], ("ab", "c"), [b"\x00" * 9]]
        out = np.empty((len(docs), 32), dtype=np.uint32)
        bad = np.zeros(len(docs), dtype=np.bool_)
        assert kernels.fill_from_list(docs, out, bad, 0, len(docs), 3) == 0
        assert not bad.any()
        packed = kernels.signatures(kernels.Batch.from_shingles(docs), "sep", 0, 32, 3)
        assert np.array_equal(out, packed)
