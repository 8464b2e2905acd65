"""The pipeline's memory-saving paths give what the plain paths give.

* candidates one LSH band at a time == the signature filter over all bands' pairs;
* ``result.pairs`` (a :class:`~dedup.pipeline.PairTable` of columns) reads as the list of
  :class:`~dedup.pipeline.Pair` the verifier's per-pair scores make;
* ``keep_stripped=False`` changes nothing but ``result.stripped``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import dedup
import dedup.pipeline as P
from benchmarks.corpus import generate_corpus
from dedup.config import DedupConfig, LSHConfig
from dedup.match.verify import Verifier
from dedup.sketch.hashing import MAX_HASH
from dedup.sketch.lsh import band_keys, candidate_pairs, filter_pairs
from dedup.sketch.minhash import minhash_texts


def _key(p: P.Pair) -> tuple:
    return (p.a, p.b, p.score, p.relation, p.containment, repr(p.fuzz), p.overlap)


@pytest.fixture(scope="module")
def docs() -> list[tuple[str, str]]:
    gen = generate_corpus(400, seed=7, world="wide")
    out = [(d["id"], d["text"]) for d in gen]
    out[5] = (out[5][0], "")  # an empty document
    out.append(("copy", out[10][1]))  # an exact copy
    return out


@pytest.fixture(scope="module")
def result(docs) -> dedup.ClusterResult:
    return dedup.cluster(docs)


@pytest.mark.parametrize("compiled", [True, False])
@pytest.mark.parametrize(
    "lsh",
    [LSHConfig(), LSHConfig(bands=20, rows=2, max_bucket=3, min_similarity=0.1)],
)
def test_candidates_band_by_band_equal_all_bands_at_once(docs, lsh, compiled, monkeypatch):
    if not compiled:
        monkeypatch.setattr(P, "_nbp", None)
    elif P._nbp is None:
        pytest.skip("no numba")
    else:
        monkeypatch.setattr(P, "_COMPILED_FROM", 0)  # compiled kernels even for few pairs
    _, norm, _ = P.prepare_texts([t for _, t in docs])
    sigs = minhash_texts(norm)
    # a document whose first band is at the maximum is not empty (the whole row decides)
    sigs = np.concatenate((sigs, sigs[:1]))
    sigs[-1, : lsh.rows] = MAX_HASH
    assert np.all(sigs[5] == MAX_HASH)  # the empty document
    want = filter_pairs(sigs, candidate_pairs(sigs, lsh), lsh.min_similarity)
    got, n_band = P._candidates(sigs, lsh)
    assert len(want) > 50 and (want[:, 0] == 0).any() and (want == [0, len(sigs) - 1]).all(1).any()
    np.testing.assert_array_equal(got, want)
    assert n_band == len(candidate_pairs(sigs, lsh))  # distinct pairs before the filter
    if lsh.max_bucket == 3:  # over-sized buckets (stars) are exercised
        keys = band_keys(sigs, lsh)
        assert max(np.unique(keys[:, b], return_counts=True)[1].max() for b in range(20)) > 3


def test_pair_table_reads_as_the_list_of_pairs(docs, result):
    pairs = result.pairs
    assert isinstance(pairs, P.PairTable) and len(pairs) == result.stats["candidate_pairs"] > 100
    ids = [i for i, _ in docs]
    index = {d: k for k, d in enumerate(ids)}
    as_list = list(pairs)
    assert len(as_list) == len(pairs)
    idx = np.array([[index[p.a], index[p.b]] for p in as_list])
    assert (idx[:, 0] < idx[:, 1]).all()
    assert (np.diff(idx[:, 0] * len(ids) + idx[:, 1]) > 0).all()  # sorted, distinct
    scores = Verifier(result.normalized, result.config.verify).score_pairs(idx)
    for p, s in zip(as_list, scores):
        assert (p.score, p.relation, p.containment, p.overlap) == (
            s.score,
            s.relation,
            s.containment,
            s.overlap,
        )
        assert p.fuzz == s.fuzz or (math.isnan(p.fuzz) and math.isnan(s.fuzz))
    assert _key(pairs[0]) == _key(as_list[0]) and _key(pairs[-1]) == _key(as_list[-1])
    assert list(map(_key, pairs[3:7])) == list(map(_key, as_list[3:7]))
    assert list(map(_key, pairs[::50])) == list(map(_key, as_list[::50]))
    with pytest.raises(IndexError):
        pairs[len(pairs)]
    assert sum(p.relation != "distinct" for p in pairs) == result.stats["duplicate_pairs"]
    assert any(p.relation == "exact" and {p.a, p.b} == {ids[10], "copy"} for p in pairs)
    assert pairs.nbytes == 41 * len(pairs)


def test_without_stripped_texts_nothing_else_changes(docs, result):
    light = dedup.cluster(iter(docs), keep_stripped=False)  # any iterable
    assert light.stripped == [] and len(result.stripped) == len(docs)
    assert light.records == result.records
    assert light.normalized == result.normalized
    assert light.stats == result.stats
    assert list(map(_key, light.pairs)) == list(map(_key, result.pairs))


def test_small_verify_blocks_give_the_same_result(docs, result, monkeypatch):
    monkeypatch.setattr(P, "_VERIFY_BLOCK", 37)
    seen = []
    again = dedup.cluster(docs, DedupConfig(), progress=lambda *a: seen.append(a))
    assert again.records == result.records
    assert [(p.a, p.b, p.score) for p in again.pairs] == [(p.a, p.b, p.score) for p in result.pairs]
    verify = [done for stage, done, _ in seen if stage == "verify"]
    assert verify[0] == 0 and verify[-1] == len(result.pairs) and len(verify) > 3
