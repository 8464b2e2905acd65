"""Real processes: SIGKILL in the middle of an add, concurrent writers, racing check_and_add."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import time

import numpy as np
import pytest

import dedup.index.sqlite as sqlite_backend
from dedup.index import open_index
from dedup.match.verify import WordWeights
from dedup.sketch.lsh import band_keys

from .conftest import python_script

if os.name != "posix":  # pragma: no cover
    pytest.skip("needs POSIX signals", allow_module_level=True)

_PRELUDE = """
import json, sys, time
from benchmarks.corpus import generate_corpus, iter_corpus
from dedup.index import open_index
from dedup.match.verify import WordWeights
target, prefix = sys.argv[1], sys.argv[2]
opts = {"prefix": prefix} if target.startswith("redis") else {}
"""


def _spawn(code: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [*python_script(_PRELUDE + code), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_line(proc: subprocess.Popen, wanted: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise AssertionError(f"child exited early: {proc.stderr.read()}")
        if line.strip() == wanted:
            return
    raise AssertionError(f"child never printed {wanted!r}")


def _rest_of_output(proc: subprocess.Popen) -> str:
    """What the killed child printed after the lines already read. Not communicate(): after
    readline() it reads the pipe directly and misses lines already in the reader's buffer."""
    out = proc.stdout.read()
    proc.wait(timeout=60)
    return out


def _assert_consistent(where: str, options: dict) -> int:
    """Every stored document is whole: row/hash, timestamp, text, and all its band keys."""
    idx = open_index(where, **options)
    try:
        ids = idx.ids()
        assert len(ids) == len(set(ids)) == len(idx)
        lsh = idx.config.lsh
        if where.startswith("redis"):
            r, p = idx._r, idx._p
            assert len(list(r.scan_iter(match=p + b"i:*"))) == len(ids)
            assert len(list(r.scan_iter(match=p + b"d:*"))) == len(ids)
            for doc_id in ids:
                num = r.get(p + b"i:" + doc_id.encode())
                sig, text, ts = r.hmget(p + b"d:" + num, "sig", "text", "ts")
                assert text and ts and len(sig) == 4 * idx.config.minhash.num_perm
                assert r.zscore(p + b"ts", num) == float(ts)
                keys = band_keys(np.frombuffer(sig, "<u4").reshape(1, -1), lsh).view(np.int64)[0]
                for k in keys:
                    key = p + b"b:" + int(k).to_bytes(8, "little", signed=True)
                    assert r.zscore(key, num) is not None
        else:
            assert idx.integrity_check() == []
            db = sqlite3.connect(where)
            banded = sqlite_backend._banded(db)  # later documents' rows wait for a fold
            rows = db.execute(
                "SELECT d.num, c.sig, d.text, (SELECT count(*) FROM bands b WHERE b.num = d.num) "
                "FROM docs d LEFT JOIN cands c USING (num)"
            ).fetchall()
            db.close()
            assert len(rows) == len(ids)
            for num, sig, text, n_bands in rows:
                assert text and len(sig) == 4 * idx.config.minhash.num_perm
                # each doc's band keys are distinct
                assert n_bands == (lsh.bands if num <= banded else 0)
        # word counts: never drift from the stored texts, whatever moment the kill came at
        stored, n_docs = idx.stored_word_counts()
        assert n_docs == len(ids)
        assert stored == WordWeights.raw_counts(idx._all_texts())
        assert idx.word_count_problems() == []
        return len(ids)
    finally:
        idx.close()


def test_sigkill_during_a_large_add_leaves_all_or_nothing(target):
    where, options = target
    prefix = options.get("prefix", "-")
    with open_index(where, **options) as idx:
        idx.add("before", generate_text(0))
    proc = _spawn(
        """
idx = open_index(target, **opts)
# short synthetic texts: preparing them is quick, the time goes into the insert
texts = [" ".join(f"word{(i * 7 + j * 13) % 20000}" for j in range(40)) for i in range(3000)]
ids = [f"bulk{i}" for i in range(3000)]
rows = [(i, p, time.time(), None) for i, p in zip(ids, idx.prepare_many(texts))]
print("inserting", flush=True)
idx._insert(rows, "error")   # one transaction (SQLite) / one pipeline of atomic scripts (Redis)
print("done", flush=True)
""",
        where,
        prefix,
    )
    _wait_line(proc, "inserting")
    time.sleep(0.01 + random.random() * 0.02)
    proc.send_signal(signal.SIGKILL)
    out = _rest_of_output(proc)
    assert proc.returncode == -signal.SIGKILL
    assert "done" not in out, "the insert finished before the kill; nothing was tested"
    n = _assert_consistent(where, options)
    if not where.startswith("redis"):
        assert n == 1  # the whole batch was one transaction: none of it
    assert 1 <= n <= 3001


