"""What every index backend shares: preparing an article, matching, settings, time windows.

An index keeps, per document, its id, a timestamp, the MinHash signature (raw little-endian
uint32 bytes), the LSH band keys and the boilerplate-free *normalized* text that verification
needs. Matching reuses the library's stages unchanged, so a check agrees with
:func:`dedup.cluster` on the same pair:

1. :func:`dedup.text.strip_boilerplate` (rules and repeated lines) + :func:`dedup.text.normalize`;
2. :func:`dedup.sketch.minhash.minhash_texts` and :func:`dedup.sketch.lsh.band_keys`;
3. candidates = stored documents sharing a band key (or the exact normalized text), whose
   signature estimate reaches ``lsh.min_similarity``;
4. :func:`dedup.match.verify.score_query` (the :class:`~dedup.match.verify.Verifier`'s
   scores, bit for bit) scores each candidate; duplicates are returned. Its
   word weights come from per-word document counts the backend keeps for everything stored
   (updated in the same transaction as the documents), plus the query itself.

*Learned* (corpus) boilerplate does not apply: one incoming article has no corpus to learn
from. ``boilerplate.learn`` is recorded with the settings but has no effect on an index.

Backends implement a handful of storage primitives (:class:`Index` below);
:mod:`dedup.index.sqlite` and :mod:`dedup.index.redis` are the two shipped.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
import re
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Literal, NamedTuple

import numpy as np

from dedup.config import DedupConfig, VerifyConfig
from dedup.documents import DocLike, Document, as_documents
from dedup.errors import ConfigMismatchError, DedupError, InputError
from dedup.match.verify import (
    COPY_GATE,
    STORY_MAX,
    STORY_SCALE,
    WordWeights,
    score_query,
)
from dedup.sketch.lsh import band_keys, empty_rows
from dedup.sketch.minhash import minhash_texts
from dedup.text.boilerplate import rules_for, strip_boilerplate
from dedup.text.normalization import normalize

try:  # the compiled bound is optional (extra ``dedup-news[fast]``)
    if os.environ.get("DEDUP_DISABLE_NUMBA"):
        raise ImportError("disabled by DEDUP_DISABLE_NUMBA")
    from dedup.index._numba_bound import bound_sums as _bound_sums
except ImportError:  # pragma: no cover - depends on the environment
    _bound_sums = None

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "QUERY_TIME_SETTINGS",
    "AddResult",
    "DuplicateIdError",
    "Index",
    "IndexFormatError",
    "Match",
    "OnConflict",
    "Prepared",
    "TimeLike",
    "WordIds",
    "compare_settings",
    "parse_duration",
    "rules_fingerprint",
    "to_timestamp",
]

#: Format marker written into every index, and its version.
FORMAT = "dedup-index"
FORMAT_VERSION = 6
#: What each format version added (for the message shown when an old index is opened).
_FORMAT_HISTORY = {
    1: "without per-word document counts",
    2: "with per-word document counts",
    3: "with per-word document counts; Redis LSH buckets kept oldest first",
    4: "SQLite: compact candidate rows and a word-count log",
    5: "SQLite: each document's words stored as numbers",
    6: "SQLite: signatures kept with the candidate rows",
}

TimeLike = datetime | float | int | str
OnConflict = Literal["error", "skip", "replace"]


class IndexFormatError(DedupError):
    """The file/keyspace is not a dedup index, is damaged, or has an unknown format version."""


class DuplicateIdError(InputError):
    """A document id is already in the index."""


@dataclass(frozen=True)
class Match:
    """A stored document that duplicates the checked text.

    Attributes
    ----------
    id : str
        Id of the stored document.
    score : float
        Verified score, 0..1 (see :mod:`dedup.match.verify`).
    relation : {"exact", "near_copy", "same_story"}
    containment, fuzz, overlap : float
        The three verification signals.
    published_at : float
        The stored document's timestamp, seconds since the epoch (UTC): its ``published_at``,
        or the time it was added when it had none.
    """

    id: str
    score: float
    relation: str
    containment: float
    fuzz: float
    overlap: float
    published_at: float

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "score": self.score, "relation": self.relation}


@dataclass(frozen=True)
class AddResult:
    """Outcome of :meth:`Index.check_and_add`.

    Attributes
    ----------
    id : str
    added : bool
        Whether the document was stored.
    matches : tuple of Match
        Stored duplicates found before adding, best first. Empty for an original.
    """

    id: str
    added: bool
    matches: tuple[Match, ...]

    @property
    def duplicate(self) -> bool:
        """True when the document duplicates something already stored."""
        return bool(self.matches)

    @property
    def duplicate_of(self) -> str | None:
        """Id of the best match, or None for an original."""
        return self.matches[0].id if self.matches else None


@dataclass(frozen=True)
class Prepared:
    """An article ready for the index: normalized text, signature, band keys, text hash."""

    normalized: str
    signature: np.ndarray  # (num_perm,) uint32
    keys: tuple[int, ...]  # signed 64-bit band keys; empty when the text has no shingles
    text_hash: int | None  # signed 64-bit hash of the normalized text; None when empty

    @property
    def sig_bytes(self) -> bytes:
        return self.signature.astype("<u4").tobytes()


class Candidate(NamedTuple):
    """A stored document returned by a backend lookup (before verification). (A named
    tuple: a check makes hundreds, and a frozen dataclass costs 3x as much to make.)"""

    ref: Any  # backend's internal handle (row number)
    id: str | None  # None: read when needed (:meth:`Index._candidate_ids`)
    ts: float
    sig: bytes
    text_hash: int | None


class CandidateRows(Sequence[Candidate]):
    """Candidates held as arrays (the in-process copies' filter returns hundreds per check):
    a :class:`Candidate` is made only for the few that are looked at one by one (those that
    survive the bound), the rest are read by :attr:`refs` and :meth:`with_hash`.

    Examples
    --------
    >>> rows = CandidateRows(np.array([4, 9]), np.array([1.0, 2.0]), np.array([0, 7]),
    ...                      np.array([False, True]), np.zeros((2, 2), dtype=np.uint32))
    >>> len(rows), rows.refs, rows.with_hash(7), rows[1]
    (2, [4, 9], [1], Candidate(ref=9, id=None, ts=2.0, sig=b'\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00', text_hash=7))
    """

    __slots__ = ("_has", "_hash", "_sigs", "_ts", "refs")

    def __init__(
        self,
        nums: np.ndarray,
        ts: np.ndarray,
        text_hash: np.ndarray,
        has_hash: np.ndarray,
        sigs: np.ndarray,
    ) -> None:
        self.refs: list[int] = nums.tolist()  # document numbers (``Candidate.ref``)
        self._ts, self._hash, self._has, self._sigs = ts, text_hash, has_hash, sigs

    def __len__(self) -> int:
        return len(self.refs)

    def __getitem__(self, k: Any) -> Any:
        if isinstance(k, slice):
            return [self[i] for i in range(*k.indices(len(self)))]
        h = int(self._hash[k]) if self._has[k] else None
        return Candidate(self.refs[k], None, float(self._ts[k]), self._sigs[k].tobytes(), h)

    def with_hash(self, text_hash: int | None) -> list[int]:
        """Positions of the candidates whose text hash is ``text_hash`` (none for None)."""
        if text_hash is None:
            return []
        return np.flatnonzero(self._has & (self._hash == text_hash)).tolist()


def _refs(cands: Sequence[Candidate]) -> list[Any]:
    """The candidates' ``ref``s (without making each one of a :class:`CandidateRows`)."""
    return cands.refs if isinstance(cands, CandidateRows) else [c.ref for c in cands]


def _with_hash(cands: Sequence[Candidate], text_hash: int | None) -> list[int]:
    """Positions of the candidates whose text hash is ``text_hash``."""
    if isinstance(cands, CandidateRows):
        return cands.with_hash(text_hash)
    return [k for k, c in enumerate(cands) if text_hash is not None and c.text_hash == text_hash]


@dataclass(frozen=True)
class WordIds:
    """The words of a check's candidates as numbers (a backend's ``_word_ids``).

    Candidate ``k``'s distinct words are ``flat[sum(lens[:k]) : sum(lens[:k + 1])]``; every
    array is aligned with ``flat`` (one entry per candidate word) except ``query_counts``,
    aligned with the query words asked for (0 for a word stored nowhere).
    """

    flat: np.ndarray  # word numbers (int64 or uint32)
    lens: np.ndarray  # int64 words per candidate
    counts: np.ndarray  # int64 stored documents of each word of flat
    count_of: np.ndarray  # int64 stored documents by word number (counts = count_of[flat])
    lengths: np.ndarray | None  # int64 len() of each word of flat (None: use length_of)
    query_counts: np.ndarray  # int64 stored documents of each query word asked for
    n_docs: int  # stored documents
    vocab: dict[str, int]  # word -> number (words stored nowhere are absent)
    words: Sequence[str]  # number -> word
    #: int64 len() of each word by number (read where ``lengths`` is None)
    length_of: np.ndarray | None = None
    #: float64 zeros, one per word number at least (or None): :func:`_prune_ids` marks the
    #: query's words in it to look candidate words up by number, and zeroes it again
    scratch: np.ndarray | None = None
    #: int64 numbers of the query words asked for (0: stored nowhere), aligned with
    #: ``query_counts`` (None: looked up in ``vocab``)
    query_nums: np.ndarray | None = None
    #: int64 ``max(1, counts + 1 if a query word)`` aligned with ``flat`` (None: computed)
    df: np.ndarray | None = None
    #: by word number, ``member_mark`` where a word of ``flat`` (None: computed)
    member: np.ndarray | None = None
    member_mark: Any = True


# --------------------------------------------------------------------------- helpers


def to_timestamp(value: TimeLike | None, *, what: str = "published_at") -> float | None:
    """Seconds since the epoch (UTC) from a datetime, a number, or an ISO 8601 string.

    Naive datetimes are taken as UTC.

    >>> to_timestamp("2024-01-02T00:00:00Z")
    1704153600.0
    >>> to_timestamp(datetime(2024, 1, 2))
    1704153600.0
    """
    if value is None:
        return None
    if isinstance(value, bool):
        raise InputError(f"{what} must be a datetime, seconds since the epoch or ISO 8601 text")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise InputError(
                f"{what}: cannot read {value!r} as a date; pass ISO 8601 such as "
                "'2024-05-01T12:00:00Z' or seconds since the epoch"
            ) from None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.timestamp()
    raise InputError(
        f"{what} must be a datetime, seconds since the epoch or ISO 8601 text, "
        f"got {type(value).__name__}"
    )


_DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$")
_UNITS = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}


