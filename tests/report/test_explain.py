"""dedup.report.explain: token -> source mapping, shared passages, removed boilerplate, scores."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dedup.config import DedupConfig, VerifyConfig
from dedup.match.verify import Verifier
from dedup.pipeline import cluster, prepare_texts
from dedup.report.explain import explain, source_tokens
from dedup.text.boilerplate import parse_rules, strip_boilerplate
from dedup.text.normalization import normalize

SEED_A = "000_9106e3a7f7abc474"
SEED_B = "001_679247a4154d51ed"


def _seed(seed_docs, doc_id):
    return dict(seed_docs)[doc_id]


def _check_cover(side):
    """Segments cover the source contiguously, from 0 to its end."""
    pos = 0
    for g in side.segments:
        assert g.start == pos and g.end > g.start
        pos = g.end
    assert pos == len(side.source)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            list("abcXYZ019 .,'-\n\t") + list("éàùÇßŒœﬁ’“”–—«»ñØđƯ東京ø½²") + ["e\u0301", "🙂"]
        ),
        max_size=80,
    ).map("".join)
)
def test_tokens_equal_normalize_and_point_at_their_characters(text):
    s = strip_boilerplate(text)
    toks = source_tokens(s)
    assert [t.text for t in toks] == normalize(s.text).split()
    for t in toks:
        # each token's source characters normalize to text that contains the token
        assert t.text in normalize(s.source[t.start : t.end]).split() or t.text in normalize(
            s.source[t.start : t.end]
        ).replace(" ", "")


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.sampled_from([*"abq Q.\n", "é", "ß", "🙂", "e\u0301"]), max_size=60).map("".join)
)
def test_tokens_of_lines_cut_in_pieces(text):
    """A strip rule in mid-line leaves several pieces per line; tokens still match."""
    rules = parse_rules("strip q_rule q+")
    s = strip_boilerplate(text, rules=rules)
    toks = source_tokens(s)
    assert [t.text for t in toks] == normalize(s.text).split()
    for t in toks:
        assert 0 <= t.start < t.end <= len(s.source)


def test_seed_pair_scores_match_the_pipeline(seed_docs):
    result = cluster(seed_docs)
    pair = next(p for p in result.pairs if {p.a, p.b} == {SEED_A, SEED_B})
    stripped, _, _ = prepare_texts([t for _, t in seed_docs])
    ids = [i for i, _ in seed_docs]
    normalized = result.normalized
    scores = Verifier(normalized, explain=True).score(ids.index(pair.a), ids.index(pair.b))
    e = explain(
        stripped[ids.index(pair.a)],
        stripped[ids.index(pair.b)],
        ids=(pair.a, pair.b),
        scores=scores,
    )
    assert e.relation == pair.relation == "same_story"
    assert e.score == pytest.approx(pair.score)
    assert e.scores.containment == pytest.approx(pair.containment)
    assert e.scores.fuzz == pytest.approx(pair.fuzz)
    assert e.scores.overlap == pytest.approx(pair.overlap)
    # without the corpus, the pair alone is the corpus: same decision, slightly other score
    alone = explain(stripped[ids.index(pair.a)], stripped[ids.index(pair.b)])
    assert alone.relation == "same_story"
    assert alone.score == pytest.approx(pair.score, abs=0.05)


def test_seed_pair_shared_passages_are_shared(seed_docs):
    e = explain(_seed(seed_docs, SEED_A), _seed(seed_docs, SEED_B), ids=(SEED_A, SEED_B))
    _check_cover(e.a)
    _check_cover(e.b)
    assert len(e.passages) >= 5
    norm_a = normalize(strip_boilerplate(e.a.source).text)
    norm_b = normalize(strip_boilerplate(e.b.source).text)
    for p in e.passages:
        ta = normalize(e.a.source[p.a_start : p.a_end])
        tb = normalize(e.b.source[p.b_start : p.b_end])
        assert len(ta.split()) >= 3
        # the same words on both sides, and present in each side's normalized kept text
        assert ta == tb
        assert f" {ta} " in f" {norm_a} " and f" {tb} " in f" {norm_b} "
    # a passage everybody can see in the seeds
    shared_a = " ".join(e.a.text(g) for g in e.a.segments if g.kind == "shared")
    assert "Aleksandr Gorovoy" in shared_a
    assert 0.2 < e.a.shared_fraction < 1.0 and 0.2 < e.b.shared_fraction < 1.0


def test_removed_boilerplate_keeps_rule_names(seed_docs):
    e = explain(_seed(seed_docs, SEED_A), _seed(seed_docs, SEED_B))
    removed_a = {(g.rule, e.a.text(g)) for g in e.a.segments if g.kind == "removed"}
    assert ("source_prefix", "Nhân Dân en ligne - ") in removed_a
    assert any(rule == "repeated_line" for rule, _ in removed_a)
    rules_b = {g.rule for g in e.b.segments if g.kind == "removed"}
    assert {"dateline", "related_tail"} <= rules_b
    # the related-articles tail is one segment, not one per line
    assert sum(1 for g in e.b.segments if g.rule == "related_tail") == 1
    # removed text is never highlighted as shared, and every removed span is shown removed
    for side in (e.a, e.b):
        removed = strip_boilerplate(side.source).removed
        for g in side.segments:
            overlaps = any(r.start < g.end and g.start < r.end for r in removed)
            assert overlaps == (g.kind == "removed")


def test_copy_with_boilerplate_is_all_shared():
    body = (
        "Le ministre a signé l'accord de coopération à Moscou le 5 septembre. "
        "Les deux parties ont discuté de la formation du personnel."
    )
    e = explain(body, "Hanoi (VNA) – " + body + "\nVNA/CVN")
    assert e.relation == "exact"
    assert e.a.shared_tokens == e.a.tokens == e.b.tokens
    kinds = [g.kind for g in e.b.segments if g.kind != "text" or normalize(e.b.text(g))]
    assert kinds == ["removed", "shared", "removed"]
    assert [g.rule for g in e.b.segments if g.rule] == ["dateline", "credit_line"]


def test_moved_paragraph_is_found():
    p1 = "Officials from both sides met in the capital to discuss security cooperation."
    p2 = "The agreement signed on Tuesday covers training equipment and joint exercises."
    e = explain(f"{p1}\n\n{p2}", f"{p2}\n\n{p1}")
    kinds = sorted(p.kind for p in e.passages)
    assert kinds == ["aligned", "moved"]
    assert e.a.shared_tokens == e.a.tokens


def test_unrelated_texts_share_nothing():
    e = explain("The weather tomorrow will be rainy over Hanoi.", "Football results from Paris.")
    assert e.passages == () and e.relation == "distinct"
    assert all(g.kind == "text" for g in e.a.segments + e.b.segments)


def test_min_run_controls_passage_length():
    a = "alpha beta gamma delta one two three"
    b = "alpha beta zeta delta one two nine"
    assert [p.tokens for p in explain(a, b, min_run=2).passages] == [2, 3]
    assert [p.tokens for p in explain(a, b, min_run=3).passages] == [3]
    with pytest.raises(ValueError, match="min_run"):
        explain(a, b, min_run=0)


def test_threshold_from_config_changes_label():
    a = "Talks opened in Hanoi on Monday between the ministers."
    b = "On Monday, talks opened in Hanoi between the two ministers."
    low = explain(a, b)
    high = explain(a, b, DedupConfig(verify=VerifyConfig(threshold=0.99, near_copy=0.99)))
    assert low.relation == "same_story" and high.relation == "distinct"
    assert low.score == high.score


def test_non_bmp_and_empty_texts():
    e = explain("🙂 Le ministre 🙂 a signé l'accord à Moscou", "Le ministre a signé l'accord 🙂")
    _check_cover(e.a)
    shared = [e.a.text(g) for g in e.a.segments if g.kind == "shared"]
    assert shared == ["Le ministre 🙂 a signé l'accord"]
    empty = explain("", "…")
    assert empty.passages == () and empty.a.segments == () and empty.relation == "distinct"


def test_bad_argument_type_says_what_to_pass():
    with pytest.raises(TypeError, match="str"):
        explain(b"bytes", "text")  # type: ignore[arg-type]


def test_to_dict_is_json_and_complete(seed_docs):
    import json

    e = explain(_seed(seed_docs, SEED_A), _seed(seed_docs, SEED_B))
    d = json.loads(json.dumps(e.to_dict()))
    assert d["relation"] == "same_story" and d["relation_meaning"]
    assert set(d["scores"]) == {"score", "containment", "fuzz", "overlap"}
    assert len(d["passages"]) == len(e.passages)
    text = "".join(d["a"]["source"][g["start"] : g["end"]] for g in d["a"]["segments"])
    assert text == e.a.source
