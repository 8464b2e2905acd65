"""Property-based invariants of :func:`dedup.cluster` on random news-like input (hypothesis).

What is and is not independent of input order (see docs/reliability.md):

* the *partition* of ``method="connected"`` never depends on input order (only which member
  represents a cluster does, with ``representative="first"``);
* ``method="star"`` with ``representative="longest"`` gives the same partition in any order
  when texts of equal length are identical;
* ``method="star"`` with ``representative="first"`` depends on order *by design* (a star is
  centred on the earliest document: A~B, B~C, A!~C gives {A,B},{C} or {B,A,C});
  what holds in every order is that identical texts share a cluster.

These hold while no LSH bucket exceeds ``LSHConfig.max_bucket`` (200): beyond it a bucket
pairs its members with its first member only, which depends on order.
"""

from __future__ import annotations

import json

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import dedup
from dedup.config import ClusterConfig, DedupConfig
from dedup.match.cluster import assign_clusters

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# content words (>= 4 letters, so they are shingled), a few accented, plus function words
CONTENT = [
    "minister", "agreement", "moscow", "hanoi", "cooperation", "security", "trade", "energy",
    "ministre", "accord", "sécurité", "coopération", "élection", "président", "police",
    "weather", "rain", "forecast", "province", "football", "match", "victory", "economy",
    "growth", "investment", "railway", "airport", "festival", "museum", "hospital",
]  # fmt: skip
FUNCTION = ["the", "of", "a", "in", "le", "la", "de", "et", "to", "on"]
ODD = ["", "   ", "😀🎉", "\r\n", "Hi", "— … —"]  # empty after normalization, or tiny


@st.composite
def corpora(draw, max_docs: int = 24) -> list[tuple[str, str]]:
    """Stories with exact copies, edited copies and unrelated or empty texts; unique ids."""
    words = st.sampled_from(CONTENT + FUNCTION)
    stories = draw(st.lists(st.lists(words, min_size=6, max_size=30), min_size=1, max_size=4))
    n = draw(st.integers(1, max_docs))
    texts = []
    for _ in range(n):
        kind = draw(st.sampled_from(["copy", "copy", "edit", "random", "odd"]))
        if kind == "odd":
            texts.append(draw(st.sampled_from(ODD)))
            continue
        if kind == "random":
            texts.append(" ".join(draw(st.lists(words, min_size=1, max_size=30))))
            continue
        base = list(draw(st.sampled_from(stories)))
        if kind == "edit":
            for _ in range(draw(st.integers(1, 4))):
                i = draw(st.integers(0, len(base) - 1))
                base[i] = draw(words)
        sep = draw(st.sampled_from([" ", "\n", "\r\n", "  "]))
        texts.append(sep.join(base) + draw(st.sampled_from(["", ".", " Photo: VNA", "\n"])))
    return [(f"d{i:02d}", t) for i, t in enumerate(texts)]


configs = st.builds(
    lambda m, r: DedupConfig(cluster=ClusterConfig(method=m, representative=r)),
    st.sampled_from(["star", "connected"]),
    st.sampled_from(["first", "longest"]),
)


def _partition(result: dedup.ClusterResult) -> set[frozenset[str]]:
    return {frozenset(members) for members in result.clusters.values()}


@SETTINGS
@given(docs=corpora(), config=configs)
def test_every_document_once_and_in_its_own_cluster(docs, config):
    result = dedup.cluster(docs, config)
    assert [r.id for r in result.records] == [d for d, _ in docs]  # each id once, input order
    by_id = {r.id: r for r in result.records}
    reps_per_cluster: dict[int, set[str]] = {}
    for r in result.records:
        rep = by_id[r.representative]  # the representative is a member of the output ...
        assert rep.cluster == r.cluster  # ... in the same cluster
        assert rep.representative == rep.id and not rep.duplicate
        assert r.duplicate == (r.id != r.representative)
        assert (r.score is None) == (r.relation is None) == (not r.duplicate)
        reps_per_cluster.setdefault(r.cluster, set()).add(r.representative)
    assert all(len(reps) == 1 for reps in reps_per_cluster.values())
    assert sorted(reps_per_cluster) == list(range(len(reps_per_cluster)))
    assert result.stats["documents"] == result.stats["read"] == len(docs)
    assert result.stats["clusters"] == len(reps_per_cluster)


