"""The in-memory copy of the LSH buckets (dedup.index.buckets) against a plain reference,
and the SQLite index's lookups on it against its ``bands`` rows, removals included."""

from __future__ import annotations

import random
import sqlite3
from dataclasses import replace

import numpy as np
import pytest

import dedup.index.buckets as buckets
import dedup.index.sqlite as sqlite_backend
from benchmarks.corpus import generate_corpus
from dedup.config import LSHConfig
from dedup.index import open_index
from dedup.index.buckets import BandRuns

from .conftest import NO_LEARN


def _reference(docs: dict[int, list[int]], live: set[int], keys, cap: int) -> list[int]:
    """The star rule, spelled out: per query key, the live documents having it, in number
    order; a full bucket gives its first."""
    out: set[int] = set()
    for k in keys:
        members = sorted(n for n, ks in docs.items() if k in ks and n in live)
        out.update(members[:1] if len(members) >= cap else members)
    return sorted(out)


@pytest.mark.parametrize("radix", [False, True])
@pytest.mark.parametrize("seed", range(6))
def test_band_runs_follow_the_star_rule(monkeypatch, seed, radix):
    monkeypatch.setattr(buckets, "MAX_RUN", 64)  # many runs, some merges stopped by the cap
    if radix:  # every batch through the compiled sort, runs merged by the compiled merge,
        # lookups by the compiled scan
        if buckets._sort_pairs is None:
            pytest.skip("numba is not installed (extra dedup-news[fast])")
        monkeypatch.setattr(buckets, "_RADIX_FROM", 1)
    else:
        monkeypatch.setattr(buckets, "_sort_pairs", None)
        monkeypatch.setattr(buckets, "_merge_runs", None)
        monkeypatch.setattr(buckets, "_scan_run", None)
    rng = random.Random(seed)
    bands = 3
    # small keys share all their high bits (the low bits tell them apart), and so do the
    # large ones of each pair
    high = [rng.getrandbits(31) << 32 for _ in range(3)]
    space = list(range(8)) + [h | rng.getrandbits(32) for h in high for _ in range(2)]
    runs = BandRuns(bands)
    docs: dict[int, list[int]] = {}
    live: set[int] = set()

    num = 0
    for _ in range(60):
        batch = []
        for _ in range(rng.choice([1, 1, 2, 5, 13])):
            num += rng.choice([1, 1, 2])  # numbers grow, with gaps
            docs[num] = rng.sample(space, bands)  # (a document's keys are distinct)
            live.add(num)
            batch.append(num)
        runs.add(np.array(batch), np.array([docs[n] for n in batch]))
        for n in rng.sample(sorted(live), min(len(live), rng.choice([0, 0, 1, 2]))):
            live.discard(n)  # removed
        if rng.random() < 0.1:  # a rolled-back batch
            top = max(0, num - rng.choice([1, 3, 8]))
            runs.forget_after(top)
            for n in [n for n in docs if n > top]:
                del docs[n]
                live.discard(n)
            num = top
        if rng.random() < 0.05:
            mask = np.zeros(num + 1, dtype=bool)
            mask[sorted(live)] = True
            runs.drop_dead(mask)
        mask = np.zeros(num + 1, dtype=bool)
        mask[sorted(live)] = True
        for _ in range(3):
            keys = [rng.choice([*space, 99]) for _ in range(bands)]
            cap = rng.choice([2, 3, 5, 100])
            got = runs.lookup(np.array(keys), mask, cap).tolist()
            assert got == _reference(docs, live, keys, cap)
    assert len(runs._runs) > 1  # several runs were searched


def test_band_runs_refuse_numbers_out_of_order():
    runs = BandRuns(2)
    runs.add(np.array([5]), np.array([[1, 2]]))
    with pytest.raises(ValueError, match="increasing"):
        runs.add(np.array([5]), np.array([[3, 4]]))


@pytest.fixture(scope="module")
def texts() -> list[str]:
    docs = generate_corpus(240, seed=23, dup_fraction=0.2, languages=("fr",))
    return [d["text"] for d in docs]


def test_copied_buckets_give_the_lookups_of_the_band_rows(tmp_path, texts, monkeypatch):
    # a small cap, so removals change which buckets are full; two connections, one removing
    monkeypatch.setattr(sqlite_backend.SQLiteIndex, "warm_up_checks", 0)
    rereads = []
    real = sqlite_backend.SQLiteIndex._reread_live
    monkeypatch.setattr(
        sqlite_backend.SQLiteIndex, "_reread_live", lambda self: rereads.append(1) or real(self)
    )
    cfg = replace(NO_LEARN, lsh=LSHConfig(max_bucket=3, min_similarity=0.0))
    path = tmp_path / "b.db"
    a = open_index(path, cfg)
    b = open_index(path)
    a.add_many([(f"d{i}", t) for i, t in enumerate(texts[:120])])
    rng = random.Random(3)
    compared = differ = 0
    for k, text in enumerate(texts[120:200]):
        for idx in (a, b):
            prep = idx.prepare(text)
            idx.cache_candidates = False
            rows = sorted(c.ref for c in idx._lookup(prep, None))
            idx.cache_candidates = True
            copied = sorted(c.ref for c in idx._lookup(prep, None))
            assert copied == rows
            compared += 1
        (a if k % 2 else b).add(f"n{k}", text)
        for _ in range(rng.choice([0, 1, 3])):  # removed by one, seen by the other
            victim = f"d{rng.randrange(120)}"
            differ += (a if k % 3 else b).remove(victim)
        if k % 25 == 24:  # the newest documents' band rows written (a fold)
            with a._write() as db:
                assert sqlite_backend.fold_bands(db, a.config.lsh) > 0
        if k % 10 == 0:  # rows of gone trimmed before the other connection read them
            a._db.execute("DELETE FROM gone WHERE seq <= (SELECT max(seq) - 1 FROM gone)")
    assert compared == 160 and differ > 20
    assert rereads  # some syncs had to re-read which documents are live
    assert sqlite_backend._unbanded(a._db) > 0  # (the last documents' rows still wait)
    a.close()
    b.close()


