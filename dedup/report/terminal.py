"""Terminal rendering of an :class:`~dedup.report.explain.Explanation`.

With ``color=True`` shared passages get a green background (yellow when the passage was
moved), removed boilerplate is struck through and dimmed, followed by its rule name. Without
colour the same information is written with markers: ``[[shared]]`` and
``~~removed~~{rule}``, so the output can be read in a file or grepped.

Examples
--------
>>> from dedup.report.explain import explain
>>> e = explain("Hanoi (VNA) – Talks on trade opened.", "Talks on trade opened today.")
>>> print(render_text(e, layout="stacked", width=60, header=False))
── A ───────────────────────────────────────────────────────
~~Hanoi (VNA) – ~~{dateline}[[Talks on trade opened]].
<BLANKLINE>
── B ───────────────────────────────────────────────────────
[[Talks on trade opened]] today.
"""

from __future__ import annotations

import unicodedata
from typing import Literal

from dedup.report.explain import RELATION_MEANINGS, SCORE_MEANINGS, Explanation, Side

__all__ = ["render_text"]

_RESET = "\x1b[0m"
_STYLES = {
    "aligned": "\x1b[30;42m",  # black on green
    "moved": "\x1b[30;43m",  # black on yellow
    "removed": "\x1b[2;9m",  # dim, struck through
    "rule": "\x1b[2;3;35m",  # dim italic magenta
    "dim": "\x1b[2m",
    "bold": "\x1b[1m",
}
_RELATION_STYLE = {
    "exact": "\x1b[1;31m",
    "near_copy": "\x1b[1;31m",
    "same_story": "\x1b[1;33m",
    "distinct": "\x1b[1;32m",
}

Cell = tuple[str, str | None]  # one character and its style key


def _width(ch: str) -> int:
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def _cells(e: Explanation, side: Side, color: bool) -> list[Cell]:
    """The side's characters with style keys (or, without colour, with markers inserted)."""
    kinds = {k: p.kind for k, p in enumerate(e.passages)}
    out: list[Cell] = []
    for seg in side.segments:
        text = side.text(seg)
        if seg.kind == "text":
            out += [(c, None) for c in text]
        elif seg.kind == "shared":
            style = kinds[seg.passage]  # type: ignore[index]
            if color:
                out += [(c, style) for c in text]
            else:
                out += [(c, None) for c in f"[[{text}]]"]
        else:
            # A removed line keeps its line breaks outside the strike-through.
            if color:
                out += [(c, "removed" if c != "\n" else None) for c in text]
                out += [(c, "rule") for c in f"{{{seg.rule}}}"]
            else:
                out += [(c, None) for c in f"~~{text}~~{{{seg.rule}}}"]
    return out


def _wrap(cells: list[Cell], width: int) -> list[list[Cell]]:
    """Word-wrap to ``width`` columns; hard line breaks kept, runs of blank lines collapsed."""
    lines: list[list[Cell]] = []
    para: list[Cell] = []
    paras: list[list[Cell]] = []
    for c in cells:
        if c[0] == "\n":
            paras.append(para)
            para = []
        else:
            para.append(c)
    paras.append(para)
    for para in paras:
        if not para or all(c[0].isspace() for c in para):
            if lines and lines[-1]:
                lines.append([])
            continue
        line: list[Cell] = []
        col = 0
        word: list[Cell] = []
        wcol = 0
        for c in [*para, (" ", None)]:
            if c[0] == " ":
                if word:
                    if col + wcol > width and line:
                        while line and line[-1][0] == " ":
                            line.pop()
                        lines.append(line)
                        line, col = [], 0
                    while wcol > width:  # a word longer than the column
                        cut, cw = 0, 0
                        while cut < len(word) and cw + _width(word[cut][0]) <= width:
                            cw += _width(word[cut][0])
                            cut += 1
                        lines.append(word[:cut])
                        word = word[cut:]
                        wcol -= cw
                    line += word
                    col += wcol
                    word, wcol = [], 0
                if col < width and line:
                    line.append(c)
                    col += 1
            else:
                word.append(c)
                wcol += _width(c[0])
        while line and line[-1][0] == " ":
            line.pop()
        lines.append(line)
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _render_line(line: list[Cell], width: int | None, color: bool) -> str:
    out: list[str] = []
    cur: str | None = None
    col = 0
    for ch, style in line:
        if color and style != cur:
            if cur is not None:
                out.append(_RESET)
            if style is not None:
                out.append(_STYLES[style])
            cur = style
        out.append(ch)
        col += _width(ch)
    if color and cur is not None:
        out.append(_RESET)
    if width is not None and col < width:
        out.append(" " * (width - col))
    return "".join(out)


