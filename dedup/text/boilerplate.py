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
from dedup.text.normalization import normalize

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
    source: str, start: int, end: int, strips: Sequence[Rule]
) -> tuple[list[tuple[int, int]], list[RemovedSpan]]:
    """Apply strip rules to one line; return kept pieces and removed spans."""
    cut: list[tuple[int, int, str]] = []
    line = source[start:end]
    for rule in strips:
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
    drops, cuts, strips = (ruleset.of_kind(k) for k in _KINDS)

    removed: list[RemovedSpan] = []
    kept: list[tuple[list[tuple[int, int]], str]] = []  # pieces, normalized key
    seen: set[str] = set()
    pos = 0
    cut_rule: str | None = None
    for raw_line in source.split("\n"):
        start, end = pos, pos + len(raw_line)
        pos = end + 1
        if not raw_line.strip():
            continue
        if cut_rule is None:
            cut_rule = next((r.name for r in cuts if r.pattern.search(raw_line)), None)
        if cut_rule is not None:
            removed.append(RemovedSpan(start, end, cut_rule))
            continue
        drop = next((r.name for r in drops if r.pattern.search(raw_line)), None)
        if drop is not None:
            removed.append(RemovedSpan(start, end, drop))
            continue
        pieces, stripped = _strip_line(source, start, end, strips)
        kept_text = "".join(source[s:e] for s, e in pieces)
        if not _HAS_WORD.search(kept_text):
            removed.append(RemovedSpan(start, end, stripped[0].rule if stripped else "empty"))
            continue
        key = _line_key(kept_text, norm)
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
