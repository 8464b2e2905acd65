"""Boilerplate removal: rules from a data file, repeated lines, and lines learned from a corpus.

Rules live in ``dedup/text/rules/boilerplate.rules`` (format described at the top of that
file); users extend or replace them. Every removal is recorded as a :class:`RemovedSpan` with
the rule's name, so callers can show what was removed.

Offsets refer to the *prepared* source: the input with line endings unified to ``\\n`` and
Unicode NFC applied (see :func:`prepare`), which is what :attr:`Stripped.source` holds.

Examples
--------
>>> s = strip_boilerplate("Hanoi (VNA) – Talks opened.\\nVNA/CVN")
>>> s.text
'Talks opened.'
>>> [r.rule for r in s.removed]
['dateline', 'credit_line']
"""

from __future__ import annotations

import math
import re
import unicodedata
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache, partial
from importlib import resources
from itertools import accumulate, islice
from pathlib import Path
from typing import Literal

import numpy as np

from dedup.config import BoilerplateConfig, NormalizeConfig
from dedup.errors import RuleFileError
from dedup.text import _compiled
from dedup.text.normalization import _fold_units, normalize, normalize_text_lines

__all__ = [
    "RemovedSpan",
    "Rule",
    "RuleSet",
    "Stripped",
    "apply_learned",
    "count_lines",
    "default_rules",
    "learn_boilerplate",
    "load_rules",
    "parse_rules",
    "prepare",
    "rules_for",
    "strip_boilerplate",
]

RuleKind = Literal["drop_line", "cut_from", "strip"]
_KINDS = ("drop_line", "cut_from", "strip")
_HAS_WORD = re.compile(r"\w")


@dataclass(frozen=True)
class Rule:
    """One boilerplate rule: ``kind`` (drop_line, cut_from, strip), ``name`` and compiled ``pattern``."""

    kind: RuleKind
    name: str
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class RuleSet:
    """An ordered collection of rules, grouped by kind."""

    rules: tuple[Rule, ...]

    def of_kind(self, kind: RuleKind) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.kind == kind)

    def __add__(self, other: RuleSet) -> RuleSet:
        return RuleSet(self.rules + other.rules)


@dataclass(frozen=True)
class RemovedSpan:
    """A removed piece of the prepared source: ``source[start:end]``, removed by ``rule``."""

    start: int
    end: int
    rule: str


class _Spans:
    """Removed spans not made into :class:`RemovedSpan` records yet: ``(start, end, rule)``
    tuples in the order they were found; :attr:`Stripped.removed` sorts them by
    ``(start, end)`` (a stable sort) and makes the records on first access."""

    __slots__ = ("items",)

    def __init__(self, items: list[tuple[int, int, str]]) -> None:
        self.items = items

    def __getstate__(self) -> list[tuple[int, int, str]]:
        return self.items

    def __setstate__(self, items: list[tuple[int, int, str]]) -> None:
        self.items = items

    def records(self) -> tuple[RemovedSpan, ...]:
        return tuple(RemovedSpan(*t) for t in sorted(self.items, key=_span_order))


def _span_order(t: tuple[int, int, str]) -> tuple[int, int]:
    return t[0], t[1]


class _Removed:
    """:attr:`Stripped.removed`, stored as :class:`_Spans` by the fast paths and made into
    records when first read: most callers (clustering) never read it."""

    def __get__(self, obj: object, owner: type | None = None) -> tuple[RemovedSpan, ...]:
        if obj is None:
            return ()  # the dataclass field's default
        value = obj.__dict__["_removed"]
        if isinstance(value, _Spans):
            value = value.records()
            obj.__dict__["_removed"] = value
        return value  # type: ignore[no-any-return]

    def __set__(self, obj: object, value: tuple[RemovedSpan, ...] | _Spans) -> None:
        obj.__dict__["_removed"] = value


def _raw_spans(stripped: Stripped) -> list[tuple[int, int, str]]:
    """The removed spans of ``stripped`` as tuples, in an order that sorts to its records."""
    value = stripped.__dict__.get("_removed", ())
    if isinstance(value, _Spans):
        return list(value.items)
    return [(r.start, r.end, r.rule) for r in stripped.removed]


@dataclass(frozen=True)
class Stripped:
    """Result of :func:`strip_boilerplate`.

    Attributes
    ----------
    source : str
        The prepared input (``\\n`` line endings, NFC).
    lines : tuple of tuple of (int, int)
        For each kept line, the ``(start, end)`` pieces of ``source`` it keeps.
    removed : tuple of RemovedSpan
        What was removed, in source order.
    """

    source: str
    lines: tuple[tuple[tuple[int, int], ...], ...]
    removed: tuple[RemovedSpan, ...] = _Removed()  # type: ignore[assignment]
    keys: tuple[str, ...] = field(default=(), repr=False)  # normalized form of each kept line

    @classmethod
    def _make(
        cls,
        source: str,
        lines: tuple[tuple[tuple[int, int], ...], ...],
        removed: _Spans,
        keys: tuple[str, ...],
    ) -> Stripped:
        """``Stripped(source, lines, removed, keys)`` without the frozen ``__init__``'s
        attribute calls (the same instance dictionary)."""
        obj = object.__new__(cls)
        obj.__dict__.update(source=source, lines=lines, _removed=removed, keys=keys)
        return obj

    @property
    def text(self) -> str:
        """The kept text, one kept line per line."""
        return "\n".join("".join(self.source[s:e] for s, e in pieces) for pieces in self.lines)

    @property
    def normalized(self) -> str:
        """``normalize(self.text)`` with the normalize config the lines were compared with.

        Computed from :attr:`keys` (each kept line already normalized) without normalizing
        the text again: tokens never span a line break, so normalizing the whole text gives
        the lines' tokens in order.

        >>> s = strip_boilerplate("Bùi Van  Nam\\n\\nà Moscou\\nVNA/CVN")
        >>> from dedup.text.normalization import normalize
        >>> s.normalized == normalize(s.text) == "bui van nam a moscou"
        True
        """
        if len(self.keys) != len(self.lines):  # built by hand without keys
            return normalize(self.text)
        return " ".join(filter(None, self.keys))


# ------------------------------------------------------------------ rule prefilters
#
# Most rules match few lines, but a regular expression that starts with ``\s*`` or ends with
# ``$`` is tried at every position of every line. Each rule gets, once, *prefilters* read off
# its parsed pattern: sets of literal strings such that every match contains a string of
# each set (``photo`` for the photo-credit rule; one of the agency names and one of the
# dashes for the agency signature). A line whose lowercase form lacks them cannot match
# (:func:`_may_match`); the whole-document plans below turn them into needles. Output is
# unchanged by construction:
#
# * rules are case-insensitive; ``re`` matches a literal character case-insensitively when
#   both lowercase to the same character, except for a few characters with extra
#   equivalents (Greek/Cyrillic variants, dotless i, long s, ...; ``re._casefix``) and
#   U+0130, whose ``str.lower`` is two characters. Literals holding such characters get no
#   prefilter, and a line holding one runs every rule;
# * a pattern the analysis does not understand gets no prefilter.

_MAX_PREFILTERS = 3
_MAX_CLASS = 8  # a character class becomes a set of one-character literals up to this size