def _header(e: Explanation, color: bool) -> list[str]:
    def st(key: str, text: str) -> str:
        return f"{_STYLES.get(key, key)}{text}{_RESET}" if color else text

    sc = e.scores
    rel_style = _RELATION_STYLE[sc.relation]
    out = [
        f"{st('bold', 'A')} {e.a.id}   {st('bold', 'B')} {e.b.id}",
        f"relation     {st(rel_style, sc.relation)}: {RELATION_MEANINGS[sc.relation]}",
    ]
    values = {
        "score": sc.score,
        "containment": sc.containment,
        "fuzz": sc.fuzz,
        "overlap": sc.overlap,
    }
    for name, value in values.items():
        extra = ""
        if name == "score":
            extra = f" (threshold {e.threshold:g})"
        elif name == "containment":
            extra = f" (near copy from {e.near_copy:g})"
        out.append(f"{name:<12} {value:.3f}{extra}  {st('dim', SCORE_MEANINGS[name])}")
    moved = sum(1 for p in e.passages if p.kind == "moved")
    out.append(
        f"shared       {len(e.passages)} passages ({moved} moved), "
        f"{e.a.shared_fraction:.0%} of A's words, {e.b.shared_fraction:.0%} of B's words"
    )
    for label, side in (("A", e.a), ("B", e.b)):
        rules: dict[str, int] = {}
        for seg in side.segments:
            if seg.kind == "removed":
                rules[seg.rule] = rules.get(seg.rule, 0) + 1  # type: ignore[index]
        what = ", ".join(f"{r} ×{n}" if n > 1 else r for r, n in rules.items()) or "nothing"
        out.append(f"removed {label}    {what}")
    if color:
        legend = (
            f"{_STYLES['aligned']}shared{_RESET} {_STYLES['moved']}shared, moved{_RESET} "
            f"{_STYLES['removed']}removed{_RESET}{_STYLES['rule']}{{rule}}{_RESET}"
        )
    else:
        legend = "[[shared]]  ~~removed~~{rule}"
    out.append(f"legend       {legend}")
    return out


def render_text(
    e: Explanation,
    *,
    color: bool = False,
    width: int = 100,
    layout: Literal["side", "stacked"] = "side",
    header: bool = True,
) -> str:
    """Both articles with shared passages and removed boilerplate marked, scores on top.

    Parameters
    ----------
    e : Explanation
    color : bool
        ANSI colours (for a terminal) instead of ``[[...]]`` / ``~~...~~`` markers.
    width : int
        Total columns.
    layout : {"side", "stacked"}
        Two columns side by side, or A above B.
    header : bool
        Print the scores and their meanings first.
    """
    if width < 20:
        raise ValueError(f"width must be at least 20 columns, got {width}")
    if layout not in ("side", "stacked"):
        raise ValueError(f"layout must be 'side' or 'stacked', got {layout!r}")
    out = [*_header(e, color), ""] if header else []
    if layout == "stacked":
        for label, side in (("A", e.a), ("B", e.b)):
            title = f"── {label} " + ("─" * max(0, width - 5))
            out.append(title[:width])
            out += [_render_line(ln, None, color) for ln in _wrap(_cells(e, side, color), width)]
            out.append("")
        while out and not out[-1]:
            out.pop()
        return "\n".join(out)
    col = (width - 3) // 2
    left = _wrap(_cells(e, e.a, color), col)
    right = _wrap(_cells(e, e.b, color), col)
    head_a = f"── A: {e.a.id} " + "─" * col
    head_b = f"── B: {e.b.id} " + "─" * col
    out.append(f"{head_a[:col]} ┬ {head_b[:col]}")
    for k in range(max(len(left), len(right))):
        la = _render_line(left[k] if k < len(left) else [], col, color)
        rb = _render_line(right[k] if k < len(right) else [], None, color)
        out.append(f"{la} │ {rb}".rstrip())
    return "\n".join(out)
