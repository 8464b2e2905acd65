"""The dedup pipeline on Apache Spark: the same clusters as :func:`dedup.cluster`, distributed.

Every text stage runs the library's own code inside ``mapInPandas`` (Arrow batches), so the
Spark engine cannot drift from the local one:

1. **ordinal**: each row gets its input position (``0 .. n-1``; partition order, or the sort
   order of ``order_col``) -- the local engine's "input order".
2. **boilerplate rules** (:func:`dedup.text.boilerplate.strip_boilerplate`) per document;
   **learned boilerplate** corpus-wide: distinct documents per normalized kept line are
   counted with a ``groupBy``, the threshold is the one of
   :func:`dedup.text.boilerplate.count_lines`, and the learned lines are removed with
   :func:`dedup.text.boilerplate.apply_learned`.
3. **normalize, shingle, MinHash, band keys** (:func:`dedup.text.normalize`,
   :func:`dedup.sketch.minhash.minhash_texts`, :func:`dedup.sketch.lsh.band_keys`).
4. **LSH as a shuffle** (:func:`lsh_pairs`): bucket sizes are counted first (``count`` and
   ``min`` per ``(band, key)``, combined map-side); a bucket of at most ``max_bucket``
   documents is collected and gives all its pairs, a larger one gives a star on its first
   document row by row, never gathered (the rule of
   :func:`dedup.sketch.lsh.candidate_pairs`); then the signature prefilter :func:`dedup.sketch.lsh.filter_pairs`, plus pairs of equal
   normalized texts (star on the first, grouped by a SHA-256 of the text).
5. **verification** of candidate pairs (:class:`dedup.match.verify.Verifier`).
6. **connected components** of the verified graph with DataFrame operations only
   (:func:`connected_components`: min-label propagation with pointer jumping), then the
   exact local clustering (:func:`dedup.match.cluster.assign_clusters`, star or connected)
   *per component* in ``applyInPandas``. Star clustering never crosses a component and only
   the relative order of a component's documents matters, so the result is the local one.
7. **cluster numbers**: rank of each cluster's first document in input order, as locally.

Examples
--------
The bucket rule, without Spark:

>>> import numpy as np
>>> bucket_pairs(np.array([7, 3, 5]), max_bucket=200)
(array([3, 3, 5]), array([5, 7, 7]))
>>> bucket_pairs(np.array([7, 3, 5]), max_bucket=2)
(array([3, 3]), array([5, 7]))

With Spark (``pip install 'dedup-news[spark]'``; Java 17+):

>>> from dedup.spark import cluster_dataframe, session          # doctest: +SKIP
>>> spark = session("local[2]")                                  # doctest: +SKIP
>>> df = spark.createDataFrame([("a", "Le ministre a signé l'accord à Moscou."),
...                             ("b", "Le ministre a signé l’accord à Moscou. Photo : VNA")],
...                            "id string, text string")         # doctest: +SKIP
>>> [tuple(r) for r in cluster_dataframe(df).select("id", "representative").collect()]
... # doctest: +SKIP
[('a', 'a'), ('b', 'a')]
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from dedup.config import DedupConfig
from dedup.errors import DedupError, InputError
from dedup.match.cluster import assign_clusters
from dedup.match.verify import Verifier, WordWeights
from dedup.sketch.lsh import band_keys, empty_rows, filter_pairs
from dedup.sketch.minhash import minhash_texts
from dedup.text.boilerplate import RuleSet, Stripped, apply_learned, rules_for, strip_boilerplate
from dedup.text.normalization import normalize

#: ``progress(stage, done, total)``, as :data:`dedup.pipeline.Progress`.
Progress = Callable[[str, int, int], None]

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from pyspark.sql import DataFrame, SparkSession

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

#: Columns :func:`cluster_dataframe` adds to its input.
RESULT_COLUMNS = ("cluster", "representative", "duplicate", "score", "relation")

_P = "_dd_"  # prefix of internal columns
ORD = _P + "ord"


def _require_pyspark() -> None:
    try:
        import pyspark  # noqa: F401
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError(
            "dedup.spark needs pyspark, pandas and pyarrow: pip install 'dedup-news[spark]' "
            "(and Java 17+ for Spark 4)"
        ) from None


# ----------------------------------------------------------------------------- session


def session(
    master: str = "local[*]", app_name: str = "dedup", conf: dict[str, str] | None = None
) -> SparkSession:
    """A SparkSession set up for dedup (or the active one, if a session already runs).

    Makes a source checkout of ``dedup`` importable by local Python workers, uses the running
    interpreter for them, turns Arrow on and the console progress bar off. On a cluster,
    install ``dedup-news`` on the executors (or ship it with ``--py-files``).

    Parameters
    ----------
    master : str
        Spark master URL, e.g. ``local[*]``, ``local[2]``, ``spark://host:7077``, ``yarn``.
    app_name : str
        Application name.
    conf : dict, optional
        Extra Spark settings, applied last.
    """
    _require_pyspark()
    from pyspark.sql import SparkSession

    root = str(Path(__file__).resolve().parents[2])
    paths = os.environ.get("PYTHONPATH", "").split(os.pathsep)
    if root not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join([root, *[p for p in paths if p]])
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    settings = {
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.log.level": "ERROR",
    }
    if master.startswith("local"):
        cores = master[len("local[") : -1] if master.startswith("local[") else "1"
        n = (os.cpu_count() or 2) if cores in ("*", "") else int(cores.split(",")[0])
        settings["spark.sql.shuffle.partitions"] = str(max(2, 2 * n))
        settings["spark.driver.memory"] = os.environ.get("DEDUP_SPARK_DRIVER_MEMORY", "4g")
    settings.update(conf or {})
    builder = SparkSession.builder.master(master).appName(app_name)
    for key, value in settings.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


# ----------------------------------------------------------------------------- pure helpers


def bucket_pairs(members: np.ndarray, max_bucket: int) -> tuple[np.ndarray, np.ndarray]:
    """Candidate pairs ``(a, b)``, ``a < b``, of one LSH bucket (document ordinals).

    The rule of :func:`dedup.sketch.lsh.candidate_pairs`: every pair when the bucket holds at
    most ``max_bucket`` documents, else a star on its first (smallest) member.
    """
    m = np.sort(np.asarray(members, dtype=np.int64))
    if len(m) < 2:
        return m[:0], m[:0]
    if len(m) <= max_bucket:
        i, j = np.triu_indices(len(m), k=1)
        return m[i], m[j]
    return np.full(len(m) - 1, m[0]), m[1:]


def _stripped_from_lines(lines: Sequence[str], keys: Sequence[str]) -> Stripped:
    """A :class:`Stripped` whose kept lines are ``lines`` (what :func:`apply_learned` needs)."""
    spans, pos = [], 0
    for t in lines:
        spans.append(((pos, pos + len(t)),))
        pos += len(t)
    return Stripped("".join(lines), tuple(spans), (), tuple(keys))


# ----------------------------------------------------------------------------- batch functions
# Module-level so that Spark pickles them by reference; each takes an iterator of pandas
# DataFrames (Arrow batches) and yields pandas DataFrames.


def _strip_batches(
    batches: Iterator[pd.DataFrame], cfg: DedupConfig, rules: RuleSet
) -> Iterator[pd.DataFrame]:
    import pandas as pd

    for pdf in batches:
        lines, keys = [], []
        for text in pdf[_P + "text"]:
            s = strip_boilerplate(
                text, cfg.boilerplate, rules=rules, normalize_config=cfg.normalize
            )
            lines.append(["".join(s.source[a:b] for a, b in pieces) for pieces in s.lines])
            keys.append(list(s.keys))
        yield pd.DataFrame({ORD: pdf[ORD].to_numpy(), _P + "lines": lines, _P + "keys": keys})


def _hash_batches(
    batches: Iterator[pd.DataFrame], cfg: DedupConfig, learned: Any
) -> Iterator[pd.DataFrame]:
    import pandas as pd

    learned_set: frozenset[str] = learned.value if hasattr(learned, "value") else learned
    for pdf in batches:
        norms = []
        for lines, keys in zip(pdf[_P + "lines"], pdf[_P + "keys"]):
            s = _stripped_from_lines(list(lines), list(keys))
            if learned_set:
                s = apply_learned(s, learned_set, cfg.boilerplate)
            norms.append(normalize(s.text, cfg.normalize))
        sigs = minhash_texts(norms, cfg.shingle, cfg.minhash)
        if len(norms):
            bands = band_keys(sigs, cfg.lsh).view(np.int64)
            empty = empty_rows(sigs)
        else:
            bands = np.zeros((0, cfg.lsh.bands), dtype=np.int64)
            empty = np.zeros(0, dtype=bool)
        yield pd.DataFrame(
            {
                ORD: pdf[ORD].to_numpy(),
                _P + "norm": norms,
                _P + "len": np.fromiter((len(t) for t in norms), np.int64, len(norms)),
                _P + "sig": [row.tobytes() for row in sigs],
                _P + "bands": list(bands),
                _P + "empty": empty,
            }
        )


def _pair_batches(batches: Iterator[pd.DataFrame], max_bucket: int) -> Iterator[pd.DataFrame]:
    import pandas as pd

    for pdf in batches:
        parts_a, parts_b = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
        for members in pdf[_P + "members"]:
            a, b = bucket_pairs(np.asarray(members), max_bucket)
            parts_a.append(a)
            parts_b.append(b)
        yield pd.DataFrame({"a": np.concatenate(parts_a), "b": np.concatenate(parts_b)})


def _filter_batches(
    batches: Iterator[pd.DataFrame], num_perm: int, min_similarity: float
) -> Iterator[pd.DataFrame]:
    import pandas as pd

    for pdf in batches:
        m = len(pdf)
        if m == 0:
            continue
        sa = np.frombuffer(b"".join(pdf["sa"]), dtype=np.uint32).reshape(m, num_perm)
        sb = np.frombuffer(b"".join(pdf["sb"]), dtype=np.uint32).reshape(m, num_perm)
        local = np.arange(m, dtype=np.int64)
        kept = filter_pairs(
            np.concatenate((sa, sb)), np.stack((local, local + m), axis=1), min_similarity
        )[:, 0]
        yield pd.DataFrame({"a": pdf["a"].to_numpy()[kept], "b": pdf["b"].to_numpy()[kept]})


def _document_word_batches(batches: Iterator[pd.DataFrame], raw_bc: Any) -> Iterator[pd.DataFrame]:
    """Each document's words after splitting glued words (what WordWeights' df counts)."""
    import pandas as pd

    raw = raw_bc.value
    for pdf in batches:
        out = [w for t in pdf[_P + "norm"] for w in WordWeights.document_words(t, raw)]
        yield pd.DataFrame({"w": out}, dtype=object)


def _verify_batches(
    batches: Iterator[pd.DataFrame], cfg: DedupConfig, weights_bc: Any
) -> Iterator[pd.DataFrame]:
    import pandas as pd

    weights = weights_bc.value

    for pdf in batches:
        m = len(pdf)
        if m == 0:
            continue
        ords = np.concatenate((pdf["a"].to_numpy(), pdf["b"].to_numpy()))
        texts = list(pdf["ta"]) + list(pdf["tb"])
        uniq, inv = np.unique(ords, return_inverse=True)
        local_texts: list[str] = [""] * len(uniq)
        for k, t in zip(inv.tolist(), texts):
            local_texts[k] = t
        verifier = Verifier(local_texts, cfg.verify, weights=weights)
        scores = verifier.score_pairs(np.stack((inv[:m], inv[m:]), 1))
        yield pd.DataFrame(
            {
                "a": pdf["a"].to_numpy(),
                "b": pdf["b"].to_numpy(),
                "score": [s.score for s in scores],
                "relation": [s.relation for s in scores],
                "containment": [s.containment for s in scores],
                "fuzz": [s.fuzz for s in scores],
                "overlap": [s.overlap for s in scores],
            }
        )


def _assign_component(pdf: pd.DataFrame, cfg: DedupConfig) -> pd.DataFrame:
    """The local clustering of one connected component (edges ``a, b, score, relation``)."""
    import pandas as pd

    a, b = pdf["a"].to_numpy(np.int64), pdf["b"].to_numpy(np.int64)
    nodes = np.unique(np.concatenate((a, b)))  # sorted: input order
    lengths = np.zeros(len(nodes), dtype=np.int64)
    ia, ib = np.searchsorted(nodes, a), np.searchsorted(nodes, b)
    lengths[ia] = pdf["la"].to_numpy(np.int64)
    lengths[ib] = pdf["lb"].to_numpy(np.int64)
    edges = zip(ia.tolist(), ib.tolist(), pdf["score"].tolist(), pdf["relation"].tolist())
    asg = assign_clusters(len(nodes), edges, cfg.cluster, lengths=lengths.tolist())
    # first member (input order) of each local cluster: clusters are numbered by it
    first = np.full(int(asg.cluster.max()) + 1, -1, dtype=np.int64)
    for i, c in enumerate(asg.cluster.tolist()):
        if first[c] < 0:
            first[c] = i
    return pd.DataFrame(
        {
            ORD: nodes,
            _P + "rep": nodes[asg.representative],
            _P + "first": nodes[first[asg.cluster]],
            "score": asg.score,
            "relation": asg.relation,
        }
    )


# ----------------------------------------------------------------------------- Spark helpers


def _with_ordinal(df: DataFrame, name: str) -> tuple[DataFrame, int, DataFrame]:
    """``df`` plus a contiguous 0-based ordinal ``name`` in partition order, and the row count.

    Computed in the JVM (partition id + monotonically increasing id + per-partition offsets,
    one counting job), without moving rows through Python. The third value is the persisted
    frame the result is a projection of (unpersist it when done).
    """
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    pid, mono = _P + "pid", _P + "mono"
    tagged = (
        df.withColumn(pid, F.spark_partition_id())
        .withColumn(mono, F.monotonically_increasing_id())
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    counts = dict((int(r[0]), int(r[1])) for r in tagged.groupBy(pid).count().collect())
    offsets, total = [], 0
    for p in range(max(counts, default=-1) + 1):
        offsets.append(total)
        total += counts.get(p, 0)
    table = F.array(*[F.lit(o).cast("long") for o in offsets or [0]])
    out = tagged.withColumn(
        name, table[F.col(pid)] + F.col(mono) - F.shiftleft(F.col(pid).cast("long"), 33)
    ).drop(pid, mono)
    return out, total, tagged


def lsh_pairs(
    docs: DataFrame, max_bucket: int, *, doc_col: str = "doc", bands_col: str = "bands"
) -> DataFrame:
    """Distinct LSH candidate pairs ``a < b``: the rule of :func:`dedup.sketch.lsh.candidate_pairs`.

    A bucket (documents sharing the key of one band) of at most ``max_bucket`` documents gives
    all its pairs; a larger one gives a star on its first (smallest) document. Oversized
    buckets are never gathered in one place, so a key shared by millions of documents (empty
    templates, a story reprinted 10,000 times) costs what a normal key costs:

    1. ``(band, key) -> size, first``: a ``groupBy`` with ``count`` and ``min`` only, which
       Spark combines map-side (no list, no skew);
    2. each ``(band, key, doc)`` row of a shared bucket is joined to its bucket's size (the
       join streams the many rows of a giant key against one row);
    3. rows of oversized buckets become ``(first, doc)`` pairs row by row; only buckets of
       at most ``max_bucket`` documents are collected as lists (:func:`bucket_pairs`).

    Parameters
    ----------
    docs : DataFrame
        One row per document: a long ``doc_col`` (its input position) and an
        ``array<long>`` ``bands_col`` (its band keys, :func:`dedup.sketch.lsh.band_keys`).
        Leave out documents without shingles (they are never candidates).
    max_bucket : int
        :attr:`dedup.config.LSHConfig.max_bucket`.

    Returns
    -------
    DataFrame
        ``a long, b long``, without repeats (unordered).
    """
    from pyspark.sql import functions as F

    rows = docs.select(F.col(doc_col).alias("d"), F.posexplode(bands_col).alias("band", "key"))
    sizes = (
        rows.groupBy("band", "key")
        .agg(F.count("*").alias("size"), F.min("d").alias("first"))
        .filter(F.col("size") >= 2)
    )
    shared = rows.join(sizes, ["band", "key"])
    stars = shared.filter((F.col("size") > max_bucket) & (F.col("d") != F.col("first"))).select(
        F.col("first").alias("a"), F.col("d").alias("b")
    )
    cliques = (
        shared.filter(F.col("size") <= max_bucket)
        .groupBy("band", "key")
        .agg(F.collect_list("d").alias(_P + "members"))
        .select(_P + "members")
        .mapInPandas(lambda it: _pair_batches(it, max_bucket), "a long, b long")
    )
    return cliques.union(stars).distinct()


def connected_components(
    edges: DataFrame, src: str = "a", dst: str = "b", *, max_iter: int = 1000
) -> DataFrame:
    """Connected components of an undirected graph, with DataFrame operations only.

    Min-label propagation with pointer jumping: every node starts with the smallest id among
    itself and its neighbours; each round takes the smallest label among its neighbours, then
    jumps to its label's label. Labels only decrease and always name a node of the same
    component, so the fixed point labels each component with its smallest node. Rounds grow
    with the logarithm of a component's diameter, not with the diameter.

    Parameters
    ----------
    edges : DataFrame
        Integer node columns ``src`` and ``dst``.

    Returns
    -------
    DataFrame
        ``node, component`` for every node that has an edge (``component`` = smallest node).
    """
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    und = (
        edges.select(F.col(src).alias("u"), F.col(dst).alias("v"))
        .union(edges.select(F.col(dst).alias("u"), F.col(src).alias("v")))
        .filter(F.col("u") != F.col("v"))
        .distinct()
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    labels = (
        und.groupBy("u")
        .agg(F.min("v").alias("m"))
        .select(F.col("u").alias("node"), F.least("u", "m").alias("label"))
        .localCheckpoint()
    )
    for _ in range(max_iter):
        nbr = (
            und.join(labels.select(F.col("node").alias("v"), F.col("label").alias("lv")), "v")
            .groupBy("u")
            .agg(F.min("lv").alias("m"))
        )
        prop = labels.join(nbr.withColumnRenamed("u", "node"), "node").select(
            "node", F.least("label", "m").alias("label")
        )
        jumped = (
            prop.alias("x")
            .join(prop.alias("y"), F.col("x.label") == F.col("y.node"))
            .select(F.col("x.node").alias("node"), F.col("y.label").alias("label"))
            .join(labels.withColumnRenamed("label", "old"), "node")
            .localCheckpoint()
        )
        changed = jumped.filter(F.col("label") != F.col("old")).limit(1).count()
        labels = jumped.drop("old")
        if changed == 0:
            break
    else:  # pragma: no cover - needs a graph with a diameter beyond 2**max_iter
        raise DedupError(f"connected components did not converge in {max_iter} rounds")
    und.unpersist()
    return labels.withColumnRenamed("label", "component")


# ----------------------------------------------------------------------------- the pipeline


@dataclass
class SparkClusterResult:
    """Output of :func:`cluster_spark`.

    Attributes
    ----------
    records : DataFrame
        The input rows, in input order, plus ``cluster``, ``representative``, ``duplicate``,
        ``score`` and ``relation`` (as :class:`dedup.DocResult`).
    pairs : DataFrame
        Every verified candidate pair: ``a``, ``b`` (ids), ``score``, ``relation``,
        ``containment``, ``fuzz``, ``overlap`` (as :class:`dedup.Pair`).
    stats : dict
        The counts of :attr:`dedup.ClusterResult.stats`.
    learned : frozenset of str
        Lines learned as corpus boilerplate.
    """

    records: DataFrame
    pairs: DataFrame
    stats: dict[str, int]
    config: DedupConfig
    learned: frozenset[str] = frozenset()
    _persisted: list[DataFrame] = field(default_factory=list, repr=False)

    def unpersist(self) -> None:
        """Release the cached data ``records`` and ``pairs`` are built from."""
        for df in self._persisted:
            df.unpersist()


def _check_columns(df: DataFrame, id_col: str, text_col: str, order_col: str | None) -> None:
    cols = df.columns
    for name, what in ((id_col, "id_col"), (text_col, "text_col"), (order_col, "order_col")):
        if name is not None and name not in cols:
            raise InputError(
                f"DataFrame has no column {name!r} (columns: {', '.join(cols[:8])}); "
                f"pass {what}=NAME"
            )
    clash = [c for c in (*RESULT_COLUMNS, ORD) if c in cols]
    if clash:
        raise InputError(
            f"DataFrame already has column(s) {clash}, which the result adds; "
            "rename or drop them first"
        )


def _validate(base: DataFrame, id_col: str, text_col: str) -> None:
    """Null ids/texts and duplicate ids (one job), with the messages of :func:`dedup.as_documents`."""
    from pyspark.sql import functions as F

    bad = (
        base.groupBy(id_col)
        .agg(
            F.count("*").alias("n"),
            F.sort_array(F.collect_list(ORD)).alias("ords"),
            F.min(F.when(F.col(text_col).isNull(), F.col(ORD))).alias("null_text"),
        )
        .filter(F.col(id_col).isNull() | (F.col("n") > 1) | F.col("null_text").isNotNull())
        .select(
            id_col,
            F.col("ords")[0].alias("first"),
            F.col("ords")[1].alias("second"),
            "null_text",
        )
        .orderBy(
            F.when(F.col(id_col).isNull(), F.col("first")).otherwise(
                F.least(F.col("second"), F.col("null_text"))
            )
        )
        .limit(1)
        .collect()
    )
    if not bad:
        return
    doc_id, first, second, null_text = bad[0]
    if doc_id is None:
        raise InputError(f"document #{first}: id is null; every row needs an id")
    if null_text is not None and (second is None or null_text <= second):
        raise InputError(f"document {str(doc_id)!r}: text is null; pass a string (may be empty)")
    raise InputError(f"document #{second}: duplicate id {str(doc_id)!r} (first seen at #{first})")


def cluster_spark(
    df: DataFrame,
    config: DedupConfig | None = None,
    *,
    id_col: str = "id",
    text_col: str = "text",
    order_col: str | None = None,
    progress: Progress | None = None,
) -> SparkClusterResult:
    """Cluster the documents of a Spark DataFrame; the clusters of :func:`dedup.cluster`.

    Parameters
    ----------
    df : pyspark.sql.DataFrame
        One row per document, with an id column (unique) and a text column.
    config : DedupConfig, optional
        All settings; defaults to ``DedupConfig()``.
    id_col, text_col : str
        Column names.
    order_col : str, optional
        Column giving the input order (unique values). Without it, the order is the
        DataFrame's partition order (file order when read from files).
    progress : callable, optional
        ``progress(stage, done, total)``, called when a stage's Spark jobs are done.

    Returns
    -------
    SparkClusterResult
        ``records`` (input plus result columns, in input order), ``pairs``, ``stats``.
    """
    _require_pyspark()
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    cfg = config or DedupConfig()
    _check_columns(df, id_col, text_col, order_col)
    rules = rules_for(cfg.boilerplate)  # read on the driver: errors name the rule file
    spark = df.sparkSession
    mem = StorageLevel.MEMORY_AND_DISK
    report = progress or (lambda stage, done, total: None)

    ordered = df.orderBy(order_col) if order_col else df
    base, n, base_cache = _with_ordinal(ordered, ORD)
    _validate(base, id_col, text_col)
    report("read", n, n)

    # 1. rules, per document
    stripped = (
        base.select(ORD, F.col(text_col).alias(_P + "text"))
        .mapInPandas(
            lambda it: _strip_batches(it, cfg, rules),
            f"{ORD} long, {_P}lines array<string>, {_P}keys array<string>",
        )
        .persist(mem)
    )

    # 2. learned boilerplate, corpus-wide (threshold of dedup.text.boilerplate.count_lines)
    learned: frozenset[str] = frozenset()
    bp = cfg.boilerplate
    if bp.learn and n >= bp.learn_min_docs:
        need = max(bp.learn_min_docs, math.ceil(bp.learn_min_fraction * n))
        rows = (
            stripped.select(F.explode(F.array_distinct(_P + "keys")).alias("k"))
            .groupBy("k")
            .count()
            .filter(F.col("count") >= need)
            .select("k")
            .collect()
        )
        learned = frozenset(r[0] for r in rows)
    learned_bc = spark.sparkContext.broadcast(learned)
    report("learn", n, n)

    # 3. normalize, MinHash, band keys
    docs = stripped.mapInPandas(
        lambda it: _hash_batches(it, cfg, learned_bc),
        f"{ORD} long, {_P}norm string, {_P}len long, {_P}sig binary, "
        f"{_P}bands array<long>, {_P}empty boolean",
    ).persist(mem)
    n_empty = docs.filter(F.col(_P + "norm") == "").count()
    stripped.unpersist()
    report("hash", n, n)

    # 4. LSH: (band, key) is the shuffle key; oversized buckets never gathered (lsh_pairs)
    lsh = lsh_pairs(
        docs.filter(~F.col(_P + "empty")),
        cfg.lsh.max_bucket,
        doc_col=ORD,
        bands_col=_P + "bands",
    ).persist(mem)
    n_lsh = lsh.count()
    report("lsh", n_lsh, n_lsh)
    cands = lsh
    if cfg.lsh.min_similarity > 0.0:
        sig = docs.select(ORD, _P + "sig")
        cands = (
            lsh.join(sig.withColumnRenamed(ORD, "a").withColumnRenamed(_P + "sig", "sa"), "a")
            .join(sig.withColumnRenamed(ORD, "b").withColumnRenamed(_P + "sig", "sb"), "b")
            .select("a", "b", "sa", "sb")
            .mapInPandas(
                lambda it: _filter_batches(it, cfg.minhash.num_perm, cfg.lsh.min_similarity),
                "a long, b long",
            )
        )
    # pairs of equal non-empty normalized texts: a star on each group's first document
    digest = docs.filter(F.col(_P + "norm") != "").select(
        ORD, F.sha2(F.col(_P + "norm"), 256).alias("h")
    )
    firsts = digest.groupBy("h").agg(F.min(ORD).alias("a"))
    exact = (
        digest.join(firsts, "h").filter(F.col(ORD) != F.col("a")).select("a", F.col(ORD).alias("b"))
    )
    cands = cands.union(exact).distinct().persist(mem)
    n_cands = cands.count()
    report("candidates", n_cands, n_cands)
    lsh.unpersist()

    # 5. verification, with word weights (IDF) of the whole corpus, as the local Verifier
    words = F.explode(F.array_distinct(F.split(F.col(_P + "norm"), " "))).alias("w")
    raw_df = {
        r[0]: r[1]
        for r in docs.select(words).filter(F.col("w") != "").groupBy("w").count().collect()
    }
    raw_bc = spark.sparkContext.broadcast(raw_df)
    df_counts = {
        r[0]: r[1]
        for r in docs.select(_P + "norm")
        .mapInPandas(lambda it: _document_word_batches(it, raw_bc), "w string")
        .groupBy("w")
        .count()
        .collect()
    }
    weights_bc = spark.sparkContext.broadcast(WordWeights(raw_df, df_counts, n))
    text = docs.select(ORD, _P + "norm", _P + "len")
    verified = (
        cands.join(text.toDF("a", "ta", "la"), "a")
        .join(text.toDF("b", "tb", "lb"), "b")
        .select("a", "b", "ta", "tb")
        .sortWithinPartitions("a")  # a batch computes each document's features once
        .mapInPandas(
            lambda it: _verify_batches(it, cfg, weights_bc),
            "a long, b long, score double, relation string, containment double, "
            "fuzz double, overlap double",
        )
        .persist(mem)
    )
    edges = verified.filter(F.col("relation") != "distinct").persist(mem)
    n_edges = edges.count()
    report("verify", n_cands, n_cands)
    cands.unpersist()

    # 6. components (distributed), then the local clustering per component
    lengths = docs.select(ORD, _P + "len")
    if n_edges:
        comp = connected_components(edges)
        report("components", n_edges, n_edges)
        per_doc = (
            edges.join(comp.toDF("a", "comp"), "a")
            .join(lengths.toDF("a", "la"), "a")
            .join(lengths.toDF("b", "lb"), "b")
            .select("comp", "a", "b", "score", "relation", "la", "lb")
            .groupBy("comp")
            .applyInPandas(
                lambda pdf: _assign_component(pdf, cfg),
                f"{ORD} long, {_P}rep long, {_P}first long, score double, relation string",
            )
        )
    else:
        per_doc = spark.createDataFrame(
            [], f"{ORD} long, {_P}rep long, {_P}first long, score double, relation string"
        )

    # 7. every document: representative, and cluster = rank of the cluster's first document
    full = (
        base.select(ORD)
        .join(per_doc, ORD, "left")
        .select(
            ORD,
            F.coalesce(_P + "rep", ORD).alias(_P + "rep"),
            F.coalesce(_P + "first", ORD).alias(_P + "first"),
            F.when(F.isnan("score"), None).otherwise(F.col("score")).alias("score"),
            "relation",
        )
        .persist(mem)
    )
    first_docs = full.filter(F.col(ORD) == F.col(_P + "first")).select(_P + "first")
    ranked, n_clusters, ranked_cache = _with_ordinal(first_docs.orderBy(_P + "first"), "cluster")
    ids = base.select(ORD, id_col)
    result = (
        full.join(ranked, _P + "first")
        .join(ids.toDF(_P + "rep", "representative"), _P + "rep")
        .select(
            ORD,
            "cluster",
            "representative",
            (F.col(_P + "rep") != F.col(ORD)).alias("duplicate"),
            "score",
            "relation",
        )
    )
    pairs = (
        verified.join(ids.toDF("a", "a_id"), "a")
        .join(ids.toDF("b", "b_id"), "b")
        .orderBy("a", "b")
        .select(
            F.col("a_id").alias("a"),
            F.col("b_id").alias("b"),
            "score",
            "relation",
            "containment",
            "fuzz",
            "overlap",
        )
    )
    report("clusters", n_clusters, n_clusters)
    # ``full`` (materialized by the ranking job) and ``verified`` stay cached: the lazy
    # ``records`` and ``pairs`` are built from them; the rest is released.
    for cached in (edges, docs):
        cached.unpersist()

    records = base.join(result, ORD).orderBy(ORD).drop(ORD)
    stats = {
        "documents": n,
        "empty": n_empty,
        "learned_boilerplate_lines": len(learned),
        "lsh_pairs": n_lsh,
        "candidate_pairs": n_cands,
        "duplicate_pairs": n_edges,
        "clusters": n_clusters,
        # invalid rows raise (as the local engine's on_error="fail"); nothing is skipped
        "read": n,
        "skipped": 0,
    }
    return SparkClusterResult(
        records, pairs, stats, cfg, learned, [base_cache, full, ranked_cache, verified]
    )


def cluster_dataframe(
    df: DataFrame,
    config: DedupConfig | None = None,
    *,
    id_col: str = "id",
    text_col: str = "text",
    order_col: str | None = None,
) -> DataFrame:
    """``df`` with ``cluster``, ``representative``, ``duplicate``, ``score`` and ``relation``.

    The same values as :func:`dedup.cluster` gives for the same documents in the same order
    (see :func:`cluster_spark` for the parameters and the pairs and counts).
    """
    return cluster_spark(df, config, id_col=id_col, text_col=text_col, order_col=order_col).records


# ----------------------------------------------------------------------------- reading files


def _expand(path: str) -> list[tuple[str, Path | None]]:
    """Input -> ``(kind, file)`` in order: parquet/jsonl files go to Spark, the rest local."""
    if path == "-":
        return [("local", None)]
    p = Path(path)
    if p.is_dir():
        parquet = sorted(f for f in p.iterdir() if f.suffix.lower() == ".parquet" and f.is_file())
        if parquet:
            return [("parquet", f) for f in parquet]
        return [("local", p)]
    if not p.exists():
        raise InputError(f"{p}: no such file or directory")
    suffix = p.suffix.lower()
    if suffix == ".parquet":
        return [("parquet", p)]
    if suffix in (".jsonl", ".ndjson"):
        return [("jsonl", p)]
    return [("local", p)]


def _read_jsonl(spark: SparkSession, path: Path, id_field: str, text_field: str) -> DataFrame:
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType, StructField, StructType

    lines, _, _ = _with_ordinal(spark.read.text(str(path)), "line")
    corrupt = _P + "corrupt"
    schema = StructType(
        [
            StructField(id_field, StringType()),
            StructField(text_field, StringType()),
            StructField(corrupt, StringType()),
        ]
    )
    parsed = (
        lines.filter(F.trim("value") != "")
        .select(
            (F.col("line") + 1).alias("line"),
            F.from_json("value", schema, {"columnNameOfCorruptRecord": corrupt}).alias("r"),
        )
        .select("line", "r.*")
    )
    bad = (
        parsed.filter(
            F.col(corrupt).isNotNull()
            | F.col(id_field).isNull()
            | F.col(text_field).isNull()
            | (F.col(id_field) == "")
        )
        .orderBy("line")
        .limit(1)
        .collect()
    )
    if bad:
        row = bad[0]
        where = f"{path}:{row['line']}"
        if row[corrupt] is not None:
            raise InputError(f"{where}: invalid JSON (expected one JSON object per line)")
        if row[id_field] is None:
            raise InputError(f"{where}: no id field {id_field!r}; pass --id-field NAME")
        if row[id_field] == "":
            raise InputError(f"{where}: id must be a non-empty string or an integer, got ''")
        raise InputError(f"{where}: no text field {text_field!r}; pass --text-field NAME")
    return parsed.select(F.col(id_field).alias("id"), F.col(text_field).alias("text"))


def _read_parquet(spark: SparkSession, path: Path, id_field: str, text_field: str) -> DataFrame:
    from pyspark.sql import functions as F

    df = spark.read.parquet(str(path))
    for col, what in ((id_field, "id"), (text_field, "text")):
        if col not in df.columns:
            raise InputError(
                f"{path}: no {what} column {col!r} (columns: {', '.join(df.columns[:8])}); "
                f"pass --{what}-field NAME"
            )
    out = df.select(
        F.col(id_field).cast("string").alias("id"), F.col(text_field).cast("string").alias("text")
    )
    if out.filter(F.col("id").isNull() | F.col("text").isNull()).limit(1).count():
        numbered, _, _ = _with_ordinal(out, "row")
        row = numbered.filter(F.col("id").isNull() | F.col("text").isNull()).orderBy("row").first()
        what = "id" if row["id"] is None else "text"
        raise InputError(f"{path}: row {row['row'] + 1}: {what} is null")
    return out


def read_inputs(
    spark: SparkSession,
    paths: Sequence[str],
    *,
    id_field: str = "id",
    text_field: str = "text",
) -> DataFrame:
    """The CLI's inputs as one DataFrame ``id, text`` (strings), in input order.

    ``.parquet`` files (or directories of them) and ``.jsonl``/``.ndjson`` files are read by
    Spark; a directory of ``.txt`` files, a ``.txt`` or ``.csv`` file and ``-`` (stdin) go
    through :func:`dedup.io.read_inputs` on the driver. Errors name the file and line (row).
    """
    _require_pyspark()
    from dedup.io.readers import read_path

    parts: list[DataFrame] = []
    for path in paths:
        for kind, f in _expand(str(path)):
            if kind == "parquet":
                parts.append(_read_parquet(spark, f, id_field, text_field))  # type: ignore[arg-type]
            elif kind == "jsonl":
                parts.append(_read_jsonl(spark, f, id_field, text_field))  # type: ignore[arg-type]
            else:
                rows = [
                    (d.id, d.text)
                    for d in read_path(str(path), id_field=id_field, text_field=text_field)
                ]
                parts.append(spark.createDataFrame(rows, "id string, text string"))
    out = parts[0]
    for part in parts[1:]:
        out = out.union(part)
    return out