def _alternatives(items) -> list[frozenset[str]]:  # type: ignore[no-untyped-def]
    """Conjunction of disjunctions: every match contains a string of each returned set."""
    from re import _constants as c  # type: ignore[attr-defined]

    out: list[frozenset[str]] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            out.append(frozenset(["".join(run)]))
            run.clear()

    repeats = {c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", c.MAX_REPEAT)}
    for op, av in items:
        if op is c.LITERAL:
            run.append(chr(av))
            continue
        flush()
        if op is c.SUBPATTERN:
            out.extend(_alternatives(av[3]))
        elif op is getattr(c, "ATOMIC_GROUP", None):
            out.extend(_alternatives(av))
        elif op in repeats:
            if av[0] >= 1:
                out.extend(_alternatives(av[2]))
        elif op is c.BRANCH:
            best = [_best(_alternatives(alt)) for alt in av[1]]
            if all(best):
                out.append(frozenset().union(*best))  # type: ignore[arg-type]
        elif op is c.IN:
            if len(av) <= _MAX_CLASS and all(o is c.LITERAL for o, _ in av):
                out.append(frozenset(chr(v) for _, v in av))
    flush()
    return out


def _best(sets: list[frozenset[str]]) -> frozenset[str] | None:
    """The most selective set: longest shortest member, then fewest members."""
    return max(sets, key=lambda s: (min(map(len, s)), -len(s)), default=None)


@lru_cache(maxsize=1)
def _exotic() -> tuple[re.Pattern[str], frozenset[str]] | None:
    """Characters whose case-insensitive matching ``str.lower`` does not reproduce."""
    try:
        from re._casefix import _EXTRA_CASES  # type: ignore[import-not-found]
    except ImportError:  # Python 3.10: no table to rely on; prefilters stay off
        return None
    extra = {chr(x) for k, v in _EXTRA_CASES.items() for x in (k, *v) if x > 0x7F}
    chars = {chr(x) for x in range(0x80, 0x10000) if chr(x).lower() in extra}
    chars |= extra | {"\u0130"}
    cls = "".join(re.escape(ch) for ch in sorted(chars))
    return re.compile(f"[{cls}]"), frozenset(chars)


_PREFILTERS: dict[tuple[str, int], tuple[tuple[str, ...], ...]] = {}


def _prefilters(pattern: re.Pattern[str]) -> tuple[tuple[str, ...], ...]:
    """Tuples of lowercase literals; every match of ``pattern`` contains one of each tuple."""
    key = (pattern.pattern, pattern.flags)
    found = _PREFILTERS.get(key)
    if found is None:
        found = ()
        exotic = _exotic()
        try:
            from re import _parser  # type: ignore[attr-defined]

            sets = _alternatives(_parser.parse(pattern.pattern, pattern.flags))
        except Exception:  # an unfamiliar construct: no prefilter, the rule always runs
            sets = []
        if exotic is not None:
            ok = [
                frozenset(x.lower() for x in lits)
                for lits in set(sets)
                if lits and all(lits) and not any(ch in exotic[1] for x in lits for ch in x)
            ]
            ok.sort(key=lambda s: (-min(map(len, s)), len(s), sorted(s)))
            found = tuple(tuple(sorted(lits, key=len)) for lits in ok[:_MAX_PREFILTERS])
        _PREFILTERS[key] = found
    return found


def _lower_key(line: str) -> str | None:
    """``line.lower()`` when prefilters may judge it, ``None`` when every rule must run."""
    if not line.isascii():
        exotic = _exotic()
        if exotic is None or exotic[0].search(line):
            return None
    return line.lower()


def _may_match(rule: Rule, lowered: str | None) -> bool:
    """False only when ``rule`` cannot match the line whose :func:`_lower_key` is given."""
    if lowered is None:
        return True
    for lits in _prefilters(rule.pattern):
        for x in lits:
            if x in lowered:
                break
        else:
            return False
    return True


# ------------------------------------------------------------------ whole-document plans
#
# A rule is matched line by line (``re.search`` on one line). Calling it on every line costs
# a Python call per line and rule; instead each rule finds, for the whole document at once,
# the few lines it may match, and only those lines run the rule's pattern:
#
# ``needles``  the rule's prefilter literals (:func:`_prefilters`) reduced to ASCII, looked
#              for with ``bytes.find`` in the document's UTF-8 bytes with ASCII letters
#              lowercased. A case-insensitive pattern matches an ASCII letter only with its
#              two ASCII cases or one of the few non-ASCII characters of :func:`_ascii_twins`
#              (Kelvin sign, dotless i, ...); a document holding one of those runs every line.
# ``scan``     for a rule anchored at the line start (``^``) with no usable literal: the
#              pattern rewritten so that no part of it can match a line break, its ``^`` a
#              literal ``\n``, searched in ``"\n" + document``. Every match then lies in one
#              line and starts at a line start, and a line is found exactly when the rule
#              matches it (:func:`_scan_pattern`).
# otherwise    every non-blank line runs the rule.
#
# Which lines a rule removes, and what it strips from them, is then decided by the rule's own
# pattern on the line, as before: the plan only skips lines the rule cannot match.


@lru_cache(maxsize=1)
def _ascii_twins() -> frozenset[str] | None:
    """Non-ASCII characters that a case-insensitive pattern may match with an ASCII letter."""
    try:
        from re._casefix import _EXTRA_CASES  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:  # Python 3.10: no needles
        return None
    return frozenset(ch for ch in re.findall("[a-z]", _bmp(), re.IGNORECASE) if not ch.isascii())


Needle = bytes | tuple[str, ...]  # lowercase ASCII text, or the case variants of one character


@dataclass(frozen=True)
class _RulePlan:
    """How one rule finds its lines in a document (see above): every line it can match holds,
    for each tuple of ``needles``, one of its needles; or ``scan`` finds them."""

    rule: Rule
    needles: tuple[tuple[Needle, ...], ...] = ()
    scan: re.Pattern[str] | None = None
    # lowercase ASCII texts one of which ends every line the rule matches, once trailing
    # whitespace is stripped (see :func:`_suffixes`)
    suffixes: tuple[str, ...] = ()
    # for a pattern ``\s*Y``: ``Y`` compiled (see :func:`_after_spaces`)
    rest: re.Pattern[str] | None = None
    # lowercase ASCII text every match of ``rest`` (else of the rule's pattern) starts with
    # (see :func:`_lead`)
    lead: str = ""
    # for a pattern ``^[^\n]{0,N}?Y``: ``N``, ``Y`` compiled and, for ``Y = \s*Z``, ``Z``
    # compiled (see :func:`_lazy_prefix`, :func:`_lazy_span`)
    lazy: tuple[int, re.Pattern[str], re.Pattern[str] | None] | None = None
    # ``rest``'s matches never start with whitespace (see :func:`_solid_start`)
    solid: bool = False


@dataclass(frozen=True)
class _Plan:
    """A rule set laid out for :func:`strip_boilerplate`, by kind, in rule order; and the
    needles of all rules as arrays for the compiled search (:func:`_needle_arrays`)."""

    cuts: tuple[_RulePlan, ...]
    drops: tuple[_RulePlan, ...]
    strips: tuple[_RulePlan, ...]
    # rule plan -> its bit in the compiled search's line masks
    bits: dict[int, tuple[int, ...]] = field(default_factory=dict, compare=False)
    arrays: tuple[np.ndarray, ...] | None = field(default=None, compare=False)
    n_bits: int = 0
    # the arguments of ``_numba_kernels.line_scan`` (:func:`_line_scan_arrays`); rule plan
    # -> its index there, for the rules whose candidates it gives (the others scan)
    line_arrays: tuple[np.ndarray, ...] | None = field(default=None, compare=False)
    line_rules: dict[int, int] = field(default_factory=dict, compare=False)


_LAST_PLAN: tuple[RuleSet | None, BoilerplateConfig, _Plan] | None = None


@lru_cache(maxsize=32)
def _plan(ruleset: RuleSet) -> _Plan:
    plans = {k: tuple(_rule_plan(r) for r in ruleset.of_kind(k)) for k in _KINDS}
    flat = plans["cut_from"] + plans["drop_line"] + plans["strip"]
    # one bit per tuple of needles of each rule (the compiled search takes them all)
    # (later tuples only when none of their needles is one or two ASCII letters or digits:
    # those occur on many lines and cost more than they save)
    tuples = [
        (rp, alts)
        for rp in flat
        for k, alts in enumerate(rp.needles)
        if k == 0 or not any(isinstance(n, bytes) and len(n) <= 2 and n.isalnum() for n in alts)
    ]
    bits: dict[int, tuple[int, ...]] = {}
    arrays = None
    if tuples and len(tuples) <= 64:
        for b, (rp, _) in enumerate(tuples):
            bits[id(rp)] = (*bits.get(id(rp), ()), b)
        arrays = _needle_arrays([alts for _, alts in tuples])
    line_arrays, line_rules = None, {}
    if (not tuples or arrays is not None) and len(flat) <= 64 and _ascii_twins() is not None:
        line_arrays, line_rules = _line_scan_arrays(flat, bits, [alts for _, alts in tuples])
    return _Plan(
        plans["cut_from"],
        plans["drop_line"],
        plans["strip"],
        bits,
        arrays,
        len(tuples),
        line_arrays,
        line_rules,
    )


def _line_scan_arrays(
    flat: tuple[_RulePlan, ...], bits: dict[int, tuple[int, ...]], tuples: list[tuple[Needle, ...]]
) -> tuple[tuple[np.ndarray, ...] | None, dict[int, int]]:
    """The tables of ``_numba_kernels.line_scan`` for the rules ``flat`` (in kernel rule
    order) with needle bits ``bits`` (the tuples ``tuples``), and the rules it finds the
    candidate lines of: a rule with needles, or with a first-character table
    (:func:`_first_chars`), or with neither and no scan (every non-blank line). A rule with
    only a scan keeps its scan: the kernel gives it no candidates."""
    K = _compiled

    seqs: dict[tuple[int, ...], int] = {}
    for b, alts in enumerate(tuples):
        for needle in alts:
            if isinstance(needle, bytes):
                variants = [needle.decode("ascii")]
            else:
                variants = [ch.lower() if ch.isascii() else ch for ch in needle]
            for v in variants:
                key = tuple(ord(ch) for ch in v)
                seqs[key] = seqs.get(key, 0) | 1 << b
    one_mask = np.zeros(0x10000, dtype=np.uint64)
    items = []
    for seq, m in seqs.items():
        if len(seq) == 1:
            u = seq[0]
            one_mask[u] |= np.uint64(m)
            if chr(u).isascii():
                one_mask[ord(chr(u).upper())] |= np.uint64(m)
        else:
            items.append((seq, m))
    items.sort()
    # The longer needles (ASCII, lowercase: see _needle) by the keys of their first three
    # units: 1-26 an ASCII letter in either case, 27-31 the other characters of needles
    # (shared when more than five), 0 any other unit; a 2-unit needle under every third.
    pkey = np.zeros(0x10000, dtype=np.int64)
    others = sorted({u for seq, _ in items for u in seq} - set(range(97, 123)))
    for k, u in enumerate(others):
        pkey[u] = 27 + k % 5
    pkey[65:91] = np.arange(1, 27)
    pkey[97:123] = np.arange(1, 27)
    buckets: list[list[int]] = [[] for _ in range(0x8000)]
    for j, (seq, _) in enumerate(items):
        k = int(pkey[seq[0]]) << 10 | int(pkey[seq[1]]) << 5
        for key in range(k, k + 32) if len(seq) == 2 else [k | int(pkey[seq[2]])]:
            buckets[key].append(j)
    tri_start = np.concatenate(([0], np.cumsum([len(b) for b in buckets]))).astype(np.int64)
    tri_idx = [j for b in buckets for j in b]
    nd_len_j = np.array([len(seq) for seq, _ in items], dtype=np.int64)
    nd_start_j = np.concatenate(([0], np.cumsum(nd_len_j)[:-1])).astype(np.int64)
    # the kernel walks the buckets' entries: one (start, length, bits) per entry
    nd_units = np.array([u for seq, _ in items for u in seq], dtype=np.uint16)
    nd_start = nd_start_j[tri_idx].astype(np.int64) if tri_idx else nd_start_j[:0]
    nd_len = nd_len_j[tri_idx].astype(np.int64) if tri_idx else nd_len_j[:0]
    nd_mask = np.array([items[j][1] for j in tri_idx], dtype=np.uint64)
    rare = np.zeros(0x10000, dtype=np.int64)
    for ch in _ascii_twins() or ():
        rare[ord(ch)] = K.UNJUDGED
    # line offsets are counted in units: a text with surrogates takes the line-by-line path
    rare[0xD800:0xE000] = K.UNJUDGED
    rare[10] = K.LINE_BREAK
    uclass = np.where(_space_table(), 0, K.NONBLANK).astype(np.int64)
    uclass[_word_table()] |= K.WORD
    uclass[_digit_table()] |= K.DIGIT
    uclass[~_stable_table()] |= K.UNSTABLE
    info = pkey.astype(np.int64) | uclass << K.INFO_CLASS | rare << K.INFO_RARE
    tri_ok = (tri_start[1:] > tri_start[:-1]).astype(np.uint8)
    rule_req = np.zeros(len(flat), dtype=np.uint64)
    rule_digits = np.zeros(len(flat), dtype=np.int64)
    first_ok = np.zeros(0x10000, dtype=np.uint64)
    last_ok = np.zeros(0x10000, dtype=np.uint64)
    rules: dict[int, int] = {}
    for r, rp in enumerate(flat):
        table = _first_chars(rp.rule.pattern)
        if id(rp) not in bits and table is None and rp.scan is not None:
            continue  # found by its scan
        rules[id(rp)] = r
        rule_digits[r] = _digit_run(rp.rule.pattern)
        for b in bits.get(id(rp), ()):
            rule_req[r] |= np.uint64(1 << b)
        if table is None:
            first_ok |= np.uint64(1 << r)
        else:
            first_ok[table] |= np.uint64(1 << r)
        table = _first_chars(rp.rule.pattern, last=True)
        if table is None:
            last_ok |= np.uint64(1 << r)
        else:
            last_ok[table] |= np.uint64(1 << r)
    # the one-unit needles' bits and the first / last character tables as indexes into the
    # few distinct values (mask 0 first), packed into ``info``
    packed = []
    for table, shift, limit in (
        (one_mask, K.INFO_ONE, 32),
        (first_ok, K.INFO_FIRST, 256),
        (last_ok, K.INFO_LAST, 256),
    ):
        values, index = np.unique(np.concatenate(([0], table)), return_inverse=True)
        if len(values) > limit:
            return None, {}
        info |= index[1:].astype(np.int64) << shift
        packed.append(values.astype(np.uint64))
    arrays = (
        info.astype(np.uint32),
        packed[0],
        tri_ok,
        tri_start,
        nd_units,
        nd_start,
        nd_len,
        nd_mask,
        rule_req,
        # the rules a line whose longest run of digits has length k (to 255) may match
        np.array(
            [sum(1 << r for r in range(len(flat)) if k >= rule_digits[r]) for k in range(256)],
            dtype=np.uint64,
        ),
        packed[1],
        packed[2],
    )
    return arrays, rules


def _needle_arrays(tuples: list[tuple[Needle, ...]]) -> tuple[np.ndarray, ...]:
    """The needles as UTF-16 code units (ASCII letters lowercase), indexed by their first
    unit, with the bits of the tuples each belongs to: the arguments of
    ``_numba_kernels.needle_lines``."""
    seqs: dict[tuple[int, ...], set[int]] = {}
    for b, alts in enumerate(tuples):
        for needle in alts:
            if isinstance(needle, bytes):
                variants = [needle.decode("ascii")]
            else:
                variants = [ch.lower() if ch.isascii() else ch for ch in needle]
            for v in variants:
                seqs.setdefault(tuple(ord(ch) for ch in v), set()).add(b)
    ones = {seq[0]: sorted(bits) for seq, bits in seqs.items() if len(seq) == 1}
    one_len = np.zeros(0x10000, dtype=np.int64)
    for u, bits in ones.items():
        one_len[u] = len(bits)
    one_start = np.concatenate(([0], np.cumsum(one_len))).astype(np.int64)
    one_idx = np.array([b for u in sorted(ones) for b in ones[u]], dtype=np.int64)
    items = sorted((seq, sorted(bits)) for seq, bits in seqs.items() if len(seq) > 1)
    pair_ok = np.zeros(0x10000, dtype=np.uint8)
    for seq, _ in items:
        pair_ok[(seq[0] & 0xFF) << 8 | (seq[1] & 0xFF)] = 1
    nd_units = np.array([u for seq, _ in items for u in seq], dtype=np.uint16)
    nd_len = np.array([len(seq) for seq, _ in items], dtype=np.int64)
    nd_start = np.concatenate(([0], np.cumsum(nd_len)[:-1])).astype(np.int64)
    nd_bit_start = np.concatenate(([0], np.cumsum([len(b) for _, b in items]))).astype(np.int64)
    nd_bit_idx = np.array([b for _, bits in items for b in bits], dtype=np.int64)
    firsts = np.array([seq[0] for seq, _ in items], dtype=np.int64)
    order = np.argsort(firsts, kind="stable").astype(np.int64)
    first = np.searchsorted(firsts[order], np.arange(0x10001)).astype(np.int64)
    flags = np.zeros(0x10000, dtype=np.uint8)
    for ch in _ascii_twins() or ():
        flags[ord(ch)] |= 1
    for u in ones:
        flags[u] |= 2
        if chr(u).isascii():
            flags[ord(chr(u).upper())] |= 2
    for seq, _ in items:
        flags[seq[0]] |= 4
        if chr(seq[0]).isascii():
            flags[ord(chr(seq[0]).upper())] |= 4
    flags[10] = 8
    return (
        flags,
        one_start,
        one_idx,
        pair_ok,
        first,
        order,
        nd_units,
        nd_start,
        nd_len,
        nd_bit_start,
        nd_bit_idx,
    )


def _rule_plan(rule: Rule) -> _RulePlan:
    needles = []
    if _ascii_twins() is not None:
        for lits in _prefilters(rule.pattern):
            alts = tuple(_needle(x) for x in lits)
            if all(n is not None for n in alts):
                needles.append(alts)
    suffixes = _suffixes(rule.pattern)
    rest = _after_spaces(rule.pattern)
    lead = _lead(rule.pattern, after_spaces=rest is not None)
    lazy = _lazy_prefix(rule.pattern)
    solid = rest is not None and _solid_start(rule.pattern)
    if needles:
        return _RulePlan(rule, tuple(needles), None, suffixes, rest, lead, lazy, solid)  # type: ignore[arg-type]
    # A strip rule that can match empty text runs line by line: after an empty match
    # ``finditer`` tries a non-empty one at the same place, which the document scan (its
    # matches start with the ``\n``, so are never empty) would not.
    scan = (
        None
        if rule.kind == "strip" and _can_match_empty(rule.pattern)
        else _scan_pattern(rule.pattern)
    )
    return _RulePlan(rule, (), scan, suffixes, rest, lead, lazy, solid)


def _can_match_empty(pattern: re.Pattern[str]) -> bool:
    """Whether ``pattern`` can match an empty piece of some text (``True`` when unsure)."""
    try:
        from re import _parser  # type: ignore[attr-defined]

        return bool(_parser.parse(pattern.pattern, pattern.flags).getwidth()[0] == 0)
    except Exception:  # Python 3.10 (no ``re._parser``) or ``re`` internals changed
        return True


def _lead(pattern: re.Pattern[str], after_spaces: bool = False) -> str:
    r"""The ASCII text (lowercase) every match of ``pattern`` starts with, after zero-width
    ``\b``, ``\B`` and lookarounds (``""`` when there is none); with ``after_spaces``, of
    ``Y`` for a pattern ``\s*Y`` (:func:`_after_spaces`).

    In a line holding no character a case-insensitive pattern matches with an ASCII letter
    (:func:`_ascii_twins`: İ, the only character whose lowercase is longer, is one), the
    pattern can match at ``q`` only where ``line.lower()`` holds the text at ``q``: its
    leftmost match is the one searched from the first such place (``\b`` and lookbehinds
    still see the characters before it), and there is none when the text is not there.
    """
    try:
        from re import _constants as c  # type: ignore[attr-defined]
        from re import _parser  # type: ignore[attr-defined]

        if pattern.flags & (re.ASCII | re.LOCALE):
            return ""
        items = list(_parser.parse(pattern.pattern, pattern.flags))
        spaces = [(c.IN, [(c.CATEGORY, c.CATEGORY_SPACE)])]
        while (
            after_spaces
            and items
            and items[0][0] in (c.MAX_REPEAT, c.MIN_REPEAT)
            and items[0][1][0] == 0
            and items[0][1][1] == c.MAXREPEAT
            and list(items[0][1][2]) == spaces
        ):
            items.pop(0)
        lead = []
        for op, av in items:
            if op is c.LITERAL:
                lead.append(chr(av))
            elif not lead and (
                op in (c.ASSERT, c.ASSERT_NOT)
                or (op is c.AT and av in (c.AT_BOUNDARY, c.AT_NON_BOUNDARY))
            ):
                continue
            else:
                break
        text = "".join(lead)
        return text.lower() if text.isascii() else ""
    except Exception:  # an unfamiliar construct or ``re`` internals changed: no text
        return ""


def _after_spaces(pattern: re.Pattern[str]) -> re.Pattern[str] | None:
    r"""For a pattern ``\s*Y`` (one or more leading ``\s*``, greedy or lazy): ``Y`` compiled.

    ``\s*Y`` matches at ``p`` exactly when ``Y`` matches at some ``q >= p`` with only
    whitespace in between, so its leftmost match starts at the whitespace run before the
    leftmost match of ``Y``: searching from there finds the same matches, and a line ``Y``
    does not match cannot match. ``re`` tries ``\s*Y`` at every position of a line, while
    ``Y`` often starts with a character set that ``re`` scans for quickly.
    """
    try:
        from re import (
            _compiler,  # type: ignore[attr-defined]
            _parser,  # type: ignore[attr-defined]
        )
        from re import _constants as c  # type: ignore[attr-defined]

        if pattern.flags & (re.ASCII | re.LOCALE):
            return None
        tree = _parser.parse(pattern.pattern, pattern.flags)
        if tree.state.flags & re.ASCII:
            return None
        items = list(tree.data)
        k = _past_spaces(items, 0, c)
        if k == 0 or k == len(items):
            return None
        tree.data = items[k:]
        return _compiler.compile(tree, tree.state.flags)  # type: ignore[no-any-return]
    except Exception:  # an unfamiliar construct or ``re`` internals changed
        return None


@lru_cache(maxsize=1)
def _whitespace() -> tuple[int, ...]:
    """The code points ``\\s`` matches (those ``str.isspace`` accepts: ``re`` asks the same)."""
    return tuple(c for c in range(0x110000) if chr(c).isspace())


def _solid_start(pattern: re.Pattern[str]) -> bool:
    r"""For a pattern ``\s*Y`` (:func:`_after_spaces`): whether every match of ``Y``
    starts with a character that is not whitespace, from ``Y``'s first consuming item after
    zero-width ``\b``, ``\B`` and lookarounds: a literal, or a set of literals, ranges,
    ``\d`` and ``\w`` holding no whitespace (``False`` when that cannot be told).

    Then the greedy ``\s*`` takes all the blanks before a match of ``Y``, so the first
    match of ``\s*Y`` from the blanks before ``Y``'s leftmost match is those blanks plus
    that match (case-insensitive matching adds no whitespace: no whitespace character has
    a case).
    """
    try:
        from re import _constants as c  # type: ignore[attr-defined]
        from re import _parser  # type: ignore[attr-defined]

        if pattern.flags & (re.ASCII | re.LOCALE):
            return False
        tree = _parser.parse(pattern.pattern, pattern.flags)
        if tree.state.flags & re.ASCII:
            return False
        spaces = [(c.IN, [(c.CATEGORY, c.CATEGORY_SPACE)])]
        blank = _whitespace()
        leading = True
        for op, av in tree.data:
            if (
                leading
                and op in (c.MAX_REPEAT, c.MIN_REPEAT)
                and av[:2] == (0, c.MAXREPEAT)
                and list(av[2]) == spaces
            ):
                continue  # the leading ``\s*`` (those :func:`_after_spaces` takes off)
            leading = False
            if op is c.AT and av in (c.AT_BOUNDARY, c.AT_NON_BOUNDARY):
                continue
            if op in (c.ASSERT, c.ASSERT_NOT):
                continue
            if op is c.LITERAL:
                return av not in blank
            if op is c.IN:
                for iop, iav in av:
                    if iop is c.LITERAL:
                        if iav in blank:
                            return False
                    elif iop is c.RANGE:
                        if any(iav[0] <= w <= iav[1] for w in blank):
                            return False
                    elif not (iop is c.CATEGORY and iav in (c.CATEGORY_DIGIT, c.CATEGORY_WORD)):
                        return False  # a negated set, another category
                return True
            return False
        return False
    except Exception:  # an unfamiliar construct or ``re`` internals changed
        return False


def _lazy_prefix(
    pattern: re.Pattern[str],
) -> tuple[int, re.Pattern[str], re.Pattern[str] | None] | None:
    r"""For a pattern ``^[^\n]{0,N}?Y`` (``^`` or ``\A``, then a lazy repeat from 0 of any
    character but the line break, ``[^\n]`` or ``.`` without ``re.DOTALL``): ``N`` (a large
    number when unbounded), ``Y`` compiled, and for ``Y = \s*Z`` (one or more leading
    ``\s*``) ``Z`` compiled (else ``None``, see :func:`_after_spaces`); else ``None``.

    On a line (no ``\n``), ``re`` tries ``Y`` after 0, 1, 2 ... characters, up to ``N``:
    the match is the one of ``Y`` at the first place it matches, ``Y``'s leftmost match,
    from the line's start to that match's end, when it starts at ``N`` at the latest (and
    when it is not empty, there is no other: ``^`` matches nowhere after the start of a
    line). ``Y`` is searched for in C instead of tried at each place through the lazy
    repeat (``image_marker``: ``^[^\n]{0,200}?\s*ảnh...``). See :func:`_lazy_span`.
    """
    try:
        from re import (
            _compiler,  # type: ignore[attr-defined]
            _parser,  # type: ignore[attr-defined]
        )
        from re import _constants as c  # type: ignore[attr-defined]

        tree = _parser.parse(pattern.pattern, pattern.flags)
        items = list(tree.data)
        if len(items) < 2 or items[0] not in (
            (c.AT, c.AT_BEGINNING),
            (c.AT, c.AT_BEGINNING_STRING),
        ):
            return None
        op, av = items[1]
        if op is not c.MIN_REPEAT or av[0] != 0:
            return None
        body = list(av[2])
        dot = body == [(c.ANY, None)] and not tree.state.flags & re.DOTALL
        if not (dot or body == [(c.NOT_LITERAL, 10)]):
            return None
        tree.data = items[2:]
        body_pattern = _compiler.compile(tree, tree.state.flags)
        k = _past_spaces(items, 2, c)
        rest = None
        if 2 < k < len(items) and not tree.state.flags & re.ASCII:
            tree.data = items[k:]
            rest = _compiler.compile(tree, tree.state.flags)
        return av[1], body_pattern, rest
    except Exception:  # an unfamiliar construct or ``re`` internals changed
        return None


def _lazy_span(
    line: str, lazy: tuple[int, re.Pattern[str], re.Pattern[str] | None]
) -> tuple[int, int] | None:
    r"""The first match of the pattern ``^[^\n]{0,N}?Y`` in ``line`` (no ``\n`` in it),
    or ``None``, from ``lazy = (N, Y, Z)`` (:func:`_lazy_prefix`; ``Z``: ``Y = \s*Z``
    compiled, see :func:`_after_spaces`, else ``None``). ``Y``'s leftmost match starts at
    the whitespace before ``Z``'s leftmost match; there ``Y`` is matched as the whole
    pattern would (its first match at that place). A non-empty match is the only one (``^``
    matches nowhere else in a line); after an empty one ``re`` looks for a non-empty match
    at the same place."""
    bound, body, rest = lazy
    if rest is None:
        m = body.search(line)
        if m is None or m.start() > bound:
            return None
        return 0, m.end()
    m = rest.search(line)
    if m is None:
        return None
    q = _space_start(line, m.start())
    if q > bound:
        return None
    return 0, body.match(line, q).end()  # type: ignore[union-attr]


def _first_chars(pattern: re.Pattern[str], last: bool = False) -> np.ndarray | None:
    r"""For a rule anchored at the line start (``^X`` or ``^\s*X``): a table over the BMP
    of the characters that can be a matching line's first non-blank character (``None``
    when that cannot be told). With ``last``, for a rule anchored at the line end (``X$``,
    ``X\s*$``, or ``\Z``): of its last non-blank character.

    Every match of ``X`` starts (ends) with a character of ``FIRST(X)`` (``LAST(X)``; ``X``
    cannot match empty). When no whitespace is in that set, ``X`` starts at the line's
    first non-blank character -- after ``^\s*`` (all blanks before it) as after ``^`` (the
    line's first character then is not blank); and ends at its last one. Characters are
    judged by ``re`` itself: each first (last) item compiled alone with the pattern's
    flags, matched against every BMP character. Surrogates (characters outside the BMP) are
    always let through.
    """
    try:
        from re import (
            _compiler,  # type: ignore[attr-defined]
            _parser,  # type: ignore[attr-defined]
        )
        from re import _constants as c  # type: ignore[attr-defined]

        if pattern.flags & (re.ASCII | re.LOCALE):
            return None
        tree = _parser.parse(pattern.pattern, pattern.flags)
        if tree.state.flags & (re.ASCII | re.LOCALE) or not tree.data:
            return None
        edge = tree.data[-1] if last else tree.data[0]
        if last and edge not in ((c.AT, c.AT_END), (c.AT, c.AT_END_STRING)):
            return None
        if not last and edge not in ((c.AT, c.AT_BEGINNING), (c.AT, c.AT_BEGINNING_STRING)):
            return None
        atoms: list = []  # type: ignore[type-arg]
        rest = list(tree.data[:-1]) if last else list(tree.data[1:])
        if _first_items(rest, c, atoms, last):
            return None  # X may match the empty string
        table = np.zeros(0x10000, dtype=bool)
        for atom in atoms:
            sub = _parser.SubPattern(tree.state, [atom])
            one = _compiler.compile(sub, tree.state.flags)
            for ch in one.findall(_bmp()):
                table[ord(ch)] = True
        if table[_space_table()].any():
            return None
        table[0xD800:0xE000] = True
        return table
    except Exception:  # an unfamiliar construct or ``re`` internals changed: no filter
        return None


def _first_items(items, c, atoms, rev=False) -> bool:  # type: ignore[no-untyped-def]
    r"""Add the one-character items a match of ``items`` may start with (``rev``: end with)
    to ``atoms``, whitespace items (``\s``, ``\s*``, ``\s+``, ...) skipped; True when
    ``items`` may match a string of whitespace only (or the empty string). Raises on
    constructs not handled.

    The first non-blank character of a match of ``items`` is then one of the atoms' (what
    the skipped items match is whitespace): when no atom matches whitespace, it is the first
    non-blank character of the line, for a match starting at the line start."""
    items = list(items)[::-1] if rev else list(items)
    repeats = {c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)}
    spaces = [(c.IN, [(c.CATEGORY, c.CATEGORY_SPACE)])]
    for op, av in items:
        if [(op, av)] == spaces or (op in repeats and list(av[2]) == spaces):
            continue  # whitespace only
        if op in (c.LITERAL, c.IN):
            atoms.append((op, av))
            return False
        if op is c.BRANCH:
            empty = False
            for alt in av[1]:
                empty |= _first_items(alt, c, atoms, rev)
            if not empty:
                return False
        elif op is c.SUBPATTERN:
            if av[1] or av[2]:  # inline flags
                raise _Unsupported
            if not _first_items(av[3], c, atoms, rev):
                return False
        elif op in repeats:
            lo, _, body = av
            if not _first_items(body, c, atoms, rev) and lo >= 1:
                return False
        elif op is getattr(c, "ATOMIC_GROUP", None):
            if not _first_items(av, c, atoms, rev):
                return False
        elif op in (c.ASSERT, c.ASSERT_NOT) or (
            op is c.AT and av in (c.AT_BOUNDARY, c.AT_NON_BOUNDARY)
        ):
            continue  # zero-width: restricts what follows, consumes nothing
        else:
            raise _Unsupported
    return True


