"""The Spark engine gives exactly the local engine's clusters (real Spark, local mode)."""

from __future__ import annotations

import importlib.util
import json
import random
import shutil
from pathlib import Path

import pytest

import dedup
from benchmarks.corpus import generate_corpus
from dedup.config import ClusterConfig, DedupConfig, LSHConfig, VerifyConfig
from dedup.errors import InputError

_MISSING = [m for m in ("pyspark", "pandas", "pyarrow") if importlib.util.find_spec(m) is None]
pytestmark = [
    pytest.mark.skipif(
        bool(_MISSING),
        reason=f"Spark engine tests need {', '.join(_MISSING)}: pip install '.[spark]'",
    ),
    pytest.mark.skipif(
        shutil.which("java") is None, reason="Spark engine tests need Java 17+ (java on PATH)"
    ),
]

# Small and quick: two cores, four shuffle partitions, no UI, a JVM tuned for short runs.
TEST_CONF = {
    "spark.sql.shuffle.partitions": "4",
    "spark.default.parallelism": "2",
    "spark.ui.enabled": "false",
    "spark.sql.codegen.wholeStage": "false",
    "spark.sql.adaptive.enabled": "false",
    "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
}
# the CLI's own JVM, tuned the same way
_SUBMIT_ARGS = (
    "--driver-java-options -XX:TieredStopAtLevel=1 --conf spark.sql.codegen.wholeStage=false "
    "--conf spark.sql.shuffle.partitions=4 pyspark-shell"
)
FIELDS = ("id", "cluster", "representative", "duplicate", "score", "relation")


@pytest.fixture(scope="session")
def spark():
    from dedup.spark import session

    s = session("local[2]", "dedup-tests", TEST_CONF)
    yield s
    s.stop()


@pytest.fixture(scope="session")
def corpus() -> list[dict[str, str]]:
    """A generated corpus with known duplicates (stories with copies, rewrites, boilerplate)."""
    return generate_corpus(240, seed=11, dup_fraction=0.4, languages=("fr",))


def _frame(spark, docs):
    return spark.createDataFrame([(d[0], d[1]) for d in docs], "id string, text string")


def _local_rows(docs, config=None):
    result = dedup.cluster(docs, config)
    return [tuple(r.to_dict()[f] for f in FIELDS) for r in result.records], result


def _assert_same(spark_rows, local_rows):
    assert len(spark_rows) == len(local_rows)
    for got, want in zip(spark_rows, local_rows):
        assert got[:4] == want[:4], (got, want)
        assert got[5] == want[5], (got, want)
        if want[4] is None:
            assert got[4] is None, (got, want)
        else:
            assert got[4] == pytest.approx(want[4], abs=1e-9), (got, want)


def _spark_rows(result):
    return [tuple(r[f] for f in FIELDS) for r in result.records.collect()]


def test_seeds_same_as_local(spark, seed_docs):
    from dedup.spark import cluster_spark

    want, local = _local_rows(seed_docs)
    result = cluster_spark(_frame(spark, seed_docs))
    _assert_same(_spark_rows(result), want)
    assert result.stats == local.stats
    assert result.records.columns == ["id", "text", *FIELDS[1:]]
    pairs = [(p.a, p.b, p.relation) for p in result.pairs.collect()]
    assert pairs == [(p.a, p.b, p.relation) for p in local.pairs]
    # the seeds' defining pair: 000 and 001 tell the same story
    assert want[1][2] == seed_docs[0][0]


FOOTERS = ("Suivez-nous sur les réseaux sociaux", "Abonnez-vous à notre lettre du matin")


def _with_footers(corpus):
    """The corpus with site footers on half the documents: corpus-wide boilerplate to learn."""
    rng = random.Random(5)
    docs = []
    for d in corpus:
        text = d["text"]
        if rng.random() < 0.5:
            text += "\n" + rng.choice(FOOTERS)
        docs.append((d["id"], text))
    docs.append(("short", "Deux mots.\n" + FOOTERS[0]))  # the footer is > half of it: kept
    return docs


