"""An index check agrees with dedup.cluster on the same pairs; both backends agree."""

from __future__ import annotations

import pytest

from benchmarks.corpus import generate_corpus
from dedup.index import open_index
from dedup.pipeline import cluster

from .conftest import NO_LEARN


@pytest.fixture(scope="module")
def corpus() -> list[tuple[str, str]]:
    return [(d["id"], d["text"]) for d in generate_corpus(300, seed=11, dup_fraction=0.4)]


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


def test_index_finds_exactly_the_pairs_cluster_verifies(make_index, corpus, clustered):
    result = clustered
    expected = {(p.a, p.b): (p.score, p.relation) for p in result.pairs if p.relation != "distinct"}
    assert len(expected) > 50  # the corpus really has duplicates of every kind
    assert {r for _, r in expected.values()} >= {"exact", "near_copy", "same_story"}
    found = _stream(make_index(NO_LEARN), corpus)
    assert found == expected


@pytest.mark.parametrize("relation", ["same_story", "near_copy", "distinct"])
def test_check_agrees_with_cluster_on_one_pair(make_index, corpus, clustered, relation):
    texts = dict(corpus)
    pairs = [p for p in clustered.pairs if p.relation == relation]
    assert pairs, f"the corpus has no {relation} pair"
    p = pairs[0]
    idx = make_index(NO_LEARN)
    idx.add(p.a, texts[p.a])
    got = [(m.id, m.score, m.relation) for m in idx.check(texts[p.b])]
    assert got == ([] if relation == "distinct" else [(p.a, p.score, p.relation)])


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
