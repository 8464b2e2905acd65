"""An index check agrees with dedup.cluster on the same pairs; both backends agree."""

from __future__ import annotations

import pytest

from benchmarks.corpus import generate_corpus
from dedup.index import open_index
from dedup.match.verify import score_texts
from dedup.pipeline import cluster

from .conftest import NO_LEARN


@pytest.fixture(scope="module")
def corpus() -> list[tuple[str, str]]:
    # French: the generator's English template bank is too small to be realistic
    gen = generate_corpus(300, seed=11, dup_fraction=0.4, languages=("fr",))
    return [(d["id"], d["text"]) for d in gen]


@pytest.fixture(scope="module")
def clustered(corpus):
    return cluster(corpus, NO_LEARN)


def _stream(idx, docs):
    """check_and_add every document in order; the set of (earlier, later) duplicate pairs."""
    found = {}
    for doc_id, text in docs:
        for m in idx.check_and_add(doc_id, text).matches:
            found[(m.id, doc_id)] = (m.score, m.relation)
    return found


def test_index_agrees_with_cluster(make_index, corpus, clustered):
    # The verifier weighs words by their rarity in a corpus: dedup.cluster uses the whole
    # input, a streaming index what is stored so far plus the query. Copies do not depend on
    # weights; rewrites may differ only near the threshold (measured: none differ here).
    result = clustered
    expected = {(p.a, p.b): (p.score, p.relation) for p in result.pairs if p.relation != "distinct"}
    assert len(expected) > 50  # the corpus really has duplicates of every kind
    assert {r for _, r in expected.values()} >= {"exact", "near_copy", "same_story"}
    found = _stream(make_index(NO_LEARN), corpus)
    copies = {k: v for k, v in expected.items() if v[1] != "same_story"}
    assert {k: v[1] for k, v in found.items() if v[1] != "same_story"} == {
        k: v[1] for k, v in copies.items()
    }
    stories = {k for k, v in expected.items() if v[1] == "same_story"}
    found_stories = {k for k, v in found.items() if v[1] == "same_story"}
    differ = stories ^ found_stories
    assert len(differ) <= 0.1 * len(stories), sorted(differ)
    threshold = NO_LEARN.verify.threshold
    for k in differ:
        score = (expected.get(k) or found[k])[0]
        assert abs(score - threshold) < 0.1, (k, score)


def test_batch_loaded_index_agrees_exactly_with_cluster(make_index, corpus, clustered):
    # Everything stored, each document checked against the others: the weights are those of
    # the whole corpus, as in dedup.cluster. Every decision is the same; scores differ a little
    # (< 0.01) because the index counts raw document frequencies (glued words not split first).
    idx = make_index(NO_LEARN)
    idx.add_many(corpus, batch_size=64)
    order = {doc_id: n for n, (doc_id, _) in enumerate(corpus)}
    found = {}
    for doc_id, text in corpus:
        assert idx.remove(doc_id)
        for m in idx.check(text):
            a, b = sorted((m.id, doc_id), key=order.__getitem__)
            found[(a, b)] = (m.score, m.relation)
        idx.add(doc_id, text)
    expected = {}
    for p in clustered.pairs:
        if p.relation != "distinct":
            a, b = sorted((p.a, p.b), key=order.__getitem__)
            expected[(a, b)] = (p.score, p.relation)
    assert len(expected) > 50
    assert {k: v[1] for k, v in found.items()} == {k: v[1] for k, v in expected.items()}
    for k, (score, _) in found.items():
        assert abs(score - expected[k][0]) < 0.01, k


@pytest.mark.parametrize("relation", ["same_story", "near_copy", "distinct"])
def test_check_agrees_with_the_verifier_on_one_pair(make_index, corpus, clustered, relation):
    # With one stored article, the pair is the whole corpus: the index says what
    # score_texts says on the two normalized texts.
    texts = dict(corpus)
    norm = dict(zip((i for i, _ in corpus), clustered.normalized))
    first = next(
        (
            (p, s)
            for p in clustered.pairs
            for s in [score_texts(norm[p.b], norm[p.a], NO_LEARN.verify)]
            if s.relation == relation
        ),
        None,
    )  # the first pair of that relation (scoring every pair took minutes)
    assert first, f"the corpus has no {relation} pair"
    p, s = first
    idx = make_index(NO_LEARN)
    idx.add(p.a, texts[p.a])
    got = [(m.id, m.score, m.relation) for m in idx.check(texts[p.b])]
    assert got == ([] if relation == "distinct" else [(p.a, s.score, s.relation)])


def test_sqlite_and_redis_give_the_same_results(tmp_path, redis_url, corpus):
    sqlite_idx = open_index(tmp_path / "a.db", NO_LEARN)
    redis_idx = open_index(redis_url, NO_LEARN, prefix="same-results:")
    try:
        half = len(corpus) // 2
        sqlite_idx.add_many(corpus[:half], batch_size=37)
        redis_idx.add_many(corpus[:half], batch_size=37)

        def run(idx):
            return [
                (r.id, r.added, [(m.id, m.score, m.relation) for m in r.matches])
                for r in (idx.check_and_add(*d) for d in corpus[half:])
            ]

        a, b = run(sqlite_idx), run(redis_idx)
        assert a == b
        assert sum(1 for _, _, ms in a if ms) > 20
        assert sorted(sqlite_idx.ids()) == sorted(redis_idx.ids())
        assert sqlite_idx.evict("0s") == redis_idx.evict("0s") == len(corpus)
    finally:
        redis_idx.drop()
        sqlite_idx.close()
        redis_idx.close()
