"""Explaining matches to people: why two articles match, and a report of a whole run.

* :mod:`dedup.report.explain` -- :func:`explain`: shared passages (rapidfuzz alignment of the
  normalized tokens, mapped back to the original characters), removed boilerplate with rule
  names, scores and relation label with what each means.
* :mod:`dedup.report.terminal` -- :func:`render_text`: that explanation for a terminal (ANSI
  colour) or a file (``[[shared]]`` / ``~~removed~~{rule}`` markers).
* :mod:`dedup.report.html` -- :func:`render_html`: one self-contained HTML page of a
  :class:`~dedup.pipeline.ClusterResult` (``dedup cluster ... --report FILE``).

Examples
--------
>>> import dedup
>>> e = dedup.explain("Talks opened in Hanoi on Monday.", "On Monday, talks opened in Hanoi.")
>>> e.relation, [e.a.text(s) for s in e.a.segments if s.kind == "shared"]
('same_story', ['Talks opened in Hanoi'])
"""

from __future__ import annotations

from dedup.report.explain import (
    RELATION_MEANINGS,
    SCORE_MEANINGS,
    Explanation,
    Passage,
    Segment,
    Side,
    Token,
    explain,
    source_tokens,
)
from dedup.report.html import render_html, write_html
from dedup.report.terminal import render_text

__all__ = [
    "RELATION_MEANINGS",
    "SCORE_MEANINGS",
    "Explanation",
    "Passage",
    "Segment",
    "Side",
    "Token",
    "explain",
    "render_html",
    "render_text",
    "source_tokens",
    "write_html",
]
