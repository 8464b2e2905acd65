"""The real ``dedup`` command (subprocess): inputs, formats, options, help."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

PAIR = ("000_9106e3a7f7abc474", "001_679247a4154d51ed")


def lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_cluster_seeds_jsonl(run_cli, seeds_dir: Path) -> None:
    res = run_cli("cluster", str(seeds_dir))
    assert res.returncode == 0, res.stderr
    recs = lines(res.stdout)
    assert [r["id"] for r in recs] == sorted(p.stem for p in seeds_dir.glob("*.txt"))
    assert set(recs[0]) >= {"id", "cluster", "representative", "duplicate", "score", "relation"}
    by = {r["id"]: r for r in recs}
    assert by[PAIR[0]]["cluster"] == by[PAIR[1]]["cluster"]
    assert by[PAIR[1]]["duplicate"] is True and by[PAIR[1]]["representative"] == PAIR[0]
    assert len({r["cluster"] for r in recs}) == 4
    assert "5 documents, 4 clusters" in res.stderr


def test_table_format(run_cli, seeds_dir: Path) -> None:
    res = run_cli("cluster", str(seeds_dir), "--format", "table")
    assert res.returncode == 0, res.stderr
    assert "5 documents, 4 clusters, 1 duplicates" in res.stdout
    assert f"* {PAIR[0]}" in res.stdout and f"{PAIR[1]}  same_story" in res.stdout


def test_csv_format_and_output_file(run_cli, seeds_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    res = run_cli("cluster", str(seeds_dir), "--format", "csv", "-o", str(out))
    assert res.returncode == 0, res.stderr
    assert res.stdout == ""
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert len(rows) == 5 and rows[1]["id"] == PAIR[1] and rows[1]["duplicate"] == "True"
    assert not list(tmp_path.glob(".out.csv.*"))  # no temp file left behind


def test_jsonl_and_csv_inputs_with_custom_fields(run_cli, seed_docs, tmp_path: Path) -> None:
    jl = tmp_path / "in.jsonl"
    jl.write_text("".join(json.dumps({"doc": i, "body": t}) + "\n" for i, t in seed_docs))
    cs = tmp_path / "in.csv"
    with cs.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["doc", "body"])
        w.writerows(seed_docs)
    outs = []
    for path in (jl, cs):
        res = run_cli("cluster", str(path), "--id-field", "doc", "--text-field", "body")
        assert res.returncode == 0, res.stderr
        outs.append(res.stdout)
    assert outs[0] == outs[1]
    assert lines(outs[0])[1]["representative"] == PAIR[0]


def test_stdin_input(run_cli, seed_docs) -> None:
    data = "".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in seed_docs)
    res = run_cli("cluster", "-", input=data)
    assert res.returncode == 0, res.stderr
    assert len(lines(res.stdout)) == 5


def test_single_txt_files(run_cli, seeds_dir: Path) -> None:
    files = sorted(str(p) for p in seeds_dir.glob("*.txt"))[:2]
    res = run_cli("cluster", *files)
    assert res.returncode == 0, res.stderr
    recs = lines(res.stdout)
    assert recs[0]["cluster"] == recs[1]["cluster"]


def test_threshold_option_changes_the_result(run_cli, seeds_dir: Path) -> None:
    res = run_cli("cluster", str(seeds_dir), "--threshold", "0.9")
    assert res.returncode == 0, res.stderr
    assert len({r["cluster"] for r in lines(res.stdout)}) == 5


def test_shingle_and_method_options(run_cli, seeds_dir: Path) -> None:
    res = run_cli(
        "cluster",
        str(seeds_dir),
        "--shingle",
        "char",
        "--ngram",
        "5",
        "--min-token-len",
        "1",
        "--method",
        "connected",
        "--representative",
        "longest",
        "--bands",
        "64",
        "--rows",
        "2",
    )
    assert res.returncode == 0, res.stderr
    assert len(lines(res.stdout)) == 5


def test_sha1_hash_option(run_cli, seeds_dir: Path) -> None:
    res = run_cli("cluster", str(seeds_dir), "--hash", "sha1_32")
    assert res.returncode == 0, res.stderr
    by = {r["id"]: r for r in lines(res.stdout)}
    assert by[PAIR[0]]["cluster"] == by[PAIR[1]]["cluster"]


def test_help_explains_options_and_defaults(run_cli) -> None:
    res = run_cli("cluster", "--help")
    assert res.returncode == 0
    for text in ("--threshold", "default: 0.5", "--format", "--id-field", "same story", "--jobs"):
        assert text in res.stdout
    top = run_cli("--help")
    assert "cluster" in top.stdout


def test_bad_option_values_exit_2(run_cli, seeds_dir: Path) -> None:
    res = run_cli("cluster", str(seeds_dir), "--threshold", "3")
    assert res.returncode == 2
    assert "threshold must be a number between 0 and 1" in res.stderr
    res = run_cli("cluster", str(seeds_dir), "--bands", "100", "--rows", "4")
    assert res.returncode == 2 and "exceeds num_perm" in res.stderr


def test_bad_input_names_file_and_line(run_cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "text": "ok"}\n{"id": "b", "text": \n')
    res = run_cli("cluster", str(bad))
    assert res.returncode == 2
    assert f"{bad}:2: invalid JSON" in res.stderr
    res = run_cli("cluster", str(tmp_path / "missing.jsonl"))
    assert res.returncode == 2 and "no such file" in res.stderr


def test_no_progress_when_not_a_terminal(run_cli, seeds_dir: Path) -> None:
    res = run_cli("cluster", str(seeds_dir))
    assert "[#" not in res.stderr
    forced = run_cli("cluster", str(seeds_dir), "--progress")
    assert "hash [" in forced.stderr
