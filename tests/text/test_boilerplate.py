"""Boilerplate rules, each checked on real seed lines; repeated and learned lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from dedup.config import BoilerplateConfig
from dedup.errors import RuleFileError
from dedup.text.boilerplate import (
    apply_learned,
    learn_boilerplate,
    load_rules,
    parse_rules,
    strip_boilerplate,
)


def removed(text: str, **kw) -> list[tuple[str, str]]:
    s = strip_boilerplate(text, **kw)
    return [(r.rule, s.source[r.start : r.end].strip()) for r in s.removed]


def seed(seed_docs, prefix: str) -> str:
    return next(t for i, t in seed_docs if i.startswith(prefix))


def test_related_tail_cuts_voir_plus_and_everything_after(seed_docs) -> None:
    text = seed(seed_docs, "001")
    s = strip_boilerplate(text)
    assert "Voir plus" not in s.text
    assert "Dong Thap" not in s.text  # a teaser after "Voir plus"
    assert "programme de coordination pour la période 2019-2021" in s.text
    assert ("related_tail", "Voir plus") in removed(text)


@pytest.mark.parametrize(
    ("line", "rule", "gone"),
    [
        # real lines of the seeds
        (
            "Moscou, 6 septembre (VNA) - Le ministère vietnamien de la Sécurité publique a signé.",
            "dateline",
            "Moscou, 6 septembre (VNA) -",
        ),
        (
            "Hanoi, 25 juillet(VNA) – Le ministre vietnamien de la Sécurité publique a parlé.",
            "dateline",
            "Hanoi, 25 juillet(VNA) –",
        ),
        (
            "Nhân Dân en ligne - Le programme de coopération a été signé.",
            "source_prefix",
            "Nhân Dân en ligne -",
        ),
        (
            "Bùi Van Nam (à gauche) et Aleksandr Gorovoy ont signé le programme. Photo : VNA",
            "photo_credit",
            "Photo : VNA",
        ),
        (
            "Les deux ministres de la Sécurité publique signent le procès-verbal. Photo : NDEL.",
            "photo_credit",
            "Photo : NDEL.",
        ),
        (
            "Le président préside une réunion sur les préparatifs. Photo : Lam Khanh/VNA",
            "photo_credit",
            "Photo : Lam Khanh/VNA",
        ),
        (
            "Vu Viet Trang et Andrey Kondrashov ont signé un accord. Photo ; VNA",
            "photo_credit",
            "Photo ; VNA",
        ),
        (
            "les deux ministères ont signé un programme de coordination pour la période 2019-2021. –VNA",
            "agency_sign",
            "–VNA",
        ),
        (
            "Vietnam et Russie renforcent la coopération ảnh 1Le vice-ministre vietnamien Bui Van Nam signe.",
            "image_marker",
            "Vietnam et Russie renforcent la coopération ảnh 1",
        ),
    ],
)
def test_strip_rules_on_seed_lines(line: str, rule: str, gone: str) -> None:
    s = strip_boilerplate("Un titre quelconque ici\n" + line)
    assert (rule, gone) in [(r, t.strip()) for r, t in removed("Un titre quelconque ici\n" + line)]
    assert gone not in s.text
    assert len(s.text) > len("Un titre quelconque ici") + 10  # the story part is kept


@pytest.mark.parametrize(
    ("line", "rule"),
    [
        ("Photo : VNA/CVN", "credit_line"),
        ("VNA/CVN", "credit_line"),
        ("NDEL", "credit_line"),
        (
            "\u00a0Font Size:\u00a0\u00a0 \u00a0\u00a0|\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0 \u00a0Print",
            "widget",
        ),
        ("Vendredi, 19 février 2021 à 18:08:13", "dateline_time"),
        (
            "[Le Vietnam et la Russie vont dynamiser leur partenariat stratégique intégral]",
            "related_link",
        ),
        (">> Lire aussi: un autre article", "related_link"),
    ],
)
def test_drop_line_rules(line: str, rule: str) -> None:
    text = f"Titre de l'article\n{line}\nLe corps de l'article reste bien là."
    s = strip_boilerplate(text)
    assert [r for r, _ in removed(text)] == [rule]
    assert s.text == "Titre de l'article\nLe corps de l'article reste bien là."


def test_doubled_caption_in_seed_is_kept_once(seed_docs) -> None:
    text = seed(seed_docs, "000")
    s = strip_boilerplate(text)
    assert s.text.count("Bùi Van Nam (à gauche) et Aleksandr Gorovoy ont signé") == 1
    assert "repeated_line" in [r for r, _ in removed(text)]


def test_repeated_title_dropped(seed_docs) -> None:
    s = strip_boilerplate(seed(seed_docs, "004"))
    assert (
        s.text.count("Vietnam-Russie : renforcement des relations de coopération dans la sécurité")
        == 1
    )


def test_every_seed_loses_its_credits(seed_docs) -> None:
    for doc_id, text in seed_docs:
        kept = strip_boilerplate(text).text
        for credit in ("Photo : VNA", "VNA/CVN", "Voir plus", "Font Size", "ảnh 1"):
            assert credit not in kept, (doc_id, credit)


def test_removed_spans_and_kept_pieces_partition_nonblank_text(seed_docs) -> None:
    for _, text in seed_docs:
        s = strip_boilerplate(text)
        covered = [False] * len(s.source)
        for pieces in s.lines:
            for a, b in pieces:
                covered[a:b] = [True] * (b - a)
        for r in s.removed:
            assert not any(covered[r.start : r.end]), "a removed span overlaps kept text"
            covered[r.start : r.end] = [True] * (r.end - r.start)
        uncovered = "".join(ch for ch, c in zip(s.source, covered) if not c)
        assert uncovered.strip() == "", uncovered[:80]


def test_story_lines_survive(seed_docs) -> None:
    s = strip_boilerplate(seed(seed_docs, "002"))
    assert "Agus Andrianto" in s.text
    assert s.text.startswith("Le Vietnam et l’Indonésie renforcent")


def test_learned_lines_recur_across_documents() -> None:
    docs = [
        f"Story {i}: the minister met envoy {i} in city {i}.\nFollow us on Twitter and Facebook"
        for i in range(8)
    ]
    learned = learn_boilerplate(docs, BoilerplateConfig(learn_min_docs=5))
    assert learned == frozenset({"follow us on twitter and facebook"})
    s = strip_boilerplate(docs[0], learned=learned)
    assert "Follow us" not in s.text
    assert "learned" in [r.rule for r in s.removed]


def test_learned_lines_never_erase_a_copied_story() -> None:
    story = "The minister met the envoy.\nThey signed a treaty on trade.\nTalks will go on."
    learned = learn_boilerplate([story] * 10, BoilerplateConfig(learn_min_docs=5))
    assert learned  # every line recurs ...
    s = strip_boilerplate(story)
    assert apply_learned(s, learned).text == s.text  # ... but a document is never emptied


def test_user_rule_file_extends_rules(tmp_path: Path) -> None:
    rules = tmp_path / "mine.rules"
    rules.write_text("drop_line  subscribe  ^subscribe to our newsletter\n", encoding="utf-8")
    cfg = BoilerplateConfig(extra_rules_path=str(rules))
    s = strip_boilerplate("Body text here.\nSubscribe to our newsletter now", cfg)
    assert s.text == "Body text here."
    # and the packaged rules still apply
    assert strip_boilerplate("Body.\nVNA/CVN", cfg).text == "Body."


def test_user_rule_file_replaces_rules(tmp_path: Path) -> None:
    rules = tmp_path / "only.rules"
    rules.write_text("# nothing but one rule\nstrip x ZZZ\n", encoding="utf-8")
    s = strip_boilerplate("Body. ZZZ\nVNA/CVN", BoilerplateConfig(rules_path=str(rules)))
    assert s.text == "Body. \nVNA/CVN"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("drop_line only_two_parts\n", ":1: expected 'KIND NAME REGEX'"),
        ("# c\nexplode name abc\n", ":2: unknown rule kind 'explode'"),
        ("strip bad (unclosed\n", ":1: bad regular expression"),
    ],
)
def test_bad_rule_files_name_file_and_line(tmp_path: Path, content: str, message: str) -> None:
    p = tmp_path / "bad.rules"
    p.write_text(content, encoding="utf-8")
    with pytest.raises(RuleFileError, match=message.replace("(", r"\(")) as exc:
        load_rules(p)
    assert str(p) in str(exc.value)


def test_missing_rule_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RuleFileError, match="cannot read rule file"):
        load_rules(tmp_path / "nope.rules")


def test_parse_rules_ignores_comments_and_blank_lines() -> None:
    assert len(parse_rules("# a\n\n   \nstrip a b\n").rules) == 1


def test_crlf_and_bom_are_prepared() -> None:
    s = strip_boilerplate("\ufeffTitle\r\nBody line\r\nVNA/CVN\r\n")
    assert s.text == "Title\nBody line"
