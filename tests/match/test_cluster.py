"""Clustering: no chaining through intermediate documents, under the default settings."""

from __future__ import annotations

import dedup
from dedup.match.cluster import assign_clusters


def _seed(seed_docs, key: str) -> str:
    return next(text for name, text in seed_docs if name.startswith(key))


def _body(text: str) -> str:
    return text.split("Voir plus")[0].rstrip()


def test_digest_does_not_chain_two_unrelated_articles(seed_docs):
    # B is a page carrying two articles (A: the Moscow meeting, C: the Indonesia meeting).
    # A ~ B and B ~ C (each contained in B), but A !~ C: A and C must stay apart.
    a = _body(_seed(seed_docs, "000"))
    c = _body(_seed(seed_docs, "002"))
    b = a + "\n\n" + c
    docs = [("A", a), ("B", b), ("C", c)]
    pairs = {(p.a, p.b): p for p in dedup.cluster(docs).pairs}
    assert pairs[("A", "B")].relation == "near_copy"
    assert pairs[("B", "C")].relation == "near_copy"
    assert pairs.get(("A", "C")) is None or pairs[("A", "C")].relation == "distinct"

    for order in (docs, docs[::-1], [docs[1], docs[0], docs[2]]):
        result = dedup.cluster(order)
        cluster = {r.id: r.cluster for r in result.records}
        assert cluster["A"] != cluster["C"], [r.to_dict() for r in result.records]
    # the transitive alternative does chain them: the prevention is what keeps them apart
    connected = dedup.cluster(
        docs, dedup.DedupConfig(cluster=dedup.ClusterConfig(method="connected"))
    )
    assert len({r.cluster for r in connected.records}) == 1


def test_rewrites_chain_is_cut_whatever_the_order():
    # 0~1 and 1~2 are rewrites, 0 !~ 2: never one cluster of three, in any input order
    for perm in ([0, 1, 2], [2, 1, 0], [1, 0, 2], [1, 2, 0]):
        pos = {d: k for k, d in enumerate(perm)}
        edges = [(pos[0], pos[1], 0.6, "same_story"), (pos[1], pos[2], 0.6, "same_story")]
        cl = assign_clusters(3, edges).cluster
        assert cl[pos[0]] != cl[pos[2]]
        assert len(set(cl.tolist())) == 2


def test_rewrite_joins_when_it_matches_most_members():
    # 1 is the center (3 links); 0, 2, 3 are rewrites; 3 matches the center and 0 and 2
    edges = [(1, 0, 0.7, "same_story"), (1, 2, 0.6, "same_story"), (1, 3, 0.55, "same_story"),
             (3, 0, 0.6, "same_story"), (3, 2, 0.6, "same_story"), (0, 2, 0.6, "same_story")]  # fmt: skip
    assert assign_clusters(4, edges).cluster.tolist() == [0, 0, 0, 0]
    # without 0~2, 2 is turned away (matches the center but not 0): no chain through 1
    a = assign_clusters(4, [e for e in edges if e[:2] != (0, 2)])
    assert a.cluster[0] == a.cluster[1] != a.cluster[2]


def test_full_copies_stand_for_the_center():
    # 1 is a full copy of 0, 2 a rewrite of 0 that was only compared with 0: all together
    edges = [(0, 1, 1.0, "exact"), (0, 2, 0.6, "same_story")]
    assert assign_clusters(3, edges, lengths=[100, 100, 90]).cluster.tolist() == [0, 0, 0]


def test_seeds_cluster_exactly(seed_docs):
    result = dedup.cluster(seed_docs)
    clusters = {r.id[:3]: r.cluster for r in result.records}
    assert clusters["000"] == clusters["001"]
    assert len({clusters[k] for k in ("000", "002", "003", "004")}) == 4
    rel = {r.id[:3]: r.relation for r in result.records}
    assert rel["001"] == "same_story"
