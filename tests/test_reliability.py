"""Reliability of the real command: determinism across runs/processes/--jobs, atomic output
under SIGKILL and SIGINT, and no unpickling of untrusted files anywhere in the package."""

from __future__ import annotations

import ast
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import dedup
from benchmarks.corpus import generate_corpus
from dedup.cli import EXIT_INTERRUPTED

ROOT = Path(__file__).resolve().parents[1]


def _short_corpus(path: Path, n: int, *, id_pad: int = 0, seed: int = 7) -> Path:
    """Generated news-like docs cut to 300 characters: duplicates and rewrites, fast to cluster."""
    with path.open("w", encoding="utf-8") as fh:
        for d in generate_corpus(n, seed=seed):
            doc_id = d["id"] + ("-" + "x" * id_pad if id_pad else "")
            fh.write(json.dumps({"id": doc_id, "text": d["text"][:300]}) + "\n")
    return path


@pytest.fixture(scope="module")
def corpus_4200(tmp_path_factory) -> Path:
    # > 2000 documents: text preparation uses a process pool with --jobs 2;
    # > 4096 documents: hashing runs in more than one block (threads with --jobs 2).
    return _short_corpus(tmp_path_factory.mktemp("det") / "news.jsonl", 4200)


def test_byte_identical_output_across_runs_processes_and_jobs(corpus_4200, tmp_path, run_cli):
    outputs = []
    for jobs, hashseed in (("1", "1"), ("1", "2"), ("2", "3")):
        out = tmp_path / f"out-{jobs}-{hashseed}.jsonl"
        r = run_cli(
            "cluster", str(corpus_4200), "-o", str(out), "--jobs", jobs,
            env={"PYTHONHASHSEED": hashseed},
        )  # fmt: skip
        assert r.returncode == 0, r.stderr
        outputs.append(out.read_bytes())
    lines = outputs[0].decode().splitlines()
    assert len(lines) == 4200
    assert sum(json.loads(x)["duplicate"] for x in lines) > 500  # a real clustering job
    assert outputs[0] == outputs[1], "differs between processes (hash randomization?)"
    assert outputs[0] == outputs[2], "differs between --jobs 1 and --jobs 2"