def _digit_run(pattern: re.Pattern[str]) -> int:
    r"""A length ``k`` such that every match of ``pattern`` holds ``k`` consecutive
    characters ``\d`` matches (0 when none is known): the longest ``\d{k,...}`` that every
    match goes through (the top-level sequence and the groups in it, not branches)."""
    try:
        from re import _constants as c  # type: ignore[attr-defined]
        from re import _parser  # type: ignore[attr-defined]

        digit = [(c.IN, [(c.CATEGORY, c.CATEGORY_DIGIT)])]
        repeats = {c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)}

        def longest(items) -> int:  # type: ignore[no-untyped-def]
            best = 0
            for op, av in items:
                if op in repeats and av[0] >= 1:
                    if list(av[2]) == digit:
                        best = max(best, min(av[0], 255))
                    else:
                        best = max(best, longest(av[2]))
                elif op is c.SUBPATTERN:
                    best = max(best, longest(av[3]))
                elif op is getattr(c, "ATOMIC_GROUP", None):
                    best = max(best, longest(av))
                elif [(op, av)] == digit:
                    best = max(best, 1)
            return best

        return longest(_parser.parse(pattern.pattern, pattern.flags))
    except Exception:  # an unfamiliar construct or ``re`` internals changed: no bound
        return 0