def parse_duration(value: str | float | int | timedelta) -> float:
    """Seconds from ``"30d"``, ``"12h"``, ``"90m"``, ``"45s"``, ``"2w"``, a number or a timedelta.

    >>> parse_duration("30d")
    2592000.0
    >>> parse_duration(timedelta(hours=1))
    3600.0
    """
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str) and (m := _DURATION_RE.match(value)):
        seconds = float(m.group(1)) * _UNITS[m.group(2)]
    else:
        raise ValueError(
            f"cannot read {value!r} as a duration; pass e.g. '30d', '12h', '90m', '45s' or '2w'"
        )
    if seconds < 0:
        raise ValueError(f"a duration must not be negative, got {value!r}")
    return seconds


def rules_fingerprint(config: DedupConfig) -> str:
    """SHA-256 of the boilerplate rules the config selects (so edited rule files are noticed)."""
    rules = rules_for(config.boilerplate)
    h = hashlib.sha256()
    for r in rules.rules:
        h.update(f"{r.kind}\t{r.name}\t{r.pattern.flags}\t{r.pattern.pattern}\n".encode())
    return h.hexdigest()


def _flatten(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flatten(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


#: Settings that only decide how candidates are judged, not what is stored: they may differ
#: between sessions (``check`` with a stricter threshold). Learned boilerplate never applies
#: to an index (one article has no corpus), so its settings do not bind either.
QUERY_TIME_SETTINGS = (
    "config.verify.",
    "config.cluster.",
    "config.lsh.min_similarity",
    "config.lsh.max_bucket",
    "config.boilerplate.learn",
)


def compare_settings(
    where: str, stored: dict[str, Any], asked: dict[str, Any], *, asked_by_caller: bool
) -> None:
    """Raise :class:`ConfigMismatchError` naming every setting that differs.

    ``stored``/``asked`` are ``{"config": DedupConfig.to_dict(), "rules": fingerprint}``.
    Settings in :data:`QUERY_TIME_SETTINGS` may differ.

    >>> from dedup.config import ShingleConfig
    >>> cfg = settings_of(DedupConfig())
    >>> compare_settings("news.db", cfg, settings_of(DedupConfig(shingle=ShingleConfig(size=3))),
    ...                  asked_by_caller=True)
    Traceback (most recent call last):
    ...
    dedup.errors.ConfigMismatchError: news.db was built with different settings: shingle.size: index has 1, asked for 3 (open it without a config to use its stored settings, or build a new index)
    """
    a, b = _flatten(stored), _flatten(asked)
    diffs = []
    for key in sorted(set(a) | set(b)):
        if key.startswith(QUERY_TIME_SETTINGS):
            continue
        if a.get(key, "<missing>") != b.get(key, "<missing>"):
            name = key.removeprefix("config.")
            if name == "rules":
                diffs.append("boilerplate rules: the rule files' content changed")
            else:
                diffs.append(
                    f"{name}: index has {a.get(key, '<missing>')!r}, "
                    f"asked for {b.get(key, '<missing>')!r}"
                )
    if not diffs:
        return
    hint = (
        "open it without a config to use its stored settings, or build a new index"
        if asked_by_caller
        else "this dedup version normalizes differently; rebuild the index"
    )
    raise ConfigMismatchError(
        f"{where} was built with different settings: " + "; ".join(diffs) + f" ({hint})"
    )


def settings_of(config: DedupConfig) -> dict[str, Any]:
    """What an index stores about its settings."""
    return {"config": config.to_dict(), "rules": rules_fingerprint(config)}


def _hash_text(text: str) -> int | None:
    if not text:
        return None
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


# --------------------------------------------------------------------------- the index


class Index(ABC):
    """A persistent, incremental near-duplicate index (use :func:`dedup.open_index`).

    Subclasses store documents; this class prepares texts and verifies candidates, so every
    backend gives the same answers.

    Attributes
    ----------
    config : DedupConfig
        The settings the index was built with.
    retention : float or None
        Seconds: documents older than this (by ``published_at``, else the time they were added)
        are never returned as matches and are removed by :meth:`evict`.
    prune : bool
        Skip candidates that an exact upper bound of the verifier's score proves distinct
        (default True; False verifies every candidate, with the same results, slower).
    """

    config: DedupConfig
    retention: float | None
    location: str

    # ---- storage primitives (backends) --------------------------------------------------

    @abstractmethod
    def _lookup(self, prep: Prepared, min_ts: float | None) -> Sequence[Candidate]:
        """Stored documents sharing a band key or the text hash with ``prep``."""

    def _candidate_ids(self, cands: Sequence[Candidate]) -> list[str | None]:
        """The ids of ``cands`` (a backend whose lookup leaves them None reads them here;
        None for a document removed meanwhile)."""
        return [c.id for c in cands]

    @abstractmethod
    def _texts(self, refs: Sequence[Any]) -> list[str]:
        """Normalized texts of candidates, in the order of ``refs``."""

    @abstractmethod
    def _word_counts(self, words: Sequence[str]) -> tuple[dict[str, int], int]:
        """Stored documents per word (words stored nowhere may be left out) and the number of
        stored documents."""

    def _word_ids(self, refs: Sequence[Any], words: Sequence[str]) -> WordIds | None:
        """The candidates' words as numbers, with their counts and those of the query
        ``words``; None when the backend keeps no numbers (the bound then reads texts)."""
        return None

    @abstractmethod
    def stored_word_counts(self) -> tuple[dict[str, int], int]:
        """Every stored word count and the stored document count, as kept by the index."""

    @abstractmethod
    def _all_texts(self) -> Iterator[str]:
        """Every stored normalized text (for :meth:`recount_words`)."""

    @abstractmethod
    def _insert(
        self,
        rows: Sequence[tuple[str, Prepared, float, float | None]],
        on_conflict: OnConflict,
    ) -> int:
        """Store ``(id, prepared, ts, published_at)`` rows; one document is all-or-nothing."""

    @abstractmethod
    def _check_and_insert(
        self,
        doc_id: str,
        prep: Prepared,
        ts: float,
        published_at: float | None,
        add_duplicates: bool,
    ) -> AddResult:
        """Atomically: match ``prep``, then store it (unless a duplicate and not wanted)."""

    @abstractmethod
    def remove(self, doc_id: str) -> bool:
        """Delete one document; returns whether it was there."""

    def _after_bulk(self) -> None:
        """Housekeeping after a bulk load (SQLite: fold the write-ahead log into the file)."""
        return None

    def _bulk_cache(self, on: bool) -> None:
        """Enlarge (``on``) or restore caches around a bulk load (SQLite: the page cache)."""
        return None

    @abstractmethod
    def _evict_before(self, cutoff: float) -> int:
        """Delete documents with timestamp < cutoff; returns how many."""

    @abstractmethod
    def __len__(self) -> int: ...

    @abstractmethod
    def __contains__(self, doc_id: object) -> bool: ...

    @abstractmethod
    def ids(self) -> list[str]:
        """Every stored id, oldest first."""

    @abstractmethod
    def _stats(self) -> dict[str, Any]: ...

    @abstractmethod
    def close(self) -> None:
        """Release the connection."""

    # ---- shared logic --------------------------------------------------------------------

    def prepare(self, text: str) -> Prepared:
        """Normalize, sign and band one article exactly as :func:`dedup.cluster` would."""
        return self.prepare_many([text])[0]

    def prepare_many(self, texts: Sequence[str]) -> list[Prepared]:
        """:meth:`prepare` for many texts (one vectorized MinHash call)."""
        cfg = self.config
        return self.sign_normalized(
            [
                normalize(
                    strip_boilerplate(t, cfg.boilerplate, normalize_config=cfg.normalize).text,
                    cfg.normalize,
                )
                for t in texts
            ]
        )

    def sign_normalized(self, normalized: Sequence[str]) -> list[Prepared]:
        """Signatures, band keys and text hashes of texts already normalized (boilerplate-free)."""
        cfg = self.config
        norm = list(normalized)
        if not norm:
            return []
        sigs = minhash_texts(norm, cfg.shingle, cfg.minhash)
        keys = band_keys(sigs, cfg.lsh).view(np.int64)
        empty = empty_rows(sigs)
        return [
            Prepared(
                n,
                sigs[i],
                () if empty[i] else tuple(int(k) for k in keys[i]),
                _hash_text(n),
            )
            for i, n in enumerate(norm)
        ]

    def _min_ts(self) -> float | None:
        return None if self.retention is None else time.time() - self.retention

    #: The backend's lookup returns only candidates that pass the signature filter (so
    #: :meth:`_verify` does not filter again).
    _lookup_filters: bool = False

    #: Skip candidates whose score provably cannot reach a duplicate (see :func:`_prune`);
    #: False verifies every candidate (the tests compare both).
    prune: bool = True

    def _verify(self, prep: Prepared, cands: Sequence[Candidate]) -> list[Match]:
        """Signature filter + verification of candidates, exactly like the batch pipeline."""
        if not cands or not prep.normalized:
            return []
        if self._lookup_filters:
            kept = cands  # (the lookup applied this very filter)
        else:
            sigs = np.frombuffer(b"".join(c.sig for c in cands), "<u4").reshape(len(cands), -1)
            est = (sigs == prep.signature).mean(axis=1)
            kept = [
                c
                for i, c in enumerate(cands)
                if est[i] >= self.config.lsh.min_similarity
                or (prep.text_hash is not None and c.text_hash == prep.text_hash)
            ]
            if not kept:
                return []
        query = prep.normalized
        qwords = set(query.split())
        if self.prune:  # (by word numbers even for one candidate: 2x faster than by texts)
            qlist = sorted(qwords)
            ids = self._word_ids(_refs(kept), qlist)
            if ids is not None:
                return self._verify_ids(prep, kept, qwords, qlist, ids)
        texts = self._texts(_refs(kept))
        sets = [set(t.split()) for t in texts]
        union = qwords.union(*sets)
        # Word weights of the corpus "everything stored + this article": the index counts raw
        # document frequencies (``set(text.split())`` per stored document) and uses them both
        # as ``raw_df`` and ``df``; only the words of the compared texts are fetched, each
        # with a count of at least 1; a glued word is split only when both halves are words
        # of the compared texts (the query and every candidate that passed the signature filter).
        stored, n_docs = self._word_counts(list(union))
        # = {w: max(1, stored.get(w, 0) + (w in qwords)) for w in union}, without a Python loop
        df = dict.fromkeys(union, 0)
        df.update(stored)
        for w in qwords:
            df[w] += 1
        if 0 in df.values():  # a candidate removed meanwhile: its words count at least 1
            df = {w: max(1, c) for w, c in df.items()}
        n = max(n_docs + 1, max(df.values(), default=1))
        survivors = list(range(len(kept)))
        if self.prune:
            survivors = _prune_arrays(query, qwords, texts, sets, df, n, self.config.verify)
            if not survivors:
                return []
            # The verifier needs the counts of the words it scores, plus those of every half a
            # glued word of theirs could split into (the same halves as with all candidates):
            # the features, hence the scores, are exactly those of a verifier given them all.
            words = qwords.union(*(sets[k] for k in survivors))
            needed = set(words)
            for w in words:
                if df[w] == 1 and len(w) >= 4:
                    needed.update(h for k in range(1, len(w)) for h in (w[:k], w[k:]) if h in df)
            df = {w: df[w] for w in needed}
        return self._score(
            query, [kept[k] for k in survivors], [texts[k] for k in survivors], df, n
        )

    def _score(
        self,
        query: str,
        cands: Sequence[Candidate],
        texts: Sequence[str],
        df: dict[str, int],
        n: int,
    ) -> list[Match]:
        """Verify ``cands`` (texts ``texts``) against the query with the counts ``df``."""
        # the scores of Verifier([query, *texts], weights=WordWeights(df, df, n)), bit for
        # bit, without its batch machinery (a check has a few candidates)
        scored = score_query(query, texts, df, n, self.config.verify)
        found = [j for j, s in enumerate(scored) if s.is_duplicate]
        ids = self._candidate_ids([cands[j] for j in found])
        out = []
        for j, doc_id in zip(found, ids):
            if doc_id is None:  # removed meanwhile
                continue
            s, c = scored[j], cands[j]
            out.append(Match(doc_id, s.score, s.relation, s.containment, s.fuzz, s.overlap, c.ts))
        out.sort(key=lambda m: (-m.score, m.published_at, m.id))
        return out

    def _verify_ids(
        self,
        prep: Prepared,
        kept: Sequence[Candidate],
        qwords: set[str],
        qlist: list[str],
        ids: WordIds,
    ) -> list[Match]:
        """:meth:`_verify` after the signature filter, with the bound computed over word
        numbers (:func:`_prune_ids`): only the survivors' texts are read and split."""
        query = prep.normalized
        th = prep.text_hash
        same = _with_hash(kept, th)
        if same:  # equal texts are always kept (the hash only says where to look)
            same = [k for k, t in zip(same, self._texts([kept[k].ref for k in same])) if t == query]
        survivors, df_of, n = _prune_ids(query, qwords, qlist, ids, same, self.config.verify)
        if not survivors:
            return []
        cands = [kept[k] for k in survivors]
        texts = self._texts([c.ref for c in cands])
        # the counts the verifier needs: its words, and every half their glued words could
        # split into that is a word of the compared texts (as in _verify)
        counts = df_of.counts(qwords.union(*(t.split() for t in texts)))
        halves = {
            h
            for w, c in counts.items()
            if c == 1 and len(w) >= 4
            for k in range(1, len(w))
            for h in (w[:k], w[k:])
            if h not in counts and h in df_of
        }
        counts.update(df_of.counts(halves))
        return self._score(query, cands, texts, counts, n)

    def word_count_problems(self) -> list[str]:
        """Differences between the stored word counts and a recount from the stored texts
        (empty when they agree). Reads every stored text."""
        recount = WordWeights.raw_counts(self._all_texts())
        n_texts = len(self)
        stored, n_docs = self.stored_word_counts()
        problems = []
        if n_docs != n_texts:
            problems.append(f"document count {n_docs} but {n_texts} documents stored")
        bad = sorted(w for w in set(recount) | set(stored) if recount.get(w) != stored.get(w))
        if bad:
            sample = ", ".join(
                f"{w!r}: stored {stored.get(w, 0)}, recounted {recount.get(w, 0)}" for w in bad[:5]
            )
            problems.append(f"{len(bad)} word counts differ from the stored texts ({sample})")
        return problems

    def _match(self, prep: Prepared) -> list[Match]:
        if not prep.normalized:
            return []
        return self._verify(prep, self._lookup(prep, self._min_ts()))

    def check(self, text: str) -> list[Match]:
        """Stored documents that duplicate ``text``, best first; nothing is added.

        Parameters
        ----------
        text : str
            Raw article text (boilerplate and all).

        Returns
        -------
        list of Match
            Empty when the article is new.
        """
        return self._match(self.prepare(text))

    def add(self, doc_id: str, text: str, published_at: TimeLike | None = None) -> None:
        """Store one article (all of it or, if interrupted, none of it).

        Parameters
        ----------
        doc_id : str
            Unique id; an id already stored raises :class:`DuplicateIdError`.
        text : str
            Raw article text.
        published_at : datetime, float, str, optional
            Publication time (for the time window); defaults to now.
        """
        doc_id = _check_id(doc_id)
        ts, pub = self._times(published_at)
        self._insert([(doc_id, self.prepare(text), ts, pub)], "error")

    def add_many(
        self,
        docs: Iterable[DocLike],
        *,
        batch_size: int = 1000,
        on_conflict: OnConflict = "error",
    ) -> int:
        """Store many articles; each batch of ``batch_size`` is one transaction.

        Parameters
        ----------
        docs : iterable
            ``(id, text)`` pairs, dicts with ``id``/``text`` (and optional ``published_at``),
            or :class:`~dedup.Document` (``meta["published_at"]`` is used when present).
        batch_size : int
            Documents per transaction (and per vectorized MinHash call).
        on_conflict : {"error", "skip", "replace"}
            What to do with an id already stored.

        Returns
        -------
        int
            Number of documents stored.
        """
        if on_conflict not in ("error", "skip", "replace"):
            raise ValueError(
                f"on_conflict must be 'error', 'skip' or 'replace', got {on_conflict!r}"
            )
        total = 0
        for batch in _chunks(docs, max(1, batch_size)):
            pubs = [_published_of(item) for item in batch]
            documents = as_documents(batch)
            preps = self.prepare_many([d.text for d in documents])
            rows = []
            for d, p, pub in zip(documents, preps, pubs):
                ts, pub_ts = self._times(pub, what=f"published_at of {d.id!r}")
                rows.append((d.id, p, ts, pub_ts))
            total += self._insert(rows, on_conflict)
        self._after_bulk()
        return total

    def add_prepared(
        self,
        rows: Iterable[tuple[str, Prepared, TimeLike | None]],
        *,
        batch_size: int = 5000,
        on_conflict: OnConflict = "error",
    ) -> int:
        """Bulk load of ``(id, prepared, published_at)`` rows made by :meth:`prepare_many` or
        :meth:`sign_normalized` (e.g. in worker processes); returns the number stored."""
        total = 0
        self._bulk_cache(True)
        try:
            for batch in _chunks(rows, max(1, batch_size)):
                out = []
                for doc_id, prep, published_at in batch:
                    ts, pub = self._times(published_at, what=f"published_at of {doc_id!r}")
                    out.append((_check_id(doc_id), prep, ts, pub))
                total += self._insert(out, on_conflict)
        finally:
            self._bulk_cache(False)
        self._after_bulk()
        return total

    def check_and_add(
        self,
        doc_id: str,
        text: str,
        published_at: TimeLike | None = None,
        *,
        add_duplicates: bool = True,
    ) -> AddResult:
        """Check ``text`` against the index and store it, as one atomic step.

        Two workers submitting the same story at once get one original (no matches) and one
        duplicate (matching the other's id), never two originals.

        Parameters
        ----------
        doc_id : str
            Unique id; an id already stored raises :class:`DuplicateIdError`.
        text : str
            Raw article text.
        published_at : datetime, float, str, optional
            Publication time; defaults to now.
        add_duplicates : bool
            Store the article even when it duplicates a stored one (default). With False only
            originals are stored.

        Returns
        -------
        AddResult
        """
        doc_id = _check_id(doc_id)
        ts, pub = self._times(published_at)
        return self._check_and_insert(doc_id, self.prepare(text), ts, pub, add_duplicates)

    def evict(self, older_than: TimeLike | timedelta | str | None = None) -> int:
        """Remove old documents; returns how many were removed.

        Parameters
        ----------
        older_than : timedelta, str, float or datetime, optional
            A duration (``timedelta``, ``"30d"``, seconds) counted back from now, or an absolute
            ``datetime``. Defaults to the index's ``retention``.
        """
        if older_than is None:
            if self.retention is None:
                raise ValueError(
                    "evict() needs older_than (e.g. '30d') when the index has no retention"
                )
            cutoff = time.time() - self.retention
        elif isinstance(older_than, datetime):
            cutoff = float(to_timestamp(older_than))  # type: ignore[arg-type]
        else:
            cutoff = time.time() - parse_duration(older_than)  # type: ignore[arg-type]
        return self._evict_before(cutoff)

    def stats(self) -> dict[str, Any]:
        """Counts and settings: documents, oldest/newest timestamps, backend, size, config."""
        s = {"location": self.location, "format_version": FORMAT_VERSION}
        s.update(self._stats())
        s["retention_seconds"] = self.retention
        s["config"] = self.config.to_dict()
        return s

    def _times(
        self, published_at: TimeLike | None, what: str = "published_at"
    ) -> tuple[float, float | None]:
        pub = to_timestamp(published_at, what=what)
        return (time.time() if pub is None else pub), pub

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.location!r})"


