"""Why two articles match: shared passages on the original text, removed boilerplate, scores.

The verifier scores *normalized* text (ASCII tokens, boilerplate removed). To show an editor
why two articles match, this module aligns the two normalized token sequences with rapidfuzz
(:func:`rapidfuzz.distance.Indel.opcodes`: a longest-common-subsequence alignment), keeps the
equal runs of at least ``min_run`` tokens as *shared passages*, then finds runs the alignment
could not use because they appear in another order (*moved* passages, greedy tiling), and maps
every token back to the characters of the original text it came from. Boilerplate that
:func:`dedup.text.boilerplate.strip_boilerplate` removed is kept in the view with its rule name.

Examples
--------
>>> e = explain("Hanoi (VNA) – The minister signed the cooperation accord in Moscow.",
...             "The minister signed the cooperation accord in Moscow on Friday. Photo : VNA")
>>> e.relation
'near_copy'
>>> [e.a.source[p.a_start:p.a_end] for p in e.passages]
['The minister signed the cooperation accord in Moscow']
>>> [(s.rule, e.a.text(s)) for s in e.a.segments if s.kind == "removed"]
[('dateline', 'Hanoi (VNA) – ')]
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from rapidfuzz.distance import Indel

from dedup.config import DedupConfig, NormalizeConfig
from dedup.match.verify import PairScore, score_texts
from dedup.text.boilerplate import Stripped, strip_boilerplate
from dedup.text.normalization import fold

__all__ = [
    "RELATION_MEANINGS",
    "SCORE_MEANINGS",
    "Explanation",
    "Passage",
    "Segment",
    "Side",
    "Token",
    "explain",
    "explain_tokens",
    "source_tokens",
]

#: What each relation label means, for people.
RELATION_MEANINGS: dict[str, str] = {
    "exact": "the same text once boilerplate is removed and the text normalized",
    "near_copy": "a copy: most of the shorter text's 5-word sequences occur in the other "
    "(containment at or above the near-copy cut-off)",
    "same_story": "the same story told in other words: the score reaches the threshold "
    "without being a copy",
    "distinct": "not a duplicate: the score stays below the threshold",
}

#: What each score means, for people.
SCORE_MEANINGS: dict[str, str] = {
    "score": "the verdict: the larger of the copy score (containment mapped so 0.6 -> 0.5, "
    "0.8 -> 0.75) and the story score (overlap, capped at 0.75); 1.0 for equal texts",
    "containment": "share of the shorter text's 10-character chunks (spaces removed) found in "
    "the other: 1.0 for a copy, also a truncated, glued or re-accented one",
    "fuzz": "rapidfuzz token_set_ratio / 100: word overlap ignoring order (shown, not scored)",
    "overlap": "story score: words shared, weighted by how rare they are in the corpus "
    "(names, dates, figures weigh most); IDF-weighted Jaccard and containment",
}

_TOKEN_RE = re.compile(r"[a-z0-9]+")
_TOKEN_RE_CASED = re.compile(r"[A-Za-z0-9]+")
# ASCII runs fold character for character; any other character (with the combining marks
# that follow it) is folded on its own and maps to its whole source span.
_CHUNK_RE = re.compile(r"[\x00-\x7f]+|[^\x00-\x7f][\u0300-\u036f\u1ab0-\u1aff\u20d0-\u20ff]*")


class Token(NamedTuple):
    """A normalized token and the ``source[start:end]`` characters it came from."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Passage:
    """A run of tokens shared by both texts.

    ``a_start:a_end`` and ``b_start:b_end`` are character offsets in each side's source;
    ``tokens`` counts the shared tokens; ``kind`` is ``aligned`` (in the same order in both
    texts) or ``moved`` (found elsewhere in the other text).
    """

    a_start: int
    a_end: int
    b_start: int
    b_end: int
    tokens: int
    kind: Literal["aligned", "moved"]


@dataclass(frozen=True)
class Segment:
    """A piece ``source[start:end]`` of one side, with what to show it as.

    ``kind`` is ``text`` (kept, not shared), ``shared`` (part of passage number ``passage``)
    or ``removed`` (boilerplate removed by ``rule``).
    """

    start: int
    end: int
    kind: Literal["text", "shared", "removed"]
    passage: int | None = None
    rule: str | None = None