def test_generated_corpus_same_as_local(spark, corpus):
    """Default settings, with learned boilerplate, on a corpus with known duplicates."""
    from dedup.spark import cluster_spark

    docs = _with_footers(corpus)
    want, local = _local_rows(docs)
    _, _, learned = dedup.prepare_texts([t for _, t in docs])
    result = cluster_spark(_frame(spark, docs))
    assert result.learned == learned
    assert {dedup.normalize(f) for f in FOOTERS} <= learned
    _assert_same(_spark_rows(result), want)
    assert result.stats == local.stats
    pairs = [(p.a, p.b, p.relation, p.score) for p in result.pairs.collect()]
    assert pairs == [(p.a, p.b, p.relation, p.score) for p in local.pairs]
    # not a vacuous comparison: the corpus's known duplicates were found
    multi = [c for c, ids in local.clusters.items() if len(ids) > 1]
    assert len(multi) >= 20
    story = {d["id"]: d["story"] for d in corpus}
    dups = [r for r in local.records if r.duplicate]
    assert sum(story[r.id] == story[r.representative] for r in dups) >= 0.9 * len(dups)


def test_longest_representative_and_star_buckets_same_as_local(spark, corpus):
    """representative=longest, a stricter verifier, and LSH buckets over 3 members as stars."""
    from dedup.spark import cluster_spark

    config = DedupConfig(
        cluster=ClusterConfig(representative="longest"),
        verify=VerifyConfig(threshold=0.6),
        lsh=LSHConfig(max_bucket=3),
    )
    docs = [(d["id"], d["text"]) for d in corpus]
    want, local = _local_rows(docs, config)
    result = cluster_spark(_frame(spark, docs), config)
    _assert_same(_spark_rows(result), want)
    assert result.stats == local.stats
    first: dict[int, str] = {}
    for r in want:
        first.setdefault(r[1], r[0])
    assert any(first[r[1]] != r[2] for r in want)  # a representative not first in its cluster


def test_connected_method_and_order_column(spark, corpus):
    """method=connected; rows arrive shuffled over partitions and ``order_col`` restores order."""
    from dedup.spark import cluster_dataframe

    config = DedupConfig(cluster=ClusterConfig(method="connected"), lsh=LSHConfig(max_bucket=2))
    docs = [(d["id"], d["text"]) for d in corpus]
    want, _ = _local_rows(docs, config)
    rows = [(k, i, t) for k, (i, t) in enumerate(docs)]
    random.Random(2).shuffle(rows)
    df = spark.createDataFrame(rows, "pos long, id string, text string").repartition(3)
    out = cluster_dataframe(df, config, order_col="pos").collect()
    _assert_same([tuple(r[f] for f in FIELDS) for r in out], want)
    assert [r["pos"] for r in out] == list(range(len(docs)))


def test_giant_bucket_same_as_local(spark, corpus):
    """1,000 copies of one article (each with its own last line) share LSH buckets far above
    max_bucket: stars on their first document, never gathered; exactly the local result."""
    import numpy as np

    from dedup.sketch.lsh import band_keys, candidate_pairs, empty_rows
    from dedup.sketch.minhash import minhash_texts
    from dedup.spark import cluster_spark, lsh_pairs

    story = corpus[0]["story"]
    copies = [
        (f"copy{k:04d}", f"{corpus[0]['text']}\nRéf. {k:04d}-{k * 7919 % 10007:05d}")
        for k in range(1000)
    ]
    docs = copies + [(d["id"], d["text"]) for d in corpus[1:] if d["story"] != story][:60]
    config = DedupConfig()
    _, norm, _ = dedup.prepare_texts([t for _, t in docs], config)
    sigs = minhash_texts(norm, config.shingle, config.minhash)
    keys = band_keys(sigs, config.lsh)
    biggest = max(np.unique(keys[:, b], return_counts=True)[1].max() for b in range(keys.shape[1]))
    assert biggest > 4 * config.lsh.max_bucket  # a giant bucket, not just a big one
    assert not empty_rows(sigs).any()

    # the LSH step alone: the local candidate pairs, stars included
    bands = spark.createDataFrame(
        [(i, row) for i, row in enumerate(keys.view(np.int64).tolist())],
        "doc long, bands array<long>",
    )
    got = sorted((r["a"], r["b"]) for r in lsh_pairs(bands, config.lsh.max_bucket).collect())
    assert got == [tuple(p) for p in candidate_pairs(sigs, config.lsh).tolist()]

    want, local = _local_rows(docs, config)
    result = cluster_spark(_frame(spark, docs), config)
    _assert_same(_spark_rows(result), want)
    assert result.stats == local.stats
    assert sum(r[2] == "copy0000" for r in want) == 1000  # the copies cluster on the first


