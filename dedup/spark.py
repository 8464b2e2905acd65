"""``dedup.spark``: the dedup pipeline on Apache Spark (see :mod:`dedup.engines.spark`).

Needs the ``spark`` extra (``pip install 'dedup-news[spark]'``) only when a function is
called; importing this module (or ``dedup``) does not import pyspark.
"""

from __future__ import annotations

from dedup.engines.spark import (
    RESULT_COLUMNS,
    SparkClusterResult,
    bucket_pairs,
    cluster_dataframe,
    cluster_spark,
    connected_components,
    lsh_pairs,
    read_inputs,
    session,
)

__all__ = [
    "RESULT_COLUMNS",
    "SparkClusterResult",
    "bucket_pairs",
    "cluster_dataframe",
    "cluster_spark",
    "connected_components",
    "lsh_pairs",
    "read_inputs",
    "session",
]
