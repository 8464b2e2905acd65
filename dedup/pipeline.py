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

import itertools
import math
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any, overload

import numpy as np

from dedup.config import DedupConfig, LSHConfig
from dedup.documents import DocLike, OnError, Skipped, iter_documents
from dedup.match.cluster import assign_clusters
from dedup.match.verify import RELATIONS, PairArrays, Verifier
from dedup.sketch.hashing import MAX_HASH
from dedup.sketch.lsh import band_keys, candidate_pairs, filter_pairs
from dedup.sketch.minhash import minhash_texts
from dedup.text.boilerplate import Stripped, apply_learned, count_lines, strip_boilerplate

__all__ = [
    "ClusterResult",
    "DocResult",
    "Pair",
    "PairTable",
    "Progress",
    "cluster",
    "prepare_texts",
]

try:  # the compiled path is optional (extra ``dedup-news[fast]``)
    if os.environ.get("DEDUP_DISABLE_NUMBA"):
        raise ImportError("disabled by DEDUP_DISABLE_NUMBA")
    from dedup import _numba_pipeline as _nbp
except ImportError:  # pragma: no cover - depends on the environment
    _nbp = None

#: ``progress(stage, done, total)``; called at stage boundaries: ``prepare`` (every 10,000
#: documents, with ``total`` -1 while documents are still being read, then ``(n, n)``),
#: ``hash``, ``lsh`` (after each band), ``features`` (word weights), ``verify`` (after each block).
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


class PairTable(Sequence[Pair]):
    """The verified candidate pairs as columns; reads like a list of :class:`Pair`.

    Every verified candidate is kept, duplicates and not, in candidate order (sorted by
    ``(i, j)``). A row costs 41 bytes (two int32 document indices, the float64 columns of
    :class:`~dedup.match.verify.PairArrays`, an int8 relation code) instead of about 400 for
    a :class:`Pair` object: :class:`Pair` objects are made only when a row is read.

    Attributes
    ----------
    i, j : numpy.ndarray
        Document indices (input order) of each pair, ``i < j``.
    scores : PairArrays
        ``score``, ``relation`` (codes into :data:`~dedup.match.verify.RELATIONS`),
        ``containment``, ``fuzz``, ``overlap``.

    Examples
    --------
    >>> res = cluster([("x", "Talks in Hanoi on trade and security cooperation today."),
    ...                ("y", "Talks in Hanoi on trade and security cooperation today! Photo: AFP")])
    >>> len(res.pairs), res.pairs[0].relation, [p.b for p in res.pairs]
    (1, 'exact', ['y'])
    """

    __slots__ = ("_ids", "i", "j", "scores")

    def __init__(self, ids: Sequence[str], i: np.ndarray, j: np.ndarray, scores: PairArrays):
        if not len(i) == len(j) == len(scores):
            raise ValueError("PairTable: i, j and scores must have one row per pair")
        self._ids = ids
        self.i = np.asarray(i, dtype=np.int32)
        self.j = np.asarray(j, dtype=np.int32)
        self.scores = scores

    @classmethod
    def empty(cls, ids: Sequence[str] = ()) -> PairTable:
        z = np.zeros(0)
        return cls(ids, z, z, PairArrays(z, np.zeros(0, dtype=np.int8), z, z, z))

    def __len__(self) -> int:
        return len(self.i)

    def _row(self, k: int) -> Pair:
        s = self.scores
        return Pair(
            self._ids[int(self.i[k])],
            self._ids[int(self.j[k])],
            float(s.score[k]),
            RELATIONS[int(s.relation[k])],
            float(s.containment[k]),
            float(s.fuzz[k]),
            float(s.overlap[k]),
        )

    @overload
    def __getitem__(self, k: int) -> Pair: ...
    @overload
    def __getitem__(self, k: slice) -> list[Pair]: ...
    def __getitem__(self, k: int | slice) -> Pair | list[Pair]:
        if isinstance(k, slice):
            return [self._row(x) for x in range(*k.indices(len(self)))]
        n = len(self)
        if not -n <= k < n:
            raise IndexError(f"pair index {k} out of range ({n} pairs)")
        return self._row(k % n if n else k)

    def __iter__(self) -> Iterator[Pair]:
        ids, s, step = self._ids, self.scores, 8192
        for a in range(0, len(self), step):
            b = a + step
            rows = zip(
                self.i[a:b].tolist(),
                self.j[a:b].tolist(),
                s.score[a:b].tolist(),
                s.relation[a:b].tolist(),
                s.containment[a:b].tolist(),
                s.fuzz[a:b].tolist(),
                s.overlap[a:b].tolist(),
            )
            for i, j, sc, rel, c, f, o in rows:
                yield Pair(ids[i], ids[j], sc, RELATIONS[rel], c, f, o)

    def __repr__(self) -> str:
        return f"<PairTable: {len(self)} pairs, {int(self.scores.is_duplicate.sum())} duplicates>"

    @property
    def nbytes(self) -> int:
        """Bytes held by the columns."""
        s = self.scores
        cols = (self.i, self.j, s.score, s.relation, s.containment, s.fuzz, s.overlap)
        return sum(c.nbytes for c in cols)