def test_connected_components_long_chain(spark):
    """Pointer jumping converges to each component's smallest node, also on long paths."""
    from dedup.spark import connected_components

    edges = [(i, i + 1) for i in range(100, 160)]  # a path of 61 nodes
    edges += [(5, 9), (9, 7), (30, 7), (40, 41)]
    rng = random.Random(0)
    rng.shuffle(edges)
    df = spark.createDataFrame(edges, "a long, b long")
    got = {r["node"]: r["component"] for r in connected_components(df).collect()}
    want = {i: 100 for i in range(100, 161)} | {5: 5, 7: 5, 9: 5, 30: 5, 40: 40, 41: 40}
    assert got == want


def test_errors_name_the_document(spark):
    from dedup.spark import cluster_dataframe

    docs = [("a", "un texte"), ("b", "un autre"), ("a", "encore")]
    with pytest.raises(InputError) as local_err:
        dedup.cluster(docs)
    with pytest.raises(InputError) as spark_err:
        cluster_dataframe(_frame(spark, docs))
    assert str(spark_err.value) == str(local_err.value)
    with pytest.raises(InputError, match=r"no column 'body'.*text_col="):
        cluster_dataframe(_frame(spark, docs), text_col="body")


def test_read_inputs_jsonl_error_names_file_and_line(spark, tmp_path):
    from dedup.spark import read_inputs

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "text": "x"}\n\n{"id": "b", "text": \n', encoding="utf-8")
    with pytest.raises(InputError, match=r"bad\.jsonl:3: invalid JSON"):
        read_inputs(spark, [str(bad)])
    missing = tmp_path / "missing.jsonl"
    missing.write_text('{"id": "a", "body": "x"}\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"missing\.jsonl:1: no text field 'text'"):
        read_inputs(spark, [str(missing)])


@pytest.mark.slow
def test_cli_spark_engine_same_output_as_local(run_cli, tmp_path, corpus):
    """`dedup cluster --engine spark` on Parquet + JSONL + .txt inputs writes the local output."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    docs = corpus[:60]
    pq.write_table(
        pa.table({"id": [d["id"] for d in docs[:25]], "text": [d["text"] for d in docs[:25]]}),
        tmp_path / "part1.parquet",
    )
    with (tmp_path / "part2.jsonl").open("w", encoding="utf-8") as fh:
        for d in docs[25:]:
            fh.write(json.dumps({"id": d["id"], "text": d["text"]}, ensure_ascii=False) + "\n")
    txt = tmp_path / "txt"
    txt.mkdir()
    (txt / "zz_extra.txt").write_text(docs[3]["text"] + "\nVNA/CVN", encoding="utf-8")
    with (tmp_path / "all.jsonl").open("w", encoding="utf-8") as fh:
        for d in [*docs, {"id": "zz_extra", "text": docs[3]["text"] + "\nVNA/CVN"}]:
            fh.write(json.dumps({"id": d["id"], "text": d["text"]}, ensure_ascii=False) + "\n")

    local = run_cli("cluster", str(tmp_path / "all.jsonl"))
    assert local.returncode == 0, local.stderr
    out = tmp_path / "spark.jsonl"
    res = run_cli(
        "cluster",
        "--engine",
        "spark",
        "--spark-master",
        "local[2]",
        str(tmp_path / "part1.parquet"),
        str(tmp_path / "part2.jsonl"),
        str(txt),
        "-o",
        str(out),
        env={"PYSPARK_SUBMIT_ARGS": _SUBMIT_ARGS},
    )
    assert res.returncode == 0, res.stderr
    assert out.read_text(encoding="utf-8") == local.stdout
    assert "61 documents" in res.stderr
    lines = [json.loads(x) for x in local.stdout.splitlines()]
    assert any(x["id"] == "zz_extra" and x["duplicate"] for x in lines)


def test_import_dedup_does_not_import_pyspark():
    import subprocess
    import sys

    code = "import dedup, dedup.spark, sys; print('pyspark' in sys.modules)"
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=root, check=True
    )
    assert out.stdout.strip() == "False"