def test_waiting_band_rows_are_written_by_a_fold_or_at_close(tmp_path, texts, monkeypatch):
    monkeypatch.setattr(sqlite_backend, "BAND_FOLD_ROWS", 5)
    monkeypatch.setattr(sqlite_backend, "_CHECKPOINT_EVERY", 1e9)  # no background fold
    path = tmp_path / "fold.db"
    idx = open_index(path, NO_LEARN)
    idx.add_many([(f"b{i}", t) for i, t in enumerate(texts[:70])])  # bulk: written at once
    assert sqlite_backend._unbanded(idx._db) == 0
    for i, text in enumerate(texts[70:77]):
        idx.add(f"s{i}", text)  # single adds: their rows wait
    assert sqlite_backend._unbanded(idx._db) == 7
    cold = [sorted(c.ref for c in idx._lookup(idx.prepare(t), None)) for t in texts[77:90]]
    idx.close()
    db = sqlite3.connect(path)
    assert sqlite_backend._unbanded(db) == 0  # written at close
    db.close()
    with open_index(path) as again:
        assert again.integrity_check() == []
        # the same lookups from the band rows alone
        assert [
            sorted(c.ref for c in again._lookup(again.prepare(t), None)) for t in texts[77:90]
        ] == cold


def test_copies_loaded_by_a_thread_catch_up_with_what_was_committed_meanwhile(
    tmp_path, texts, monkeypatch
):
    import threading

    go = threading.Event()
    real = sqlite_backend.SQLiteIndex._load_copies

    def slow(self):  # the copies are made, then the commits below land before handing over
        made = real(self)
        go.wait(30)
        return made

    monkeypatch.setattr(sqlite_backend.SQLiteIndex, "_load_copies", slow)
    cfg = replace(NO_LEARN, lsh=LSHConfig(max_bucket=3, min_similarity=0.0))
    path = tmp_path / "bg.db"
    idx = open_index(path, cfg)
    other = open_index(path)
    idx.warm_up_checks = 2
    idx.add_many([(f"d{i}", t) for i, t in enumerate(texts[:100])])
    for text in texts[100:103]:
        idx.check(text)  # the third lookup starts the loader
    assert idx._loader is not None and not idx._kloaded
    other.add_many([(f"o{i}", t) for i, t in enumerate(texts[103:110])])  # after the snapshot
    for i in range(5):
        other.remove(f"d{i}")
    idx.check_and_add("own", texts[110])  # (reads the file: the copies are not ready)
    go.set()
    idx._loader.join()
    for k, text in enumerate(texts[111:140]):
        prep = idx.prepare(text)
        idx.cache_candidates = True
        copied = sorted(c.ref for c in idx._lookup(prep, None))
        assert idx._kloaded  # taken over at the first lookup after the thread finished
        idx.cache_candidates = False
        rows = sorted(c.ref for c in idx._lookup(prep, None))
        assert copied == rows
        idx.cache_candidates = True
        if k % 5 == 0:
            other.remove(f"d{10 + k}")
    live = {r[0] for r in idx._db.execute("SELECT num FROM cands")}
    assert set(np.flatnonzero(idx._copies.live).tolist()) == live
    idx.close()
    other.close()


def test_compiled_merge_is_the_numpy_insert():
    # the linear merge of two runs against np.insert at searchsorted positions (what runs
    # without numba): interleaved, one side before the other, one empty
    if buckets._merge_runs is None:
        pytest.skip("numba is not installed (extra dedup-news[fast])")
    rng = np.random.default_rng(4)
    for na, nb in ((0, 5), (5, 0), (1, 1), (300, 7), (7, 300), (1000, 1000)):
        values = rng.choice(1 << 40, na + nb, replace=False).astype(np.uint64) << np.uint64(20)
        a, b = np.sort(values[:na]), np.sort(values[na:])
        if na == 300:
            b = b + a.max() + np.uint64(1) if len(b) else b  # all after
        ca = rng.integers(0, 1 << 32, na, dtype=np.uint32)
        cb = rng.integers(0, 1 << 32, nb, dtype=np.uint32)
        run, check = buckets._merge_runs(a, ca, b, cb)
        at = np.searchsorted(a, b)
        assert run.tolist() == np.insert(a, at, b).tolist()
        assert check.tolist() == np.insert(ca, at, cb).tolist()
        assert run.dtype == np.uint64 and check.dtype == np.uint32