@dataclass(frozen=True)
class Side:
    """One article of an :class:`Explanation`.

    Attributes
    ----------
    id : str
    source : str
        The prepared original text (``\\n`` line endings, NFC) all offsets refer to.
    segments : tuple of Segment
        ``source`` cut into consecutive pieces covering it completely.
    tokens : int
        Normalized tokens of the kept text.
    shared_tokens : int
        Of those, how many lie in shared passages.
    """

    id: str
    source: str
    segments: tuple[Segment, ...]
    tokens: int
    shared_tokens: int

    def text(self, segment: Segment) -> str:
        """The characters of ``segment``."""
        return self.source[segment.start : segment.end]

    @property
    def shared_fraction(self) -> float:
        """Share of this side's tokens that lie in shared passages."""
        return self.shared_tokens / self.tokens if self.tokens else 0.0


@dataclass(frozen=True)
class Explanation:
    """Result of :func:`explain`: both sides, the shared passages and the verifier's scores."""

    a: Side
    b: Side
    passages: tuple[Passage, ...]
    scores: PairScore
    threshold: float
    near_copy: float

    @property
    def relation(self) -> str:
        """``exact``, ``near_copy``, ``same_story`` or ``distinct`` (see RELATION_MEANINGS)."""
        return self.scores.relation

    @property
    def score(self) -> float:
        return self.scores.score

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form (what ``dedup explain --format json`` prints)."""

        def side(s: Side) -> dict[str, Any]:
            return {
                "id": s.id,
                "source": s.source,
                "tokens": s.tokens,
                "shared_tokens": s.shared_tokens,
                "segments": [
                    {
                        "start": g.start,
                        "end": g.end,
                        "kind": g.kind,
                        **({"passage": g.passage} if g.passage is not None else {}),
                        **({"rule": g.rule} if g.rule is not None else {}),
                    }
                    for g in s.segments
                ],
            }

        sc = self.scores
        return {
            "relation": sc.relation,
            "relation_meaning": RELATION_MEANINGS[sc.relation],
            "scores": {
                "score": sc.score,
                "containment": round(sc.containment, 6),
                "fuzz": round(sc.fuzz, 6),
                "overlap": round(sc.overlap, 6),
            },
            "score_meanings": SCORE_MEANINGS,
            "threshold": self.threshold,
            "near_copy": self.near_copy,
            "passages": [
                {
                    "a": [p.a_start, p.a_end],
                    "b": [p.b_start, p.b_end],
                    "tokens": p.tokens,
                    "kind": p.kind,
                }
                for p in self.passages
            ],
            "a": side(self.a),
            "b": side(self.b),
        }


def source_tokens(stripped: Stripped, config: NormalizeConfig | None = None) -> list[Token]:
    """The normalized tokens of the kept text, each with its source character span.

    The token texts are those of ``normalize(stripped.text)``; folding runs per character
    (ASCII runs at once), so every token knows where it came from.

    Examples
    --------
    >>> s = strip_boilerplate("Bùi Van Nam à Moscou")
    >>> [(t.text, s.source[t.start:t.end]) for t in source_tokens(s)]
    [('bui', 'Bùi'), ('van', 'Van'), ('nam', 'Nam'), ('a', 'à'), ('moscou', 'Moscou')]
    """
    cfg = config or NormalizeConfig()
    token_re = _TOKEN_RE if cfg.lowercase else _TOKEN_RE_CASED
    src = stripped.source
    out: list[Token] = []
    for pieces in stripped.lines:
        folded: list[str] = []
        f_starts: list[int] = []  # folded offset where each chunk starts
        s_starts: list[int] = []
        s_ends: list[int] = []
        linear: list[bool] = []  # chunk folds character for character (same length)
        flen = 0
        for ps, pe in pieces:
            for m in _CHUNK_RE.finditer(src, ps, pe):
                chunk = m.group()
                f = _fold_chunk(chunk, cfg)
                f_starts.append(flen)
                s_starts.append(m.start())
                s_ends.append(m.end())
                linear.append(len(f) == len(chunk))
                folded.append(f)
                flen += len(f)
        text = "".join(folded)
        if len(pieces) == 1 and all(linear):  # the common case: offsets shift by one base
            base = pieces[0][0]
            spans = [m.span() for m in token_re.finditer(text)]
            out += [
                Token(t, base + a, base + b) for t, (a, b) in zip(token_re.findall(text), spans)
            ]
            continue
        for m in token_re.finditer(text):
            k = bisect.bisect_right(f_starts, m.start()) - 1
            start = s_starts[k] + (m.start() - f_starts[k]) if linear[k] else s_starts[k]
            j = bisect.bisect_right(f_starts, m.end() - 1) - 1
            end = s_starts[j] + (m.end() - f_starts[j]) if linear[j] else s_ends[j]
            out.append(Token(m.group(), start, end))
    return out


_CHUNK_FOLDS: dict[tuple[str, NormalizeConfig], str] = {}


def _fold_chunk(chunk: str, cfg: NormalizeConfig) -> str:
    """:func:`fold` of one chunk; ASCII directly (NFKC, the punctuation table and
    transliteration leave it alone), other characters cached."""
    if chunk.isascii():
        return chunk.lower() if cfg.lowercase else chunk
    key = (chunk, cfg)
    out = _CHUNK_FOLDS.get(key)
    if out is None:
        out = fold(chunk, cfg)
        if len(_CHUNK_FOLDS) < 200_000:
            _CHUNK_FOLDS[key] = out
    return out


def _tile_moved(
    a: Sequence[str],
    b: Sequence[str],
    used_a: list[bool],
    used_b: list[bool],
    min_run: int,
) -> list[tuple[int, int, int]]:
    """Greedy string tiling of the tokens the alignment left over: ``(i, j, length)`` runs."""
    index: dict[tuple[str, ...], list[int]] = {}
    for j in range(len(b) - min_run + 1):
        if not any(used_b[j : j + min_run]):
            index.setdefault(tuple(b[j : j + min_run]), []).append(j)
    runs = []
    i = 0
    while i <= len(a) - min_run:
        if any(used_a[i : i + min_run]):
            i += 1
            continue
        best = (0, -1)
        for j in index.get(tuple(a[i : i + min_run]), ()):
            if any(used_b[j : j + min_run]):
                continue
            n = min_run
            while (
                i + n < len(a)
                and j + n < len(b)
                and not used_a[i + n]
                and not used_b[j + n]
                and a[i + n] == b[j + n]
            ):
                n += 1
            if n > best[0]:
                best = (n, j)
        n, j = best
        if n:
            for k in range(n):
                used_a[i + k] = used_b[j + k] = True
            runs.append((i, j, n))
            i += n
        else:
            i += 1
    return runs


def _disjoint(spans: Sequence[tuple[int, int, Any]]) -> list[tuple[int, int, Any]]:
    """Sorted, non-overlapping spans: a span inside an earlier (outer) one is dropped, a
    partial overlap is clipped."""
    out: list[tuple[int, int, Any]] = []
    for s, e, lab in sorted(spans, key=lambda x: (x[0], -x[1])):
        if out and s < out[-1][1]:
            s = out[-1][1]
        if e > s:
            out.append((s, e, lab))
    return out


def _segments(
    source: str, removed: Sequence[tuple[int, int, str]], shared: Sequence[tuple[int, int, int]]
) -> tuple[Segment, ...]:
    """Cut ``source`` into text / shared / removed segments; removed wins over shared."""
    rem, sha = [], _disjoint(shared)
    for s, e, rule in _disjoint(removed):
        # Consecutive removed lines of one rule (a related-articles tail) form one segment.
        if rem and rem[-1][2] == rule and not source[rem[-1][1] : s].strip():
            rem[-1] = (rem[-1][0], e, rule)
        else:
            rem.append((s, e, rule))
    rem_starts, sha_starts = [x[0] for x in rem], [x[0] for x in sha]
    points = sorted({0, len(source)} | {p for s, e, _ in rem + sha for p in (s, e)})

    def cover(spans: list[tuple[int, int, Any]], starts: list[int], x: int) -> Any:
        k = bisect.bisect_right(starts, x) - 1
        return spans[k][2] if k >= 0 and x < spans[k][1] else None

    segs: list[Segment] = []
    for x, y in itertools.pairwise(points):
        if x >= y:
            continue
        rule = cover(rem, rem_starts, x)
        passage = None if rule is not None else cover(sha, sha_starts, x)
        if rule is not None:
            seg = Segment(x, y, "removed", rule=rule)
        elif passage is not None and source[x:y].strip():
            seg = Segment(x, y, "shared", passage=passage)
        else:  # (whitespace left between a passage and removed text is not highlighted)
            seg = Segment(x, y, "text")
        last = segs[-1] if segs else None
        if last and (last.kind, last.passage, last.rule) == (seg.kind, seg.passage, seg.rule):
            segs[-1] = Segment(last.start, y, seg.kind, seg.passage, seg.rule)
        else:
            segs.append(seg)
    return tuple(segs)


def explain(
    a: str | Stripped,
    b: str | Stripped,
    config: DedupConfig | None = None,
    *,
    ids: tuple[str, str] = ("A", "B"),
    min_run: int = 3,
    scores: PairScore | None = None,
) -> Explanation:
    """Explain how two articles match.

    Parameters
    ----------
    a, b : str or Stripped
        Raw article texts, or what :func:`~dedup.text.boilerplate.strip_boilerplate` /
        :func:`~dedup.pipeline.prepare_texts` made of them (pass those to keep boilerplate
        learned from a corpus, as ``dedup cluster`` does).
    config : DedupConfig, optional
        Boilerplate, normalization and verification settings; defaults to ``DedupConfig()``.
    ids : (str, str)
        Names of the two sides.
    min_run : int
        Shortest run of consecutive shared tokens shown as a shared passage (default 3): single
        common words ("de", "the") are not evidence.
    scores : PairScore, optional
        The verifier's scores of this pair when already known. The story score weighs words by
        their rarity in a corpus (:class:`~dedup.match.verify.Verifier`); without ``scores``
        the two texts alone are the corpus (:func:`~dedup.match.verify.score_texts`), so pass
        the corpus verifier's scores to show exactly what ``dedup cluster`` decided.

    Returns
    -------
    Explanation
        Both sides cut into text / shared / removed segments of the original characters, the
        shared passages, and the verifier's scores and relation label.

    Examples
    --------
    >>> e = explain("Talks opened in Hanoi on Monday.", "On Monday, talks opened in Hanoi.")
    >>> e.relation, [e.b.text(s) for s in e.b.segments if s.kind == "shared"]
    ('same_story', ['talks opened in Hanoi'])
    """
    if min_run < 1:
        raise ValueError(f"min_run must be at least 1, got {min_run}")
    cfg = config or DedupConfig()
    sides = []
    for x in (a, b):
        if isinstance(x, Stripped):
            sides.append(x)
        elif isinstance(x, str):
            sides.append(strip_boilerplate(x, cfg.boilerplate, normalize_config=cfg.normalize))
        else:
            raise TypeError(
                f"explain() takes article texts (str) or Stripped, got {type(x).__name__}"
            )
    sa, sb = sides
    return explain_tokens(
        sa,
        source_tokens(sa, cfg.normalize),
        sb,
        source_tokens(sb, cfg.normalize),
        cfg,
        ids,
        min_run,
        scores,
    )


def explain_tokens(
    sa: Stripped,
    ta: Sequence[Token],
    sb: Stripped,
    tb: Sequence[Token],
    cfg: DedupConfig,
    ids: tuple[str, str],
    min_run: int,
    scores: PairScore | None = None,
) -> Explanation:
    """:func:`explain` with the tokens given (:func:`source_tokens`), for callers that explain
    one document against many and compute its tokens once; ``scores`` when already known
    (the pipeline's verification of this pair)."""
    wa, wb = [t.text for t in ta], [t.text for t in tb]
    if scores is None:
        scores = score_texts(" ".join(wa), " ".join(wb), cfg.verify)

    runs: list[tuple[int, int, int, str]] = []
    used_a, used_b = [False] * len(wa), [False] * len(wb)
    if wa and wb:
        for op in Indel.opcodes(wa, wb):
            if op.tag == "equal" and op.src_end - op.src_start >= min_run:
                n = op.src_end - op.src_start
                runs.append((op.src_start, op.dest_start, n, "aligned"))
                used_a[op.src_start : op.src_end] = [True] * n
                used_b[op.dest_start : op.dest_end] = [True] * n
        runs += [(i, j, n, "moved") for i, j, n in _tile_moved(wa, wb, used_a, used_b, min_run)]
    runs.sort()
    passages = tuple(
        Passage(ta[i].start, ta[i + n - 1].end, tb[j].start, tb[j + n - 1].end, n, kind)  # type: ignore[arg-type]
        for i, j, n, kind in runs
    )

    def side(ident: str, s: Stripped, toks: Sequence[Token], which: int) -> Side:
        spans = sorted(
            ((p.a_start, p.a_end, k) if which == 0 else (p.b_start, p.b_end, k))
            for k, p in enumerate(passages)
        )
        removed = [(r.start, r.end, r.rule) for r in s.removed]
        shared = sum(p.tokens for p in passages)
        return Side(ident, s.source, _segments(s.source, removed, spans), len(toks), shared)

    return Explanation(
        side(ids[0], sa, ta, 0),
        side(ids[1], sb, tb, 1),
        passages,
        scores,
        cfg.verify.threshold,
        cfg.verify.near_copy,
    )