# --------------------------------------------------------------------------- pruning

#: The verifier's constants the bound relies on (its public ones, so a rename breaks loudly).
_GATE = COPY_GATE
_STORY_SCALE = STORY_SCALE
#: Safety margin for floating-point sums in the bound.
_EPS = 1e-6


def _split_gains(df: Mapping[str, int], wa: dict[str, float]) -> Callable[[str], float]:
    """``gain(w)``: the most a glued word ``w`` can add to the shared weight of a pair -- its
    best pair of halves that are corpus words (count >= 2), weighted as query words (``wa``).
    Memoized per check."""
    splits: dict[str, float] = {}

    def gain(w: str) -> float:
        g = splits.get(w)
        if g is None:
            g = 0.0
            for k in range(1, len(w)):
                x, y = w[:k], w[k:]
                if df.get(x, 0) >= 2 and df.get(y, 0) >= 2:
                    g = max(g, wa.get(x, 0.0) + wa.get(y, 0.0))
            splits[w] = g
        return g

    return gain


def _prune(
    query: str,
    qwords: set[str],
    texts: Sequence[str],
    sets: Sequence[set[str]],
    df: dict[str, int],
    n: int,
    cfg: VerifyConfig,
) -> list[int]:
    """Candidates whose verified relation may not be ``distinct``, by an exact upper bound.

    :class:`~dedup.match.verify.Verifier` scores a pair from the IDF-weighted word sets of
    both texts (glued words split); for a candidate ``b`` and the query ``a``:

    * ``wcont = shared / min(mass_a, mass_b)`` and ``wjac = shared / union <= shared /
      max(mass_a, mass_b)``; below the gate (``wcont < 0.65``) the character containment is
      not computed (0), so the score is ``min(0.97 * (wjac + wcont) / 2, 0.75)``.
    * A word of ``b`` can be split only when it has document count 1 (so it is not a query
      word) and at least 4 characters: ``mass_b`` is at least the weight of ``b``'s other words,
      and ``shared`` at most the weight of the query's (split) words found in ``b`` plus, for
      each splittable word, the heaviest pair of query words it could split into.

    A candidate is dropped only when this bound puts ``wcont`` below the gate and the score
    below ``threshold`` (both by a margin of 1e-6): its relation is then ``distinct`` whatever
    the verifier computes. Equal texts are always kept.
    """
    if cfg.near_copy <= 0 or cfg.threshold <= 0:
        return list(range(len(texts)))
    counts = np.fromiter(df.values(), np.int64, len(df))
    wt = dict(zip(df, (np.log((n + 1) / (counts + 1.0)) + 1.0).tolist()))
    keys = list(df)
    # words a verifier may split (document count 1, at least 4 characters)
    ones = {w for w in map(keys.__getitem__, np.flatnonzero(counts == 1).tolist()) if len(w) >= 4}
    a_words = WordWeights.document_words(query, df)
    wa = {w: wt[w] for w in a_words}
    mass_a = math.fsum(wa.values())
    heavy = sorted(wa.values(), reverse=True)
    split_gain = _split_gains(df, wa)

    out = []
    gate, scale = _GATE, _STORY_SCALE
    for k, (text, b) in enumerate(zip(texts, sets)):
        if text == query or not b:
            if text == query:
                out.append(k)
            continue
        glued = b & ones
        # plain sums: the margin in _bounded covers their rounding
        shared = sum(map(wa.__getitem__, b.intersection(wa)))
        m_lo = sum(map(wt.__getitem__, b)) - sum(map(wt.__getitem__, glued))
        if glued:
            crude = sum(heavy[: 2 * len(glued)])
            if _bounded(shared + crude, mass_a, m_lo, gate, scale, cfg):
                continue
            shared += sum(map(split_gain, glued))
        if not _bounded(shared, mass_a, m_lo, gate, scale, cfg):
            out.append(k)
    return out


