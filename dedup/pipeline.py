"""The one call: documents -> clusters. Wires the stages; holds no logic of its own.

normalize/boilerplate (:mod:`dedup.text`) -> shingle + MinHash (:mod:`dedup.sketch`) ->
LSH candidates -> verification (:mod:`dedup.match.verify`) -> clusters
(:mod:`dedup.match.cluster`).

Examples
--------
>>> result = cluster([
...     ("a", "Le ministre a signé l'accord de coopération à Moscou le 5 septembre."),
...     ("b", "Le ministre a signé l’accord de coopération à Moscou le 5 septembre. Photo : VNA"),
...     ("c", "Un tout autre sujet: la météo de demain sera pluvieuse sur Hanoï."),
... ])
>>> [(r.id, r.cluster, r.representative, r.relation) for r in result.records]
[('a', 0, 'a', None), ('b', 0, 'a', 'exact'), ('c', 1, 'c', None)]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from dedup.config import DedupConfig
from dedup.documents import DocLike, Document, OnError, Skipped, validate_documents
from dedup.match.cluster import assign_clusters
from dedup.match.verify import Verifier
from dedup.sketch.lsh import candidate_pairs, filter_pairs
from dedup.sketch.minhash import minhash_texts
from dedup.text.boilerplate import Stripped, apply_learned, count_lines, strip_boilerplate

__all__ = ["ClusterResult", "DocResult", "Pair", "Progress", "cluster", "prepare_texts"]

#: ``progress(stage, done, total)``; called at stage boundaries.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class DocResult:
    """One output line: a document, its cluster and how it relates to the representative."""

    id: str
    cluster: int
    representative: str
    duplicate: bool
    score: float | None
    relation: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "cluster": self.cluster,
            "representative": self.representative,
            "duplicate": self.duplicate,
            "score": self.score,
            "relation": self.relation,
        }


@dataclass(frozen=True)
class Pair:
    """A verified candidate pair (ids), with its score and relation label."""

    a: str
    b: str
    score: float
    relation: str
    containment: float
    fuzz: float
    overlap: float


@dataclass
class ClusterResult:
    """Output of :func:`cluster`: one record per input document, in input order.

    Attributes
    ----------
    records : list of DocResult
    pairs : list of Pair
        Every verified candidate pair, duplicates and not.
    stats : dict
        Counts per stage: documents, empty (no tokens after normalization), candidates,
        duplicate pairs, clusters; ``read`` (input items) = ``documents`` + ``skipped``.
    config : DedupConfig
    skipped : list of Skipped
        Input items left out with ``on_error="skip"``, with the reason.
    """

    records: list[DocResult]
    pairs: list[Pair]
    stats: dict[str, int]
    config: DedupConfig
    stripped: list[Stripped] = field(default_factory=list, repr=False)
    normalized: list[str] = field(default_factory=list, repr=False)
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def clusters(self) -> dict[int, list[str]]:
        """Cluster number -> member ids (representative first)."""
        out: dict[int, list[str]] = {}
        for r in self.records:
            members = out.setdefault(r.cluster, [])
            if r.id == r.representative:
                members.insert(0, r.id)
            else:
                members.append(r.id)
        return out


def _prepare_one(args: tuple[str, DedupConfig]) -> Stripped:
    text, cfg = args
    return strip_boilerplate(text, cfg.boilerplate, normalize_config=cfg.normalize)


def prepare_texts(
    texts: Sequence[str], config: DedupConfig | None = None, *, n_jobs: int = 1
) -> tuple[list[Stripped], list[str], frozenset[str]]:
    """Boilerplate removal (rules, repeats, learned lines) and normalization of a corpus.

    Returns
    -------
    stripped : list of Stripped
        What was kept and removed, per document.
    normalized : list of str
        Normalized kept text, per document.
    learned : frozenset of str
        Lines learned as corpus boilerplate.

    Examples
    --------
    >>> stripped, normalized, learned = prepare_texts(["Hanoi (VNA) – Talks opened.\\nVNA/CVN"])
    >>> normalized
    ['talks opened']
    >>> [r.rule for r in stripped[0].removed]
    ['dateline', 'credit_line']
    """
    cfg = config or DedupConfig()
    jobs = [(t, cfg) for t in texts]
    if n_jobs > 1 and len(texts) >= 2000:
        chunk = max(1, math.ceil(len(texts) / (n_jobs * 8)))
        with ProcessPoolExecutor(max_workers=n_jobs) as pool:
            stripped = list(pool.map(_prepare_one, jobs, chunksize=chunk))
    else:
        stripped = [_prepare_one(j) for j in jobs]
    learned: frozenset[str] = frozenset()
    if cfg.boilerplate.learn and len(stripped) >= cfg.boilerplate.learn_min_docs:
        learned = count_lines(stripped, cfg.boilerplate)
        if learned:
            stripped = [apply_learned(s, learned, cfg.boilerplate) for s in stripped]
    # == normalize(s.text, cfg.normalize): the lines were normalized with cfg.normalize already
    normalized = [s.normalized for s in stripped]
    return stripped, normalized, learned


def _exact_pairs(normalized: Sequence[str]) -> np.ndarray:
    """Pairs of identical non-empty texts, as a star on each group's first member."""
    first: dict[str, int] = {}
    pairs = []
    for i, t in enumerate(normalized):
        if not t:
            continue
        j = first.setdefault(t, i)
        if j != i:
            pairs.append((j, i))
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