@lru_cache(maxsize=1)
def _stable_table() -> np.ndarray:
    """The BMP characters that NFC and NFKC leave alone wherever they stand (a bool table):
    normalized on their own (quick-check value No excluded), canonical combining class 0
    (no reordering) and not the second character of a canonical composition pair (value
    Maybe: Hangul vowels and trailing consonants, and every second character of a
    two-character canonical decomposition). A text of these characters only is NFC and
    NFKC already (what ``unicodedata``'s quick check concludes for it)."""
    seconds = set(range(0x1161, 0x1176)) | set(range(0x11A8, 0x11C3))
    for cp in range(0x110000):
        d = unicodedata.decomposition(chr(cp))
        if d and not d.startswith("<"):
            parts = d.split()
            if len(parts) == 2:
                seconds.add(int(parts[1], 16))
    table = np.zeros(0x10000, dtype=bool)
    for cp in range(0x10000):
        if 0xD800 <= cp < 0xE000 or cp in seconds:
            continue
        ch = chr(cp)
        table[cp] = (
            unicodedata.combining(ch) == 0
            and unicodedata.is_normalized("NFC", ch)
            and unicodedata.is_normalized("NFKC", ch)
        )
    return table


@lru_cache(maxsize=3)
def _class_table(cls: str) -> np.ndarray:
    r"""The BMP characters the regex class ``cls`` (``\d``, ``\s`` or ``\w``) matches,
    as a bool table."""
    table = np.zeros(0x10000, dtype=bool)
    for ch in re.findall(cls, _bmp()):
        table[ord(ch)] = True
    return table


