"""The in-place list kernel (``_numba_kernels.signatures_list``) and its SIMD state.

``minhash_shingles`` hands the whole outer list to one compiled call per thread; the kernel
follows the item pointers, hashes compact-ASCII ``str`` and ``bytes`` where they lie and keeps
the running minima in vector registers (``u32x128`` for 128 padded permutations, 16-lane
groups otherwise). Documents it cannot read are redone through the packed buffer. Every case
here is held to the pure-Python reference, bit for bit.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dedup.config import MinHashConfig
from dedup.sketch import kernels
from dedup.sketch.minhash import minhash_shingles
from tests.sketch import reference as ref

ROOT = Path(__file__).resolve().parents[2]
NUMBA = pytest.mark.skipif(not kernels.HAVE_NUMBA, reason="numba not installed")
BACKENDS = ["numpy"] + (["numba"] if kernels.HAVE_NUMBA else [])
# 128 and 256: the wide vector path; 16, 20 (padded to 32), 144 (128 + one 16-lane group), 2
PERMS = [128, 256, 16, 20, 144, 2]


def expected(docs, cfg: MinHashConfig) -> list[list[int]]:  # type: ignore[no-untyped-def]
    # bytearray items are hashed as their bytes (the reference hashes a set: bytes are hashable)
    docs = [[bytes(s) if isinstance(s, bytearray) else s for s in d] for d in docs]
    return [ref.minhash(d, cfg.num_perm, cfg.seed) for d in docs]


def _lengths_doc(rng: random.Random) -> list[str]:
    # every length the hash treats differently: 0, < 8, = 8, 9..32 (four select steps),
    # > 32 (the loop), word-boundary lengths, and long strings
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789 "
    return ["".join(rng.choice(alphabet) for _ in range(n)) for n in [*range(0, 71), 200, 1000]]


@pytest.mark.parametrize("num_perm", PERMS)
@pytest.mark.parametrize("backend", BACKENDS)
def test_lengths_and_perm_counts_equal_reference(backend: str, num_perm: int) -> None:
    cfg = MinHashConfig(num_perm=num_perm, seed=5)
    rng = random.Random(num_perm)
    docs = [_lengths_doc(rng), [], [""], ["x"], ("tuple", "of", "shingles"), [b"by", b"\x00" * 9]]
    sigs = minhash_shingles(docs, cfg, backend=backend)
    assert sigs.shape == (len(docs), num_perm) and sigs.dtype == np.uint32
    assert sigs.tolist() == expected(docs, cfg)


@pytest.mark.parametrize("num_perm", [128, 20])
def test_non_ascii_and_odd_items_fall_back_per_document(num_perm: int) -> None:
    cfg = MinHashConfig(num_perm=num_perm, seed=2)
    docs = [
        ["plain", "ascii"],
        ["caf\u00e9 cr\u00e8me", "ascii too"],  # latin-1 str: not compact ASCII
        ["\u20ac", "\U0001f600 emoji"],  # 2- and 4-byte kinds
        ["ascii", "then", "\u00e9"],  # the bad item is the last one
        [bytearray(b"ba"), "x"],  # not exact bytes
        ["x"] * 40,
        [],
    ]
    sigs = minhash_shingles(docs, cfg)
    assert sigs.tolist() == expected(docs, cfg)
    # the same documents in any order and mixed with good ones: rows do not depend on neighbours
    perm = [6, 3, 0, 5, 2, 1, 4]
    assert minhash_shingles([docs[i] for i in perm], cfg).tolist() == [
        sigs[i].tolist() for i in perm
    ]


def test_str_subclass_and_non_str_items() -> None:
    class S(str):
        pass

    cfg = MinHashConfig(num_perm=32, seed=1)
    sigs = minhash_shingles([[S("ab"), "cd"], ["ab", "cd"]], cfg)
    assert sigs[0].tolist() == sigs[1].tolist() == ref.minhash(["ab", "cd"], 32, 1)
    with pytest.raises(ValueError, match="document 1: shingles must be str or bytes"):
        minhash_shingles([["a"], ["b", 3]], cfg)
    with pytest.raises(ValueError, match="document 0: shingles must be str or bytes"):
        minhash_shingles([[None]], cfg)


def test_very_long_lists_and_many_documents() -> None:
    rng = random.Random(3)
    words = [f"w{i}" for i in range(3000)]
    long_doc = [" ".join(rng.sample(words, 3)) for _ in range(6000)]
    cfg = MinHashConfig()
    sig = minhash_shingles([long_doc], cfg)
    assert sig[0].tolist() == ref.minhash(long_doc, 128, 1)
    # many documents: equal to the packed-buffer kernel and to the numpy path
    docs = [
        [" ".join(rng.sample(words, 3)) for _ in range(rng.randrange(0, 60))] for _ in range(500)
    ]
    got = minhash_shingles(docs, cfg)
    assert np.array_equal(got, minhash_shingles(docs, cfg, backend="numpy"))
    if kernels.HAVE_NUMBA:
        packed = kernels.signatures(kernels.Batch.from_shingles(docs), "sep", 0, 128, 1)
        assert np.array_equal(got, packed)


@pytest.mark.parametrize("num_perm", [128, 20])
def test_two_jobs_equal_one_with_fallback_documents(num_perm: int) -> None:
    rng = random.Random(11)
    cfg = MinHashConfig(num_perm=num_perm, seed=3)
    docs: list[list[str]] = []
    for i in range(301):
        doc = [f"s{rng.randrange(500)} t{rng.randrange(50)}" for _ in range(rng.randrange(0, 30))]
        if i % 37 == 0:
            doc.append("caf\u00e9")  # scattered over both threads' ranges
        docs.append(doc)
    one = minhash_shingles(docs, cfg, n_jobs=1)
    assert np.array_equal(one, minhash_shingles(docs, cfg, n_jobs=2))
    assert np.array_equal(one, minhash_shingles(docs, cfg, n_jobs=-1))
    assert np.array_equal(one, minhash_shingles(docs, cfg, backend="numpy"))
    for i in (0, 37, 1, 300):
        assert one[i].tolist() == ref.minhash(docs[i], num_perm, 3)


def test_input_sequences_other_than_lists() -> None:
    cfg = MinHashConfig(num_perm=32, seed=9)
    docs = [["a b", "b c"], ("c d",), []]
    want = expected(docs, cfg)
    assert minhash_shingles(tuple(docs), cfg).tolist() == want
    assert minhash_shingles(iter(docs), cfg).tolist() == want
    assert minhash_shingles([], cfg).shape == (0, 32)


@given(
    st.lists(
        st.lists(st.one_of(st.text(max_size=40), st.binary(max_size=40)), max_size=20),
        max_size=6,
    )
)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_wide_path_equals_reference_on_random_shingles(docs: list[list[str | bytes]]) -> None:
    cfg = MinHashConfig()  # 128 permutations: the fused vector loop
    assert minhash_shingles(docs, cfg).tolist() == expected(docs, cfg)


@NUMBA
@pytest.mark.parametrize("num_perm", [128, 256, 48, 2])
def test_simd_minimize_equals_numpy(num_perm: int) -> None:
    """``minimize_hashes`` and the benchmark's ``floor_kernel`` (vector state) == numpy."""
    rng = np.random.default_rng(num_perm)
    counts = rng.integers(0, 300, 40).astype(np.int64)
    counts[:3] = [0, 1, 2]
    hashes = rng.integers(0, 2**32, int(counts.sum()), dtype=np.uint64).astype(np.uint32)
    a, b = kernels.H.permutations(num_perm, 4)
    want = kernels.minhash_from_hashes(hashes, counts, a, b)
    assert np.array_equal(kernels.minimize(hashes, counts, num_perm, 4), want)
    ap, bp = kernels.padded_permutations(num_perm, 4)
    out = np.empty((len(counts), num_perm), dtype=np.uint32)
    kernels._numba_module().floor_kernel(kernels._fmix32_np(hashes), counts, ap, bp, out)
    assert np.array_equal(out, want)