@dataclass
class ClusterResult:
    """Output of :func:`cluster`: one record per input document, in input order.

    Attributes
    ----------
    records : list of DocResult
    pairs : PairTable
        Every verified candidate pair, duplicates and not (a sequence of :class:`Pair`).
    stats : dict
        Counts per stage: documents, empty (no tokens after normalization), LSH pairs
        (before the signature filter), candidates, duplicate pairs, clusters; ``read``
        (input items) = ``documents`` + ``skipped``.
    config : DedupConfig
    stripped : list of Stripped
        What boilerplate removal kept and removed, per document (for reports); empty when
        :func:`cluster` ran with ``keep_stripped=False``.
    normalized : list of str
        Normalized kept text, per document.
    skipped : list of Skipped
        Input items left out with ``on_error="skip"``, with the reason.
    """

    records: list[DocResult]
    pairs: PairTable
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


def _prepare_light(args: tuple[str, DedupConfig]) -> Stripped:
    # what learning boilerplate needs (line spans and normalized lines), not the text
    return replace(_prepare_one(args), source="", removed=())


def prepare_texts(
    texts: Sequence[str],
    config: DedupConfig | None = None,
    *,
    n_jobs: int = 1,
    keep_stripped: bool = True,
) -> tuple[list[Stripped], list[str], frozenset[str]]:
    """Boilerplate removal (rules, repeats, learned lines) and normalization of a corpus.

    Parameters
    ----------
    texts : sequence of str
    config : DedupConfig, optional
    n_jobs : int
        Processes (used from 2,000 texts on).
    keep_stripped : bool
        Return the :class:`~dedup.text.boilerplate.Stripped` records (else an empty list:
        each document then holds only what learning needs while the corpus is prepared).

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
    return _prepare(texts, config or DedupConfig(), n_jobs, keep_stripped)


#: Preparation uses worker processes (with ``n_jobs > 1``) from this many documents on.
_POOL_FROM = 2000

#: Documents per task sent to a worker process; a few tasks per worker are in flight, so
#: the input texts held at once are bounded whatever the corpus size.
_CHUNK = 256

#: Progress is reported every this many documents prepared.
_REPORT_EVERY = 10_000


def _prepare_chunk(texts: list[str], cfg: DedupConfig, keep_stripped: bool) -> list[Stripped]:
    one = _prepare_one if keep_stripped else _prepare_light
    return [one((t, cfg)) for t in texts]


def _prepare(
    texts: Iterable[str],
    cfg: DedupConfig,
    n_jobs: int,
    keep_stripped: bool,
    report: Progress | None = None,
) -> tuple[list[Stripped], list[str], frozenset[str]]:
    """:func:`prepare_texts` on an iterable that is read as it is prepared.

    Texts are taken from ``texts`` only as fast as they are prepared (at most a few chunks
    per worker ahead), so when ``texts`` is a reader the input texts never all exist at once:
    each is dropped once its prepared record exists. ``report("prepare", done, -1)`` while
    the number of texts is not known yet.
    """
    one = _prepare_one if keep_stripped else _prepare_light
    it = iter(texts)
    stripped: list[Stripped] = []
    head = list(itertools.islice(it, _POOL_FROM))

    def progress(done: int) -> None:
        if report is not None and done % _REPORT_EVERY < _CHUNK:
            report("prepare", done, -1)

    if n_jobs > 1 and len(head) >= _POOL_FROM:
        source = itertools.chain(head, it)
        del head
        window = 4 * n_jobs
        pending: deque[Future[list[Stripped]]] = deque()
        # forkserver: workers do not inherit (and copy, page by page) this process's heap
        ctx = multiprocessing.get_context("forkserver")
        with ProcessPoolExecutor(max_workers=n_jobs, mp_context=ctx) as pool:

            def submit() -> bool:
                chunk = list(itertools.islice(source, _CHUNK))
                if chunk:
                    pending.append(pool.submit(_prepare_chunk, chunk, cfg, keep_stripped))
                return bool(chunk)

            while len(pending) < window and submit():
                pass
            while pending:
                stripped.extend(pending.popleft().result())
                progress(len(stripped))
                submit()
    else:
        for text in itertools.chain(head, it):
            stripped.append(one((text, cfg)))
            if len(stripped) % _REPORT_EVERY == 0:
                progress(len(stripped))
    n = len(stripped)
    learned: frozenset[str] = frozenset()
    if cfg.boilerplate.learn and n >= cfg.boilerplate.learn_min_docs:
        learned = count_lines(stripped, cfg.boilerplate)
        if learned:
            stripped = [apply_learned(s, learned, cfg.boilerplate) for s in stripped]
    # == normalize(s.text, cfg.normalize): the lines were normalized with cfg.normalize already
    if keep_stripped:
        return stripped, [s.normalized for s in stripped], learned
    normalized = []
    for k in range(n):  # release each record once its normalized text is made
        normalized.append(stripped[k].normalized)
        stripped[k] = None  # type: ignore[call-overload]
    return [], normalized, learned


#: Fewer pairs take the numpy paths (same results): loading compiled kernels costs more.
_COMPILED_FROM = 4096

#: Candidate pairs verified per call (progress is reported after each block).
_VERIFY_BLOCK = 1 << 20


def _candidates(
    sigs: np.ndarray, cfg: LSHConfig, report: Progress | None = None
) -> tuple[np.ndarray, int]:
    """LSH candidates that pass the signature filter, one band at a time.

    The same pairs as ``filter_pairs(sigs, candidate_pairs(sigs, cfg), ...)`` (the filter
    looks at each pair alone, and a band's buckets do not depend on the other bands), but
    the unfiltered pairs -- about 12 times the filtered ones on news -- are only ever held
    for one band. Also returns ``len(candidate_pairs(sigs, cfg))``, the distinct pairs
    before the filter: a band's pair is counted when no earlier band produced it (same key
    there, and not left out of an over-sized bucket's star).
    """
    report = report or (lambda stage, done, total: None)
    n = len(sigs)
    need = cfg.bands * cfg.rows
    if sigs.ndim != 2 or sigs.shape[1] < need:  # let candidate_pairs word the error
        candidate_pairs(sigs, cfg)
    one = replace(cfg, bands=1)
    # one band's slots, and a last column telling empty documents (no shingles) apart: a
    # document is empty when its whole signature is, not when one band's slots are at max
    sub = np.empty((n, cfg.rows + 1), dtype=sigs.dtype)
    empty = np.all(sigs == MAX_HASH, axis=1)
    valid = np.flatnonzero(~empty)
    sub[:, cfg.rows] = np.where(empty, MAX_HASH, 0)
    keys = np.zeros((n, cfg.bands), dtype=np.uint64)  # each band's bucket key
    star_only = np.zeros((n, cfg.bands), dtype=bool)  # non-first member of a big bucket
    kept: list[np.ndarray] = []
    n_lsh = 0
    for band in range(cfg.bands):
        report("lsh", band, cfg.bands)
        sub[:, : cfg.rows] = sigs[:, band * cfg.rows : (band + 1) * cfg.rows]
        keys[:, band] = band_keys(sub, one)[:, 0]
        _mark_stars(keys[valid, band], valid, cfg.max_bucket, star_only[:, band])
        found = candidate_pairs(sub, one)
        n_lsh += _count_first_found(found, keys, star_only, band)
        found = _filter(sigs, found, cfg.min_similarity)
        kept.append(found[:, 0] * (1 << 32) + found[:, 1])
        del found
    del keys, star_only, sub
    report("lsh", cfg.bands, cfg.bands)
    packed = np.concatenate(kept) if kept else np.zeros(0, dtype=np.int64)
    del kept
    packed.sort()  # distinct by sorting in place (numpy 2's np.unique hashes first: slower)
    if len(packed) > 1:
        packed = packed[np.concatenate(([True], packed[1:] != packed[:-1]))]
    return np.stack((packed >> 32, packed & 0xFFFFFFFF), axis=1), n_lsh


def _filter(sigs: np.ndarray, pairs: np.ndarray, min_similarity: float) -> np.ndarray:
    """:func:`~dedup.sketch.lsh.filter_pairs`, compiled when numba is there (same pairs)."""
    if _nbp is None or len(pairs) < _COMPILED_FROM or min_similarity <= 0.0:
        return filter_pairs(sigs, pairs, min_similarity)
    sigs = np.ascontiguousarray(sigs)
    return pairs[_nbp.similar_enough(sigs, pairs[:, 0], pairs[:, 1], float(min_similarity))]


def _mark_stars(k: np.ndarray, docs: np.ndarray, max_bucket: int, out: np.ndarray) -> None:
    """``out[d] = True`` for the members of buckets over ``max_bucket`` but their first
    (smallest) document: the star of such a bucket pairs its first document only."""
    if len(k) < 2:
        return
    order = np.argsort(k, kind="stable")
    ks = k[order]
    start = np.concatenate(([True], ks[1:] != ks[:-1]))
    starts = np.flatnonzero(start)
    sizes = np.diff(np.append(starts, len(ks)))
    big = sizes > max_bucket
    if not big.any():
        return
    bucket = np.cumsum(start) - 1
    members = docs[order]
    first = np.minimum.reduceat(members, starts)
    out[members] = big[bucket] & (members != first[bucket])


def _count_first_found(
    found: np.ndarray, keys: np.ndarray, star_only: np.ndarray, band: int
) -> int:
    """Pairs of ``found`` (band ``band``) that no earlier band produced."""
    pi, pj = found[:, 0], found[:, 1]
    if _nbp is not None and len(pi) >= _COMPILED_FROM:
        return int(_nbp.count_first_found(pi, pj, keys, star_only, band))
    seen = np.zeros(len(pi), dtype=bool)
    for c in range(band):
        seen |= (keys[pi, c] == keys[pj, c]) & ~star_only[pi, c]
    return int(len(pi) - seen.sum())


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
    keep_stripped: bool = True,
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
    keep_stripped : bool
        Keep ``result.stripped`` (the prepared texts and what was removed: HTML reports
        need it). ``False`` saves about 5 KB per document; nothing else changes.

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
    report = progress or (lambda stage, done, total: None)
    skipped: list[Skipped] = []
    ids: list[str] = []

    def texts() -> Iterator[str]:
        # documents are validated as they are read and prepared: the input texts are never
        # all held at once (a bad item still stops the run, or is skipped and listed)
        for doc in iter_documents(
            docs, on_error=on_error, max_doc_bytes=max_doc_bytes, skipped=skipped
        ):
            ids.append(doc.id)
            yield doc.text

    report("prepare", 0, -1)
    stripped, normalized, learned = _prepare(texts(), cfg, n_jobs, keep_stripped, report)
    n = len(ids)
    report("prepare", n, n)

    report("hash", 0, n)
    sigs = minhash_texts(normalized, cfg.shingle, cfg.minhash, n_jobs=n_jobs)
    report("hash", n, n)

    cands, n_lsh = _candidates(sigs, cfg.lsh, report)
    del sigs
    exact = _exact_pairs(normalized)
    if len(exact):
        both = np.concatenate((cands, exact))
        packed = both[:, 0] * (1 << 32) + both[:, 1]
        del both
        packed.sort()  # distinct by sorting (numpy 2's np.unique hashes first: slower)
        packed = packed[np.concatenate(([True], packed[1:] != packed[:-1]))]
        cands = np.stack((packed >> 32, packed & 0xFFFFFFFF), axis=1)
    m = len(cands)
    verifier = Verifier(normalized, cfg.verify)
    report("features", 0, n)
    verifier.prepare()  # word weights and per-document word ids: two passes over the texts
    report("features", n, n)
    report("verify", 0, m)
    scores = PairArrays(
        np.empty(m), np.empty(m, dtype=np.int8), np.empty(m), np.empty(m), np.empty(m)
    )
    for a in range(0, m, _VERIFY_BLOCK):
        b = min(m, a + _VERIFY_BLOCK)
        part = verifier.score_arrays(cands[a:b])
        for name in ("score", "relation", "containment", "fuzz", "overlap"):
            getattr(scores, name)[a:b] = getattr(part, name)
        report("verify", b, m)
    del verifier
    pairs = PairTable(ids, cands[:, 0], cands[:, 1], scores)
    del cands

    # only the duplicate pairs become Python objects
    dup = np.flatnonzero(scores.is_duplicate)
    edges = list(
        zip(
            pairs.i[dup].tolist(),
            pairs.j[dup].tolist(),
            scores.score[dup].tolist(),
            [RELATIONS[c] for c in scores.relation[dup].tolist()],
        )
    )
    assignment = assign_clusters(n, edges, cfg.cluster, lengths=[len(t) for t in normalized])
    del edges
    rep_ids = assignment.representative.tolist()
    cluster_ids = assignment.cluster.tolist()
    rep_scores = assignment.score.tolist()
    records = [
        DocResult(
            id=ids[k],
            cluster=cluster_ids[k],
            representative=ids[rep],
            duplicate=rep != k,
            score=None if math.isnan(rep_scores[k]) else rep_scores[k],
            relation=assignment.relation[k],
        )
        for k, rep in enumerate(rep_ids)
    ]
    stats = {
        "documents": n,
        "empty": sum(1 for t in normalized if not t),
        "learned_boilerplate_lines": len(learned),
        "lsh_pairs": n_lsh,
        "candidate_pairs": m,
        "duplicate_pairs": len(dup),
        "clusters": len(set(cluster_ids)),
        "read": n + len(skipped),
        "skipped": len(skipped),
    }
    return ClusterResult(records, pairs, stats, cfg, stripped, normalized, skipped)