def _prune_arrays(
    query: str,
    qwords: set[str],
    texts: Sequence[str],
    sets: Sequence[set[str]],
    df: dict[str, int],
    n: int,
    cfg: VerifyConfig,
) -> list[int]:
    """:func:`_prune` with the per-candidate sums made by numpy over word numbers.

    The same bound (the candidates kept are those :func:`_prune` keeps; the tests compare
    both): every candidate's words are numbered through one dictionary, the weight each adds
    to ``shared`` and to ``mass_b`` is gathered from arrays and summed per candidate with
    ``bincount``; only candidates with splittable words take the per-word path.
    """
    k_all = len(texts)
    if cfg.near_copy <= 0 or cfg.threshold <= 0 or not k_all:
        return list(range(k_all))
    keys = list(df)
    counts = np.fromiter(df.values(), np.int64, len(df))
    wt_arr = np.log((n + 1) / (counts + 1.0)) + 1.0
    number = dict(zip(keys, range(len(keys))))
    # words a verifier may split (document count 1, at least 4 characters)
    glue = np.zeros(len(keys), dtype=bool)
    for i in np.flatnonzero(counts == 1).tolist():
        glue[i] = len(keys[i]) >= 4
    a_words = WordWeights.document_words(query, df)
    a_ids = np.fromiter(map(number.__getitem__, a_words), np.int64, len(a_words))
    wa_arr = np.zeros(len(keys))
    wa_arr[a_ids] = wt_arr[a_ids]
    wa_list = wa_arr[a_ids].tolist()
    mass_a = math.fsum(wa_list)
    # crude[g]: the heaviest 2g query words (a glued word adds at most two halves)
    heavy = np.sort(np.asarray(wa_list))[::-1]
    crude = np.concatenate(([0.0], np.cumsum(heavy)))
    lens = np.fromiter(map(len, sets), np.int64, k_all)
    flat = np.fromiter(
        map(number.__getitem__, itertools.chain.from_iterable(sets)), np.int64, int(lens.sum())
    )
    row = np.repeat(np.arange(k_all), lens)
    g = glue[flat]
    shared = np.bincount(row, weights=wa_arr[flat], minlength=k_all)
    m_lo = np.bincount(row, weights=np.where(g, 0.0, wt_arr[flat]), minlength=k_all)
    n_glued = np.bincount(row, weights=g, minlength=k_all).astype(np.int64)
    bound = shared + crude[np.minimum(2 * n_glued, len(heavy))]
    drop = _bounded_arrays(bound, mass_a, m_lo, cfg)
    wa = dict(zip(a_words, wa_list))
    split_gain = _split_gains(df, wa)

    maybe = np.flatnonzero(~drop & (n_glued > 0)).tolist()
    if maybe:
        starts = np.concatenate(([0], np.cumsum(lens)))
        for k in maybe:
            ids = flat[starts[k] : starts[k + 1]]
            gw = [keys[i] for i in ids[g[starts[k] : starts[k + 1]]].tolist()]
            shared[k] += sum(map(split_gain, gw))
        drop[maybe] = _bounded_arrays(shared[maybe], mass_a, m_lo[maybe], cfg)
    keep = ~drop & (lens > 0)
    for k, text in enumerate(texts):
        if text == query:  # equal texts are always kept
            keep[k] = True
    return np.flatnonzero(keep).tolist()


