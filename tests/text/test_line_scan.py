"""The one-pass line scan of strip_boilerplate and the pattern analyses behind it.

``line_scan`` (compiled) gives each rule the lines it may match; the rule's own pattern then
decides. Each analysis must only ever leave out lines the rule cannot match, so each is held
to the patterns themselves on hypothesis lines: first / last non-blank character tables,
runs of digits, the literal a match starts with. The characters taken as NFC/NFKC-stable are
checked against ``unicodedata``; the end result (strip_boilerplate == the plain reference,
compiled and not) on rules written to exercise every filter.
"""

from __future__ import annotations

import pickle
import re
import unicodedata
from dataclasses import replace
from itertools import accumulate

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dedup.config import BoilerplateConfig
from dedup.text import _compiled
from dedup.text import boilerplate as B
from dedup.text.boilerplate import RemovedSpan, Stripped, parse_rules, strip_boilerplate
from tests.text.reference import reference_strip_boilerplate

# Rules for the filters: anchored at both ends, with digit runs, with a leading literal,
# whitespace in odd places, branches that may be empty, lookarounds, inline flags, a strip
# rule that can match empty text (after an empty match, `re` tries a non-empty one there).
SCAN_RULES = r"""
drop_line  f_digits     ^\s*(?:le|the)?\s*\d{2}\s*[./-]\s*\d{4}\s*$
drop_line  f_branch     ^\s*(?:ab|\s+c|d?)\s*[xy]\s*:?\s*$
drop_line  f_look       ^(?=\s*[kK])\s*kilo\b.*(?<=\d)$
drop_line  f_inline     ^\s*(?i:zz)q\s*$
drop_line  f_class      ^[^\W\d]\w{0,3}\.?$
cut_from   c_lead       ^\s*end\s+of\s+story\s*$
strip      s_lead       \s*\bref\s*[:#]\s*\d+\s*$
strip      s_lead2      (?<!x)abc\d*
strip      s_tail       \s+-\s*[a-z]{2,3}\s*$
strip      s_ws         ^\s+$
drop_line  f_empty      ^\s*(?:x*)\s*$
strip      s_lazy       ^[^\n]{0,6}?\s*ref\s*[:#]
strip      s_dash       \s*[–-]\s*(?:vn|afp)\b
drop_line  f_lazy       ^.*?\bkilo\s*\d
strip      s_empty      ^[^\n]{0,3}?(?=[^\n]*zzq)
"""
SCAN = parse_rules(SCAN_RULES)

_PIECES = [
    "12/2024",
    " 12 - 2024 ",
    "the 01.1999",
    "LE 3 2000",
    "ab x",
    " c y:",
    "y",
    "dx :",
    "kilo 5",
    "Kilo x9",
    "\u212ailo 1",
    "zzq",
    "ZZQ",
    "zZq",
    "a.",
    "é",
    "_x",
    "end of story",
    "END  OF STORY",
    "ref: 12",
    "REF#3 ",
    "xref:1",
    "abc12",
    "xabc",
    "ABC",
    " - vn",
    "-AFP",
    "x",
    "xx",
    " ",
    "\t",
    "\u00a0",
    "\u3000",
    "١٢/٢٠٢٤",
    "𝟏𝟐",
    "ﬁ",
    "\u0301",
    "ı",
    "ſ",
    "İ",
    "",
]
lines_st = st.lists(
    st.lists(st.sampled_from(_PIECES), min_size=0, max_size=3).map("".join), max_size=10
)
RULE_SETS = [B.default_rules(), SCAN, SCAN + B.default_rules()]


def _first_last(line: str) -> tuple[str, str] | None:
    stripped = line.strip()
    return (stripped[0], stripped[-1]) if stripped else None


def _analyses(rule: B.Rule) -> tuple:  # type: ignore[type-arg]
    rest = B._after_spaces(rule.pattern)
    return (
        B._first_chars(rule.pattern),
        B._first_chars(rule.pattern, last=True),
        B._digit_run(rule.pattern),
        B._lead(rule.pattern),
        rest,
        B._lead(rule.pattern, after_spaces=True) if rest is not None else "",
    )