def _start(args: list[str]) -> subprocess.Popen:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.Popen(
        [sys.executable, "-m", "dedup", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _kill_mid_write(proc: subprocess.Popen, directory: Path, sig: int) -> int:
    """Send ``sig`` as soon as the hidden temporary output file has data; its size then."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        tmps = [p for p in directory.iterdir() if p.name.endswith(".tmp")]
        size = tmps[0].stat().st_size if tmps else 0
        if size > 0:
            proc.send_signal(sig)
            return size
        if proc.poll() is not None:
            pytest.fail(f"run ended before writing: {proc.stderr.read().decode()}")
        time.sleep(0.001)
    proc.kill()
    pytest.fail("no temporary output file appeared")


@pytest.fixture(scope="module")
def long_id_corpus(tmp_path_factory) -> Path:
    # 1000 documents with 30 kB ids: ~60 MB of output, so writing takes a while
    return _short_corpus(tmp_path_factory.mktemp("kill") / "in.jsonl", 1000, id_pad=30000)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "SIGINT"])
def test_interrupted_run_never_leaves_a_partial_output(long_id_corpus, tmp_path, sig):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    target = out_dir / "clusters.jsonl"
    target.write_text("previous complete result\n")
    proc = _start(["cluster", str(long_id_corpus), "-o", str(target), "--no-progress"])
    seen = _kill_mid_write(proc, out_dir, sig)
    proc.wait(timeout=120)
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert seen > 0
    print(f"signal sent with {seen} bytes in the temporary file")
    # the old result is untouched: no partial file under the real name
    assert target.read_text() == "previous complete result\n"
    leftovers = [p for p in out_dir.iterdir() if p != target]
    if sig == signal.SIGINT:
        assert proc.returncode == EXIT_INTERRUPTED, err
        assert "interrupted" in err
        assert leftovers == []  # cleaned up on Ctrl-C
    else:
        assert proc.returncode == -signal.SIGKILL
        # SIGKILL cannot be caught: a hidden .tmp may remain, never a file that looks complete
        assert all(p.name.startswith(".clusters.jsonl.") and p.suffix == ".tmp" for p in leftovers)


# ---------------------------------------------------------------- untrusted files

_UNSAFE_MODULES = {"pickle", "cPickle", "_pickle", "marshal", "shelve", "dill", "cloudpickle"}
_UNSAFE_CALLS = {"read_pickle", "loads", "load"}  # checked on the unsafe modules / known APIs


def _unsafe_uses(path: Path, root: Path = ROOT) -> list[str]:
    tree = ast.parse(path.read_text("utf-8"), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] in _UNSAFE_MODULES]
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module.split(".")[0] in _UNSAFE_MODULES or node.module == "joblib":
                found.append(node.module)
        elif isinstance(node, ast.Call):
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
            base = getattr(f.value, "id", "") if isinstance(f, ast.Attribute) else ""
            if base in _UNSAFE_MODULES | {"joblib", "torch"} and name in _UNSAFE_CALLS:
                found.append(f"{base}.{name}")
            if name == "read_pickle":
                found.append(name)
            if base == "yaml" and name == "load":
                found.append("yaml.load")
            for kw in node.keywords:
                if kw.arg == "allow_pickle" and not (
                    isinstance(kw.value, ast.Constant) and kw.value.value is False
                ):
                    found.append(f"{name}(allow_pickle=...)")
    return [f"{path.relative_to(root)}:{x}" for x in found]


def test_no_unpickling_anywhere_in_the_package():
    files = sorted((ROOT / "dedup").rglob("*.py"))
    assert len(files) > 10
    problems = [p for f in files for p in _unsafe_uses(f)]
    assert problems == [], "untrusted files must never be unpickled: " + ", ".join(problems)


def test_the_unpickling_check_can_fail(tmp_path):
    bad = tmp_path / "unsafe.py"
    bad.write_text(
        "import pickle\nimport numpy as np\n"
        "def f(p):\n    return pickle.loads(p), np.load(p, allow_pickle=True)\n"
    )
    assert _unsafe_uses(bad, tmp_path) == [
        "unsafe.py:pickle",
        "unsafe.py:pickle.loads",
        "unsafe.py:load(allow_pickle=...)",
    ]


# ---------------------------------------------------------------- the Python API

_STORY = "The minister signed a cooperation agreement in Moscow covering trade and energy."


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([("a", _STORY), ("a", _STORY)], r"document #1: duplicate id 'a' \(first seen at #0\)"),
        ([("a", None)], "document #0: text of 'a' must be a string, got NoneType"),
        ([(None, "x")], "document #0: id must be a non-empty string or an integer, got None"),
        ([{"id": "a"}], r"document #0: a dict needs 'id' and 'text' keys, got \['id'\]"),
        (["just text"], "document #0: expected a Document, an \\(id, text\\) pair"),
        (
            [dedup.Document("a", 5, {"source": "feed.jsonl", "line": 9})],  # type: ignore[arg-type]
            "feed.jsonl:9: text of 'a' must be a string",
        ),
    ],
)
def test_api_bad_input_names_the_document(items, message):
    with pytest.raises(dedup.InputError, match=message) as info:
        dedup.cluster(items)
    assert info.value.skipped is not None


def test_api_huge_document_limit_and_skip():
    huge = "word " * 6_000_000  # a real 30 MB text
    docs = [("a", _STORY), ("huge", huge), ("b", _STORY)]
    with pytest.raises(dedup.InputError, match="text of 'huge' is 30000000 bytes, over the limit"):
        dedup.cluster(docs, max_doc_bytes=4 << 20)
    result = dedup.cluster(docs, max_doc_bytes=4 << 20, on_error="skip")
    assert [r.id for r in result.records] == ["a", "b"]
    assert [(s.id, s.reason) for s in result.skipped] == [("huge", "too_large")]
    assert (result.stats["read"], result.stats["documents"], result.stats["skipped"]) == (3, 2, 1)
