"""The fast text paths equal the straightforward implementations (tests/text/reference.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.corpus import generate_corpus
from dedup.config import BoilerplateConfig, NormalizeConfig
from dedup.text.boilerplate import strip_boilerplate
from dedup.text.normalization import fold, normalize, normalize_lines
from tests.text.reference import reference_fold, reference_strip_boilerplate

DATA = Path(__file__).resolve().parents[2] / "benchmarks" / "data"
CONFIGS = [
    NormalizeConfig(),
    NormalizeConfig(transliterate=False),
    NormalizeConfig(lowercase=False),
]

# Characters that stress folding: accents (composed and combining), Vietnamese, typographic
# punctuation, ligatures, CJK, characters unidecode turns into several characters or into a
# line break, line/paragraph separators, dotless/dotted i, final sigma, Kelvin sign, emoji.
_TRICKY = (
    "aeiouAEIOU éèàùçÉÀôœŒæßẞ Đđạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ"
    "\u0301\u0300\u0323\u0303 ’‘“”«»–—−\u00a0 ﬁﬂ ½²³ 北京 東京 \u2028\u2029\x85\x0b\x0c\r"
    "İıΣσςK ſ µ ©®™ 😀 ảnh 1 VNA/CVN Photo : NDEL (VNA) – >> [x] Voir plus\t"
)
texts = st.text(alphabet=st.sampled_from([*_TRICKY, "\n", " ", "x", "1"]), max_size=200)


@pytest.mark.parametrize("config", CONFIGS, ids=["default", "no-translit", "cased"])
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=texts)
def test_fold_equals_reference(config: NormalizeConfig, text: str) -> None:
    assert fold(text, config) == reference_fold(text, config)


@pytest.mark.parametrize("config", CONFIGS, ids=["default", "no-translit", "cased"])
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=texts)
def test_normalize_lines_equals_normalize_line_by_line(config: NormalizeConfig, text: str) -> None:
    lines = text.split("\n")
    assert normalize_lines(lines, config) == [normalize(line, config) for line in lines]


def test_normalize_lines_falls_back_when_a_character_folds_into_a_line_break() -> None:
    lines = ["a\u2028b", "Đà Nẵng"]  # unidecode may turn U+2028 into a line break
    assert normalize_lines(lines) == [normalize(x) for x in lines]
    assert normalize_lines([]) == []


def _same(text: str, **kw) -> None:  # type: ignore[no-untyped-def]
    fast = strip_boilerplate(text, **kw)
    ref = reference_strip_boilerplate(text, **kw)
    assert (fast.source, fast.lines, fast.removed, fast.keys) == (
        ref.source,
        ref.lines,
        ref.removed,
        ref.keys,
    )
    assert fast.text == ref.text and fast.normalized == ref.normalized


def test_strip_equals_reference_on_seeds_and_benchmark_data(seed_docs) -> None:
    docs = [t for _, t in seed_docs]
    for name in ("tune.jsonl", "heldout.jsonl"):
        with (DATA / name).open(encoding="utf-8") as fh:
            docs += [json.loads(line)["text"] for line in fh][:300]
    for text in docs:
        _same(text)
        _same(text, config=BoilerplateConfig(dedupe_lines=False))


def test_strip_equals_reference_on_generated_corpus() -> None:
    for doc in generate_corpus(400, seed=11):
        _same(doc["text"])


# Lines built from the rules' own material, so that every rule fires now and then.
_PIECES = [
    "Hanoi, 25 juillet (VNA) – ",
    "Nhân Dân en ligne - ",
    "Le ministre a signé l’accord à Moscou. ",
    "Photo : VNA",
    " –VNA",
    "VNA/CVN",
    "Voir plus",
    "Read more:",
    "Font size: | Print | Email",
    "Vendredi, 19 février 2021 à 18:08:13",
    "[Le Vietnam et la Russie vont renforcer leur coopération]",
    ">> Autres nouvelles",
    "ảnh 1 ",
    "Bùi Van Nam et İstanbul ſ K",
    "   ",
    "",
]
lines_st = st.lists(
    st.lists(st.sampled_from(_PIECES), min_size=0, max_size=3).map("".join), max_size=12
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=lines_st, dedupe=st.booleans(), crlf=st.booleans())
def test_strip_equals_reference_on_rule_material(
    lines: list[str], dedupe: bool, crlf: bool
) -> None:
    text = ("\r\n" if crlf else "\n").join(lines)
    _same(text, config=BoilerplateConfig(dedupe_lines=dedupe))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=texts)
def test_strip_equals_reference_on_odd_unicode(text: str) -> None:
    _same(text)
