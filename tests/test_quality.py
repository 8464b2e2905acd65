"""Quality regression on a small generated set, and the evaluation tooling itself.

The figures asserted here sit well below what ``python -m benchmarks.quality`` measures (see
docs/quality.md), so only a real regression fails them. The generated set uses a seed that is
neither the tune nor the held-out split.
"""

from __future__ import annotations

import json
import random

import pytest

from benchmarks.corpus import EVAL_SPLITS, VARIANT_KINDS, eval_corpus, generate_corpus
from benchmarks.quality import (
    adjusted_rand_index,
    load_split,
    pair_counts,
    pairwise_scores,
    recall_by_kind,
    run_baseline_exact,
    run_baseline_minhash,
    run_dedup,
)


@pytest.fixture(scope="module")
def small():
    docs = eval_corpus(150, seed=7)
    labels, result = run_dedup(docs)
    return docs, labels, result


def test_quality_does_not_regress(small):
    docs, labels, _ = small
    truth = [d["story"] for d in docs]
    s = pairwise_scores(truth, labels)
    # measured: precision 1.000, recall 0.922, F1 0.959, ARI 0.959 (docs/quality.md)
    assert s["precision"] >= 0.9, s
    assert s["recall"] >= 0.7, s
    assert s["f1"] >= 0.8, s
    assert adjusted_rand_index(truth, labels) >= 0.8


def test_copies_are_always_found(small):
    docs, labels, _ = small
    by_kind = recall_by_kind(docs, labels)
    for kind in ("exact", "boilerplate", "noisy"):
        if kind in by_kind:
            assert by_kind[kind] >= 0.9, by_kind
    # A truncated copy that comes first is the representative (the earliest report); a rewrite
    # of the full article that was never verified against the truncated one stays apart.
    # Measured 0.86 here, 0.92 on the held-out split (docs/quality.md).
    assert by_kind.get("truncated", 1.0) >= 0.8, by_kind


def test_dedup_beats_the_classic_baselines(small):
    docs, labels, _ = small
    truth = [d["story"] for d in docs]
    ours = pairwise_scores(truth, labels)["f1"]
    assert ours > pairwise_scores(truth, run_baseline_minhash(docs, 0.8))["f1"] + 0.4
    assert ours > pairwise_scores(truth, run_baseline_exact(docs))["f1"] + 0.4


def test_seeds_exact_inside_the_small_set(small):
    docs, labels, _ = small
    lab = {
        d["id"][:3]: labels[k]
        for k, d in enumerate(docs)
        if d["family"] == "seed" and "_" in d["id"]
    }
    assert lab["000"] == lab["001"]
    assert len({lab[k] for k in ("000", "002", "003", "004")}) == 4


# ------------------------------------------------------------------------------ metrics


def test_ari_known_values():
    assert adjusted_rand_index([0, 0, 1, 1], [1, 1, 0, 0]) == 1.0
    # by hand: contingency [[2, 1], [0, 3]] -> index 1 + 3 = 4; pred pairs 1 + 6 = 7,
    # true pairs 3 + 3 = 6, of 15: expected 7 * 6 / 15, maximum (7 + 6) / 2
    truth, pred = [0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 1, 1]
    assert adjusted_rand_index(truth, pred) == pytest.approx((4 - 42 / 15) / (6.5 - 42 / 15))
    assert pair_counts(truth, pred) == (4, 7, 6, 15)


def test_ari_is_near_zero_for_random_labels():
    rng = random.Random(0)
    truth = [rng.randrange(20) for _ in range(2000)]
    pred = [rng.randrange(20) for _ in range(2000)]
    assert abs(adjusted_rand_index(truth, pred)) < 0.02


def test_pairwise_scores_edge_cases():
    assert pairwise_scores(["a", "b"], [0, 1]) == {"precision": 1.0, "recall": 1.0, "f1": 1.0}
    s = pairwise_scores(["a", "a", "b", "b"], [0, 0, 0, 0])
    assert s["precision"] == pytest.approx(2 / 6) and s["recall"] == 1.0
    with pytest.raises(ValueError):
        pairwise_scores(["a"], [0, 1])


# ------------------------------------------------------------------------------ corpus


def test_corpus_public_api_is_kept():
    docs = generate_corpus(200, seed=3)
    assert sorted(docs[0]) == ["id", "kind", "lang", "story", "text"]
    assert {d["kind"] for d in docs} <= {"original", *VARIANT_KINDS}
    assert generate_corpus(30, seed=4) == generate_corpus(30, seed=4)
    assert generate_corpus(30, seed=4) != generate_corpus(30, seed=5)


def test_corpus_has_hard_negatives():
    # many stories share a family (country pair and ministry): other meetings, same style
    docs = eval_corpus(300, seed=11)
    originals = [d for d in docs if d["kind"] == "original" and d["family"] != "seed"]
    families = {d["family"] for d in originals}
    assert len(originals) >= 2 * len(families)


def test_eval_splits_are_reproducible():
    # the files in benchmarks/data are exactly what the generator writes for their seeds
    for name, (seed, n) in EVAL_SPLITS.items():
        stored = load_split(name)
        fresh = json.loads(json.dumps(eval_corpus(n, seed=seed), ensure_ascii=False))
        assert stored == fresh, name
