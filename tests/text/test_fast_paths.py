"""The fast text paths equal the plain implementations of tests/text/reference.py.

Compared on the seeds, the benchmark data, the generated corpus in both worlds, the benchmark's
~4 KB articles, hypothesis text built from the rules' own material and from characters whose
folding or case-insensitive matching is irregular, with empty lines, CRLF and lone CR, and
with rule files written to exercise every construct the whole-document rewriting handles.
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.corpus import generate_corpus
from dedup.config import BoilerplateConfig, NormalizeConfig
from dedup.text import _compiled
from dedup.text import boilerplate as B
from dedup.text.boilerplate import parse_rules, strip_boilerplate
from dedup.text.normalization import fold, normalize, normalize_lines, normalize_text_lines
from tests.text.reference import (
    reference_fold,
    reference_normalize,
    reference_strip_boilerplate,
)

DATA = Path(__file__).resolve().parents[2] / "benchmarks" / "data"
CONFIGS = [
    NormalizeConfig(),
    NormalizeConfig(transliterate=False),
    NormalizeConfig(lowercase=False),
    NormalizeConfig(transliterate=False, lowercase=False),
]
CONFIG_IDS = ["default", "no-translit", "cased", "neither"]

# Characters that stress folding: accents (composed and combining), Vietnamese, typographic
# punctuation, ligatures, CJK, characters unidecode turns into several characters, into
# nothing or into a line break, line/paragraph separators, dotless/dotted i, final sigma,
# Kelvin sign, long s, characters outside the BMP (emoji, math letters), NBSP, BOM.
_TRICKY = (
    "aeiouAEIOU éèàùçÉÀôœŒæÆßẞ ĐđạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹẢ"
    "\u0301\u0300\u0323\u0303\u0308 ’‘“”«»–—−\u00a0 ﬁﬂ ½²³… 北京 東京 한국 \u2028\u2029\x85\x0b\x0c\r"
    "İıΣσςK ſ µ ©®™ 😀 𝐀𝟏 \u200b\u200d\ufeff\u00ad\ud800\udfff ảnh 1 VNA/CVN Photo : NDEL (VNA) – >> [x] Voir plus\t_"
)
texts = st.lists(st.sampled_from([*_TRICKY, "\n", " ", "x", "1", "\r\n"]), max_size=200).map(
    "".join
)


def _docs() -> list[str]:
    docs = [
        p.read_text(encoding="utf-8") for p in sorted((DATA.parents[1] / "seeds").glob("*.txt"))
    ]
    for name in ("tune.jsonl", "heldout.jsonl"):
        with (DATA / name).open(encoding="utf-8") as fh:
            docs += [json.loads(line)["text"] for line in fh][:150]
    docs += [d["text"] for d in generate_corpus(200, seed=11)]
    docs += [d["text"] for d in generate_corpus(200, seed=12, world="wide")]
    from benchmarks.hashing import articles

    docs += articles(40)
    return docs


DOCS = _docs()


# ------------------------------------------------------------------ normalization


@pytest.mark.parametrize("config", CONFIGS, ids=CONFIG_IDS)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=texts)
def test_fold_and_normalize_equal_reference(config: NormalizeConfig, text: str) -> None:
    assert fold(text, config) == reference_fold(text, config)
    assert normalize(text, config) == reference_normalize(text, config)


@pytest.mark.parametrize("config", CONFIGS, ids=CONFIG_IDS)
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=texts)
def test_normalize_text_lines_equals_reference_line_by_line(
    config: NormalizeConfig, text: str
) -> None:
    lines = text.split("\n")
    expected = [reference_normalize(line, config) for line in lines]
    for on in PATHS:
        with compiled(on):
            assert normalize_text_lines(text, config) == expected
            assert normalize_lines(lines, config) == expected


@pytest.mark.skipif(_compiled.kernels() is None, reason="numba is not installed")
@pytest.mark.parametrize("config", CONFIGS, ids=CONFIG_IDS)
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=texts,
    cuts=st.lists(
        st.lists(st.tuples(st.integers(0, 200), st.integers(0, 200)), max_size=3), max_size=3
    ),
)
def test_fold_of_a_text_and_pieces_of_it_equals_reference(
    config: NormalizeConfig, text: str, cuts: list[list[tuple[int, int]]]
) -> None:
    """``_fold_units`` (the text's units, then lines made of pieces of it, in one kernel
    call) == the reference line by line on the text and those lines, or ``None`` (a unit
    for the slow path)."""
    from dedup.text.normalization import _fold_units

    text = unicodedata.normalize("NFKC", text)
    if any(ord(ch) > 0xFFFF for ch in text):
        return  # (the line pass leaves such a text to the line-by-line path)
    pieces = [[(min(a, b, len(text)), min(max(a, b), len(text))) for a, b in p] for p in cuts]
    lines = ["".join(text[a:b] for a, b in p) for p in pieces]
    spans = [x for p in pieces for x in ((-1, -1), *p) for x in x]
    n_spanned = sum(b - a for p in pieces for a, b in p)
    whole = text + "".join("\n" + line for line in lines)
    units = (
        np.frombuffer(text.encode("ascii"), dtype=np.uint8)
        if text.isascii()
        else np.frombuffer(text.encode("utf-16-le", "surrogatepass"), dtype=np.uint16)
    )
    expected = [reference_normalize(line, config) for line in whole.split("\n")]
    normalize_text_lines(whole, config)  # the table learns the characters (else ``None``)
    got = _fold_units(units, np.array(spans, dtype=np.int64), n_spanned, config)
    if got is not None or not any(0xD800 <= ord(ch) < 0xE000 for ch in whole):
        assert got == expected


@pytest.mark.parametrize("config", CONFIGS, ids=CONFIG_IDS)
def test_normalize_text_lines_equals_reference_on_corpora(config: NormalizeConfig) -> None:
    for text in DOCS:
        expected = [reference_normalize(line, config) for line in text.split("\n")]
        for on in PATHS:
            with compiled(on):
                assert normalize_text_lines(text, config) == expected


def test_every_bmp_character_folds_like_the_reference() -> None:
    """Each character on a line of its own, between letters: the table entry of every BMP
    character (one letter, a separator, nothing, several letters) is what the reference does."""
    chars = [chr(c) for c in range(0x80, 0x10000) if not 0xD800 <= c < 0xE000 and c != 0x0A]
    for config in CONFIGS:
        text = "\n".join(f"a{ch}b {ch}" for ch in chars)
        expected = [reference_normalize(line, config) for line in text.split("\n")]
        for on in PATHS:
            with compiled(on):
                assert normalize_text_lines(text, config) == expected


def test_normalize_lines_edge_cases() -> None:
    assert normalize_lines([]) == []
    assert normalize_lines([""]) == [""]
    assert normalize_text_lines("") == [""]
    assert normalize_text_lines("\n\n") == ["", "", ""]
    assert normalize_lines(["a\u2028b", "Đà Nẵng"]) == ["a b", "da nang"]
    assert normalize_text_lines("œuvre 😀 ﬁn\nx\u200by") == ["oeuvre fin", "x y"]
    assert normalize_text_lines("a\u0308\u0301b") == [reference_normalize("a\u0308\u0301b")]


# ------------------------------------------------------------------ boilerplate


@contextmanager
def compiled(on: bool):  # type: ignore[no-untyped-def]
    """The compiled loops (numba) on or off: both paths must give the reference's output."""
    before = _compiled.enabled
    _compiled.enabled = on
    try:
        yield
    finally:
        _compiled.enabled = before


