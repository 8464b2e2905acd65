"""The batch verification paths (numba kernel, numpy) against the plain Python reference.

Every generated pair must get the same bits from :meth:`Verifier.score_arrays` (numba and
numpy) as from :func:`tests.match.reference.reference_score` given the same word weights.
"""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

import dedup.match.verify as V
from benchmarks.corpus import generate_corpus
from dedup.config import VerifyConfig
from dedup.match.verify import PairArrays, Verifier, WordWeights
from dedup.pipeline import prepare_texts
from dedup.sketch.lsh import candidate_pairs
from dedup.sketch.minhash import minhash_texts

from .reference import reference_score

PATHS = [
    "numpy",
    pytest.param("numba", marks=pytest.mark.skipif(not V.HAVE_NUMBA, reason="no numba")),
]


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def _key(s: V.PairScore) -> tuple:
    return (s.score, s.relation, s.containment, repr(s.fuzz), s.overlap)


def _corpus() -> list[str]:
    docs = generate_corpus(300, seed=11)
    _, norm, _ = prepare_texts([d["text"] for d in docs])
    rng = random.Random(5)
    extra = [
        "",
        "",
        norm[3],  # an exact copy
        norm[4][: len(norm[4]) // 3],  # a truncated copy
        norm[5].replace(" ", "", 40),  # glued words
        "court",  # shorter than one 10-gram
        "a b",
        "cour t",
        " ".join(rng.sample(norm[6].split(), 30)),
    ]
    return norm + extra


@pytest.fixture(scope="module")
def corpus() -> list[str]:
    return _corpus()


def _pairs(texts: list[str]) -> np.ndarray:
    n = len(texts)
    sigs = minhash_texts(texts)
    lsh = candidate_pairs(sigs)  # near pairs: copies, rewrites, many gated
    rng = np.random.default_rng(0)
    rand = rng.integers(0, n, size=(1500, 2))
    tail = np.array([[i, j] for i in range(n - 9, n) for j in range(n - 9, n)])
    return np.concatenate((lsh, rand, tail, [[3, n - 7], [0, 0]])).astype(np.int64)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("explain", [False, True])
def test_batch_equals_reference_bit_for_bit(corpus, path, explain, monkeypatch):
    if path == "numpy":
        monkeypatch.setattr(V, "_nbv", None)
    else:
        monkeypatch.setattr(V, "_COMPILED_FROM", 0)  # compiled kernels for every block
    pairs = _pairs(corpus)
    v = Verifier(corpus, explain=explain)
    got = v.score_arrays(pairs, block=257)  # several blocks, an uneven last one
    w = v._idf
    rel = got.relation.tolist()
    n_gated = n_dup = 0
    for k, (i, j) in enumerate(pairs.tolist()):
        ref = reference_score(corpus[i], corpus[j], w, explain=explain)
        s = got[k]
        assert s.relation == ref.relation and V.RELATIONS[rel[k]] == ref.relation, (i, j)
        assert s.score == ref.score, (i, j, s, ref)
        assert s.containment == ref.containment, (i, j, s, ref)
        assert s.overlap == ref.overlap, (i, j, s, ref)
        assert _same(s.fuzz, ref.fuzz), (i, j, s, ref)
        n_gated += 0 < ref.containment < 1
        n_dup += ref.is_duplicate
    assert n_gated > 50 and n_dup > 50  # the pairs exercise the gate and every branch


def test_paths_agree_and_scalar_api_agrees(corpus, monkeypatch):
    pairs = _pairs(corpus)
    fast = Verifier(corpus).score_arrays(pairs)
    monkeypatch.setattr(V, "_nbv", None)
    slow = Verifier(corpus).score_arrays(pairs, block=1000)
    for name in ("score", "relation", "containment", "overlap", "fuzz"):
        np.testing.assert_array_equal(getattr(fast, name), getattr(slow, name))
    v = Verifier(corpus)
    one_by_one = [v.score(i, j) for i, j in pairs[:200].tolist()]
    assert [_key(s) for s in one_by_one] == [_key(s) for s in fast.to_scores()[:200]]


def test_given_weights_and_thresholds(corpus):
    w = WordWeights.from_texts(corpus[:150])  # counts of another corpus, as an index gives
    cfg = VerifyConfig(threshold=0.3, near_copy=0.6)
    pairs = _pairs(corpus)[:800]
    got = Verifier(corpus, cfg, weights=w).score_pairs(pairs)
    for (i, j), s in zip(pairs.tolist(), got):
        ref = reference_score(corpus[i], corpus[j], w, cfg)
        assert (s.score, s.relation, s.containment, s.overlap) == (
            ref.score,
            ref.relation,
            ref.containment,
            ref.overlap,
        )


def test_big_documents_are_summed_exactly(corpus, monkeypatch):
    # documents whose integer sum could overflow int64 take the Python-integer path
    monkeypatch.setattr(V, "_INT64_MAX", 2**20)
    pairs = _pairs(corpus)[:300]
    v = Verifier(corpus)
    got = v.score_pairs(pairs)
    tab = v._table
    assert tab is not None and tab.big[np.diff(tab.ptr) > 0].all()
    for (i, j), s in zip(pairs.tolist(), got):
        ref = reference_score(corpus[i], corpus[j], v._idf)
        assert (s.score, s.relation, s.overlap) == (ref.score, ref.relation, ref.overlap)


def test_round6_matches_python_round():
    rng = np.random.default_rng(1)
    x = np.concatenate(
        (
            rng.random(20000),
            np.arange(0, 2_000_001) / 2e6,  # every half-way decimal of 6 places in [0, 1]
            [0.0, 1.0, 0.5, 0.75, 1e-7, 0.1234565, 0.2500005],
        )
    )
    got = V._round6(x)
    assert got.tolist() == [round(v, 6) for v in x.tolist()]


def test_weights_are_fixed_point():
    w = WordWeights.from_texts(["hanoi talks", "hanoi trade", "moscow talks", "paris"])
    assert all(float(f) / 2**V.FIXED_BITS == x for f, x in zip(w.fixed.tolist(), w.weight))
    assert all(abs(x - w.weight_of(k)) == 0 for k, x in zip(w.ids, w.weight))
    exact = math.log(5 / 3) + 1.0
    assert abs(w.weight_of("hanoi") - exact) <= 2.0 ** -(V.FIXED_BITS + 1)


def test_pair_arrays_and_errors(corpus):
    v = Verifier(corpus)
    arr = v.score_arrays(np.empty((0, 2), dtype=np.int64))
    assert isinstance(arr, PairArrays) and len(arr) == 0 and arr.to_scores() == []
    with pytest.raises(IndexError, match="out of range"):
        v.score_arrays([[0, len(corpus)]])


def test_one_pass_build_equals_from_texts_and_features(corpus):
    # the array build (one pass, glued words split once per word) against the two-pass
    # WordWeights.from_texts and the per-document WordWeights.features
    texts = [*corpus, "dansla securite", "securite dans la"]
    v = Verifier(texts)
    v.prepare()
    ref = WordWeights.from_texts(texts)
    got = v._idf
    assert got.ids == ref.ids and got.raw_df == ref.raw_df and got.n_docs == ref.n_docs
    np.testing.assert_array_equal(got.fixed, ref.fixed)
    tab = v._table
    assert tab is not None
    split = 0
    for d, t in enumerate(texts):
        f = ref.features(t)
        assert tab.word_ids(d).tolist() == sorted(f.words), d
        assert tab.mass[d] == f.mass
        split += len(f.words) != len(set(t.split()))
    assert split >= 2  # glued words were split back
    # given weights: the per-document path
    given = Verifier(texts, weights=ref)
    given.prepare()
    assert given._table is not None
    for d in range(len(texts)):
        assert given._table.word_ids(d).tolist() == tab.word_ids(d).tolist()


def test_given_weights_build_paths_and_weights_by_count(corpus):
    # WordWeights' weights (one computation per distinct count) against the per-word formula;
    # both ways of splitting given texts' glued words (per word, or by the set of splittable
    # words) against WordWeights.features
    texts = [*corpus, "dansla securite", "securite dans la"]
    raw = WordWeights.raw_counts(texts)
    df: dict[str, int] = {}
    for t in texts:
        for w in WordWeights.document_words(t, raw):
            df[w] = df.get(w, 0) + 1
    ref = WordWeights(raw, df, len(texts))
    for w, k in ref.ids.items():
        assert ref.fixed[k] == round((math.log((len(texts) + 1) / (df[w] + 1)) + 1.0) * 2**40)
        assert ref.weight[k] == ref.fixed[k] / 2**40
    few = [corpus[304], texts[-2], texts[-1]]  # (glued words; far fewer words than raw)
    as_index = WordWeights(raw, raw, len(texts))  # an index's counts: glued words have ids
    for weights in (ref, as_index):
        for chosen, path in ((few, "per word"), (texts, "by set")):
            v = Verifier(chosen, weights=weights)
            v.prepare()
            assert (weights._splittable is None) == (path == "per word")
            assert v._table is not None
            for d, t in enumerate(chosen):
                f = weights.features(t)
                assert v._table.word_ids(d).tolist() == sorted(f.words), (path, d)
                assert v._table.mass[d] == f.mass
        assert weights.splittable() == {w for w, c in raw.items() if c == 1 and len(w) >= 4}
    assert any(len(ref.features(t).words) != len(set(t.split())) for t in few)  # splits


@pytest.mark.parametrize("path", PATHS)
def test_score_query_is_the_verifier_bit_for_bit(corpus, path, monkeypatch):
    # score_query (one text against a few, the index's verification) against the batch
    # Verifier with the same counts: glued words, copies, truncations, empty and equal texts,
    # counts of 1 and 2 (splits), words without a count, thresholds that label every way
    if path == "numpy":
        monkeypatch.setattr(V, "_nbv", None)
    rng = random.Random(11)
    texts = [*corpus, "dansla securite", "securite dans la"]
    raw = WordWeights.raw_counts(texts)
    n_dup = n_near = n_split = 0
    for q in range(0, len(texts), 3):
        query = texts[q]
        others = [texts[rng.randrange(len(texts))] for _ in range(rng.randint(1, 5))]
        others += [texts[(q + 1) % len(texts)], query, ""]
        counts = {w: rng.choice([1, 1, 2, c, c + 3]) for w, c in raw.items() if rng.random() < 0.97}
        n = len(texts) + rng.randint(0, 50)
        cfg = rng.choice([VerifyConfig(), VerifyConfig(threshold=0.3, near_copy=0.6)])
        got = V.score_query(query, others, counts, n, cfg)
        v = Verifier([query, *others], cfg, weights=WordWeights(counts, counts, n))
        pairs = np.array([[0, k + 1] for k in range(len(others))], dtype=np.int64)
        want = v.score_arrays(pairs).to_scores()
        assert [_key(s) for s in got] == [_key(s) for s in want], q
        n_dup += sum(s.relation == "same_story" for s in got)
        n_near += sum(s.relation == "near_copy" for s in got)
        n_split += len(WordWeights.document_words(query, counts)) != len(set(query.split()))
    assert n_dup > 10 and n_near > 5 and n_split > 5