ANALYSES = {rule: _analyses(rule) for rules in RULE_SETS for rule in rules.rules}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=lines_st)
def test_pattern_analyses_never_leave_out_a_matching_line(lines: list[str]) -> None:
    for rules in RULE_SETS:
        for rule in rules.rules:
            first, last, digits, lead, rest, rest_lead = ANALYSES[rule]
            for line in lines:
                m = rule.pattern.search(line)
                if m is None:
                    continue
                edges = _first_last(line)
                if first is not None and edges and ord(edges[0]) < 0x10000:
                    assert first[ord(edges[0])], (rule.name, line)
                if last is not None and edges and ord(edges[1]) < 0x10000:
                    assert last[ord(edges[1])], (rule.name, line)
                longest = max((len(r) for r in re.findall(r"\d+", line)), default=0)
                assert longest >= digits, (rule.name, line)
                if B._ascii_twins() is not None and not any(ch in B._ascii_twins() for ch in line):
                    if lead:
                        q = line.lower().find(lead)
                        assert 0 <= q <= m.start(), (rule.name, line)
                        assert rule.pattern.search(line, q).span() == m.span()
                    if rest_lead:
                        q = line.lower().find(rest_lead)
                        assert q >= 0 and rest.search(line, q).span() == rest.search(line).span()


# Lazy-prefix patterns ``^[^\n]{0,N}?Y`` (see B._lazy_prefix): bounds small enough to be
# reached, ``Y`` with and without leading ``\s*``, a ``Z`` that may match empty, lookbehind,
# backreference, end anchor, ``\A`` and ``.``.
LAZY_RULES = parse_rules(
    r"""
strip  l_marker  ^[^\n]{0,200}?\s*ảnh\s*\d+\s*
strip  l_short   ^[^\n]{0,3}?\s*ref\b
strip  l_dot     ^.*?\s+x
strip  l_behind  ^[^\n]{0,5}?(?<=a)bc?
strip  l_empty   ^.{0,4}?\s*(?:x|)
strip  l_group   ^[^\n]{0,2}?\s*\s*(y)\1
strip  l_digits  \A.{0,10}?\d{2}
strip  l_end     ^[^\n]*?\s*$
strip  l_lazy_z  ^[^\n]{0,8}?\s*?[ab]+
"""
)
_LAZY_PIECES = [" ", "\t", "\u00a0", *"abcxy", "yy", "12", "3", "ref", "REF", "ảnh", "ẢNH 2", "Ảnh"]
lazy_lines_st = st.lists(st.sampled_from(_LAZY_PIECES + _PIECES[:-1]), max_size=12).map("".join)


def test_lazy_prefix_is_found_only_where_it_applies() -> None:
    by_name = {r.name: r for r in B.default_rules().rules}
    lazy = B._lazy_prefix(by_name["image_marker"].pattern)
    assert lazy is not None and lazy[0] == 200 and lazy[2] is not None
    assert all(B._lazy_prefix(r.pattern) is not None for r in LAZY_RULES.rules)
    for pattern in (
        r"^[^\n]{0,5}x",  # greedy: the longest prefix, not the shortest
        r"^[^\n]{1,5}?x",  # from 1
        r"[^\n]{0,5}?x",  # not anchored
        r"(?s)^.{0,5}?x",  # ``.`` matches a line break too
        r"^[^\na]{0,5}?x",  # not every character
        r"^\s*[^()\n]{2,60}?\(",
    ):
        assert B._lazy_prefix(re.compile(pattern, re.IGNORECASE)) is None, pattern
    assert by_name["image_marker"].name in {
        rp.rule.name for rp in B._plan(B.default_rules()).strips if rp.lazy is not None
    }


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(line=lazy_lines_st)
@example(line="abc  ref")  # the blanks before ``ref`` start at the bound, ``ref`` after it
@example(line="abcd ref")  # the blanks start after the bound
@example(line="a")  # an empty match first, then a non-empty one at the same place
def test_lazy_span_is_the_patterns_only_match(line: str) -> None:
    """``_lazy_span`` == the first match ``finditer`` gives on a line, and the only one when
    it is not empty (after an empty one, ``re`` looks for a non-empty match at the same
    place: the strip loop then runs ``finditer``)."""
    for rule in LAZY_RULES.rules + B.default_rules().rules:
        lazy = B._lazy_prefix(rule.pattern)
        if lazy is None:
            continue
        span = B._lazy_span(line, lazy)
        want = [m.span() for m in rule.pattern.finditer(line)]
        assert span == (want[0] if want else None), (rule.name, line)
        if span is not None and span[1] > span[0]:
            assert want == [span], (rule.name, line)
        assert B._lazy_search(line, lazy) == bool(rule.pattern.search(line))