def cluster(
    docs: Iterable[DocLike],
    config: DedupConfig | None = None,
    *,
    n_jobs: int = 1,
    progress: Progress | None = None,
    on_error: OnError = "fail",
    max_doc_bytes: int | None = None,
) -> ClusterResult:
    """Cluster documents into same-story / duplicate groups.

    Parameters
    ----------
    docs : iterable
        ``(id, text)`` pairs, dicts with ``id`` and ``text``, or :class:`~dedup.Document`.
        Ids must be unique.
    config : DedupConfig, optional
        All settings; defaults to ``DedupConfig()``.
    n_jobs : int
        Processes for text preparation and threads for hashing; output does not depend on it.
    progress : callable, optional
        ``progress(stage, done, total)``.
    on_error : {"fail", "skip"}
        A bad item (no id, non-string text, repeated id, too large) raises
        :class:`~dedup.errors.InputError` (``"fail"``), or is left out and listed in
        ``result.skipped`` (``"skip"``).
    max_doc_bytes : int, optional
        Texts longer than this many UTF-8 bytes are bad items (``too_large``).

    Returns
    -------
    ClusterResult
        One :class:`DocResult` per accepted input document, in input order.

    Examples
    --------
    >>> res = cluster([("x", "Talks in Hanoi on trade and security cooperation today."),
    ...                ("y", "Talks in Hanoi on trade and security cooperation today! Photo: AFP")])
    >>> [(r.id, r.duplicate, r.relation) for r in res.records]
    [('x', False, None), ('y', True, 'exact')]
    >>> res.clusters
    {0: ['x', 'y']}
    """
    cfg = config or DedupConfig()
    documents: list[Document]
    documents, skipped = validate_documents(docs, on_error=on_error, max_doc_bytes=max_doc_bytes)
    n = len(documents)
    report = progress or (lambda stage, done, total: None)

    report("prepare", 0, n)
    stripped, normalized, learned = prepare_texts([d.text for d in documents], cfg, n_jobs=n_jobs)
    report("prepare", n, n)

    report("hash", 0, n)
    sigs = minhash_texts(normalized, cfg.shingle, cfg.minhash, n_jobs=n_jobs)
    report("hash", n, n)

    cands = candidate_pairs(sigs, cfg.lsh)
    n_lsh = len(cands)
    cands = filter_pairs(sigs, cands, cfg.lsh.min_similarity)
    exact = _exact_pairs(normalized)
    if len(exact):
        both = np.concatenate((cands, exact))
        packed = np.unique(both[:, 0] * (1 << 32) + both[:, 1])
        cands = np.stack((packed >> 32, packed & 0xFFFFFFFF), axis=1)
    report("verify", 0, len(cands))
    verifier = Verifier(normalized, cfg.verify)
    scores = verifier.score_pairs(cands)
    report("verify", len(cands), len(cands))

    edges = [
        (int(i), int(j), s.score, s.relation) for (i, j), s in zip(cands, scores) if s.is_duplicate
    ]
    assignment = assign_clusters(n, edges, cfg.cluster, lengths=[len(t) for t in normalized])
    records = []
    for k, doc in enumerate(documents):
        rep = int(assignment.representative[k])
        sc = assignment.score[k]
        records.append(
            DocResult(
                id=doc.id,
                cluster=int(assignment.cluster[k]),
                representative=documents[rep].id,
                duplicate=rep != k,
                score=None if np.isnan(sc) else float(sc),
                relation=assignment.relation[k],
            )
        )
    pairs = [
        Pair(
            documents[int(i)].id,
            documents[int(j)].id,
            s.score,
            s.relation,
            s.containment,
            s.fuzz,
            s.overlap,
        )
        for (i, j), s in zip(cands, scores)
    ]
    stats = {
        "documents": n,
        "empty": sum(1 for t in normalized if not t),
        "learned_boilerplate_lines": len(learned),
        "lsh_pairs": n_lsh,
        "candidate_pairs": len(cands),
        "duplicate_pairs": len(edges),
        "clusters": len(set(assignment.cluster.tolist())),
        "read": n + len(skipped),
        "skipped": len(skipped),
    }
    return ClusterResult(records, pairs, stats, cfg, stripped, normalized, skipped)
