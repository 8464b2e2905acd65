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
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal

from dedup.config import BoilerplateConfig, NormalizeConfig
from dedup.errors import RuleFileError
from dedup.text.normalization import normalize, normalize_lines

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
    removed: tuple[RemovedSpan, ...] = field(default=())
    keys: tuple[str, ...] = field(default=(), repr=False)  # normalized form of each kept line

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
        return " ".join(k for k in self.keys if k)


# ------------------------------------------------------------------ rule prefilters
#
# Most rules match few lines, but a regular expression that starts with ``\s*`` or ends with
# ``$`` is tried at every position of every line. Each rule gets, once, *prefilters* read off
# its parsed pattern: sets of literal strings such that every match contains a string of
# each set (``photo`` for the photo-credit rule; one of the agency names and one of the
# dashes for the agency signature). A line whose lowercase form lacks them cannot match, and
# the rule is skipped; otherwise it runs as before. Output is unchanged by construction:
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


def _first_match(rules: Sequence[Rule], line: str, lowered: str | None) -> str | None:
    """Name of the first rule (in order) whose pattern is found in ``line``."""
    for r in rules:
        if _may_match(r, lowered) and r.pattern.search(line):
            return r.name
    return None


@dataclass(frozen=True)
class _Plan:
    """A rule set laid out for :func:`strip_boilerplate`: cut rules, then drops, then strips,
    each with its prefilters (:func:`_prefilters`)."""

    rules: tuple[Rule, ...]
    prefilters: tuple[tuple[tuple[str, ...], ...], ...]
    anchored: tuple[bool, ...]


@lru_cache(maxsize=32)
def _plan(ruleset: RuleSet) -> _Plan:
    rules = tuple(r for k in _KINDS for r in ruleset.of_kind(k))
    pre = tuple(_prefilters(r.pattern) for r in rules)
    return _Plan(rules, pre, tuple(_anchored(r.pattern) for r in rules))


def _anchored(pattern: re.Pattern[str]) -> bool:
    """Whether ``pattern`` starts with ``^`` (no MULTILINE): ``search`` then tries one position,
    which costs less than checking the prefilters in Python first."""
    if pattern.flags & re.MULTILINE:
        return False
    try:
        from re import _constants as c  # type: ignore[attr-defined]
        from re import _parser  # type: ignore[attr-defined]

        items = list(_parser.parse(pattern.pattern, pattern.flags))
    except Exception:
        return False
    return bool(items) and items[0] == (c.AT, c.AT_BEGINNING)


def _passes(pre: tuple[tuple[str, ...], ...], low: str) -> bool:
    """:func:`_may_match` with the rule's prefilters given (``low`` is not ``None``)."""
    for lits in pre:
        for x in lits:
            if x in low:
                break
        else:
            return False
    return True


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
    if text.startswith("\ufeff"):
        text = text[1:]
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))


def _line_key(line: str, norm: NormalizeConfig) -> str:
    return normalize(line, norm)