def _digit_table() -> np.ndarray:
    r"""The BMP characters ``\d`` matches (a bool table)."""
    return _class_table(r"\d")


def _space_table() -> np.ndarray:
    r"""The BMP characters ``\s`` matches (a bool table)."""
    return _class_table(r"\s")


def _word_table() -> np.ndarray:
    r"""The BMP characters ``\w`` matches (a bool table)."""
    return _class_table(r"\w")


def _space_start(line: str, q: int) -> int:
    """Start of the run of whitespace that ends at ``q`` (``q`` itself when there is none)."""
    while q > 0 and line[q - 1].isspace():
        q -= 1
    return q


def _suffixes(pattern: re.Pattern[str]) -> tuple[str, ...]:
    """For a pattern ending with ``(?:lit1|lit2|...)\\s*$`` (ASCII literals not ending with
    whitespace): the lowercase literals. A line the pattern matches ends, once stripped of
    trailing whitespace (``str.rstrip`` strips exactly what ``\\s`` matches), with one of them;
    ``()`` when the pattern ends otherwise."""
    try:
        from re import _constants as c  # type: ignore[attr-defined]
        from re import _parser  # type: ignore[attr-defined]

        if pattern.flags & (re.ASCII | re.LOCALE):
            return ()
        items = list(_parser.parse(pattern.pattern, pattern.flags))
        if not items or items[-1] not in ((c.AT, c.AT_END), (c.AT, c.AT_END_STRING)):
            return ()
        items.pop()
        while items and items[-1][0] in (c.MAX_REPEAT, c.MIN_REPEAT):
            lo, _, body = items[-1][1]
            if lo != 0 or list(body) != [(c.IN, [(c.CATEGORY, c.CATEGORY_SPACE)])]:
                break
            items.pop()
        if not items:
            return ()
        op, av = items[-1]
        if op is c.SUBPATTERN and not av[1] and not av[2] and len(av[3].data) == 1:
            op, av = av[3].data[0]
        if op is c.BRANCH:
            alts = [list(alt) for alt in av[1]]
        elif op is c.LITERAL:
            run = []
            for o, v in reversed(items):
                if o is not c.LITERAL:
                    break
                run.append((o, v))
            alts = [run[::-1]]
        else:
            return ()
        out = []
        for alt in alts:
            if not alt or any(o is not c.LITERAL for o, _ in alt):
                return ()
            text = "".join(chr(v) for _, v in alt)
            if not text.isascii() or text[-1].isspace():
                return ()
            out.append(text.lower())
        return tuple(sorted(set(out)))
    except Exception:  # an unfamiliar construct or ``re`` internals changed: no suffixes
        return ()


def _needle(literal: str) -> Needle | None:
    """What a line holding ``literal`` (lowercase, case-insensitively) must hold: the literal
    itself when it is ASCII, else (when none of its ASCII runs has 3 characters) the case
    variants of its first non-ASCII character."""
    if literal.isascii():
        return literal.encode("ascii")
    runs = re.findall(r"[\x00-\x7f]{3,}", literal)
    if runs:
        return max(runs, key=len).encode("ascii")
    ch = next(ch for ch in literal if not ch.isascii())
    return _case_variants(ch)


@lru_cache(maxsize=256)
def _case_variants(ch: str) -> tuple[str, ...] | None:
    """Every character a case-insensitive pattern matches with ``ch`` (as ``re`` decides)."""
    if not ("\u0080" <= ch <= "\uffff") or 0xD800 <= ord(ch) < 0xE000:
        return None
    return tuple(sorted(set(re.findall(re.escape(ch), _bmp(), re.IGNORECASE))))


@lru_cache(maxsize=1)
def _bmp() -> str:
    """Every character of the Basic Multilingual Plane but surrogates, once."""
    return "".join(chr(c) for c in range(0x10000) if not 0xD800 <= c < 0xE000)


def _past_spaces(items, k, c):  # type: ignore[no-untyped-def]
    """The index of the first parsed item from ``k`` on that is not a ``\\s*`` (or ``\\s*?``)."""
    spaces = [(c.IN, [(c.CATEGORY, c.CATEGORY_SPACE)])]
    while (
        k < len(items)
        and items[k][0] in (c.MAX_REPEAT, c.MIN_REPEAT)
        and items[k][1][0] == 0
        and items[k][1][1] == c.MAXREPEAT
        and list(items[k][1][2]) == spaces
    ):
        k += 1
    return k


def _scan_pattern(pattern: re.Pattern[str]) -> re.Pattern[str] | None:
    """For ``^X``: ``\\nX'`` where ``X'`` is ``X`` unable to match a line break (``None`` when
    the pattern is not anchored or uses a construct the rewriting does not know).

    ``\\s`` becomes ``[^\\S\\n]``, ``[^...]`` becomes ``[^...\\n]``, ``$``/``\\Z`` match at line
    ends, ``\\A``/``^`` at line starts (MULTILINE). At a line edge the document shows a
    ``\\n`` where the line shows its end, which nothing in ``X'`` can match, so lookarounds
    and ``\\b`` see what they saw in the line.
    """
    try:
        from re import (  # type: ignore[attr-defined]
            _compiler,
            _constants,
            _parser,  # type: ignore[attr-defined]
        )
    except ImportError:  # Python 3.10
        return None
    c = _constants
    if pattern.flags & (re.DOTALL | re.LOCALE):
        return None
    try:
        tree = _parser.parse(pattern.pattern, pattern.flags)
        if tree.state.flags & re.DOTALL or not tree.data:
            return None
        if tree.data[0] not in ((c.AT, c.AT_BEGINNING), (c.AT, c.AT_BEGINNING_STRING)):
            return None
        tree.data = [(c.LITERAL, 10), *_no_newline(tree.data[1:], c)]
        return _compiler.compile(tree, tree.state.flags | re.MULTILINE)  # type: ignore[no-any-return]
    except _Unsupported:
        return None
    except Exception:  # an internal detail of ``re`` changed: run the rule line by line
        return None


class _Unsupported(Exception):
    pass


def _no_newline(items, c):  # type: ignore[no-untyped-def]
    """Parsed pattern items matching what ``items`` match, minus anything holding ``\\n``."""
    out = []
    newline_classes = {
        c.CATEGORY_SPACE: c.CATEGORY_NOT_SPACE,
        c.CATEGORY_NOT_WORD: c.CATEGORY_WORD,
        c.CATEGORY_NOT_DIGIT: c.CATEGORY_DIGIT,
    }
    repeats = {c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)}
    at_line = {
        c.AT_BEGINNING: c.AT_BEGINNING,  # made line starts by MULTILINE
        c.AT_BEGINNING_STRING: c.AT_BEGINNING,
        c.AT_END: c.AT_END,  # made line ends by MULTILINE
        c.AT_END_STRING: c.AT_END,
        c.AT_BOUNDARY: c.AT_BOUNDARY,
        c.AT_NON_BOUNDARY: c.AT_NON_BOUNDARY,
    }
    for op, av in items:
        if op is c.LITERAL:
            if av == 10:
                raise _Unsupported
            out.append((op, av))
        elif op is c.NOT_LITERAL:
            out.append((c.IN, [(c.NEGATE, None), (c.LITERAL, av), (c.LITERAL, 10)]))
        elif op is c.ANY:
            out.append((op, av))  # no DOTALL here: never a line break
        elif op is c.IN:
            out.append((c.IN, _set_no_newline(av, c, newline_classes)))
        elif op is c.AT:
            if av not in at_line:
                raise _Unsupported
            out.append((op, at_line[av]))
        elif op is c.BRANCH:
            out.append((op, (av[0], [_sub(alt, c) for alt in av[1]])))
        elif op is c.SUBPATTERN:
            group, add_flags, del_flags, p = av
            if add_flags or del_flags:
                raise _Unsupported
            out.append((op, (group, add_flags, del_flags, _sub(p, c))))
        elif op in repeats:
            out.append((op, (av[0], av[1], _sub(av[2], c))))
        elif op is getattr(c, "ATOMIC_GROUP", None):
            out.append((op, _sub(av, c)))
        elif op in (c.ASSERT, c.ASSERT_NOT):
            out.append((op, (av[0], _sub(av[1], c))))
        elif op is c.GROUPREF:
            out.append((op, av))
        elif op is c.GROUPREF_EXISTS:
            group, yes, no = av
            out.append((op, (group, _sub(yes, c), _sub(no, c) if no is not None else None)))
        else:
            raise _Unsupported
    return out


def _sub(p, c):  # type: ignore[no-untyped-def]
    from re import _parser  # type: ignore[attr-defined]

    return _parser.SubPattern(p.state, _no_newline(p.data, c))


def _set_no_newline(items, c, newline_classes):  # type: ignore[no-untyped-def]
    """A character set's items without ``\\n``."""
    if items and items[0][0] is c.NEGATE:
        return [*items, (c.LITERAL, 10)]
    if len(items) == 1 and items[0][0] is c.CATEGORY and items[0][1] in newline_classes:
        return [(c.NEGATE, None), (c.CATEGORY, newline_classes[items[0][1]]), (c.LITERAL, 10)]
    out = []
    for op, av in items:
        if op is c.LITERAL:
            if av != 10:
                out.append((op, av))
        elif op is c.RANGE:
            lo, hi = av
            if lo <= 10 <= hi:
                if lo < 10:
                    out.append((op, (lo, 9)))
                if hi > 10:
                    out.append((op, (11, hi)))
            else:
                out.append((op, av))
        elif (
            op is c.CATEGORY
            and av not in newline_classes
            and av
            in (
                c.CATEGORY_DIGIT,
                c.CATEGORY_NOT_SPACE,
                c.CATEGORY_WORD,
            )
        ):
            out.append((op, av))
        else:
            raise _Unsupported
    if not out:
        raise _Unsupported
    return out