PATHS = [True, False] if _compiled.kernels() is not None else [False]


def _same(text: str, **kw) -> None:  # type: ignore[no-untyped-def]
    ref = reference_strip_boilerplate(text, **kw)
    for on in PATHS:
        with compiled(on):
            fast = strip_boilerplate(text, **kw)
        assert (fast.source, fast.lines, fast.removed, fast.keys) == (
            ref.source,
            ref.lines,
            ref.removed,
            ref.keys,
        ), f"compiled={on}"
        assert fast.text == ref.text and fast.normalized == ref.normalized


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"config": BoilerplateConfig(dedupe_lines=False)},
        {"normalize_config": NormalizeConfig(transliterate=False)},
        {"normalize_config": NormalizeConfig(lowercase=False)},
    ],
    ids=["default", "no-dedupe", "no-translit", "cased"],
)
def test_strip_equals_reference_on_corpora(kw: dict) -> None:  # type: ignore[type-arg]
    for text in DOCS:
        _same(text, **kw)


def test_strip_fires_every_rule_on_the_corpora() -> None:
    """The corpora used above do exercise the rules (else equality would prove little)."""
    fired = {r.rule for text in DOCS for r in strip_boilerplate(text).removed}
    names = {r.name for r in B.default_rules().rules}
    assert names <= fired, names - fired
    assert "repeated_line" in fired  # ("empty" fires in the hypothesis tests below)