def _strip_line(
    source: str,
    start: int,
    end: int,
    strips: Sequence[Rule],
    lowered: str | None = None,
) -> tuple[list[tuple[int, int]], list[RemovedSpan]]:
    """Apply strip rules to one line; return kept pieces and removed spans."""
    cut: list[tuple[int, int, str]] = []
    line = source[start:end]
    for rule in strips:
        if not _may_match(rule, lowered):
            continue
        for m in rule.pattern.finditer(line):
            if m.end() > m.start():
                cut.append((start + m.start(), start + m.end(), rule.name))
    if not cut:
        return [(start, end)], []
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
    return pieces, [RemovedSpan(s, e, name) for s, e, name in merged]


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
    ruleset = rules if rules is not None else rules_for(cfg)
    norm = normalize_config or NormalizeConfig()
    source = prepare(text)
    plan = _plan(ruleset)
    raw_lines = source.split("\n")
    # A rule whose prefilter fails on the whole document fails on every line of it.
    doc_key = _lower_key(source)
    # Prefilters are checked per line except for line rules anchored at the start, whose
    # pattern is one cheap ``search``; strip rules with no chance on a line are not called.
    active = [
        (r, () if anchored and r.kind != "strip" else pre)
        for r, pre, anchored in zip(plan.rules, plan.prefilters, plan.anchored)
        if doc_key is None or _may_match(r, doc_key)
    ]
    # normalized form of each raw line, computed for the whole document at once
    keys_of_lines = normalize_lines(raw_lines, norm)

    removed: list[RemovedSpan] = []
    kept: list[tuple[list[tuple[int, int]], str]] = []  # pieces, normalized key
    seen: set[str] = set()
    pos = 0
    cut_rule: str | None = None
    for ln, raw_line in enumerate(raw_lines):
        start, end = pos, pos + len(raw_line)
        pos = end + 1
        if not raw_line.strip():
            continue
        if cut_rule is not None:
            removed.append(RemovedSpan(start, end, cut_rule))
            continue
        # the line's slice of the lowercased document is the lowercased line (no exotic chars)
        low = doc_key[start:end] if doc_key is not None else _lower_key(raw_line)
        strips: list[Rule] = []
        drop: str | None = None
        for r, pre in active:  # cut rules first, then drops, then strips
            if low is not None and not _passes(pre, low):
                continue
            if r.kind == "strip":
                strips.append(r)
            elif r.pattern.search(raw_line):
                if r.kind == "cut_from":
                    cut_rule = r.name
                else:
                    drop = r.name
                break  # the first match decides
        if cut_rule is not None:
            removed.append(RemovedSpan(start, end, cut_rule))
            continue
        if drop is not None:
            removed.append(RemovedSpan(start, end, drop))
            continue
        if strips:  # their prefilters were checked above: None skips checking them again
            pieces, stripped = _strip_line(source, start, end, strips, None)
        else:
            pieces, stripped = [(start, end)], []
        if stripped:
            kept_text = "".join(source[s:e] for s, e in pieces)
            if not _HAS_WORD.search(kept_text):
                removed.append(RemovedSpan(start, end, stripped[0].rule))
                continue
            key = _line_key(kept_text, norm)
        else:
            if not _HAS_WORD.search(raw_line):
                removed.append(RemovedSpan(start, end, "empty"))
                continue
            key = keys_of_lines[ln]
        if cfg.dedupe_lines and key and key in seen:
            removed.append(RemovedSpan(start, end, "repeated_line"))
            continue
        removed.extend(stripped)
        seen.add(key)
        kept.append((pieces, key))

    removed.sort(key=lambda r: (r.start, r.end))
    result = Stripped(
        source, tuple(tuple(p) for p, _ in kept), tuple(removed), tuple(k for _, k in kept)
    )
    return apply_learned(result, learned, cfg) if learned else result


def apply_learned(
    stripped: Stripped, learned: frozenset[str], config: BoilerplateConfig | None = None
) -> Stripped:
    """Remove the kept lines of ``stripped`` whose normalized form is in ``learned``.

    Nothing is removed when that would take more than ``config.learn_max_removed`` of the
    document: copies of one story share all their lines, and those lines are content.
    """
    cfg = config or BoilerplateConfig()
    hits = [i for i, key in enumerate(stripped.keys) if key in learned]
    if not hits:
        return stripped
    size = sum(e - s for pieces in stripped.lines for s, e in pieces)
    lost = sum(e - s for i in hits for s, e in stripped.lines[i])
    if lost > cfg.learn_max_removed * size:
        return stripped
    drop = set(hits)
    extra = [RemovedSpan(a, b, "learned") for i in hits for a, b in stripped.lines[i]]
    return Stripped(
        stripped.source,
        tuple(p for i, p in enumerate(stripped.lines) if i not in drop),
        tuple(sorted(stripped.removed + tuple(extra), key=lambda r: (r.start, r.end))),
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