def parse_rules(text: str, origin: str = "<rules>") -> RuleSet:
    """Parse rule-file text; errors name ``origin`` and the line number."""
    rules = []
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 2)
        if len(parts) != 3:
            raise RuleFileError(f"{origin}:{lineno}: expected 'KIND NAME REGEX', got {raw!r}")
        kind, name, pattern = parts
        if kind not in _KINDS:
            raise RuleFileError(
                f"{origin}:{lineno}: unknown rule kind {kind!r}; use one of {', '.join(_KINDS)}"
            )
        try:
            compiled = re.compile(pattern, re.IGNORECASE)
        except re.error as exc:
            raise RuleFileError(f"{origin}:{lineno}: bad regular expression: {exc}") from None
        rules.append(Rule(kind, name, compiled))  # type: ignore[arg-type]
    return RuleSet(tuple(rules))


def load_rules(path: str | Path) -> RuleSet:
    """Load a rule file (see the packaged ``boilerplate.rules`` for the format)."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise RuleFileError(f"{p}: cannot read rule file: {exc.strerror}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise RuleFileError(f"{p}:{line}: not valid UTF-8; save the rule file as UTF-8") from None
    return parse_rules(text, str(p))


@lru_cache(maxsize=1)
def default_rules() -> RuleSet:
    """The packaged rules."""
    text = resources.files("dedup.text").joinpath("rules/boilerplate.rules").read_text("utf-8")
    return parse_rules(text, "dedup/text/rules/boilerplate.rules")


@lru_cache(maxsize=32)
def rules_for(config: BoilerplateConfig) -> RuleSet:
    """The rule set a config asks for (packaged or replaced, plus extra rules)."""
    if not config.rules:
        rules = RuleSet(())
    elif config.rules_path:
        rules = load_rules(config.rules_path)
    else:
        rules = default_rules()
    if config.extra_rules_path:
        rules = rules + load_rules(config.extra_rules_path)
    return rules


def prepare(text: str) -> str:
    """Unify line endings, drop a BOM, apply NFC: the text all offsets refer to."""
    return _nfc(_unify_lines(text))


def _unify_lines(text: str) -> str:
    """:func:`prepare` but NFC."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:  # (one search: the two replacements search twice)
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def _nfc(text: str) -> str:
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def _line_key(line: str, norm: NormalizeConfig) -> str:
    return normalize(line, norm)


def strip_boilerplate(
    text: str,
    config: BoilerplateConfig | None = None,
    *,
    learned: frozenset[str] = frozenset(),
    rules: RuleSet | None = None,
    normalize_config: NormalizeConfig | None = None,
) -> Stripped:
    """Remove boilerplate from one document.

    Parameters
    ----------
    text : str
        Raw document text.
    config : BoilerplateConfig, optional
        Which removals apply; defaults to ``BoilerplateConfig()``.
    learned : frozenset of str
        Normalized lines learned as corpus boilerplate (:func:`learn_boilerplate`).
    rules : RuleSet, optional
        Rules to use instead of the ones ``config`` names.
    normalize_config : NormalizeConfig, optional
        How lines are normalized when compared (repeats, learned lines).

    Returns
    -------
    Stripped
        Kept text (``.text``), kept pieces and removed spans with rule names.

    Examples
    --------
    >>> s = strip_boilerplate("Title\\nBody text here.\\nVoir plus\\nTeaser one\\nTeaser two")
    >>> s.text
    'Title\\nBody text here.'
    >>> sorted({r.rule for r in s.removed})
    ['related_tail']
    """
    cfg = config or BoilerplateConfig()
    last = _LAST_PLAN
    if last is not None and last[0] is rules and last[1] is cfg:
        plan = last[2]  # the same objects as the previous call: skip hashing the rule set
    else:
        plan = _plan(rules if rules is not None else rules_for(cfg))
        globals()["_LAST_PLAN"] = (rules, cfg, plan)
    norm = normalize_config or NormalizeConfig()
    source = _unify_lines(text)  # NFC below
    result = None
    if plan.line_arrays is not None:
        kernels = _compiled.kernels()
        if kernels is not None:
            result = _strip_scanned(source, plan, cfg, norm, kernels)
    if result is None:
        result = _strip_by_lines(_nfc(source), plan, cfg, norm)
    return apply_learned(result, learned, cfg) if learned else result


def _rule_lines(finder: _LineFinder, plan: _Plan) -> tuple[int, str, dict[int, str], dict]:  # type: ignore[type-arg]
    """The first line a cut rule matches and its name; the lines drop rules match (the
    first in rule order names the removal); what strip rules match in the other lines."""
    n = finder.n_lines
    # 1. the first line a cut rule matches, and that rule's name (the first in rule order)
    cut_at, cut_name = n, ""
    for rp in plan.cuts:
        for i in finder.matching(rp, cut_at):
            if i < cut_at:
                cut_at, cut_name = i, rp.rule.name
            break
    # 2. lines a drop rule matches (the first in rule order names the removal)
    drops: dict[int, str] = {}
    for rp in plan.drops:
        for i in finder.matching(rp, cut_at):
            drops.setdefault(i, rp.rule.name)
    # 3. what the strip rules match in the other lines, in rule order
    strips: dict[int, list[tuple[int, int, str]]] = {}
    for rp in plan.strips:
        for i, a, b in finder.spans(rp, cut_at, drops):
            strips.setdefault(i, []).append((a, b, rp.rule.name))
    return cut_at, cut_name, drops, strips


# (index in line_scan or -1, rule plan, name, search, lead, suffixes, finditer, rest, lazy, solid)
_Row = tuple


def _lazy_search(line: str, lazy: tuple[int, re.Pattern[str], re.Pattern[str] | None]) -> bool:
    return _lazy_span(line, lazy) is not None


def _line_rows(plan: _Plan) -> tuple[tuple[_Row, ...], tuple[_Row, ...], tuple[_Row, ...]]:
    """What :func:`_scanned_rule_lines` reads of each rule, cuts / drops / strips, made once
    per plan (one tuple unpacking per rule instead of attribute and dictionary look-ups)."""
    rows = plan.__dict__.get("_rows")
    if rows is None:
        index = plan.line_rules

        def row(rp: _RulePlan) -> _Row:
            search = (rp.rest or rp.rule.pattern).search  # ``\s*Y`` matches where ``Y`` does
            if rp.lazy is not None:
                search = partial(_lazy_search, lazy=rp.lazy)
            r = index.get(id(rp), -1)
            return (
                r,
                rp,
                rp.rule.name,
                search,
                rp.lead,
                rp.suffixes,
                rp.rule.pattern.finditer,
                rp.rest,
                rp.lazy,
                rp.solid,
            )

        rows = tuple(tuple(map(row, kind)) for kind in (plan.cuts, plan.drops, plan.strips))
        object.__setattr__(plan, "_rows", rows)  # (not a field: equality and repr unchanged)
    return rows  # type: ignore[no-any-return]


def _scanned_rule_lines(
    source: str, starts: list[int], lflags: list[int], cands: list[int], plan: _Plan
) -> tuple[int, str, dict[int, str], dict]:  # type: ignore[type-arg]
    """:func:`_rule_lines` from the candidate lines of ``line_scan`` (those of the rule with
    index ``r`` are ``cands[cands[r]:cands[r + 1]]``), the rules' own patterns deciding on
    them, in rule order, as :class:`_LineFinder` does; rules found by their scan run it."""
    cut_rows, drop_rows, strip_rows = _line_rows(plan)
    n = len(lflags)
    finder: _ScannedLines | None = None

    def scanned() -> _ScannedLines:
        nonlocal finder
        if finder is None:
            finder = _ScannedLines(source, starts, lflags, plan, cands)
        return finder

    def matches(line: str, row: _Row) -> bool:
        """Whether the rule of ``row`` matches the candidate ``line``."""
        _, _, _, search, lead, suffixes, _, _, _, _ = row
        if suffixes and not _may_end_with(line, suffixes):
            return False
        if lead:  # no twin in the text (the line pass saw none): see _lead
            q = line.lower().find(lead)
            return q >= 0 and search(line, q) is not None
        return bool(search(line))

    # (a rule of the line pass without candidates is skipped at once: most rules, most lines;
    # candidates are in line order, so those from ``stop`` on end the loop)
    # 1. the first line a cut rule matches, and that rule's name (the first in rule order)
    cut_at, cut_name = n, ""
    for row in cut_rows:
        r = row[0]
        if r < 0:
            for i in scanned().matching(row[1], cut_at):
                cut_at, cut_name = i, row[2]
                break
            continue
        for i in cands[cands[r] : cands[r + 1]]:
            if i >= cut_at:
                break
            if matches(source[starts[i] : starts[i + 1] - 1], row):
                cut_at, cut_name = i, row[2]
                break
    # 2. lines a drop rule matches (the first in rule order names the removal)
    drops: dict[int, str] = {}
    for row in drop_rows:
        r = row[0]
        if r < 0:
            for i in scanned().matching(row[1], cut_at):
                if i not in drops:
                    drops[i] = row[2]
            continue
        for i in cands[cands[r] : cands[r + 1]]:
            if i >= cut_at:
                break
            if i not in drops and matches(source[starts[i] : starts[i + 1] - 1], row):
                drops[i] = row[2]
    # 3. what the strip rules match in the other lines, in rule order
    strips: dict[int, list[tuple[int, int, str]]] = {}
    for r, rp, name, _, lead, suffixes, finditer, rest, lazy, solid in strip_rows:
        if r < 0:
            for i, a, b in scanned().spans(rp, cut_at, drops):
                strips.setdefault(i, []).append((a, b, name))
            continue
        for i in cands[cands[r] : cands[r + 1]]:
            if i >= cut_at:
                break
            if i in drops:
                continue
            base = starts[i]
            line = source[base : starts[i + 1] - 1]
            if suffixes and not _may_end_with(line, suffixes):
                continue
            if lazy is not None:  # ``^[^\n]{0,N}?Y``: its one match from ``Y``'s leftmost
                span = _lazy_span(line, lazy)
                if span is None:
                    continue
                if span[1] > 0:
                    strips.setdefault(i, []).append((base, base + span[1], name))
                    continue
                # (empty: ``finditer`` looks for a non-empty match at the same place next)
            pos = 0
            if lead:  # (no twin in the text: see _lead)
                pos = line.lower().find(lead)
                if pos < 0:
                    continue
            if rest is not None:  # ``\s*Y``: no match before the spaces ahead of ``Y``'s first
                first = rest.search(line, pos)
                if first is None:
                    continue
                pos = _space_start(line, first.start())
                if solid:
                    # ``Y`` starts with no blank: the greedy ``\s*`` at ``pos`` takes the
                    # blanks up to ``Y``'s match, which then is ``first`` -- the first match
                    # of ``\s*Y`` is ``pos, first.end()``; the others follow it (at the
                    # line's end, only empty ones, which remove nothing)
                    strips.setdefault(i, []).append((base + pos, base + first.end(), name))
                    pos = first.end()
                    if pos == len(line):
                        continue
            for m in finditer(line, pos):
                a, b = m.span()
                if b > a:
                    strips.setdefault(i, []).append((base + a, base + b, name))
    return cut_at, cut_name, drops, strips