# ``\s*Y`` patterns whose ``Y`` starts with no blank (see B._solid_start), and some whose
# ``Y`` may (the last ones: ``Y`` = ``(?:\s\s|x)`` on "   x" is matched at 0, the pattern's
# first match from 0 is "   x")
SOLID = [
    r"\s*\bphotos?\s*[:;.]\s*\w+$",
    r"\s*[–—-]\s*(?:vn|afp)\b",
    r"\s*(?=a)ab?",
    r"\s*[a-z\d]\s*",
]
NOT_SOLID = [r"\s*(?:\s\s|x)", r"\s*\b\s*x", r"\s*[^a]x", r"\s*\Wa", r"\s*[\x00-\x20]a"]
solid_lines_st = st.lists(
    st.sampled_from([" ", "  ", "\t", "\u00a0", *"abx1-–:", "photo", "PHOTOS", "vn", "afp"]),
    max_size=12,
).map("".join)


def test_solid_start_is_found_only_where_it_applies() -> None:
    for pattern in SOLID:
        assert B._solid_start(re.compile(pattern, re.IGNORECASE)), pattern
    for pattern in NOT_SOLID:
        assert not B._solid_start(re.compile(pattern, re.IGNORECASE)), pattern
    plans = {rp.rule.name: rp for rp in B._plan(B.default_rules()).strips}
    assert plans["photo_credit"].solid and plans["agency_sign"].solid


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(line=solid_lines_st)
@example(line="   x")
def test_solid_start_gives_the_first_match(line: str) -> None:
    r"""For ``\s*Y`` with a solid ``Y``: the first match from the blanks before ``Y``'s
    leftmost match is those blanks plus that match; after a match at the line's end there
    are only empty ones. (A pattern taken as solid wrongly would fail: see NOT_SOLID.)"""
    for source in SOLID + NOT_SOLID:
        pattern = re.compile(source, re.IGNORECASE)
        if not B._solid_start(pattern):
            continue
        first = B._after_spaces(pattern).search(line)  # type: ignore[union-attr]
        if first is None:
            assert pattern.search(line) is None
            continue
        pos = B._space_start(line, first.start())
        assert pattern.search(line, pos).span() == (pos, first.end()), (source, line)  # type: ignore[union-attr]
        assert pattern.search(line).span() == (pos, first.end()), (source, line)  # type: ignore[union-attr]
        if first.end() == len(line):
            assert all(m.end() == m.start() for m in pattern.finditer(line, first.end()))