class _UnionCounts(Mapping[str, int]):
    """The document counts of a check's words (query + candidates) by word, as the ``df``
    dictionary of :meth:`Index._verify` holds them, made from word numbers: query words
    from ``query``, a candidate word (``member[number] == mark``) from the counts by number
    (at least 1: a word removed meanwhile counts 1)."""

    def __init__(
        self,
        query: dict[str, int],
        vocab: dict[str, int],
        words: Sequence[str],
        member: np.ndarray,
        count_of: np.ndarray,
        mark: Any = True,
    ) -> None:
        self._q = query
        self._vocab, self._words = vocab, words
        self._member, self._count_of, self._mark = member, count_of, mark

    def __getitem__(self, word: str) -> int:
        d = self.get(word)
        if d is None:
            raise KeyError(word)
        return d  # type: ignore[no-any-return]

    def get(self, word: str, default: Any = None) -> Any:  # (Mapping's goes through a raise)
        d = self._q.get(word)
        if d is not None:
            return d
        num = self._vocab.get(word)
        if num is not None and num < len(self._member) and self._member[num] == self._mark:
            return max(1, int(self._count_of[num]))
        return default

    def __contains__(self, word: object) -> bool:
        return self.get(word) is not None  # type: ignore[arg-type]

    def counts(self, words: Iterable[str]) -> dict[str, int]:
        """``{w: self[w] for w in words}`` (KeyError for a word of no compared text), the
        candidate words' counts gathered by number at once."""
        q = self._q
        out: dict[str, int] = {}
        rest = []
        for w in words:
            d = q.get(w)
            if d is None:
                rest.append(w)
            else:
                out[w] = d
        if not rest:
            return out
        vocab, member = self._vocab, self._member
        nums = np.fromiter((vocab.get(w, -1) for w in rest), np.int64, len(rest))
        ok = (nums >= 0) & (nums < len(member))
        ok[ok] = member[nums[ok]] == self._mark
        if not ok.all():
            raise KeyError(rest[int(np.flatnonzero(~ok)[0])])
        out.update(zip(rest, np.maximum(1, self._count_of[nums]).tolist()))
        return out

    def __iter__(self) -> Iterator[str]:
        words = {w: None for w in self._q}
        words.update(
            (self._words[n], None) for n in np.flatnonzero(self._member == self._mark).tolist()
        )
        return iter(words)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _prune_ids(
    query: str,
    qwords: set[str],
    qlist: Sequence[str],
    ids: WordIds,
    same: Sequence[int],
    cfg: VerifyConfig,
) -> tuple[list[int], _UnionCounts, int]:
    """:func:`_prune_arrays` over word numbers: the candidates kept, the counts ``df`` of the
    check's words (a mapping over the words of the query and the candidates) and ``n``.

    The same bound, the same candidates kept (the tests compare with :func:`_prune`), made
    without the candidates' texts: ``ids`` gives each candidate word's number, count and
    length, so weights are gathered per word by numpy; only the glued words of candidates the
    crude bound cannot drop are looked up by string. ``same``: candidates whose text equals
    the query (always kept). ``qlist``: the query's words, in the order of
    ``ids.query_counts``.
    """
    flat, lens = ids.flat, ids.lens
    k_all = len(lens)
    vocab = ids.vocab
    q_df = ids.query_counts + 1  # the query is one more document of each of its words
    q_all = ids.query_nums
    if q_all is None:
        q_all = np.fromiter((vocab.get(w, 0) for w in qlist), np.int64, len(qlist))
    scratch = ids.scratch
    if ids.df is not None:
        df_f = ids.df  # (gathered with the words)
    else:
        q_nums = q_all[q_all > 0]
        if scratch is not None and len(flat) and len(q_nums):
            scratch[q_nums] = 1.0  # a dense mark per number: one gather instead of a search
            inq = scratch[flat] > 0.0
            scratch[q_nums] = 0.0
        else:
            inq = np.isin(flat, q_nums, kind="table") if len(q_nums) and len(flat) else False
        df_f = np.maximum(1, ids.counts + inq)  # a word removed meanwhile counts 1
    n = max(ids.n_docs + 1, int(df_f.max(initial=1)), int(q_df.max(initial=1)))
    member, mark = ids.member, ids.member_mark
    if member is None:
        member = np.zeros(max(len(ids.words), int(flat.max(initial=0)) + 1), dtype=bool)
        member[flat] = mark = True
    df_of = _UnionCounts(
        dict(zip(qlist, q_df.tolist())), vocab, ids.words, member, ids.count_of, mark
    )
    if cfg.near_copy <= 0 or cfg.threshold <= 0 or not k_all:
        return list(range(k_all)), df_of, n

    def splittable() -> np.ndarray:  # words a verifier may split (count 1, 4+ characters)
        glue = df_f == 1
        if ids.lengths is not None:
            glue &= ids.lengths >= 4
        else:  # (only the few count-1 words' lengths are looked up)
            at = np.flatnonzero(glue)
            glue[at] = ids.length_of[flat[at]] >= 4  # type: ignore[index]
        return glue

    a_words, a_df, a_nums = _query_words(qlist, q_df, q_all, df_of, vocab)
    wa_w = np.log((n + 1) / (a_df + 1.0)) + 1.0
    wa_list = wa_w.tolist()
    mass_a = math.fsum(wa_list)
    # crude[g]: the heaviest 2g query words (a glued word adds at most two halves)
    heavy = np.sort(wa_w)[::-1]
    crude = np.concatenate(([0.0], np.cumsum(heavy)))
    known = a_nums > 0  # (distinct words: distinct numbers)
    glue_f = None
    compiled = _bound_sums is not None and ids.lengths is None and ids.length_of is not None
    if compiled and scratch is not None and len(flat):
        # one compiled pass: the query weights marked by number in the scratch array
        scratch[a_nums[known]] = wa_w[known]
        shared, m_lo, n_glued = _bound_sums(flat, lens, df_f, ids.length_of, scratch, n + 1.0)
        scratch[a_nums[known]] = 0.0
    else:
        # the query weight of each candidate word (0 for a word the query does not have)
        if scratch is not None and len(flat):
            scratch[a_nums[known]] = wa_w[known]
            wa_f = scratch[flat]
            scratch[a_nums[known]] = 0.0
        else:
            order = np.argsort(a_nums)
            a_sorted, a_wsorted = a_nums[order], wa_w[order]
            wa_f = np.zeros(len(flat))
            if len(a_sorted) and len(flat):
                pos = np.minimum(np.searchsorted(a_sorted, flat), len(a_sorted) - 1)
                hit = a_sorted[pos] == flat
                wa_f[hit] = a_wsorted[pos[hit]]
        glue_f = splittable()
        wt_f = np.log((n + 1) / (df_f + 1.0)) + 1.0
        shared = _segment_sums(wa_f, lens)
        m_lo = _segment_sums(np.where(glue_f, 0.0, wt_f), lens)
        n_glued = _segment_sums(glue_f.astype(np.int64), lens)
    bound = shared + crude[np.minimum(2 * n_glued, len(heavy))]
    drop = _bounded_arrays(bound, mass_a, m_lo, cfg)

    maybe = np.flatnonzero(~drop & (n_glued > 0)).tolist()
    if maybe:
        split_gain = _split_gains(df_of, dict(zip(a_words, wa_list)))  # type: ignore[arg-type]
        words = ids.words
        if glue_f is None:
            glue_f = splittable()
        starts = np.concatenate(([0], np.cumsum(lens)))
        for k in maybe:
            lo, hi = starts[k], starts[k + 1]
            gw = [words[i] for i in flat[lo:hi][glue_f[lo:hi]].tolist()]
            shared[k] += sum(map(split_gain, gw))
        drop[maybe] = _bounded_arrays(shared[maybe], mass_a, m_lo[maybe], cfg)
    keep = ~drop & (lens > 0)
    keep[list(same)] = True  # equal texts are always kept
    return np.flatnonzero(keep).tolist(), df_of, n


