"""The text speed-ups (rule prefilters, one-pass folding, translate tokenizing) change no output.

Each fast path is compared with the plain definition it replaces, on generated news, the seed
articles, and random text built from rule fragments, accents and the characters whose
case-insensitive matching is irregular (dotless i, long s, Kelvin sign, final sigma, U+0130).
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from unidecode import unidecode

import dedup.text.boilerplate as B
from benchmarks.corpus import generate_corpus
from dedup.config import NormalizeConfig
from dedup.pipeline import prepare_texts
from dedup.text.normalization import _PUNCT_TABLE, normalize

SEEDS = Path(__file__).resolve().parents[2] / "seeds"

FRAGMENTS = [
    "Photo : VNA",
    "photo; Lam Khanh/VNA",
    "PHOTOS. AFP",
    " –VNA",
    " - reuters ",
    "—AP",
    "Hanoi (VNA) – ",
    "Moscou, 6 septembre (VNA) -",
    "Nhân Dân en ligne - ",
    "ảnh 1 ",
    "ẢNH 2",
    "Voir plus",
    "READ MORE:",
    "Lire aussi",
    "[Le Vietnam et la Russie vont coopérer]",
    ">> ",
    "» suite",
    "Font size: A+ | A-",
    "Imprimer",
    "Vendredi, 19 février 2021 à 18:08:13",
    "VNA/CVN",
    "xinhua",
    "tass",
    "ttxvn",
    "ndel",
    "\u0130",
    "ı",
    "ſ",
    "\u212a",
    "Σ",
    "ς",
    "ﬅ",
    "µ",
    "é",
    "Bùi",
    "l’Intérieur",
    "«",
    "»",
    "中文",
    "\u00a0",
    "\t",
    " ",
    " ",
    "\n",
    "a",
    "ministre",
    "(",
    ")",
    ":",
    ";",
    ".",
    "-",
    "2019-2021",
    "ap",
    "phot",
    "o",
]
texts = st.lists(st.sampled_from(FRAGMENTS), max_size=25).map("".join)


def _plain_fold_char(ch: str) -> str:
    out = unidecode(ch)
    if len(out) > 1 and not unicodedata.category(ch).startswith("L"):
        out = f" {out} "
    return out


def plain_normalize(text: str, cfg: NormalizeConfig) -> str:
    """The normalizer as first written: NFKC, punctuation table, unidecode, casefold, regex."""
    text = unicodedata.normalize("NFKC", text).translate(_PUNCT_TABLE)
    if cfg.transliterate and not text.isascii():
        text = re.sub(r"[^\x00-\x7f]", lambda m: _plain_fold_char(m.group()), text)
    if cfg.lowercase:
        text = text.casefold()
    token = r"[a-z0-9]+" if cfg.lowercase else r"[A-Za-z0-9]+"
    return " ".join(re.findall(token, text))


CONFIGS = [
    NormalizeConfig(transliterate=t, lowercase=lc) for t in (True, False) for lc in (True, False)
]


@given(texts)
@settings(max_examples=150, deadline=None)
def test_normalize_equals_plain_definition(text: str) -> None:
    for cfg in CONFIGS:
        assert normalize(text, cfg) == plain_normalize(text, cfg)


def _without_prefilters(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setattr(B, "_prefilters", lambda pattern: ())


@given(texts)
@settings(max_examples=150, deadline=None)
def test_rule_prefilters_change_nothing_on_random_lines(text: str) -> None:
    fast = B.strip_boilerplate(text)
    orig = B._prefilters
    try:
        B._prefilters = lambda pattern: ()  # type: ignore[assignment]
        slow = B.strip_boilerplate(text)
    finally:
        B._prefilters = orig  # type: ignore[assignment]
    assert fast == slow


def test_prepare_texts_unchanged_on_corpus_and_seeds(monkeypatch: pytest.MonkeyPatch) -> None:
    docs = [d["text"] for d in generate_corpus(150, seed=4)]
    docs += [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    fast = prepare_texts(docs)
    monkeypatch.setattr(B, "_prefilters", lambda pattern: ())
    monkeypatch.setattr(
        B, "_line_key", lambda line, cfg: plain_normalize(line, cfg or NormalizeConfig())
    )
    slow_stripped, _, slow_learned = prepare_texts(docs)
    # the normalized text as first defined: the whole kept text normalized again
    slow_normalized = [plain_normalize(s.text, NormalizeConfig()) for s in slow_stripped]
    assert fast == (slow_stripped, slow_normalized, slow_learned)
    assert any(s.removed for s in fast[0])  # the rules did fire on this corpus


def test_prefilters_are_derived_and_sound() -> None:
    pats = {r.name: B._prefilters(r.pattern) for r in B.default_rules().rules}
    assert pats["photo_credit"][0] == ("photo",)
    assert pats["image_marker"] == (("ảnh",),)
    # every literal of a prefilter occurs in some line the rule matches
    assert B.strip_boilerplate("Caption. Photo : VNA").removed
    # case-insensitive matching that str.lower does not reproduce disables the prefilter
    weird = re.compile("ſtrip|kelvin", re.IGNORECASE)
    for line in ["STRIP", "\u212aELVIN", "ſtrip"]:
        assert weird.search(line)
        assert B._may_match(B.Rule("drop_line", "x", weird), B._lower_key(line))
    assert B._lower_key("İstanbul") is None