def test_strip_with_learned_lines_equals_reference() -> None:
    docs = [d["text"] for d in generate_corpus(60, seed=3)]
    learned = B.learn_boilerplate(docs, BoilerplateConfig(learn_min_docs=3))
    assert learned
    for text in docs:
        _same(text, learned=learned, config=BoilerplateConfig(learn_min_docs=3))


# Lines built from the rules' own material, so that every rule fires now and then.
_PIECES = [
    "Hanoi, 25 juillet (VNA) – ",
    "Nhân Dân en ligne - ",
    "NHÂN DÂN online – ",
    "Le ministre a signé l’accord à Moscou. ",
    "Photo : VNA",
    "PHOTOS; Lam Khanh/VNA",
    " –VNA",
    " - reuters ",
    "VNA/CVN",
    "Voir plus",
    "Read more:",
    "xem thêm",
    "Tin liên quan",
    "Font size: | Print | Email",
    "A+ | A-",
    "Vendredi, 19 février 2021 à 18:08:13",
    "Monday, 23 December 2022 at 6:56",
    "[Le Vietnam et la Russie vont renforcer leur coopération]",
    ">> Autres nouvelles",
    "» suite",
    "ảnh 1 ",
    "ẢNH 2",
    "Bùi Van Nam et İstanbul ſ K ı",
    "\u212aelvin PHO\u0130O ſhare",
    "   ",
    "\t",
    "\u00a0",
    "\u2028",
    "",
    "©",
    "_",
]
lines_st = st.lists(
    st.lists(st.sampled_from(_PIECES), min_size=0, max_size=3).map("".join), max_size=12
)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=lines_st, dedupe=st.booleans(), newline=st.sampled_from(["\n", "\r\n", "\r"]))
def test_strip_equals_reference_on_rule_material(
    lines: list[str], dedupe: bool, newline: str
) -> None:
    _same(newline.join(lines), config=BoilerplateConfig(dedupe_lines=dedupe))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=texts)
def test_strip_equals_reference_on_odd_unicode(text: str) -> None:
    _same(text)


