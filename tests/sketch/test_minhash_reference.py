"""Every fast path of the hashing core equals the pure-Python reference bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dedup.config import MinHashConfig, ShingleConfig
from dedup.sketch import kernels
from dedup.sketch.hashing import dedup_hash32
from dedup.sketch.minhash import minhash_shingles, minhash_texts
from dedup.sketch.shingles import shingles as package_shingles
from tests.sketch import reference as ref

BACKENDS = ["numpy"] + (["numba"] if kernels.HAVE_NUMBA else [])
SMALL = MinHashConfig(num_perm=16, seed=7)
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text with the things that break byte-level shortcuts: runs of spaces, tabs, newlines,
# \x1c-\x1f (whitespace to str.split), non-ASCII letters and non-ASCII whitespace.
text_chars = st.sampled_from([*"abcdexyz019 ", " ", "  ", "\t", "\n", "\x1c", "\x1f"])
texty = st.lists(
    st.one_of(text_chars, st.sampled_from(["é", "ß", "ệ", "\u00a0", "\u2003", "中", "\x85"])),
    max_size=60,
).map("".join)
ascii_text = st.lists(text_chars, max_size=80).map("".join)


def ref_sig(shingle_list, cfg: MinHashConfig = SMALL, hashfunc=ref.dedup_hash32) -> list[int]:  # type: ignore[no-untyped-def]
    return ref.minhash(shingle_list, cfg.num_perm, cfg.seed, hashfunc)


def test_reference_hash_is_the_package_hash() -> None:
    for data in [b"", b"a", b"12345678", b"123456789", b"\x00" * 17, "Bùi".encode()]:
        assert ref.dedup_hash32(data) == dedup_hash32(data)


@given(st.binary(max_size=40))
@FAST
def test_hash_numpy_vectorized_equals_reference(data: bytes) -> None:
    buf = np.frombuffer(data + b"\x00" * 16, dtype=np.uint8)
    h = kernels.span_hashes(buf, np.array([0]), np.array([len(data)]))
    assert int(h[0]) == ref.dedup_hash32(data) == dedup_hash32(data)


@pytest.mark.parametrize("backend", BACKENDS)
@given(
    st.lists(
        st.lists(
            st.one_of(
                st.text(max_size=30),
                st.sampled_from(["", "a", "vice ministre bui", "x" * 23]),
            ),
            max_size=12,
        ),
        max_size=6,
    )
)
@FAST
def test_minhash_shingles_str_equals_reference(backend: str, docs: list[list[str]]) -> None:
    sigs = minhash_shingles(docs, SMALL, backend=backend)
    assert sigs.dtype == np.uint32 and sigs.shape == (len(docs), SMALL.num_perm)
    for doc, sig in zip(docs, sigs):
        assert sig.tolist() == ref_sig(doc)


@pytest.mark.parametrize("backend", BACKENDS)
@given(st.lists(st.lists(st.binary(max_size=20), max_size=8), max_size=5))
@FAST
def test_minhash_shingles_bytes_with_non_ascii_bytes(backend: str, docs: list[list[bytes]]) -> None:
    sigs = minhash_shingles(docs, SMALL, backend=backend)
    for doc, sig in zip(docs, sigs):
        assert sig.tolist() == ref_sig(doc)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("kind", ["word", "char"])
@pytest.mark.parametrize("size", [1, 2, 3, 4, 5])
@given(texts=st.lists(st.one_of(ascii_text, texty), min_size=1, max_size=5))
@settings(max_examples=12, deadline=None)
def test_minhash_texts_equals_reference(
    backend: str, kind: str, size: int, texts: list[str]
) -> None:
    for min_len in (1, 3):
        scfg = ShingleConfig(kind=kind, size=size, min_token_len=min_len)  # type: ignore[arg-type]
        sigs = minhash_texts(texts, scfg, SMALL, backend=backend)
        for t, sig in zip(texts, sigs):
            expected = ref.shingles(t, kind, size, min_len)
            assert package_shingles(t, scfg) == expected  # the readable definition agrees too
            assert sig.tolist() == ref_sig(expected), (t, kind, size, min_len)


@pytest.mark.parametrize("backend", BACKENDS)
def test_edge_documents(backend: str) -> None:
    texts = ["", " ", "\n\t", "ab", "bui van", "bui van nam et aleksandr", "x" * 9, "é", "le de la"]
    for kind in ("word", "char"):
        for size in (1, 3, 5):
            for min_len in (1, 2, 4):
                scfg = ShingleConfig(kind=kind, size=size, min_token_len=min_len)  # type: ignore[arg-type]
                sigs = minhash_texts(texts, scfg, SMALL, backend=backend)
                for t, sig in zip(texts, sigs):
                    assert sig.tolist() == ref_sig(ref.shingles(t, kind, size, min_len)), (t, scfg)
    # empty docs get the empty signature; [] and [""] differ
    sigs = minhash_shingles([[], [""]], SMALL, backend=backend)
    assert (sigs[0] == 2**32 - 1).all()
    assert sigs[1].tolist() == ref_sig([""]) and not (sigs[1] == 2**32 - 1).all()


@pytest.mark.parametrize("backend", BACKENDS)
def test_long_realistic_texts(backend: str) -> None:
    from benchmarks.corpus import generate_corpus
    from dedup.text.normalization import normalize

    texts = [normalize(d["text"]) for d in generate_corpus(6, seed=5)]
    for scfg in (
        ShingleConfig(),
        ShingleConfig(kind="word", size=3, min_token_len=1),
        ShingleConfig(kind="char", size=5, min_token_len=1),
    ):
        sigs = minhash_texts(texts, scfg, backend=backend)
        for t, sig in zip(texts, sigs):
            assert sig.tolist() == ref.minhash(
                ref.shingles(t, scfg.kind, scfg.size, scfg.min_token_len)
            )


def test_backends_agree_on_a_corpus() -> None:
    from benchmarks.corpus import generate_corpus
    from dedup.text.normalization import normalize

    texts = [normalize(d["text"]) for d in generate_corpus(60, seed=9)]
    scfg = ShingleConfig(kind="word", size=2, min_token_len=2)
    sigs = [minhash_texts(texts, scfg, backend=b) for b in BACKENDS]
    for other in sigs[1:]:
        assert np.array_equal(sigs[0], other)


@pytest.mark.parametrize("backend", BACKENDS)
def test_separator_byte_inside_shingles(backend: str) -> None:
    # 0x1f separates shingles in the packed buffer; a shingle holding it is still hashed whole
    docs = [["a"], ["b\x1fc", "d"], [b"\x1f"]]
    sigs = minhash_shingles(docs, SMALL, backend=backend)
    for doc, sig in zip(docs, sigs):
        assert sig.tolist() == ref_sig(doc)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("hash_name", ["dedup32", "sha1_32"])
def test_mixed_str_bytes_tuples_and_bad_items(backend: str, hash_name: str) -> None:
    cfg = MinHashConfig(num_perm=16, seed=7, hash=hash_name)  # type: ignore[arg-type]
    hf = ref.dedup_hash32 if hash_name == "dedup32" else ref.sha1_hash32
    docs = [["a", b"b"], ("bui", "van"), ["é", b"\xff"], []]
    sigs = minhash_shingles(docs, cfg, backend=backend)
    for doc, sig in zip(docs, sigs):
        assert sig.tolist() == ref_sig(doc, cfg, hf)
    with pytest.raises(ValueError, match="document 2: shingles must be str or bytes"):
        minhash_shingles([["a"], ["b"], ["c", 3]], cfg, backend=backend)


def test_bad_arguments_are_rejected() -> None:
    with pytest.raises(ValueError, match="n_jobs"):
        minhash_texts(["a"], n_jobs=0)
    with pytest.raises(ValueError, match="backend"):
        minhash_texts(["a"], backend="gpu")
