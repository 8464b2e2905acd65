"""dedup: find near-duplicate and same-story news articles.

The one call is :func:`cluster`; every stage is public too:

>>> import dedup
>>> dedup.normalize("Bùi Van Nam") == dedup.normalize("Bui Van Nam")
True
>>> result = dedup.cluster([("a", "Le ministre a signé l'accord à Moscou."),
...                         ("b", "Le ministre a signé l’accord à Moscou. Photo : VNA")])
>>> [r.representative for r in result.records]
['a', 'a']
"""

from __future__ import annotations

__version__ = "0.1.0"

from dedup.config import (
    NORMALIZER_VERSION,
    BoilerplateConfig,
    ClusterConfig,
    DedupConfig,
    LSHConfig,
    MinHashConfig,
    NormalizeConfig,
    ShingleConfig,
    VerifyConfig,
)
from dedup.documents import Document, as_documents
from dedup.errors import ConfigMismatchError, DedupError, InputError, RuleFileError
from dedup.index import AddResult, Index, IndexFormatError, Match, open_index
from dedup.match.cluster import Assignment, assign_clusters
from dedup.match.verify import PairScore, Verifier, WordWeights, score_query, score_texts
from dedup.pipeline import ClusterResult, DocResult, Pair, cluster, prepare_texts
from dedup.report.explain import Explanation, explain
from dedup.sketch.hashing import dedup_hash32, hash_function, sha1_hash32
from dedup.sketch.lsh import band_keys, candidate_pairs
from dedup.sketch.minhash import (
    estimate_jaccard,
    from_datasketch,
    minhash_shingles,
    minhash_texts,
    to_datasketch,
)
from dedup.sketch.shingles import shingle_set, shingle_text, shingles
from dedup.text.boilerplate import (
    RemovedSpan,
    Stripped,
    learn_boilerplate,
    load_rules,
    strip_boilerplate,
)
from dedup.text.normalization import fold, normalize, tokenize

__all__ = [
    "NORMALIZER_VERSION",
    "AddResult",
    "Assignment",
    "BoilerplateConfig",
    "ClusterConfig",
    "ClusterResult",
    "ConfigMismatchError",
    "DedupConfig",
    "DedupError",
    "DocResult",
    "Document",
    "Explanation",
    "Index",
    "IndexFormatError",
    "InputError",
    "LSHConfig",
    "Match",
    "MinHashConfig",
    "NormalizeConfig",
    "Pair",
    "PairScore",
    "RemovedSpan",
    "RuleFileError",
    "ShingleConfig",
    "Stripped",
    "Verifier",
    "VerifyConfig",
    "WordWeights",
    "__version__",
    "as_documents",
    "assign_clusters",
    "band_keys",
    "candidate_pairs",
    "cluster",
    "dedup_hash32",
    "estimate_jaccard",
    "explain",
    "fold",
    "from_datasketch",
    "hash_function",
    "learn_boilerplate",
    "load_rules",
    "minhash_shingles",
    "minhash_texts",
    "normalize",
    "open_index",
    "prepare_texts",
    "score_query",
    "score_texts",
    "sha1_hash32",
    "shingle_set",
    "shingle_text",
    "shingles",
    "strip_boilerplate",
    "to_datasketch",
    "tokenize",
]