def test_pattern_analyses_find_what_the_default_rules_allow() -> None:
    """The analyses do apply to the packaged rules (else the tests above prove little)."""
    by_name = {r.name: r for r in B.default_rules().rules}
    first = B._first_chars(by_name["dateline_time"].pattern)
    last = B._first_chars(by_name["dateline_time"].pattern, last=True)
    assert first is not None and first[ord("7")] and first[ord("V")] and not first[ord("x")]
    assert last is not None and last[ord("7")] and not last[ord(".")]
    assert B._digit_run(by_name["dateline_time"].pattern) == 4
    assert B._lead(by_name["photo_credit"].pattern, after_spaces=True) == "photo"
    assert B._first_chars(by_name["photo_credit"].pattern) is None  # not anchored
    rules = {r.name: r.pattern for r in SCAN.rules}
    assert B._first_chars(rules["f_empty"]) is None  # may match blanks only
    assert B._first_chars(rules["f_branch"]) is not None
    assert B._digit_run(rules["f_digits"]) == 4
    assert B._lead(rules["s_lead2"]) == "abc"


def test_stable_characters_are_left_alone_by_nfc_and_nfkc() -> None:
    table = B._stable_table()
    stable = [chr(c) for c in np.flatnonzero(table)]
    assert len(stable) > 50000 and "ố" in stable and "\u00a0" not in stable
    text = "".join(stable)
    assert unicodedata.is_normalized("NFC", text) and unicodedata.is_normalized("NFKC", text)
    # each stable character after every kind of neighbour (letters that compose, Hangul
    # syllables and jamo, combining marks): nothing reaches across it
    before = "aeAoOuUsSiIkK\u1100\uac00\uac01\u0300\u0301\u0345\u0b47\u0dd9\u1025\u00a0"
    for form in ("NFC", "NFKC"):
        for p in before:
            normal = unicodedata.normalize(form, p)
            assert all(unicodedata.normalize(form, p + ch) == normal + ch for ch in stable), p


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(alphabet=st.characters(max_codepoint=0xFFFF), max_size=30))
def test_stable_text_is_normalized(text: str) -> None:
    table = B._stable_table()
    if all(table[ord(ch)] for ch in text):
        assert unicodedata.is_normalized("NFC", text)
        assert unicodedata.is_normalized("NFKC", text)


def _scan(source: str, plan):  # type: ignore[no-untyped-def]
    kernels = _compiled.kernels()
    units = (
        np.frombuffer(source.encode("ascii"), dtype=np.uint8)
        if source.isascii()
        else np.frombuffer(source.encode("utf-16-le", "surrogatepass"), dtype=np.uint16)
    )
    n = source.count("\n") + 1
    n_rules = len(plan.line_arrays[-4])
    starts = np.empty(n + 1, dtype=np.int64)
    flags = np.empty(n + 1, dtype=np.uint8)
    cands = np.empty(n_rules + 1 + n * n_rules, dtype=np.int64)
    used = kernels.line_scan(units, *plan.line_arrays, starts, flags, cands)
    return used, starts.tolist(), flags.tolist(), cands[: max(used, 0)].tolist()


@pytest.mark.skipif(_compiled.kernels() is None, reason="numba is not installed")
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=lines_st)
def test_line_scan_gives_lines_flags_and_every_matching_line(lines: list[str]) -> None:
    source = B.prepare("\n".join(lines))
    real = source.split("\n")
    for rules in RULE_SETS:
        plan = B._plan(rules)
        used, starts, flags, cands = _scan(source, plan)
        if any(ch in (B._ascii_twins() or ()) or ord(ch) > 0xFFFF for ch in source):
            assert used == -1  # left to the line-by-line path
            continue
        assert used >= 0
        assert starts == [0, *accumulate(len(line) + 1 for line in real)]
        for i, line in enumerate(real):
            assert bool(flags[i] & _compiled.NONBLANK) == bool(line.strip()), line
            assert bool(flags[i] & _compiled.WORD) == bool(re.search(r"\w", line)), line
        unstable = any(not B._stable_table()[ord(ch)] for ch in source)
        assert bool(flags[len(real)] & _compiled.UNSTABLE) == unstable
        for rp in plan.cuts + plan.drops + plan.strips:
            r = plan.line_rules.get(id(rp))
            if r is None:
                assert rp.scan is not None  # found by its scan
                continue
            found = set(cands[cands[r] : cands[r + 1]])
            for i, line in enumerate(real):
                if line.strip() and rp.rule.pattern.search(line):
                    assert i in found, (rp.rule.name, line)


