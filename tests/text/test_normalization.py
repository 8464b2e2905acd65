"""Normalization: Unicode folding, case, apostrophes, whitespace, tokens."""

from __future__ import annotations

import unicodedata

import pytest
from unidecode import unidecode

from dedup.config import NormalizeConfig
from dedup.text.normalization import fold, normalize, tokenize


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Bùi Van Nam", "Bui Van Nam"),  # the seed names, with and without accents
        ("Tô Lâm", "To Lam"),
        ("Vu Viêt Trang", "Vu Viet Trang"),
        ("l’Intérieur", "l'Interieur"),  # typographic vs straight apostrophe
        ("Vietnam–Russie", "Vietnam - Russie"),  # en dash
        ("« plus étroite »", '"plus etroite"'),  # guillemets
        ("SÉCURITÉ  publique\n\n", "sécurité publique"),  # case and whitespace
        ("ﬁnance", "finance"),  # NFKC ligature
    ],
)
def test_equivalent_forms_normalize_the_same(a: str, b: str) -> None:
    assert normalize(a) == normalize(b)


def test_nfd_and_nfc_agree() -> None:
    s = "Hà Nội, Nhân Dân"
    assert normalize(unicodedata.normalize("NFD", s)) == normalize(unicodedata.normalize("NFC", s))


def test_tokens_are_ascii_alnum_runs() -> None:
    assert tokenize("Bùi Van Nam (à gauche), 2019-2021 !") == [
        "bui",
        "van",
        "nam",
        "a",
        "gauche",
        "2019",
        "2021",
    ]


def test_cached_fold_equals_plain_unidecode() -> None:
    # the per-character cache must give exactly what unidecode gives on the whole text
    text = "Nhân Dân en ligne – Bùi Van Nam, Ngô Xuân Lich, Trân Dai Quang, Hà Nội, Đà Nẵng"
    assert fold(text) == unidecode(unicodedata.normalize("NFKC", text).replace("–", "-")).casefold()


def test_non_latin_scripts_become_separate_tokens() -> None:
    toks = tokenize("北京 Москва")
    assert "moskva" in toks
    assert len(toks) >= 3  # CJK characters do not glue into one token


def test_emoji_only_text_normalizes_to_empty() -> None:
    assert normalize("🙂🎉 !!") == ""


def test_config_switches() -> None:
    assert normalize("Bùi", NormalizeConfig(transliterate=False)) != "bui"
    assert tokenize("Bui NAM", NormalizeConfig(lowercase=False)) == ["Bui", "NAM"]


def test_seed_names_match_across_outlets(seed_docs) -> None:
    texts = dict(seed_docs)
    nd = normalize(texts["000_9106e3a7f7abc474"])
    vna = normalize(texts["001_679247a4154d51ed"])
    assert "bui van nam" in nd and "bui van nam" in vna
    assert "aleksandr gorovoy" in nd and "aleksandr gorovoy" in vna
