"""The straightforward implementations the fast text paths must agree with.

``reference_strip_boilerplate`` is :func:`dedup.text.boilerplate.strip_boilerplate` as it was
before the per-document plan and the batched line normalization: every rule checked line by
line, every kept line normalized on its own with ``normalize``. ``reference_fold`` is the
fold of one text by a per-character ``re.sub`` callback.
"""

from __future__ import annotations

import re
import unicodedata

from unidecode import unidecode

from dedup.config import BoilerplateConfig, NormalizeConfig
from dedup.text.boilerplate import (
    _HAS_WORD,
    _KINDS,
    RemovedSpan,
    RuleSet,
    Stripped,
    _first_match,
    _line_key,
    _lower_key,
    _may_match,
    _strip_line,
    apply_learned,
    prepare,
    rules_for,
)
from dedup.text.normalization import _PUNCT_TABLE

_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _ref_char(match: re.Match[str]) -> str:
    ch = match.group()
    if ord(ch) in _PUNCT_TABLE:
        return _PUNCT_TABLE[ord(ch)]
    out = unidecode(ch)
    if len(out) > 1 and not unicodedata.category(ch).startswith("L"):
        out = f" {out} "
    return out


def reference_fold(text: str, config: NormalizeConfig | None = None) -> str:
    """NFKC, then every non-ASCII character transliterated on its own, then casefold."""
    cfg = config or NormalizeConfig()
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
        if cfg.transliterate:
            text = _NON_ASCII.sub(_ref_char, text)
        else:
            text = text.translate(_PUNCT_TABLE)
    return text.casefold() if cfg.lowercase else text


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
    source = prepare(text)
    drops, cuts, strips = (ruleset.of_kind(k) for k in _KINDS)
    # A rule whose prefilter fails on the whole document fails on every line of it.
    doc_key = _lower_key(source)
    if doc_key is not None:
        drops, cuts, strips = (
            tuple(r for r in rules if _may_match(r, doc_key)) for rules in (drops, cuts, strips)
        )

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
        # the line's slice of the lowercased document is the lowercased line (no exotic chars)
        low = doc_key[start:end] if doc_key is not None else _lower_key(raw_line)
        if cut_rule is None and cuts:
            cut_rule = _first_match(cuts, raw_line, low)
        if cut_rule is not None:
            removed.append(RemovedSpan(start, end, cut_rule))
            continue
        drop = _first_match(drops, raw_line, low) if drops else None
        if drop is not None:
            removed.append(RemovedSpan(start, end, drop))
            continue
        if strips:
            pieces, stripped = _strip_line(source, start, end, strips, low)
            kept_text = "".join(source[s:e] for s, e in pieces)
        else:
            pieces, stripped, kept_text = [(start, end)], [], raw_line
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