def _strip_by_lines(
    source: str, plan: _Plan, cfg: BoilerplateConfig, norm: NormalizeConfig
) -> Stripped:
    """:func:`strip_boilerplate` on the prepared ``source``, line by line."""
    lines = source.split("\n")
    n = len(lines)
    # start offset of each line, and one past the last line
    starts = [0, *accumulate([len(line) + 1 for line in lines])]
    finder = _LineFinder(source, lines, starts, plan)
    cut_at, cut_name, drops, strips = _rule_lines(finder, plan)

    keys = normalize_text_lines(source, norm)  # normalized form of each line
    removed: list[tuple[int, int, str]] = []
    kept_lines: list[tuple[tuple[int, int], ...]] = []
    kept_keys: list[str] = []
    seen: set[str] = set()
    dedupe = cfg.dedupe_lines
    has_word = _HAS_WORD.search
    for i in range(cut_at):
        line = lines[i]
        if not line:
            continue
        start = starts[i]
        end = start + len(line)
        stripped: list[tuple[int, int, str]] | None = None
        if i in drops:
            removed.append((start, end, drops[i]))
            continue
        if i in strips:
            pieces, stripped = _merge_cuts(start, end, strips[i])
            kept_text = "".join(source[a:b] for a, b in pieces)
            if not has_word(kept_text):
                removed.append((start, end, stripped[0][2]))
                continue
            key = _line_key(kept_text, norm)
            kept = tuple(pieces)
        else:
            key = keys[i]
            # a line with a token is not blank (no whitespace character folds to a letter);
            # an ASCII one then has a word character too
            if not key:
                if line.isspace():
                    continue
                if not has_word(line):
                    removed.append((start, end, "empty"))
                    continue
            elif not line.isascii() and not has_word(line):
                removed.append((start, end, "empty"))
                continue
            kept = ((start, end),)
        if dedupe and key and key in seen:
            removed.append((start, end, "repeated_line"))
            continue
        if stripped:
            removed.extend(stripped)
        seen.add(key)
        kept_lines.append(kept)
        kept_keys.append(key)
    for i in range(cut_at, n):
        line = lines[i]
        if line and not line.isspace():
            removed.append((starts[i], starts[i] + len(line), cut_name))
    return Stripped._make(source, tuple(kept_lines), _Spans(removed), tuple(kept_keys))


def _utf16(text: str, kernels) -> tuple[np.ndarray, int]:  # type: ignore[no-untyped-def]
    """``text``'s UTF-16 units (``surrogatepass``) and its number of line breaks, copied and
    counted from the string by the kernel when it can (the UTF-16 encoder and ``count``
    cost twice as much), else encoded and counted."""
    units = np.empty(len(text), dtype=np.uint16)
    copy = kernels.bmp_units  # (``None`` when numba's str internals are not as expected)
    breaks = copy(text, units) if copy is not None else -1
    if breaks < 0:
        units = np.frombuffer(text.encode("utf-16-le", "surrogatepass"), dtype=np.uint16)
        breaks = text.count("\n")
    return units, breaks


def _strip_scanned(
    source: str,
    plan: _Plan,
    cfg: BoilerplateConfig,
    norm: NormalizeConfig,
    kernels,  # type: ignore[no-untyped-def]
) -> Stripped | None:
    """:func:`strip_boilerplate` on the prepared ``source`` from one compiled pass over it
    (``line_scan``: line starts, blank / word-character flags, each rule's candidate
    lines), or ``None`` when that pass cannot judge the text (it holds a twin, or a
    character outside the BMP). ``source`` has its lines unified, not NFC yet: when the
    pass finds only characters that NFC and NFKC leave alone wherever they stand
    (:func:`_stable_table`), the text is NFC and NFKC already, else NFC is applied and, if
    that changed the text, the pass runs again."""
    arrays = plan.line_arrays
    n_rules = len(arrays[-4])  # type: ignore[index]
    for _ in range(2):
        if source.isascii():
            units = np.frombuffer(source.encode("ascii"), dtype=np.uint8)
            n = source.count("\n") + 1
        else:
            units, breaks = _utf16(source, kernels)
            n = breaks + 1
        starts_a = np.empty(n + 1, dtype=np.int64)
        flags_a = np.empty(n + 1, dtype=np.uint8)  # and the flags of the whole text
        cands = np.empty(n_rules + 1 + n * n_rules, dtype=np.int64)
        used = kernels.line_scan(units, *arrays, starts_a, flags_a, cands)  # type: ignore[misc]
        if used < 0:
            return None
        lflags = flags_a.tolist()
        stable = not lflags.pop() & _compiled.UNSTABLE  # (the flags of the whole text)
        if stable:
            break
        normal = unicodedata.normalize("NFC", source)
        if normal == source:
            break
        source = normal
    starts = starts_a.tolist()
    cut_at, cut_name, drops, strips = _scanned_rule_lines(
        source, starts, lflags, cands[:used].tolist(), plan
    )

    has_word = _HAS_WORD.search
    # the lines strip rules cut: kept pieces, removed spans, and (when a word is left) the
    # index of the normalized kept text in ``cut_keys``, else -1; the kept texts as spans of
    # the text for the fold (``-1, -1``: the line break before each)
    cut: dict[int, tuple[tuple[tuple[int, int], ...], list[tuple[int, int, str]], int]] = {}
    spans: list[int] = []
    n_spanned = 0
    for i, matches in strips.items():
        start, end = starts[i], starts[i + 1] - 1
        if len(matches) == 1:  # (most: what _merge_cuts makes of one match, directly)
            a, b, _ = matches[0]
            stripped = matches
            if a > start:
                pieces = ((start, a), (b, end)) if b < end else ((start, a),)
            else:
                pieces = ((b, end),) if b < end else ()
        else:
            kept, stripped = _merge_cuts(start, end, matches)
            pieces = tuple(kept)
        spans += (-1, -1)
        any_word = False
        for a, b in pieces:
            spans += (a, b)
            n_spanned += b - a
            any_word = any_word or has_word(source, a, b) is not None
        cut[i] = (pieces, stripped, len(cut) if any_word else -1)
    # normalized form of each line, and of the kept texts: in one call when the text is
    # stable (NFKC already, and so is any text of its characters), as lines after its own
    keys = None
    if stable:
        keys = _fold_units(units, np.array(spans, dtype=np.int64), n_spanned, norm)
    if keys is None:  # (not stable, or a character not folded yet: the table learns it)
        texts = ["".join(source[a:b] for a, b in pieces) for pieces, _, _ in cut.values()]
        keys = normalize_text_lines(source, norm, _units=units, _nfkc=stable)
        keys += normalize_text_lines("\n".join(texts), norm, _nfkc=stable) if texts else []
    cut_keys = keys[n:]
    removed: list[tuple[int, int, str]] = []
    kept_lines: list[tuple[tuple[int, int], ...]] = []
    kept_keys: list[str] = []
    seen: set[str] = set()
    dedupe = cfg.dedupe_lines
    word, nonblank = _compiled.WORD, _compiled.NONBLANK
    special = drops.keys() | strips.keys()
    # the loop of _strip_by_lines, with the line tests read off the flags
    for i, f, start, after, key in zip(
        range(cut_at), lflags, starts, islice(starts, 1, None), keys
    ):
        if not f & nonblank:
            continue
        end = after - 1
        if i in special:
            if i in drops:
                removed.append((start, end, drops[i]))
                continue
            pieces, stripped, j = cut[i]
            if j < 0:  # no word left
                removed.append((start, end, stripped[0][2]))
                continue
            key = cut_keys[j]
            if dedupe and key and key in seen:
                removed.append((start, end, "repeated_line"))
                continue
            removed.extend(stripped)
            seen.add(key)
            kept_lines.append(pieces)
            kept_keys.append(key)
            continue
        if not f & word:  # no ``\w`` in the line
            removed.append((start, end, "empty"))
            continue
        if key in seen and dedupe and key:
            removed.append((start, end, "repeated_line"))
            continue
        seen.add(key)
        kept_lines.append(((start, end),))
        kept_keys.append(key)
    for i in range(cut_at, n):
        if lflags[i] & nonblank:
            removed.append((starts[i], starts[i + 1] - 1, cut_name))
    return Stripped._make(source, tuple(kept_lines), _Spans(removed), tuple(kept_keys))


def _merge_cuts(
    start: int, end: int, cut: list[tuple[int, int, str]]
) -> tuple[list[tuple[int, int]], list[tuple[int, int, str]]]:
    """Kept pieces of the line ``[start, end)`` and removed spans, from the strip matches."""
    cut.sort()
    merged: list[tuple[int, int, str]] = []
    for s, e, name in cut:
        if merged and s <= merged[-1][1]:
            ps, pe, pname = merged[-1]
            merged[-1] = (ps, max(pe, e), pname)
        else:
            merged.append((s, e, name))
    pieces, pos = [], start
    for s, e, _ in merged:
        if s > pos:
            pieces.append((pos, s))
        pos = e
    if pos < end:
        pieces.append((pos, end))
    return pieces, merged


def _may_end_with(line: str, suffixes: tuple[str, ...]) -> bool:
    """False only when ``line`` stripped of trailing whitespace cannot end with one of the
    ASCII ``suffixes`` as a case-insensitive pattern sees it (a tail holding a non-ASCII
    character is not judged)."""
    tail = line.rstrip()[-max(map(len, suffixes)) :]
    return not tail.isascii() or tail.lower().endswith(suffixes)


