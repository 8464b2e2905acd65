"""Execution engines that run the :mod:`dedup.pipeline` stages elsewhere than in one process.

* :mod:`dedup.engines.spark` -- the same clusters on Apache Spark (``pip install
  'dedup-news[spark]'``; importable as :mod:`dedup.spark`).

Engines import their heavy dependencies lazily: ``import dedup`` never imports pyspark.
"""

from __future__ import annotations

__all__: list[str] = []