# Rules written to exercise the whole-document plans: anchored rules rewritten for a scan
# (\s, negated sets, ., $, \Z, \A, \b, \B, lookarounds, backreferences, lazy and possessive
# repeats, inline flags), rules with needles (ASCII, non-ASCII, case twins), and rules the
# plans cannot help (run on every line).
CUSTOM_RULES = r"""
drop_line  a_ws        ^\s*x\s*$
drop_line  a_neg       ^[^a]{2,4}1$
drop_line  a_dot       ^.{3}\Z
drop_line  a_lookbe    ^\s*(?<!x)y(?=\s|$)
drop_line  a_backref   ^(\w)\w*\1$
drop_line  a_start     \A\s*[\s_]+k
drop_line  a_bnd       ^\B\W+\b
drop_line  a_inline    (?s)^x.y
drop_line  a_cond      ^(>)?z(?(1)>|z)
cut_from   c_twin      ^\s*kelvin\b
cut_from   c_sigma     ^σ+$
strip      s_word      \bx1\b
strip      s_lazy      ^.*?ảnh\s*\d+\s*
strip      s_tail      \s*[–—-]\s*(?:vna|ap)\s*$
strip      s_empty     y*
strip      s_nl        [^\S\n]+$
strip      s_case      (?-i:X)X
strip      s_poss      ^\s*+_
strip      s_twin      \s*-\s*(?:ks|is)\s*$
drop_line  a_suffix    ^.{0,3}(?:x1|k)\s*$
drop_line  d_spaces    \s*\b1\b
strip      s_spaces    \s*?\s*(?:x|\s)y*
"""
_CUSTOM_PIECES = [
    "x",
    " x ",
    "y",
    "xy",
    "x y",
    "bb1",
    "ab1",
    "a1a",
    "abca",
    "k",
    "_ k",
    "\u212aelvin",
    "KELVIN x",
    "σσ",
    "Σς",
    "x1",
    "x12",
    "ảnh 2",
    "ẢNH3",
    "– VNA",
    "-ap",
    "X",
    "xX",
    ">z>",
    "zz",
    ">zz",
    "\u00a0",
    " ",
    "\t",
    "\x0b",
    "\u2028",
    "é",
    "-\u212as",
    "- \u017f",
    "-\u0131S\u00a0",
    "- \u0130s ",
    "-KS\u2028",
    "ab k",
    "abcdX1",
    "",
]
custom_lines = st.lists(
    st.lists(st.sampled_from(_CUSTOM_PIECES), min_size=0, max_size=3).map("".join), max_size=10
)
CUSTOM = parse_rules(CUSTOM_RULES)


def test_custom_rules_get_every_kind_of_plan() -> None:
    plan = B._plan(CUSTOM)
    kinds = {
        rp.rule.name: "needles" if rp.needles else "scan" if rp.scan is not None else "lines"
        for rp in plan.cuts + plan.drops + plan.strips
    }
    assert {"needles", "scan", "lines"} <= set(kinds.values()), kinds
    assert kinds["a_ws"] == "needles" and kinds["s_tail"] == "needles"
    assert kinds["a_dot"] == kinds["a_bnd"] == kinds["a_backref"] == "scan"
    assert kinds["s_empty"] == kinds["s_nl"] == "lines"
    suffixes = {rp.rule.name: rp.suffixes for rp in plan.cuts + plan.drops + plan.strips}
    assert suffixes["s_tail"] == ("ap", "vna") and suffixes["s_twin"] == ("is", "ks")
    assert suffixes["a_suffix"] == ("k", "x1") and suffixes["a_ws"] == ("x",)
    rests = {rp.rule.name for rp in plan.cuts + plan.drops + plan.strips if rp.rest is not None}
    assert {"s_tail", "s_twin", "d_spaces", "s_spaces"} <= rests


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=custom_lines, dedupe=st.booleans())
def test_strip_equals_reference_with_custom_rules(lines: list[str], dedupe: bool) -> None:
    text = "\n".join(lines)
    _same(text, rules=CUSTOM, config=BoilerplateConfig(dedupe_lines=dedupe))
    _same(text, rules=CUSTOM + B.default_rules())


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=custom_lines)
def test_strip_equals_reference_with_custom_rules_without_needles(lines: list[str]) -> None:
    """Every anchored rule through the whole-document scan (needles off)."""
    original = B._prefilters
    B._plan.cache_clear()
    B._LAST_PLAN = None
    B._prefilters = lambda pattern: ()  # type: ignore[assignment]
    try:
        plan = B._plan(CUSTOM)
        assert sum(rp.scan is not None for rp in plan.drops) >= 7
        _same("\n".join(lines), rules=CUSTOM)
        _same("\n".join(lines).replace("x", "Photo : VNA"))
    finally:
        B._prefilters = original  # type: ignore[assignment]
        B._plan.cache_clear()
    B._LAST_PLAN = None