class _LineFinder:
    """The lines of one document a rule may match (see the plans above)."""

    def __init__(
        self, source: str, lines: list[str], starts: list[int], plan: _Plan | None = None
    ) -> None:
        self.plan = plan
        self._found: tuple[np.ndarray, list[int]] | bool | None = None
        self.source = source
        self.lines = lines
        self.starts = starts
        self.n_lines = len(lines)
        self._lowered: bytes | None = None
        self._shifted: str | None = None
        self._with: dict[Needle, set[int]] = {}
        self._all: list[int] | None = None

    def _nonblank(self) -> list[int]:
        if self._all is None:
            self._all = [i for i, line in enumerate(self.lines) if line and not line.isspace()]
        return self._all

    def _lines_with(self, needle: Needle) -> set[int]:
        """Lines holding ``needle`` (case-insensitively); every line when that cannot be told."""
        found = self._with.get(needle)
        if found is not None:
            return found
        if isinstance(needle, bytes):
            if self._lowered is None:
                twins = _ascii_twins() or ()
                self._lowered = (
                    b""
                    if any(ch in self.source for ch in twins)
                    else self.source.encode("utf-8", "surrogatepass").lower()
                )
            text: str | bytes = self._lowered
            if not text and self.source:  # a document holding a twin: every line
                found = set(range(len(self.lines)))
                self._with[needle] = found
                return found
            subs: tuple[str, ...] | tuple[bytes, ...] = (needle,)
            nl: str | bytes = b"\n"
        else:
            text, subs, nl = self.source, needle, "\n"
        found = set()
        for sub in subs:
            pos = text.find(sub)  # type: ignore[arg-type]
            last, line_no = 0, 0
            while pos >= 0:
                line_no += text.count(nl, last, pos)  # type: ignore[arg-type]
                found.add(line_no)
                last = text.find(nl, pos)  # type: ignore[arg-type]
                if last < 0:
                    break
                pos = text.find(sub, last)  # type: ignore[arg-type]
        self._with[needle] = found
        return found

    def _compiled_candidates(self, rp: _RulePlan) -> list[int] | None:
        """Lines holding a needle of each tuple of ``rp`` by the compiled search, or ``None``."""
        if self._found is None:
            self._found = False
            kernels = _compiled.kernels()
            plan = self.plan
            if kernels is None or plan is None or plan.arrays is None:
                return None
            units = np.frombuffer(self.source.encode("utf-16-le", "surrogatepass"), dtype=np.uint16)
            n_bits = plan.n_bits
            found = np.empty((n_bits, len(self.lines)), dtype=np.int64)
            counts = np.zeros(n_bits, dtype=np.int64)
            if kernels.needle_lines(units, *plan.arrays, found, counts) < 0:
                return None
            self._found = (found, counts.tolist())
        if not self._found or self.plan is None:
            return None
        found, counts = self._found
        bits = self.plan.bits[id(rp)]
        lines = found[bits[0], : counts[bits[0]]].tolist()
        for b in bits[1:]:
            if not lines:
                break
            other = set(found[b, : counts[b]].tolist())
            lines = [i for i in lines if i in other]
        return lines

    def _candidates_of(self, rp: _RulePlan, stop: int) -> list[int]:
        """Non-blank lines before ``stop`` that may match ``rp``, in order."""
        found = self._candidates_by_needles(rp, stop)
        if rp.suffixes:
            found = [i for i in found if _may_end_with(self.lines[i], rp.suffixes)]
        return found

    def _candidates_by_needles(self, rp: _RulePlan, stop: int) -> list[int]:
        if not rp.needles:
            return [i for i in self._nonblank() if i < stop]
        compiled = self._compiled_candidates(rp)
        if compiled is not None:
            lines = self.lines
            return [i for i in compiled if i < stop and not lines[i].isspace()]
        found: set[int] | None = None
        for alts in rp.needles[:1]:  # the most selective tuple: finds cost more than regexes
            union: set[int] = set()
            for needle in alts:
                union |= self._lines_with(needle)
            found = union if found is None else found & union
            if not found:
                return []
        lines = self.lines
        return sorted(i for i in found if i < stop and not lines[i].isspace() and lines[i])  # type: ignore[union-attr]

    def _scanned(self, rp: _RulePlan, stop: int) -> list[tuple[int, int, int]]:
        """``(line, start, end)`` of the matches of an anchored rule, by line."""
        if self._shifted is None:
            self._shifted = "\n" + self.source
        out = []
        starts = self.starts
        limit = starts[stop] if stop < self.n_lines else len(self._shifted)
        for m in rp.scan.finditer(self._shifted, 0, limit):  # type: ignore[union-attr]
            a = m.start()
            out.append((bisect_left(starts, a), a, m.end() - 1))
        return out

    def matching(self, rp: _RulePlan, stop: int) -> list[int]:
        """Non-blank lines before ``stop`` that the line rule ``rp`` matches, in order."""
        lines = self.lines
        if self._by_scan(rp):
            return [i for i, _, _ in self._scanned(rp, stop) if not self._blank(i)]
        search = (rp.rest or rp.rule.pattern).search  # ``\s*Y`` matches where ``Y`` does
        return [i for i in self._candidates_of(rp, stop) if search(lines[i])]

    def _by_scan(self, rp: _RulePlan) -> bool:
        return rp.scan is not None

    def _blank(self, i: int) -> bool:
        line = self.lines[i]
        return not line or line.isspace()

    def spans(self, rp: _RulePlan, stop: int, skip: dict[int, str]) -> list[tuple[int, int, int]]:
        """``(line, start, end)`` of the non-empty matches of the strip rule ``rp`` in the
        non-blank lines before ``stop`` not in ``skip``."""
        lines = self.lines
        if self._by_scan(rp):
            return [
                (i, a, b)
                for i, a, b in self._scanned(rp, stop)
                if b > a and i not in skip and not self._blank(i)
            ]
        out = []
        starts = self.starts
        finditer = rp.rule.pattern.finditer
        rest = rp.rest
        for i in self._candidates_of(rp, stop):
            if i in skip:
                continue
            line = lines[i]
            pos = 0
            if rest is not None:  # ``\s*Y``: no match before the spaces ahead of ``Y``'s first
                first = rest.search(line)
                if first is None:
                    continue
                pos = _space_start(line, first.start())
            base = starts[i]
            for m in finditer(line, pos):
                if m.end() > m.start():
                    out.append((i, base + m.start(), base + m.end()))
        return out


class _LineSlices:
    """``source.split("\\n")`` made on demand, one line at a time (only rule candidates are
    looked at)."""

    __slots__ = ("source", "starts")

    def __init__(self, source: str, starts: list[int]) -> None:
        self.source = source
        self.starts = starts

    def __getitem__(self, i: int) -> str:
        return self.source[self.starts[i] : self.starts[i + 1] - 1]

    def __len__(self) -> int:
        return len(self.starts) - 1


class _ScannedLines(_LineFinder):
    """:class:`_LineFinder` for the rules :func:`_scanned_rule_lines` leaves to their scan,
    with blank lines told by the flags of ``line_scan``."""

    def __init__(
        self,
        source: str,
        starts: list[int],
        lflags: list[int],
        plan: _Plan,
        cands: list[int],
    ) -> None:
        super().__init__(source, _LineSlices(source, starts), starts, plan)  # type: ignore[arg-type]
        self.lflags = lflags

    def _blank(self, i: int) -> bool:
        return not self.lflags[i] & _compiled.NONBLANK


def apply_learned(
    stripped: Stripped, learned: frozenset[str], config: BoilerplateConfig | None = None
) -> Stripped:
    """Remove the kept lines of ``stripped`` whose normalized form is in ``learned``.

    Nothing is removed when that would take more than ``config.learn_max_removed`` of the
    document: copies of one story share all their lines, and those lines are content.
    """
    if learned.isdisjoint(stripped.keys):  # (most documents: one pass in C)
        return stripped
    cfg = config or BoilerplateConfig()
    hits = [i for i, key in enumerate(stripped.keys) if key in learned]
    if not hits:
        return stripped
    size = sum(e - s for pieces in stripped.lines for s, e in pieces)
    lost = sum(e - s for i in hits for s, e in stripped.lines[i])
    if lost > cfg.learn_max_removed * size:
        return stripped
    drop = set(hits)
    extra = [(a, b, "learned") for i in hits for a, b in stripped.lines[i]]
    # sorted with the spans already removed (a stable sort by (start, end): what sorting
    # the sorted records and the new ones gives)
    return Stripped(
        stripped.source,
        tuple(p for i, p in enumerate(stripped.lines) if i not in drop),
        _Spans(_raw_spans(stripped) + extra),  # type: ignore[arg-type]
        tuple(k for i, k in enumerate(stripped.keys) if i not in drop),
    )


def count_lines(
    stripped_docs: Iterable[Stripped], config: BoilerplateConfig | None = None
) -> frozenset[str]:
    """Learned boilerplate from documents already stripped by the rules (see :func:`learn_boilerplate`)."""
    cfg = config or BoilerplateConfig()
    counts: Counter[str] = Counter()
    n_docs = 0
    for doc in stripped_docs:
        n_docs += 1
        counts.update(set(doc.keys))
    need = max(cfg.learn_min_docs, math.ceil(cfg.learn_min_fraction * n_docs))
    return frozenset(k for k, c in counts.items() if c >= need)


def learn_boilerplate(
    texts: Iterable[str],
    config: BoilerplateConfig | None = None,
    *,
    normalize_config: NormalizeConfig | None = None,
) -> frozenset[str]:
    """Lines that recur across a corpus: the corpus's own boilerplate.

    A line (normalized, after the rules ran) is learned when it occurs in at least
    ``config.learn_min_docs`` documents and in at least ``config.learn_min_fraction`` of them.
    Each document counts a line once.

    Parameters
    ----------
    texts : iterable of str
        The corpus (raw texts).
    config : BoilerplateConfig, optional
        Thresholds; defaults to ``BoilerplateConfig()``.

    Returns
    -------
    frozenset of str
        Normalized lines, for :func:`strip_boilerplate`'s ``learned=``.

    Examples
    --------
    >>> docs = [f"Story number {i} about topic {i}.\\nFollow us on social media" for i in range(6)]
    >>> sorted(learn_boilerplate(docs))
    ['follow us on social media']
    """
    cfg = config or BoilerplateConfig()
    docs = (strip_boilerplate(t, cfg, normalize_config=normalize_config) for t in texts)
    return count_lines(docs, cfg)