def test_sigkill_at_random_points_of_an_add_loop(target):
    where, options = target
    prefix = options.get("prefix", "-")
    proc = _spawn(
        """
idx = open_index(target, **opts)
print("start", flush=True)
for i, d in enumerate(iter_corpus(100000, seed=6)):
    idx.add(d["id"], d["text"])
    print(i, flush=True)
""",
        where,
        prefix,
    )
    _wait_line(proc, "start")
    seen = -1
    target_n = random.randint(20, 60)
    while seen < target_n:
        seen = int(proc.stdout.readline())
    time.sleep(random.random() * 0.01)
    proc.send_signal(signal.SIGKILL)
    out = _rest_of_output(proc)
    last = max([seen, *(int(x) for x in out.split())])
    n = _assert_consistent(where, options)
    assert last + 1 <= n <= last + 2  # everything acknowledged, at most the one in flight
    with open_index(where, **options) as idx:
        assert set(idx.ids()) == {f"d{i:08d}" for i in range(n)}


def test_two_writer_processes_lose_and_double_nothing(target):
    where, options = target
    prefix = options.get("prefix", "-")
    open_index(where, **options).close()
    code = """
who = sys.argv[3]
idx = open_index(target, **opts)
docs = generate_corpus(80, seed=7)
print("ready", flush=True)
for d in docs:
    idx.add(who + "-" + d["id"], d["text"])
idx.add_many(((who + "-bulk-" + d["id"], d["text"]) for d in docs[:30]), batch_size=7)
print("done", flush=True)
"""
    procs = [_spawn(code, where, prefix, who) for who in ("a", "b")]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err
        assert out.split() == ["ready", "done"]
    with open_index(where, **options) as idx:
        ids = idx.ids()
    from benchmarks.corpus import generate_corpus

    base = [d["id"] for d in generate_corpus(80, seed=7)]
    want = {f"{w}-{i}" for w in "ab" for i in base}
    want |= {f"{w}-bulk-{i}" for w in "ab" for i in base[:30]}
    assert len(ids) == len(want) == 220
    assert set(ids) == want
    _assert_consistent(where, options)


def test_racing_check_and_add_yields_exactly_one_original(target):
    where, options = target
    prefix = options.get("prefix", "-")
    open_index(where, **options).close()
    start = time.time() + 3.0
    code = """
who, start = sys.argv[3], float(sys.argv[4])
idx = open_index(target, **opts)
docs = generate_corpus(40, seed=8, dup_fraction=0.0)
texts = [idx.prepare(d["text"]) for d in docs]  # warm up before the start line
while time.time() < start:
    time.sleep(0.001)
for d in docs:
    r = idx.check_and_add(who + "-" + d["id"], d["text"])
    print(json.dumps([d["id"], r.added, r.duplicate_of]), flush=True)
"""
    procs = [_spawn(code, where, prefix, who, repr(start)) for who in ("a", "b")]
    results: dict[str, list] = {}
    for who, p in zip("ab", procs):
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        for line in out.splitlines():
            doc, added, dup_of = json.loads(line)
            assert added is True
            results.setdefault(doc, []).append((who, dup_of))
    assert len(results) == 40
    for doc, pair in results.items():
        originals = [w for w, dup_of in pair if dup_of is None]
        assert len(originals) == 1, f"{doc}: {pair}"
        (_, dup_of) = next(x for x in pair if x[1] is not None)
        assert dup_of == f"{originals[0]}-{doc}"
    with open_index(where, **options) as idx:
        assert len(idx) == 80


def generate_text(i: int) -> str:
    from benchmarks.corpus import generate_corpus

    return generate_corpus(i + 1, seed=9)[i]["text"]