@SETTINGS
@given(docs=corpora(), config=configs, data=st.data())
def test_identical_texts_always_cluster(docs, config, data):
    order = data.draw(st.permutations(range(len(docs))))
    shuffled = [docs[i] for i in order]
    result = dedup.cluster(shuffled, config)
    cluster_of = {r.id: r.cluster for r in result.records}
    groups: dict[str, set[int]] = {}
    for (doc_id, text), norm in zip(shuffled, result.normalized):
        if norm:  # empty-after-normalization documents are singletons by design
            groups.setdefault(text, set()).add(cluster_of[doc_id])
        else:
            assert sum(1 for c in cluster_of.values() if c == cluster_of[doc_id]) == 1
    assert all(len(clusters) == 1 for clusters in groups.values())


@SETTINGS
@given(docs=corpora(), data=st.data())
def test_connected_partition_is_independent_of_input_order(docs, data):
    config = DedupConfig(cluster=ClusterConfig(method="connected"))
    shuffled = data.draw(st.permutations(docs))
    assert _partition(dedup.cluster(docs, config)) == _partition(dedup.cluster(shuffled, config))


@SETTINGS
@given(docs=corpora(), data=st.data())
def test_star_longest_is_independent_of_order_when_lengths_differ(docs, data):
    config = DedupConfig(cluster=ClusterConfig(method="star", representative="longest"))
    first = dedup.cluster(docs, config)
    text_of_length: dict[int, str] = {}
    for norm in first.normalized:
        assume(text_of_length.setdefault(len(norm), norm) == norm)
    shuffled = data.draw(st.permutations(docs))
    second = dedup.cluster(shuffled, config)
    assert _partition(first) == _partition(second)
    norm1 = dict(zip((d for d, _ in docs), first.normalized))
    rep1 = {r.id: norm1[r.representative] for r in first.records}
    rep2 = {r.id: norm1[r.representative] for r in second.records}
    assert rep1 == rep2  # the same representative, up to identical copies


def test_star_first_depends_on_order_by_design():
    # A~B and B~C but not A~C: the earliest document is the representative and decides.
    edges_abc = [(0, 1, 0.9, "same_story"), (1, 2, 0.9, "same_story")]  # indices A=0, B=1, C=2
    abc = assign_clusters(3, edges_abc).cluster.tolist()
    edges_cba = [(2, 1, 0.9, "same_story"), (1, 0, 0.9, "same_story")]  # indices C=0, B=1, A=2
    cba = assign_clusters(3, edges_cba).cluster.tolist()
    assert abc == [0, 0, 1]  # {A, B}, {C}
    assert cba == [0, 0, 1]  # {C, B}, {A}: another partition of the same documents


# ---------------------------------------------------------------- accounting on bad input

bad_items = st.sampled_from(
    [
        ("", "empty id"),
        (None, "no id"),
        (1.5, "float id"),
        ("x", None),
        ("y", 42),
        {"id": "z"},
        "not a document",
        ("\ud800", "surrogate id"),
    ]
)


@SETTINGS
@given(docs=corpora(max_docs=12), bad=st.lists(bad_items, max_size=6), data=st.data())
def test_skip_accounts_for_every_item(docs, bad, data):
    items = list(docs) + bad + [(docs[0][0], "a repeated id")]
    items = data.draw(st.permutations(items))
    result = dedup.cluster(items, on_error="skip")
    assert len(result.records) + len(result.skipped) == len(items)
    assert result.stats["read"] == len(items)
    assert result.stats["skipped"] == len(result.skipped) == len(bad) + 1
    assert sorted(r.id for r in result.records) == sorted(d for d, _ in docs)
    for s in result.skipped:
        assert s.reason in dedup.documents.REASONS and s.detail
        json.dumps(s.to_dict())
