"""Verification: relation labels on constructed pairs and robustness to real page damage.

Pairs are built from the seed articles (real news text) by the damage seen on real pages:
words glued by lost spaces, truncated copies, doubled captions, mixed accents, boilerplate.
"""

from __future__ import annotations

import math
import random
import unicodedata

import pytest

import dedup
from dedup.match.verify import RELATIONS, STORY_MAX, PairScore, Verifier, score_texts
from dedup.pipeline import prepare_texts


def _seed(seed_docs, key: str) -> str:
    return next(text for name, text in seed_docs if name.startswith(key))


def _body(text: str) -> str:
    """The article without the teaser tail, as the copies below are made from."""
    return text.split("Voir plus")[0].rstrip()


def _verify(texts: list[str], config: dedup.VerifyConfig | None = None) -> Verifier:
    _, normalized, _ = prepare_texts(texts)
    return Verifier(normalized, config)


def _glue(text: str, rate: float, seed: int = 0) -> str:
    rng = random.Random(seed)
    return "".join(
        "" if ch == " " and text[i - 1].isalpha() and rng.random() < rate else ch
        for i, ch in enumerate(text)
    )


def _strip_accents(text: str, share: float, seed: int = 0) -> str:
    rng = random.Random(seed)
    out = []
    for w in text.split(" "):
        if not w.isascii() and rng.random() < share:
            w = "".join(
                c for c in unicodedata.normalize("NFD", w) if unicodedata.category(c) != "Mn"
            )
        out.append(w)
    return " ".join(out)


# ---------------------------------------------------------------------------- each label


def test_exact_label():
    s = score_texts("le ministre signe un accord a moscou", "le ministre signe un accord a moscou")
    assert (s.relation, s.score, s.containment) == ("exact", 1.0, 1.0)


def test_exact_after_normalization_and_boilerplate(seed_docs):
    a = _body(_seed(seed_docs, "000"))
    b = "Imprimer | Partager\n" + a.replace("’", "'") + "\nNDEL"
    assert _verify([a, b]).score(0, 1).relation == "exact"


def test_near_copy_label_for_a_copy_with_an_edit(seed_docs):
    a = _body(_seed(seed_docs, "002"))
    paras = a.split("\n\n")
    b = "\n\n".join([*paras[:-2], "Un paragraphe ajouté par la rédaction en fin d'article."])
    s = _verify([a, b]).score(0, 1)
    assert s.relation == "near_copy"
    assert s.containment >= 0.8
    assert s.score > 0.75  # above every pure story score


def test_same_story_label_on_the_defining_seed_pair(seed_docs):
    texts = [t for _, t in seed_docs]
    v = _verify(texts)
    s = v.score(0, 1)
    assert s.relation == "same_story"
    assert 0.5 <= s.score <= STORY_MAX
    assert s.containment < 0.8


@pytest.mark.parametrize("other", ["002", "003", "004"])
def test_distinct_label_for_other_meetings(seed_docs, other):
    texts = [t for _, t in seed_docs]
    keys = [name[:3] for name, _ in seed_docs]
    v = _verify(texts)
    for k in ("000", "001"):
        s = v.score(keys.index(k), keys.index(other))
        assert s.relation == "distinct", (k, other, s)
        assert s.score < 0.4


def test_hard_negative_sharing_boilerplate_stays_distinct(seed_docs):
    # 000 and 004: Vietnam-Russia security meetings in the same agency style. Give both the
    # same page furniture: they must still not match.
    furniture = (
        "\n\nImprimer | Partager\n\nVoir plus\n\n" + _seed(seed_docs, "001").split("Voir plus")[1]
    )
    a = _seed(seed_docs, "000") + furniture
    b = _seed(seed_docs, "004").split("Voir plus")[0] + furniture
    assert _verify([a, b, *[t for _, t in seed_docs]]).score(0, 1).relation == "distinct"


# ---------------------------------------------------------------------------- robustness


def test_glued_words_are_still_a_copy(seed_docs):
    a = _body(_seed(seed_docs, "000"))
    b = _glue(a, 0.12)  # "dansla sécurité": 12% of the spaces lost
    assert b.count(" ") < 0.9 * a.count(" ")
    s = _verify([a, b]).score(0, 1)
    assert s.relation == "near_copy"
    assert s.containment > 0.95


def test_truncated_copy_is_contained(seed_docs):
    a = _body(_seed(seed_docs, "003"))
    paras = a.split("\n\n")
    b = "\n\n".join(paras[: len(paras) // 3])
    s = _verify([a, b]).score(0, 1)
    assert s.relation == "near_copy"
    assert s.containment > 0.95


def test_doubled_captions_and_image_markers(seed_docs):
    a = _body(_seed(seed_docs, "001"))
    lines = a.split("\n\n")
    caption = next(line for line in lines if "Photo" in line)
    doubled = a.replace(caption, caption + "\n\n" + caption + "\n\n" + caption)
    s = _verify([a, doubled]).score(0, 1)
    assert s.relation in ("exact", "near_copy")
    assert s.containment > 0.95


def test_mixed_accents(seed_docs):
    a = _body(_seed(seed_docs, "000"))
    b = _strip_accents(a, 0.5)
    assert b != a
    s = _verify([a, b]).score(0, 1)  # folded by normalization (and by accent-blind rules)
    assert s.relation == "exact", s


def test_all_damage_at_once_on_the_rewrite(seed_docs):
    # the defining pair survives when the second outlet's page is also damaged
    texts = [t for _, t in seed_docs]
    damaged = _glue(_strip_accents(_body(texts[1]), 0.5), 0.08)
    v = _verify([texts[0], damaged, *texts[2:]])
    assert v.score(0, 1).relation == "same_story"


# ---------------------------------------------------------------------------- the knob


def test_threshold_knob_from_same_story_to_copies_only(seed_docs):
    texts = [t for _, t in seed_docs]
    truncated = "\n\n".join(_body(texts[0]).split("\n\n")[:4])
    for threshold, rewrite_kept in ((0.4, True), (0.5, True), (0.8, False), (0.9, False)):
        v = _verify([*texts, truncated], dedup.VerifyConfig(threshold=threshold))
        assert v.score(0, 1).is_duplicate is rewrite_kept, threshold
        assert v.score(0, 5).relation == "near_copy", threshold
    v = _verify([*texts, truncated], dedup.VerifyConfig(threshold=1.0))
    assert v.score(0, 5).score >= 0.99  # the truncated copy: contained in full


def test_pairscore_api():
    s = score_texts("a b c d e f g h", "a b c d e f g x")
    assert isinstance(s, PairScore)
    assert s.relation in RELATIONS
    assert {"score", "relation", "containment", "fuzz", "overlap"} <= set(s.__dataclass_fields__)
    d = score_texts("a b c d e f g h", "q r s t u v w z")
    assert d.relation == "distinct" and not math.isnan(d.fuzz)  # score_texts always explains
    assert s.is_duplicate and not d.is_duplicate
    batch = Verifier(["a b c d e f g h", "q r s t u v w z"]).score(0, 1)
    assert batch.relation == "distinct" and math.isnan(batch.fuzz)  # not needed to decide