@pytest.mark.skipif(_compiled.kernels() is None, reason="numba is not installed")
@settings(max_examples=300, deadline=None)
@given(
    text=st.text(
        st.one_of(
            st.characters(max_codepoint=0xFF),
            st.just("\n"),
            st.characters(min_codepoint=0x100, max_codepoint=0xFFFF),  # with lone surrogates
            st.characters(min_codepoint=0x10000),
        )
    )
)
def test_utf16_units_copied_from_the_string_are_the_encoded_ones(text: str) -> None:
    """``_utf16`` (the string's own buffer copied by ``bmp_units``) == the UTF-16 encoder's
    units, and its line breaks counted, whatever the string's storage (1, 2 or 4 bytes a
    character)."""
    units, breaks = B._utf16(text, _compiled.kernels())
    want = np.frombuffer(text.encode("utf-16-le", "surrogatepass"), dtype=np.uint16)
    assert units.dtype == np.uint16 and units.tolist() == want.tolist()
    assert breaks == text.count("\n")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=lines_st, dedupe=st.booleans(), newline=st.sampled_from(["\n", "\r\n"]))
def test_strip_with_filtered_rules_equals_reference(
    lines: list[str], dedupe: bool, newline: str
) -> None:
    text = newline.join(lines)
    config = BoilerplateConfig(dedupe_lines=dedupe)
    for rules in (SCAN, SCAN + B.default_rules()):
        ref = reference_strip_boilerplate(text, config=config, rules=rules)
        for on in [True, False] if _compiled.kernels() is not None else [False]:
            before = _compiled.enabled
            _compiled.enabled = on
            try:
                fast = strip_boilerplate(text, config, rules=rules)
            finally:
                _compiled.enabled = before
            assert (fast.source, fast.lines, fast.removed, fast.keys) == (
                ref.source,
                ref.lines,
                ref.removed,
                ref.keys,
            ), f"compiled={on}"


@pytest.mark.skipif(_compiled.kernels() is None, reason="numba is not installed")
def test_the_line_scan_path_runs_on_news(monkeypatch: pytest.MonkeyPatch) -> None:
    """Benchmark-like articles take the one-pass path (not the line-by-line fallback), and
    a non-NFC text is made NFC on it."""
    from benchmarks.hashing import articles

    def fail(*args, **kw):  # type: ignore[no-untyped-def]
        raise AssertionError("fell back to the line-by-line path")

    monkeypatch.setattr(B, "_strip_by_lines", fail)
    for text in articles(20):
        strip_boilerplate(text)
    s = strip_boilerplate("Cafe\u0301 noir\nVNA/CVN")
    assert s.source == "Café noir\nVNA/CVN" and s.keys == ("cafe noir",)


def test_removed_spans_made_on_first_read_are_the_same_records() -> None:
    text = "Hanoi (VNA) – Talks opened.\nVNA/CVN\n\nPhoto : VNA\nTalks opened."
    s = strip_boilerplate(text)
    again = pickle.loads(pickle.dumps(s))  # pickled before the records exist
    assert "_removed" in vars(again)
    expected = tuple(sorted(s.removed, key=lambda r: (r.start, r.end)))
    assert s.removed == expected and all(isinstance(r, RemovedSpan) for r in s.removed)
    assert again == s and hash(again) == hash(s)
    assert s.removed == reference_strip_boilerplate(text).removed
    assert {r.rule for r in s.removed} == {"dateline", "credit_line", "repeated_line"}
    assert replace(s, removed=()).removed == ()
    built = Stripped(s.source, s.lines, s.removed, s.keys)
    assert built == s and repr(built) == repr(s)
    assert B.apply_learned(s, frozenset({"talks opened"})).removed == (
        B.apply_learned(built, frozenset({"talks opened"})).removed
    )
