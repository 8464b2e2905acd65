"""Matching stages: pair verification and clustering."""

from dedup.match.cluster import Assignment, assign_clusters
from dedup.match.verify import PairScore, Verifier, WordWeights, score_query, score_texts

__all__ = [
    "Assignment",
    "PairScore",
    "Verifier",
    "WordWeights",
    "assign_clusters",
    "score_query",
    "score_texts",
]
