"""The one call, end to end, on the seeds and on constructed corpora."""

from __future__ import annotations

import pytest

import dedup
from dedup.config import ClusterConfig, DedupConfig, ShingleConfig, VerifyConfig
from dedup.errors import InputError

PAIR = ("000_9106e3a7f7abc474", "001_679247a4154d51ed")


def by_id(result: dedup.ClusterResult) -> dict[str, dedup.DocResult]:
    return {r.id: r for r in result.records}


def test_seeds_cluster_as_stated(seed_docs) -> None:
    result = dedup.cluster(seed_docs)
    recs = by_id(result)
    assert [r.id for r in result.records] == [i for i, _ in seed_docs]  # input order, all ids
    a, b = recs[PAIR[0]], recs[PAIR[1]]
    assert a.cluster == b.cluster
    assert a.representative == b.representative == PAIR[0]  # earliest in input order
    assert not a.duplicate and b.duplicate
    assert b.relation == "same_story" and 0.5 <= b.score < 0.8
    others = [recs[i] for i, _ in seed_docs if i not in PAIR]
    clusters = {r.cluster for r in others} | {a.cluster}
    assert len(clusters) == 4  # 002, 003, 004 each alone
    for r in others:
        assert r.representative == r.id and not r.duplicate and r.score is None


def test_seed_pair_is_found_whatever_the_input_order(seed_docs) -> None:
    result = dedup.cluster(list(reversed(seed_docs)))
    recs = by_id(result)
    assert recs[PAIR[0]].cluster == recs[PAIR[1]].cluster
    assert recs[PAIR[1]].representative == PAIR[1]  # now 001 comes first
    assert len(result.clusters) == 4


def test_classic_5gram_settings_miss_the_seed_pair(seed_docs) -> None:
    # What the README claims: word 5-grams at 0.8 cannot see the rewrite.
    cfg = DedupConfig(
        shingle=ShingleConfig(size=5, min_token_len=1), verify=VerifyConfig(threshold=0.8)
    )
    recs = by_id(dedup.cluster(seed_docs, cfg))
    assert recs[PAIR[0]].cluster != recs[PAIR[1]].cluster


def test_representative_longest(seed_docs) -> None:
    cfg = DedupConfig(cluster=ClusterConfig(representative="longest"))
    docs = list(reversed(seed_docs))  # 001 now comes before 000 ...
    result = dedup.cluster(docs, cfg)
    lengths = dict(zip([i for i, _ in docs], map(len, result.normalized)))
    assert lengths[PAIR[0]] > lengths[PAIR[1]]  # ... but 000 keeps more text
    recs = by_id(result)
    assert recs[PAIR[1]].representative == PAIR[0]
    assert recs[PAIR[1]].duplicate and not recs[PAIR[0]].duplicate
    first = by_id(dedup.cluster(docs))
    assert first[PAIR[0]].representative == PAIR[1]  # the default picks the earliest


def test_accepts_pairs_dicts_and_documents() -> None:
    text = "Le ministre a signé l'accord de coopération à Moscou le 5 septembre avec son homologue."
    docs = [
        ("a", text),
        {"id": "b", "text": text + " Photo : VNA"},
        dedup.Document("c", "Autre chose, la météo."),
    ]
    result = dedup.cluster(docs)
    assert [(r.id, r.representative, r.relation) for r in result.records] == [
        ("a", "a", None),
        ("b", "a", "exact"),
        ("c", "c", None),
    ]


def test_near_copy_and_truncation() -> None:
    body = " ".join(
        f"Phrase numero {i} sur la rencontre des ministres a Moscou et leurs accords."
        for i in range(30)
    )
    truncated = body[: len(body) // 2]
    edited = body.replace("numero 3 ", "numero trois ")
    result = dedup.cluster([("full", body), ("half", truncated), ("edit", edited)])
    recs = by_id(result)
    assert recs["half"].representative == "full" and recs["half"].relation == "near_copy"
    assert recs["edit"].representative == "full" and recs["edit"].relation == "near_copy"


def test_empty_and_short_documents_are_kept_and_accounted() -> None:
    docs = [
        ("e1", ""),
        ("e2", "   \n "),
        ("emoji", "🙂🙂"),
        ("short", "Hanoi"),
        ("short2", "Hanoi"),
    ]
    result = dedup.cluster(docs)
    assert [r.id for r in result.records] == [d[0] for d in docs]
    recs = by_id(result)
    assert recs["short2"].representative == "short"  # short texts still get a signature
    assert (
        len({recs["e1"].cluster, recs["e2"].cluster, recs["emoji"].cluster}) == 3
    )  # empties never merge
    assert result.stats["empty"] == 3
    assert result.stats["documents"] == 5


def test_duplicate_ids_are_refused() -> None:
    with pytest.raises(InputError, match="duplicate id 'x'"):
        dedup.cluster([("x", "a"), ("x", "b")])


def test_bad_items_are_refused_with_position() -> None:
    with pytest.raises(InputError, match="document #1"):
        dedup.cluster([("x", "a"), 42])  # type: ignore[list-item]
    with pytest.raises(InputError, match="text of 'y' must be a string"):
        dedup.cluster([("y", None)])  # type: ignore[list-item]


def test_progress_callback_sees_every_stage(seed_docs) -> None:
    seen = []
    dedup.cluster(seed_docs, progress=lambda stage, done, total: seen.append((stage, done, total)))
    stages = [s for s, _, _ in seen]
    assert {"prepare", "hash", "verify"} <= set(stages)
    assert ("hash", 5, 5) in seen


def test_jobs_do_not_change_output(seed_docs) -> None:
    one = dedup.cluster(seed_docs, n_jobs=1).records
    two = dedup.cluster(seed_docs, n_jobs=2).records
    assert one == two


def test_generated_corpus_recall_and_precision() -> None:
    from benchmarks.corpus import generate_corpus

    # French: the English template bank of the generator is too small to be realistic
    docs = generate_corpus(400, seed=7, languages=("fr",))
    result = dedup.cluster([(d["id"], d["text"]) for d in docs])
    story = {d["id"]: d["story"] for d in docs}
    truth, found = set(), set()
    ids = [d["id"] for d in docs]
    cl = {r.id: r.cluster for r in result.records}
    for i, a in enumerate(ids):
        for b in ids[i + 1 :]:
            if story[a] == story[b]:
                truth.add((a, b))
            if cl[a] == cl[b]:
                found.add((a, b))
    assert truth, "the generator made no duplicates"
    precision = len(truth & found) / len(found)
    recall = len(truth & found) / len(truth)
    assert precision >= 0.95 and recall >= 0.9, (precision, recall)
