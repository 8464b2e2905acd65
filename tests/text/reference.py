"""Plain implementations that the fast text paths must agree with, character for character.

Nothing here is shared with the code under test but the data types (:class:`Stripped`,
:class:`RemovedSpan`), the rule parser and ``prepare``'s three steps written out again:

``reference_fold`` / ``reference_normalize``
    NFKC, typographic punctuation unified, every non-ASCII character transliterated on its
    own with ``unidecode`` (padded with spaces when a non-letter becomes a word), casefold,
    regex tokens -- one text at a time.
``reference_strip_boilerplate``
    every line, every rule, in rule order, with the rule's own pattern (``re.search`` /
    ``re.finditer`` on the line); every kept line normalized on its own with
    ``reference_normalize``.
"""

from __future__ import annotations

import re
import unicodedata

from unidecode import unidecode

from dedup.config import BoilerplateConfig, NormalizeConfig
from dedup.text.boilerplate import RemovedSpan, RuleSet, Stripped, rules_for

_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_PUNCT = {
    "\u2018": "'",
    "\u2019": "'",
    "\u02bc": "'",
    "\u2032": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u00ab": '"',
    "\u00bb": '"',
    "\u2013": "-",
    "\u2014": "-",
    "\u2212": "-",
    "\u00a0": " ",
}
_PUNCT_TABLE = str.maketrans(_PUNCT)
_KINDS = ("drop_line", "cut_from", "strip")


def _ref_char(match: re.Match[str]) -> str:
    ch = match.group()
    if ch in _PUNCT:
        return _PUNCT[ch]
    out = unidecode(ch)
    if len(out) > 1 and not unicodedata.category(ch).startswith("L"):
        out = f" {out} "
    return out


def reference_fold(text: str, config: NormalizeConfig | None = None) -> str:
    """NFKC, then every non-ASCII character transliterated on its own, then casefold."""
    cfg = config or NormalizeConfig()
    text = unicodedata.normalize("NFKC", text)
    if cfg.transliterate:
        text = _NON_ASCII.sub(_ref_char, text)
    else:
        text = text.translate(_PUNCT_TABLE)
    return text.casefold() if cfg.lowercase else text


def reference_normalize(text: str, config: NormalizeConfig | None = None) -> str:
    """Tokens (runs of ASCII letters and digits) of :func:`reference_fold`, joined by spaces."""
    cfg = config or NormalizeConfig()
    token = r"[a-z0-9]+" if cfg.lowercase else r"[A-Za-z0-9]+"
    return " ".join(re.findall(token, reference_fold(text, cfg)))


def reference_prepare(text: str) -> str:
    if text.startswith("\ufeff"):
        text = text[1:]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text)


def _reference_apply_learned(
    stripped: Stripped, learned: frozenset[str], cfg: BoilerplateConfig
) -> Stripped:
    hits = [i for i, key in enumerate(stripped.keys) if key in learned]
    if not hits:
        return stripped
    size = sum(e - s for pieces in stripped.lines for s, e in pieces)
    lost = sum(e - s for i in hits for s, e in stripped.lines[i])
    if lost > cfg.learn_max_removed * size:
        return stripped
    extra = [RemovedSpan(a, b, "learned") for i in hits for a, b in stripped.lines[i]]
    return Stripped(
        stripped.source,
        tuple(p for i, p in enumerate(stripped.lines) if i not in hits),
        tuple(sorted(stripped.removed + tuple(extra), key=lambda r: (r.start, r.end))),
        tuple(k for i, k in enumerate(stripped.keys) if i not in hits),
    )


def reference_strip_boilerplate(
    text: str,
    config: BoilerplateConfig | None = None,
    *,
    learned: frozenset[str] = frozenset(),
    rules: RuleSet | None = None,
    normalize_config: NormalizeConfig | None = None,
) -> Stripped:
    cfg = config or BoilerplateConfig()
    ruleset = rules if rules is not None else rules_for(cfg)
    norm = normalize_config or NormalizeConfig()
    source = reference_prepare(text)
    drops, cuts, strips = ([r for r in ruleset.rules if r.kind == kind] for kind in _KINDS)

    removed: list[RemovedSpan] = []
    kept: list[tuple[list[tuple[int, int]], str]] = []  # pieces, normalized key
    seen: set[str] = set()
    pos = 0
    cut_rule: str | None = None
    for line in source.split("\n"):
        start, end = pos, pos + len(line)
        pos = end + 1
        if not line.strip():
            continue
        if cut_rule is None:
            cut_rule = next((r.name for r in cuts if r.pattern.search(line)), None)
        if cut_rule is not None:
            removed.append(RemovedSpan(start, end, cut_rule))
            continue
        drop = next((r.name for r in drops if r.pattern.search(line)), None)
        if drop is not None:
            removed.append(RemovedSpan(start, end, drop))
            continue
        cut = [
            (start + m.start(), start + m.end(), r.name)
            for r in strips
            for m in r.pattern.finditer(line)
            if m.end() > m.start()
        ]
        cut.sort()
        merged: list[tuple[int, int, str]] = []
        for s, e, name in cut:
            if merged and s <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], e), merged[-1][2])
            else:
                merged.append((s, e, name))
        pieces, at = [], start
        for s, e, _ in merged:
            if s > at:
                pieces.append((at, s))
            at = e
        if at < end:
            pieces.append((at, end))
        stripped = [RemovedSpan(s, e, name) for s, e, name in merged]
        kept_text = "".join(source[s:e] for s, e in pieces)
        if not re.search(r"\w", kept_text):
            removed.append(RemovedSpan(start, end, stripped[0].rule if stripped else "empty"))
            continue
        key = reference_normalize(kept_text, norm)
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
    return _reference_apply_learned(result, learned, cfg) if learned else result