def _query_words(
    qlist: Sequence[str],
    q_df: np.ndarray,
    q_nums: np.ndarray,
    df_of: Mapping[str, int],
    vocab: Mapping[str, int],
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The query's words after splitting glued ones (``WordWeights.document_words`` of the
    query with the counts ``df_of``), their counts and numbers (0: stored nowhere).

    ``qlist``: the query's distinct words, with their counts ``q_df`` (the query included)
    and numbers ``q_nums``. Only a word of count 1 and 4+ characters can split, so the
    others keep their counts and numbers without a lookup.
    """
    glued = {w for w, c in zip(qlist, q_df.tolist()) if c == 1 and len(w) >= 4}
    if not glued:
        return list(qlist), q_df, q_nums
    split = WordWeights.document_words(" ".join(sorted(glued)), df_of)
    words = list((set(qlist) - glued) | split)
    counts = np.fromiter(map(df_of.__getitem__, words), np.int64, len(words))
    nums = np.fromiter((vocab.get(w, 0) for w in words), np.int64, len(words))
    return words, counts, nums


def _segment_sums(values: np.ndarray, lens: np.ndarray) -> np.ndarray:
    """Sums of consecutive runs of ``values``, ``lens[k]`` long each (0 for an empty run)."""
    out = np.zeros(len(lens), dtype=values.dtype)
    if not len(values):
        return out
    starts = np.cumsum(lens) - lens
    full = lens > 0
    out[full] = np.add.reduceat(values, starts[full])
    return out


def _bounded_arrays(
    shared: np.ndarray, mass_a: float, mass_b_lo: np.ndarray, cfg: VerifyConfig
) -> np.ndarray:
    """:func:`_bounded` for arrays of candidates (the same float operations, elementwise)."""
    small = np.minimum(mass_a, mass_b_lo)
    big = np.maximum(mass_a, mass_b_lo)
    safe = np.where(small > 0, small, 1.0)
    wcont = np.minimum(1.0, (shared + _EPS) / safe)
    wjac = np.minimum(1.0, (shared + _EPS) / np.where(big > 0, big, 1.0))
    story = np.minimum(_STORY_SCALE * (wjac + wcont) / 2.0, STORY_MAX)
    return (small > 0) & (wcont < _GATE - _EPS) & (story < cfg.threshold - _EPS)


def _bounded(
    shared: float, mass_a: float, mass_b_lo: float, gate: float, scale: float, cfg: VerifyConfig
) -> bool:
    """True when ``shared`` (an upper bound) and ``mass_b_lo`` (a lower bound) prove the pair
    distinct (see :func:`_prune`)."""
    small = min(mass_a, mass_b_lo)
    if small <= 0:
        return False
    wcont = min(1.0, (shared + _EPS) / small)
    wjac = min(1.0, (shared + _EPS) / max(mass_a, mass_b_lo))
    story = min(scale * (wjac + wcont) / 2.0, STORY_MAX)
    return wcont < gate - _EPS and story < cfg.threshold - _EPS


def _check_id(doc_id: Any) -> str:
    if isinstance(doc_id, bool) or not isinstance(doc_id, (str, int)) or doc_id == "":
        raise InputError(f"document id must be a non-empty string or an integer, got {doc_id!r}")
    return str(doc_id)


def _published_of(item: DocLike) -> Any:
    if isinstance(item, Document):
        return item.meta.get("published_at")
    if isinstance(item, dict):
        return item.get("published_at")
    return None


def dumps_settings(config: DedupConfig, retention: float | None) -> str:
    return json.dumps(
        {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            **settings_of(config),
            "retention": retention,
        },
        sort_keys=True,
    )


def check_stored(
    where: str,
    meta: dict[str, Any],
    config: DedupConfig | None,
    readable: tuple[int, ...] = (FORMAT_VERSION,),
) -> DedupConfig:
    """Validate a stored meta record; return the config to use.

    ``readable``: the format versions the backend can read (their layouts are identical
    for it); any other is refused with a message saying to rebuild.
    """
    if meta.get("format") != FORMAT:
        raise IndexFormatError(f"{where} is not a dedup index (no '{FORMAT}' format marker)")
    version = meta.get("format_version")
    if version not in readable:
        made = _FORMAT_HISTORY.get(version)
        reads = " or ".join(f"{v} ({_FORMAT_HISTORY[v]})" for v in sorted(readable))
        raise IndexFormatError(
            f"{where} has index format version {version!r}"
            + (f" ({made})" if made else "")
            + f"; this dedup reads version {reads}: "
            "rebuild the index with this version (dedup index add NEW_DB INPUT...)"
        )
    try:
        stored_cfg = DedupConfig.from_dict(meta["config"])
    except (KeyError, TypeError, ValueError) as exc:
        raise IndexFormatError(f"{where}: stored settings are unreadable ({exc})") from None
    stored = {"config": meta["config"], "rules": meta.get("rules")}
    if config is None:
        # the stored settings, but this dedup's normalizer and rule files must still agree
        compare_settings(where, stored, settings_of(stored_cfg), asked_by_caller=False)
        return stored_cfg
    compare_settings(where, stored, settings_of(config), asked_by_caller=True)
    return config
