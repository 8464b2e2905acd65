"""Frozen configuration for every stage.

Each stage takes its own small config; :class:`DedupConfig` bundles them for the one-call
pipeline. Configs are plain data: they can be turned into a dict (:meth:`DedupConfig.to_dict`)
and stored next to signatures or in an index, so data always records the settings that made it.

Examples
--------
>>> from dedup.config import DedupConfig, ShingleConfig
>>> cfg = DedupConfig(shingle=ShingleConfig(kind="word", size=5))
>>> cfg.shingle.size
5
>>> DedupConfig.from_dict(cfg.to_dict()) == cfg
True
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Literal

#: Bumped whenever normalization or boilerplate rules change what text a document hashes to.
NORMALIZER_VERSION = 1

ShingleKind = Literal["word", "char"]
HashName = Literal["dedup32", "sha1_32"]
Representative = Literal["first", "longest"]
ClusterMethod = Literal["star", "connected"]


@dataclass(frozen=True)
class NormalizeConfig:
    """How raw text becomes a token sequence.

    Parameters
    ----------
    transliterate : bool
        Fold accents and other scripts to ASCII with ``unidecode`` ("Bùi" -> "bui").
    lowercase : bool
        Casefold the text.
    """

    transliterate: bool = True
    lowercase: bool = True

    def __post_init__(self) -> None:
        _check_bool(self, "transliterate", "lowercase")


@dataclass(frozen=True)
class BoilerplateConfig:
    """What is stripped before hashing.

    Parameters
    ----------
    rules : bool
        Apply the rule file (agency credits, datelines, "Voir plus" tails, widgets ...).
    rules_path : str or None
        A rule file to use *instead of* the packaged one (same format, see
        ``dedup/text/rules/boilerplate.rules``).
    extra_rules_path : str or None
        A rule file applied *in addition to* the packaged rules.
    dedupe_lines : bool
        Drop a line that repeats an earlier line of the same document (doubled captions, titles).
    learn : bool
        Learn boilerplate lines that recur across the corpus being processed.
    learn_min_docs : int
        A line is learned boilerplate when it occurs in at least this many documents ...
    learn_min_fraction : float
        ... and in at least this fraction of all documents.
    learn_max_removed : float
        Never let learned lines remove more than this fraction of one document's text: many
        copies of the *same* story repeat all their lines, and those are content, not boilerplate.
    """

    rules: bool = True
    rules_path: str | None = None
    extra_rules_path: str | None = None
    dedupe_lines: bool = True
    learn: bool = True
    learn_min_docs: int = 5
    learn_min_fraction: float = 0.001
    learn_max_removed: float = 0.5

    def __post_init__(self) -> None:
        _check_bool(self, "rules", "dedupe_lines", "learn")
        if self.learn_min_docs < 2:
            raise ValueError(f"learn_min_docs must be >= 2, got {self.learn_min_docs}")
        _check_fraction(self, "learn_min_fraction", "learn_max_removed")


@dataclass(frozen=True)
class ShingleConfig:
    """How a token sequence becomes a set of shingles.

    Parameters
    ----------
    kind : {"word", "char"}
        Word n-grams over tokens, or character n-grams over the normalized text.
    size : int
        n. A document shorter than ``size`` gets one shingle: its whole normalized text.
    min_token_len : int
        Tokens shorter than this are left out before shingling. The default (4) keeps the
        content words of most languages and drops articles, prepositions and particles
        ("le", "de", "the", "of") without a language-specific stop-word list: two reports of
        one event share their names, places and key nouns, not their function words.
    """

    kind: ShingleKind = "word"
    size: int = 1
    min_token_len: int = 4

    def __post_init__(self) -> None:
        if self.kind not in ("word", "char"):
            raise ValueError(f"shingle kind must be 'word' or 'char', got {self.kind!r}")
        if not isinstance(self.size, int) or self.size < 1:
            raise ValueError(f"shingle size must be a positive integer, got {self.size!r}")
        if not isinstance(self.min_token_len, int) or self.min_token_len < 1:
            raise ValueError(
                f"min_token_len must be a positive integer, got {self.min_token_len!r}"
            )


@dataclass(frozen=True)
class MinHashConfig:
    """MinHash signature settings (datasketch 2.0 ``affine32`` scheme).

    Parameters
    ----------
    num_perm : int
        Number of permutations (signature length).
    seed : int
        Seed of the permutations, as datasketch's ``MinHash(seed=...)``.
    hash : {"dedup32", "sha1_32"}
        Shingle hash. ``"dedup32"`` is the fast default
        (:func:`dedup.sketch.hashing.dedup_hash32`); ``"sha1_32"`` is datasketch's default
        ``sha1_hash32`` -- slower, but equal to ``datasketch.MinHash()`` with no ``hashfunc``.
    """

    num_perm: int = 128
    seed: int = 1
    hash: HashName = "dedup32"

    def __post_init__(self) -> None:
        if not isinstance(self.num_perm, int) or self.num_perm < 2:
            raise ValueError(f"num_perm must be an integer >= 2, got {self.num_perm!r}")
        if self.hash not in ("dedup32", "sha1_32"):
            raise ValueError(f"hash must be 'dedup32' or 'sha1_32', got {self.hash!r}")


@dataclass(frozen=True)
class LSHConfig:
    """LSH banding: ``bands * rows`` must not exceed ``num_perm``.

    With the defaults (42 bands of 3 rows, 126 of the 128 slots) two documents whose shingle
    sets have Jaccard similarity ``s`` become candidates with probability
    ``1 - (1 - s**3) ** 42``: 0.995 at s = 0.45, 0.68 at s = 0.3, 0.13 at s = 0.15,
    0.005 at s = 0.05. Rewrites of one report share about half their content words
    (s ~ 0.5); the MinHash estimate of s wobbles by +-0.05 at 128 permutations, so the
    curve must already be near 1 at 0.4.

    Parameters
    ----------
    bands, rows : int
        Number of bands and rows per band.
    max_bucket : int
        Buckets larger than this pair every member with the bucket's first member only,
        so one huge bucket cannot make the candidate set quadratic.
    min_similarity : float
        Candidates whose signatures agree in fewer than this fraction of slots (the MinHash
        estimate of their Jaccard similarity) are dropped before verification: a cheap,
        vectorized filter that keeps the verifier for pairs that can still pass it.
    """

    bands: int = 42
    rows: int = 3
    max_bucket: int = 200
    min_similarity: float = 0.25

    def __post_init__(self) -> None:
        if self.bands < 1 or self.rows < 1:
            raise ValueError(f"bands and rows must be >= 1, got {self.bands} x {self.rows}")
        if self.max_bucket < 2:
            raise ValueError(f"max_bucket must be >= 2, got {self.max_bucket}")
        _check_fraction(self, "min_similarity")

    def candidate_probability(self, jaccard: float) -> float:
        """Probability that a pair with this Jaccard similarity becomes a candidate.

        >>> round(LSHConfig().candidate_probability(0.5), 3)
        0.996
        """
        return float(1.0 - (1.0 - jaccard**self.rows) ** self.bands)


@dataclass(frozen=True)
class VerifyConfig:
    """How a candidate pair is scored and labelled (see :mod:`dedup.match.verify`).

    Parameters
    ----------
    threshold : float
        Pairs with ``score >= threshold`` are duplicates; one knob from "same story" to "only
        copies": about 0.5 (default) finds the same story told in other words, 0.55-0.7 only
        close rewrites, above 0.75 only copies (exact, with boilerplate, truncated, noisy;
        rewrite scores are capped at 0.75), 1.0 only copies contained in full. Below 0.45 other
        stories on the same beat pass (see docs/quality.md for measured precision/recall).
    near_copy : float
        Containment (share of the shorter text's space-free character 10-grams found in the
        other) at or above which a duplicate is labelled ``near_copy`` instead of ``same_story``.
    """

    threshold: float = 0.5
    near_copy: float = 0.8

    def __post_init__(self) -> None:
        _check_fraction(self, "threshold", "near_copy")


@dataclass(frozen=True)
class ClusterConfig:
    """How verified pairs become clusters.

    Parameters
    ----------
    method : {"star", "connected"}
        ``"star"`` (default): clusters grow around the most connected documents; every member
        is verified against its cluster's representative, and a rewrite also against most
        rewrites already in, so A~B and B~C never put A with C unless A~C (see
        :mod:`dedup.match.cluster`). ``"connected"``: union-find over all verified pairs
        (transitive; can chain).
    representative : {"first", "longest"}
        Preference among equally connected documents when choosing representatives: the
        earliest in input order, or the longest text.
    """

    method: ClusterMethod = "star"
    representative: Representative = "first"

    def __post_init__(self) -> None:
        if self.method not in ("star", "connected"):
            raise ValueError(f"method must be 'star' or 'connected', got {self.method!r}")
        if self.representative not in ("first", "longest"):
            raise ValueError(
                f"representative must be 'first' or 'longest', got {self.representative!r}"
            )


@dataclass(frozen=True)
class DedupConfig:
    """All settings of one run; what an index or a signature file records."""

    normalize: NormalizeConfig = field(default_factory=NormalizeConfig)
    boilerplate: BoilerplateConfig = field(default_factory=BoilerplateConfig)
    shingle: ShingleConfig = field(default_factory=ShingleConfig)
    minhash: MinHashConfig = field(default_factory=MinHashConfig)
    lsh: LSHConfig = field(default_factory=LSHConfig)
    verify: VerifyConfig = field(default_factory=VerifyConfig)
    cluster: ClusterConfig = field(default_factory=ClusterConfig)

    def __post_init__(self) -> None:
        if self.lsh.bands * self.lsh.rows > self.minhash.num_perm:
            raise ValueError(
                f"LSH bands*rows = {self.lsh.bands}*{self.lsh.rows} exceeds num_perm "
                f"{self.minhash.num_perm}: pass fewer bands/rows or a larger num_perm"
            )

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (JSON-ready), including the normalizer version."""
        d = asdict(self)
        d["normalizer_version"] = NORMALIZER_VERSION
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DedupConfig:
        """Inverse of :meth:`to_dict`; unknown keys raise ``ValueError``."""
        parts = {f.name: f.type for f in fields(cls)}
        kwargs = {}
        for key, value in data.items():
            if key == "normalizer_version":
                continue
            if key not in parts:
                raise ValueError(f"unknown config section {key!r}; expected one of {sorted(parts)}")
            kwargs[key] = _SECTIONS[key](**value)
        return cls(**kwargs)

    def replace(self, **changes: Any) -> DedupConfig:
        """Copy with whole sections replaced, e.g. ``cfg.replace(shingle=ShingleConfig(size=5))``."""
        return replace(self, **changes)


_SECTIONS = {
    "normalize": NormalizeConfig,
    "boilerplate": BoilerplateConfig,
    "shingle": ShingleConfig,
    "minhash": MinHashConfig,
    "lsh": LSHConfig,
    "verify": VerifyConfig,
    "cluster": ClusterConfig,
}


def _check_bool(obj: object, *names: str) -> None:
    for name in names:
        if not isinstance(getattr(obj, name), bool):
            raise ValueError(f"{name} must be True or False, got {getattr(obj, name)!r}")


def _check_fraction(obj: object, *names: str) -> None:
    for name in names:
        value = getattr(obj, name)
        if not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0:
            raise ValueError(f"{name} must be a number between 0 and 1, got {value!r}")