def test_no_inplace_opt_out_gives_the_same_bits() -> None:
    code = (
        "import sys, numpy as np\n"
        "from dedup.sketch import kernels\n"
        "from dedup.sketch.minhash import minhash_shingles\n"
        "assert kernels.object_layout() is None\n"
        "docs = [d.split('|') for d in sys.stdin.read().split('\\x00')]\n"
        "sys.stdout.write(minhash_shingles(docs).tobytes().hex())\n"
    )
    docs = [["bui van nam", "van nam et", "caf\u00e9"], ["a"], [""], ["x" * 50, "y"]]
    env = dict(os.environ, DEDUP_NO_INPLACE="1", PYTHONPATH=str(ROOT))
    res = subprocess.run(
        [sys.executable, "-c", code],
        input="\x00".join("|".join(d) for d in docs),
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=True,
    )
    got = np.frombuffer(bytes.fromhex(res.stdout), dtype=np.uint32).reshape(len(docs), 128)
    assert np.array_equal(got, minhash_shingles(docs))
    assert got.tolist() == expected(docs, MinHashConfig())


@pytest.mark.parametrize("backend", BACKENDS)
def test_text_tokenizer_block_edges(backend: str) -> None:
    """Token edges on and around the 32-byte blocks of the compiled tokenizer."""
    from dedup.config import ShingleConfig
    from dedup.sketch.minhash import minhash_texts

    rng = random.Random(17)
    texts = [
        "a" * 31 + " " + "b" * 32,  # edge right at a block boundary
        "x" * 32,  # one token, exactly one block
        "y" * 64 + " z",  # a token over two whole blocks
        " " * 31 + "w" + " " * 33 + "v",  # whitespace runs over block edges
        "\t".join(["tok"] * 40),  # tabs
        "\x1c\x1d\x1e\x1f".join(["ab", "cde", "f" * 40]),  # \x1c-\x1f are whitespace
        "q" * 100,  # one long token
        "",
        " ",
    ]
    alphabet = ["ab", "c", "defgh", "ijklmnopq", "r" * 20, " ", "  ", "\n", "\t", "\x0b"]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 80))) for _ in range(40)]
    cfg = MinHashConfig(num_perm=128, seed=3)
    for kind, size in (("word", 1), ("word", 3), ("char", 4)):
        for min_len in (1, 2, 4, 33):
            scfg = ShingleConfig(kind=kind, size=size, min_token_len=min_len)  # type: ignore[arg-type]
            sigs = minhash_texts(texts, scfg, cfg, backend=backend)
            for t, sig in zip(texts, sigs):
                want = ref.minhash(ref.shingles(t, kind, size, min_len), 128, 3)
                assert sig.tolist() == want, (t, kind, size, min_len)