@pytest.mark.parametrize(
    "pattern",
    [
        r"^\s*x\s*$",
        r"^[^a]{2,4}1$",
        r"^.{3}\Z",
        r"^\s*(?<!x)y(?=\s|$)",
        r"^(\w)\w*\1$",
        r"\A\s*[\s_]+k",
        r"^\B\W+\b",
        r"^\D\S",
        r"^[\x00-\x20]+",
        r"^[\w\s]{3}$",
        r"^(?:a|\s)+$",
        r"^(?>\s*)x",
        r"^x*?$",
    ],
)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=custom_lines)
def test_scan_finds_exactly_the_lines_a_pattern_matches(pattern: str, lines: list[str]) -> None:
    compiled = re.compile(pattern, re.IGNORECASE)
    scan = B._scan_pattern(compiled)
    if scan is None:  # this construct is not rewritten: the rule then runs line by line
        assert pattern in (r"^[\w\s]{3}$", r"^(?:a|\s)+$", r"\A\s*[\s_]+k")
        return
    text = "\n".join(lines)
    found = {}
    for m in scan.finditer("\n" + text):
        found.setdefault(m.start(), m.end() - 1)
    pos, expected = 0, {}
    for line in text.split("\n"):
        m = compiled.search(line)
        if m:
            expected[pos] = pos + m.end()
        pos += len(line) + 1
    assert found == expected


# ------------------------------------------------------------------ the tables behind needles


@pytest.mark.skipif(sys.version_info < (3, 11), reason="needles are off on Python 3.10")
def test_ascii_twins_are_every_non_ascii_case_partner_of_a_letter() -> None:
    everything = "".join(chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c < 0xE000)
    partners = {ch for ch in re.findall("[a-z]", everything, re.IGNORECASE) if not ch.isascii()}
    assert partners == set(B._ascii_twins() or ())
    assert {"\u212a", "\u0130", "\u0131", "\u017f"} <= partners


@pytest.mark.skipif(sys.version_info < (3, 11), reason="needles are off on Python 3.10")
def test_case_variants_are_complete() -> None:
    everything = "".join(chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c < 0xE000)
    for ch in "ảêâσµéß":
        expected = set(re.findall(re.escape(ch), everything, re.IGNORECASE))
        assert set(B._case_variants(ch) or ()) == expected, ch


@pytest.mark.skipif(_compiled.kernels() is None, reason="numba is not installed")
def test_compiled_needle_search_finds_the_lines_the_python_search_finds() -> None:
    """Lines holding a rule's first tuple of needles: the same by both searches (the compiled
    one also intersects the other tuples, so it may only drop lines the rule cannot match)."""
    for rules in (B.default_rules(), CUSTOM):
        plan = B._plan(rules)
        for text in [*DOCS[:200], "\u212aelvin x", "ſhare\nx", ""]:
            source = B.prepare(text)
            lines = source.split("\n")
            starts = [0]
            for line in lines:
                starts.append(starts[-1] + len(line) + 1)
            fast = B._LineFinder(source, lines, starts, plan)
            slow = B._LineFinder(source, lines, starts, None)
            for rp in plan.cuts + plan.drops + plan.strips:
                if not rp.needles:
                    continue
                got = fast._candidates_by_needles(rp, len(lines))
                want = slow._candidates_by_needles(rp, len(lines))
                assert set(got) <= set(want)
                single = B._RulePlan(rp.rule, needles=rp.needles[:1])
                one = B._Plan(
                    (single,), (), (), {id(single): (0,)}, B._needle_arrays([rp.needles[0]]), 1
                )
                only_first = B._LineFinder(source, lines, starts, one)._candidates_by_needles(
                    single, len(lines)
                )
                assert only_first == want, rp.rule.name


@pytest.mark.parametrize("config", CONFIGS, ids=CONFIG_IDS)
def test_no_whitespace_character_folds_to_a_token(config: NormalizeConfig) -> None:
    """strip_boilerplate takes a line with a token for a non-blank one."""
    spaces = [chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()]
    assert spaces and all(reference_normalize(ch, config) == "" for ch in spaces)
