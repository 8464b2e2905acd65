"""The latency work of format 4 changes no answer: the verification bound, the signature candidate
filter, the word-count log and its folding, and the upgrade of older SQLite files."""

from __future__ import annotations

import json
import random
import sqlite3
import time

import numpy as np
import pytest

import dedup.index.base as base
import dedup.index.sqlite as sqlite_backend
from benchmarks.corpus import generate_corpus
from dedup.index import open_index
from dedup.index.copies import DocCopies
from dedup.match.verify import Verifier, WordWeights

from .conftest import NO_LEARN


@pytest.fixture(scope="module")
def texts() -> list[str]:
    # the narrow default world: unrelated stories share many words, so many candidates pass
    # the signature filter and the bound has real work (and real near-misses) to judge
    gen = generate_corpus(400, seed=23, dup_fraction=0.5, languages=("fr", "en"))
    return [d["text"] for d in gen]


def _glue(text: str, rng: random.Random) -> str:
    """Lose a few spaces, as scraped pages do (the verifier splits such words back)."""
    words = text.split(" ")
    for _ in range(max(1, len(words) // 25)):
        i = rng.randrange(len(words) - 1)
        words[i : i + 2] = [words[i] + words[i + 1]]
    return " ".join(words)


@pytest.mark.parametrize("compiled", [True, False], ids=["numba-bound", "numpy-bound"])
def test_pruning_never_changes_a_decision(make_index, texts, monkeypatch, compiled):
    if compiled and base._bound_sums is None:
        pytest.skip("numba is not installed (extra dedup-news[fast])")
    if not compiled:
        monkeypatch.setattr(base, "_bound_sums", None)
        monkeypatch.setattr(sqlite_backend.SQLiteIndex, "gather_compiled", False)
    rng = random.Random(5)
    docs = [(f"d{i}", _glue(t, rng) if i % 3 == 0 else t) for i, t in enumerate(texts)]
    idx = make_index(NO_LEARN)
    gathered = []
    if hasattr(idx, "_gather"):  # SQLite: count the compiled gathers (copies loaded)
        real_gather = idx._gather
        monkeypatch.setattr(idx, "_gather", lambda *a: gathered.append(1) or real_gather(*a))
    idx.add_many(docs[:300])
    kept = []
    real = base._prune_arrays

    def counting(*args, **kw):
        out = real(*args, **kw)
        assert out == base._prune(*args, **kw)  # the plain reference keeps the same ones
        kept.append((len(out), len(args[2])))
        return out

    monkeypatch.setattr(base, "_prune_arrays", counting)
    via_numbers: list[int] = []
    if hasattr(idx, "_vid"):  # SQLite: the bound over word numbers, against the same reference
        real_ids, real_word_ids = base._prune_ids, idx._word_ids
        asked = []

        def recording(refs, words):
            asked.append(list(refs))
            return real_word_ids(refs, words)

        def counting_ids(query, qwords, qlist, ids, same, cfg):
            out, df_of, n = real_ids(query, qwords, qlist, ids, same, cfg)
            texts = idx._texts(asked[-1])  # the reference reads and splits every text
            sets = [set(t.split()) for t in texts]
            union = qwords.union(*sets)
            stored, n_docs = idx._word_counts_by_string(sorted(union))  # not by number
            df = {w: max(1, stored.get(w, 0) + (w in qwords)) for w in union}
            assert {w: df_of[w] for w in union} == df and set(df_of) == union
            assert n == max(n_docs + 1, max(df.values()))
            assert out == base._prune(query, qwords, texts, sets, df, n, cfg)
            kept.append((len(out), len(texts)))
            via_numbers.append(len(texts))
            return out, df_of, n

        monkeypatch.setattr(idx, "_word_ids", recording)
        monkeypatch.setattr(base, "_prune_ids", counting_ids)
    compared = 0
    for _, text in docs[300:]:
        idx.prune = True
        fast = idx.check(text)
        idx.prune = False
        slow = idx.check(text)
        assert fast == slow  # same ids, scores, relations, signals, order
        compared += len(slow)
    assert compared >= 10  # duplicates were found and compared
    pruned = sum(n - k for k, n in kept)
    assert pruned > 0.3 * sum(n for _, n in kept)  # and the bound did skip candidates
    if hasattr(idx, "_vid"):  # (the checks with more than a few candidates)
        assert len(via_numbers) >= 10
        # the copies were loaded (a thread, after 16 lookups) and used by most of them
        compiled_gather = compiled and sqlite_backend.DocCopies.compiled_gather
        assert (len(gathered) >= 10) if compiled_gather else not gathered


def test_bound_keeps_every_pair_the_verifier_calls_a_duplicate(texts):
    # The bound against the verifier itself, on glued texts with small random word counts
    # (many words of count 1: every split the verifier can make is exercised).
    rng = random.Random(7)
    norm = [_glue(" ".join(t.lower().split()), rng) for t in texts[:160]]
    cfg = NO_LEARN.verify
    checked = duplicates = 0
    for q in range(0, 160, 8):
        query, cands = norm[q], norm[q + 1 : q + 40]
        qwords = set(query.split())
        sets = [set(t.split()) for t in cands]
        union = qwords.union(*sets)
        df = {w: rng.choice([1, 1, 2, 3, 40]) for w in sorted(union)}
        n = 400
        survivors = set(base._prune(query, qwords, cands, sets, df, n, cfg))
        assert base._prune_arrays(query, qwords, cands, sets, df, n, cfg) == sorted(survivors)
        v = Verifier([query, *cands], cfg, weights=WordWeights(df, df, n))
        for k in range(len(cands)):
            s = v.score(0, k + 1)
            checked += 1
            if s.is_duplicate:
                duplicates += 1
                assert k in survivors, (q, k, s)
    assert checked > 500 and duplicates > 20


@pytest.mark.parametrize("cached", [False, True])
def test_the_signature_filter_keeps_exactly_the_candidates_at_the_floor(
    tmp_path, texts, monkeypatch, cached
):
    # the lookup's filter (on cands rows, or on the in-process copy) keeps exactly the
    # documents sharing a band whose signature estimate reaches the floor (or whose text
    # hash is the query's); recomputed here from the rows
    monkeypatch.setattr(sqlite_backend.SQLiteIndex, "warm_up_checks", 0)
    monkeypatch.setattr(sqlite_backend.SQLiteIndex, "cache_candidates", cached)
    idx = open_index(tmp_path / "s.db", NO_LEARN)
    idx.add_many([(f"d{i}", t) for i, t in enumerate(texts[:300])])
    db = idx._db
    floor = idx.config.lsh.min_similarity
    rows = {
        num: (np.frombuffer(sig, dtype="<u4"), ts, h)
        for num, sig, ts, h in db.execute("SELECT num, sig, ts, text_hash FROM cands")
    }
    ids = dict(db.execute("SELECT num, id FROM docs"))
    dropped = kept = 0
    for text in texts[300:] + texts[:20]:
        prep = idx.prepare(text)
        got = {c.ref: c for c in idx._lookup(prep, None)}
        marks = ",".join("?" * len(prep.keys))
        sharing = {
            r[0] for r in db.execute(f"SELECT num FROM bands WHERE key IN ({marks})", prep.keys)
        }
        same = {n for n, r in rows.items() if r[2] is not None and r[2] == prep.text_hash}
        full = {n for n in sharing if (rows[n][0] == prep.signature).mean() >= floor} | same
        assert set(got) == full
        for num, c in got.items():  # what a candidate carries is its row's
            assert c.sig == rows[num][0].tobytes() and c.ts == rows[num][1]
            assert c.text_hash == rows[num][2] and c.id is None
        assert idx._candidate_ids(list(got.values())) == [ids[n] for n in got]
        dropped += len(sharing - full)
        kept += len(full)
    assert dropped > 0 and kept > 0  # the filter dropped some and kept some
    idx.close()


def _wlog_rows(path) -> int:
    db = sqlite3.connect(path)
    try:
        return db.execute("SELECT count(*) FROM wlog").fetchone()[0]
    finally:
        db.close()


# warm-up 0: every count is loaded at the first check; 100: only the counts each check needs
@pytest.mark.parametrize("warm_up", [0, 100])
def test_word_count_log_is_folded_and_other_connections_follow(
    tmp_path, texts, monkeypatch, warm_up
):
    monkeypatch.setattr(sqlite_backend, "FOLD_ROWS", 5)
    monkeypatch.setattr(sqlite_backend.SQLiteIndex, "warm_up_checks", warm_up)
    path = tmp_path / "log.db"
    a = open_index(path, NO_LEARN)
    b = open_index(path)
    words = sorted(set(a.prepare(texts[0]).normalized.split()))
    for i, t in enumerate(texts[:12]):
        a.add(f"d{i}", t)  # one document per transaction: logged
    a.remove("d3")
    assert b._word_counts(words)[1] == 11  # b reads the log; its cache is now filled
    deadline = time.monotonic() + 20
    while _wlog_rows(path) >= 5 and time.monotonic() < deadline:
        time.sleep(0.1)  # a's background thread folds the log into the words table
    assert _wlog_rows(path) < 5, "the log was never folded"
    for i, t in enumerate(texts[12:16], 12):
        b.add(f"d{i}", t)
    truth, n_docs = a.stored_word_counts()
    assert n_docs == 15
    for idx in (a, b):
        assert idx.word_count_problems() == []
        counts, n = idx._word_counts(words)
        assert (counts, n) == ({w: truth[w] for w in words if w in truth}, 15)
    # the counts cached by word number, kept across folds of rows already read, are exact too
    survived = []
    real_survives = sqlite_backend.SQLiteIndex._survives

    def recording(self, *args):
        survived.append(real_survives(self, *args))
        return survived[-1]

    monkeypatch.setattr(sqlite_backend.SQLiteIndex, "_survives", recording)
    for k, text in enumerate(texts[20:30]):
        assert a.check(text) == b.check(text)
        for idx in (a, b):
            assert _cached_numbers_problems(idx) == []
        b.add(f"x{k}", text)
        a.remove(f"d{k}")
        time.sleep(0.3)  # a's background thread folds meanwhile
    assert True in survived  # (a had read every row its thread folded)
    a.close()
    b.close()


def _cached_numbers_problems(idx) -> list[str]:
    """Cached counts by word number that differ from the stored counts."""
    truth, _ = idx.stored_word_counts()
    known = np.flatnonzero(idx._known[: len(idx._vword)]).tolist()
    return [
        f"{idx._vword[i]!r}: cached {idx._cnt[i]}, stored {truth.get(idx._vword[i], 0)}"
        for i in known
        if i and idx._cnt[i] != truth.get(idx._vword[i], 0)
    ]


def test_a_rolled_back_add_leaves_no_cached_count(tmp_path, texts):
    idx = open_index(tmp_path / "rb.db", NO_LEARN)
    idx.add("a", texts[0])
    words = sorted(set(idx.prepare(texts[1]).normalized.split()))
    before = idx._word_counts(words)
    with pytest.raises(base.DuplicateIdError):
        idx.add_many([("b", texts[1]), ("a", texts[2])])  # one transaction, rolled back
    assert idx._word_counts(words) == before
    assert idx.word_count_problems() == []
    idx.close()


def _stored_version(path) -> int:
    db = sqlite3.connect(path)
    try:
        (value,) = db.execute("SELECT value FROM meta WHERE key='settings'").fetchone()
        return json.loads(value)["format_version"]
    finally:
        db.close()


@pytest.mark.parametrize("version", [3, 4, 5])
def test_older_file_is_upgraded_in_place(tmp_path, texts, version, make_old_sqlite):
    path = tmp_path / f"v{version}.db"
    with open_index(path, NO_LEARN) as idx:
        idx.add_many([(f"d{i}", t) for i, t in enumerate(texts[:40])])
        for i in range(40, 44):
            idx.add(f"d{i}", texts[i])  # logged counts (version 4 keeps them in wlog)
        expected = [(m.id, m.score) for m in idx.check(texts[45])]
    make_old_sqlite(path, version)
    with open_index(path) as idx:
        assert idx.stats()["format_version"] == base.FORMAT_VERSION == 6
        assert idx.integrity_check() == []  # word numbers and counts agree with the texts
        assert [(m.id, m.score) for m in idx.check(texts[45])] == expected
        idx.add("new", texts[46])
        idx.remove("d3")
        assert idx.word_count_problems() == []
        assert idx.word_number_problems() == []
    assert _stored_version(path) == 6
    db = sqlite3.connect(path)  # the signatures moved to cands
    assert "sig" not in {r[1] for r in db.execute("PRAGMA table_info(docs)")}
    assert db.execute("SELECT count(*) FROM cands WHERE length(sig) = 512").fetchone()[0] == 44
    db.close()


def test_a_failed_upgrade_leaves_the_old_file(tmp_path, texts, monkeypatch, make_old_sqlite):
    path = tmp_path / "v4.db"
    with open_index(path, NO_LEARN) as idx:
        idx.add_many([(f"d{i}", t) for i, t in enumerate(texts[:30])])
    make_old_sqlite(path, 4)

    def killed(self, db, meta):
        db.execute("CREATE TABLE IF NOT EXISTS vocab(id INTEGER PRIMARY KEY, word TEXT)")
        db.execute("INSERT INTO vocab VALUES (1, 'x')")
        raise KeyboardInterrupt  # stands for a kill in the middle of the upgrade

    monkeypatch.setattr(sqlite_backend.SQLiteIndex, "_upgrade", killed)
    with pytest.raises(KeyboardInterrupt):
        open_index(path)
    assert _stored_version(path) == 4
    db = sqlite3.connect(path)
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    db.close()
    assert "vocab" not in tables and "wids" not in tables
    monkeypatch.undo()
    with open_index(path) as idx:  # the next open upgrades it
        assert idx.integrity_check() == []
        assert len(idx) == 30
    assert _stored_version(path) == 6


@pytest.mark.parametrize("warm_up", [0, 100])
def test_word_numbers_follow_other_connections_and_rollbacks(tmp_path, texts, monkeypatch, warm_up):
    monkeypatch.setattr(sqlite_backend.SQLiteIndex, "warm_up_checks", warm_up)
    path = tmp_path / "num.db"
    a = open_index(path, NO_LEARN)
    b = open_index(path)
    a.add_many([(f"d{i}", t) for i, t in enumerate(texts[:20])])
    for k, text in enumerate(texts[40:50]):
        assert a.check(text) == b.check(text)  # both have numbered and cached
        (a if k % 2 else b).add(f"n{k}", text)  # new words numbered by one, then the other
        if k == 5:
            with pytest.raises(base.DuplicateIdError):  # rolled back: its new words too
                b.add_many([(f"x{k}", texts[60]), ("d15", texts[61])])
        a.remove(f"d{k}")
    for idx in (a, b):
        assert idx.word_number_problems() == []
        assert idx.word_count_problems() == []
        assert _cached_numbers_problems(idx) == []
        words = sorted(set(" ".join(texts[60:64]).lower().split()))
        assert idx._word_counts(words) == idx._word_counts_by_string(words)
        assert idx._vword == a._vword  # the same numbers in both processes' caches
    db = sqlite3.connect(path)
    nums = [r[0] for r in db.execute("SELECT id FROM vocab ORDER BY id")]
    db.close()
    assert nums == list(range(1, len(nums) + 1))  # never a gap, never reused
    for text in texts[60:70]:
        assert a.check(text) == b.check(text)
    a.close()
    b.close()


def _per_pair_matches(idx, text: str) -> list[base.Match]:
    """The matches as the index made them before its batch paths: every candidate that
    passes the signature filter scored alone with ``Verifier.score`` (no bound)."""
    prep = idx.prepare(text)
    cands = idx._lookup(prep, None)
    kept = [
        c
        for c in cands
        if (np.frombuffer(c.sig, "<u4") == prep.signature).mean() >= idx.config.lsh.min_similarity
        or (prep.text_hash is not None and c.text_hash == prep.text_hash)
    ]
    if not kept or not prep.normalized:
        return []
    texts = idx._texts([c.ref for c in kept])
    qwords = set(prep.normalized.split())
    union = qwords.union(*(set(t.split()) for t in texts))
    stored, n_docs = idx._word_counts(sorted(union))
    df = {w: max(1, stored.get(w, 0) + (w in qwords)) for w in union}
    n = max(n_docs + 1, max(df.values()))
    v = Verifier([prep.normalized, *texts], idx.config.verify, weights=WordWeights(df, df, n))
    out = []
    for j, (c, doc_id) in enumerate(zip(kept, idx._candidate_ids(kept)), 1):
        s = v.score(0, j)
        if s.is_duplicate:
            out.append(
                base.Match(doc_id, s.score, s.relation, s.containment, s.fuzz, s.overlap, c.ts)
            )
    return sorted(out, key=lambda m: (-m.score, m.published_at, m.id))


def test_batch_verification_equals_the_per_pair_path(make_index, texts):
    rng = random.Random(11)
    docs = [(f"d{i}", _glue(t, rng) if i % 4 == 0 else t) for i, t in enumerate(texts)]
    idx = make_index(NO_LEARN)
    idx.add_many(docs[:300])
    found = 0
    for _, text in docs[300:]:
        got = idx.check(text)
        assert got == _per_pair_matches(idx, text)
        found += len(got)
    assert found >= 10


def _word_ids_both_ways(idx, refs, words):
    """(from the rows, from the copy) of ``idx._read_word_ids``, as comparable tuples."""
    out = []
    for cached in (False, True):
        idx.cache_candidates = cached
        with idx._snapshot():
            ids = idx._read_word_ids(refs, words)
        out.append(
            (
                ids.flat.tolist(),
                ids.lens.tolist(),
                ids.counts.tolist(),
                ids.length_of[ids.flat].tolist(),
            )
        )
    return out


def _both_lookups(idx, text: str):
    prep = idx.prepare(text)
    idx.cache_candidates = False
    rows = sorted((c.ref, c.ts, c.sig, c.text_hash) for c in idx._lookup(prep, None))
    n_rows = idx._lsh_candidates
    idx.cache_candidates = True
    cached = sorted((c.ref, c.ts, c.sig, c.text_hash) for c in idx._lookup(prep, None))
    # the candidates' words: from the copy as from the rows
    refs = [r[0] for r in cached]
    from_rows, from_copy = _word_ids_both_ways(idx, refs, sorted(set(prep.normalized.split())))
    assert from_copy == from_rows
    return rows, cached, n_rows, idx._lsh_candidates


def test_cached_candidate_rows_follow_every_change_and_numbers_are_never_reused(
    tmp_path, texts, monkeypatch
):
    monkeypatch.setattr(sqlite_backend.SQLiteIndex, "warm_up_checks", 0)  # copy from the first
    path = tmp_path / "k.db"
    a = open_index(path, NO_LEARN)
    b = open_index(path)
    a.add_many([(f"d{i}", t) for i, t in enumerate(texts[:100])])
    found = 0
    for k, text in enumerate(texts[100:140]):
        for idx in (a, b):  # both copies loaded, then kept current
            rows, cached, n_rows, n_cached = _both_lookups(idx, text)
            assert cached == rows and n_cached == n_rows
            found += len(rows)
        writer, other = (a, b) if k % 2 else (b, a)
        writer.add(f"n{k}", text)
        newest = max(writer._db.execute("SELECT num FROM docs").fetchall())[0]
        if k % 5 == 0:  # the newest document removed: its number is not given again
            writer.remove(f"n{k}")
            other.add(f"r{k}", texts[k])
            assert max(other._db.execute("SELECT num FROM docs").fetchall())[0] > newest
        if k % 7 == 0:  # a rolled-back batch: its numbers are given again, its copies dropped
            with pytest.raises(base.DuplicateIdError):
                writer.add_many([(f"x{k}", texts[150 + k]), ("d99", texts[1])])
        if k % 9 == 0:
            other.add_many([(f"d{k}", texts[160 + k])], on_conflict="replace")
    assert found > 50
    for idx in (a, b):
        idx._sync_cands()  # (a lookup syncs first)
        copies = idx._copies
        live = np.flatnonzero(copies.live).tolist()
        stored = {r[0] for r in idx._db.execute("SELECT num FROM cands")}
        assert stored <= set(live)  # every stored row is copied (removed ones may stay)
        for num, ts, h, sig in idx._db.execute("SELECT num, ts, text_hash, sig FROM cands"):
            assert copies.sig[num].tobytes() == sig and copies.ts[num] == ts
            low = (np.frombuffer(sig, "<u4") & 0xFF).astype(np.uint8)
            assert copies.sig8[num].tobytes() == low.tobytes()
            assert (copies.text_hash[num] if copies.has_hash[num] else None) == h
        stored_ids = dict(idx._db.execute("SELECT num, ids FROM wids"))
        for num, blob in stored_ids.items():  # the copy of wids
            assert copies.word_numbers(np.array([num])).tobytes() == blob
        assert len(stored_ids) == len(stored)
        assert idx.integrity_check() == []
    a.close()
    b.close()


def test_the_copies_are_loaded_only_after_the_warm_up_checks(tmp_path, texts, monkeypatch):
    monkeypatch.setattr(sqlite_backend.SQLiteIndex, "warm_up_checks", 3)
    path = tmp_path / "warm.db"
    open_index(path, NO_LEARN).add_many([(f"d{i}", t) for i, t in enumerate(texts[:60])])
    idx, cold = open_index(path), open_index(path)
    cold.warm_up_checks = 10**9  # never loads them: the reference for the same checks
    for k, text in enumerate(texts[60:70]):
        assert idx.check(text) == cold.check(text)
        assert idx._all_known == (k >= 3)  # the counts from the 4th check on
        # the copies: loaded by a thread the 4th check started, used from the 5th on (here
        # the thread is waited for; a worker goes on reading the file meanwhile)
        assert (idx._loader is not None) == (k == 3)
        if idx._loader is not None:
            idx._loader.join()
        assert idx._kloaded == (k >= 4)
    assert not cold._kloaded and not cold._all_known
    idx.close()
    cold.close()


@pytest.mark.parametrize("width", [1, 7, 64, 128, 200])
def test_agreement_needed_is_the_float_estimate_threshold(width):
    rng = random.Random(width)
    floors = [0.0, 1.0, 0.25, 1 / 3, 2 / 3, 0.1, 0.7] + [rng.random() for _ in range(50)]
    floors += [k / width for k in range(width + 1)]  # exactly on a step
    for floor in floors:
        expected = next((k for k in range(width + 1) if k / width >= floor), width + 1)
        assert sqlite_backend._agreement_needed(width, floor) == expected, floor


@pytest.mark.parametrize("seed", range(4))
def test_query_words_are_the_verifiers_document_words(seed):
    # _query_words (the bound's split of the query's glued words, with counts and numbers)
    # against WordWeights.document_words on the whole query; short words, halves of every
    # length and counts of 1 and 2 make every branch of the split happen
    rng = random.Random(seed)
    pieces = ["ab", "cd", "e", "fgh", "ij", "klmn", "o", "pq", "rs", "tuv"]
    checked = split = 0
    for _ in range(200):
        words = {rng.choice(pieces) + rng.choice(pieces) * rng.randint(0, 1) for _ in range(8)}
        qlist = sorted(words)
        universe = set(pieces) | words
        df = {w: rng.choice([1, 1, 2, 3]) for w in sorted(universe)}
        vocab = {w: k + 1 for k, w in enumerate(sorted(universe)) if rng.random() < 0.9}
        q_df = np.array([df[w] for w in qlist], dtype=np.int64)
        q_nums = np.array([vocab.get(w, 0) for w in qlist], dtype=np.int64)
        got, counts, nums = base._query_words(qlist, q_df, q_nums, df, vocab)
        expected = WordWeights.document_words(" ".join(qlist), df)
        assert sorted(got) == sorted(expected) and len(got) == len(set(got))
        assert counts.tolist() == [df[w] for w in got]
        assert nums.tolist() == [vocab.get(w, 0) for w in got]
        checked += 1
        split += expected != words
    assert checked == 200 and 20 < split < 180


def test_compiled_gather_of_words_is_the_numpy_gather():
    # DocCopies.gather_words compiled against its numpy passes: numbers, counts, the check's
    # document frequencies (query words one more, at least 1), member stamps, unknown counts
    if not DocCopies.compiled_gather:
        pytest.skip("numba is not installed (extra dedup-news[fast])")
    from dedup.config import LSHConfig

    rng = np.random.default_rng(5)
    vocab = 300
    copies = DocCopies(LSHConfig(bands=4, rows=2))
    rows = []
    for num in range(1, 81):
        words = rng.choice(np.arange(1, vocab), int(rng.integers(0, 30)), replace=False)
        sig = rng.integers(0, 2**32, 8, dtype=np.uint32).tobytes()
        rows.append((num, 0.0, None, sig, words.astype("<u4").tobytes()))
    copies.put(rows)
    for trial in range(10):
        nums = np.sort(rng.choice(np.arange(1, 81), int(rng.integers(1, 40)), replace=False))
        count_of = rng.integers(-1, 5, vocab)  # (-1: removed meanwhile, counts 1 at least)
        known = rng.random(vocab) < (1.0 if trial % 2 else 0.9)
        in_query = np.where(rng.random(vocab) < 0.3, 1.0, 0.0)
        got = []
        for compiled in (True, False):
            member = np.full(vocab, 3, dtype=np.uint32)
            lens, words, unknown = copies.gather_words(
                nums, count_of, known, in_query, member, 7, compiled=compiled
            )
            got.append((lens.tolist(), words.tolist(), unknown, member.tolist()))
        assert got[0] == got[1]
        lens, words, unknown, member = got[0]
        flat = copies.word_numbers(nums).tolist()  # the plain definitions
        assert words[0] == flat and lens == [len(copies.word_numbers(np.array([d]))) for d in nums]
        assert words[1] == [int(count_of[w]) for w in flat]
        assert words[2] == [max(1, int(count_of[w]) + (in_query[w] > 0)) for w in flat]
        assert unknown == sum(1 for w in flat if not known[w])
        assert member == [7 if w in set(flat) else 3 for w in range(vocab)]


def test_compiled_bound_sums_are_the_numpy_sums():
    # the numba kernel of _prune_ids against the numpy passes it replaces, on random words:
    # counts of 1 and more, word lengths around the split limit of 4, empty candidates
    if base._bound_sums is None:
        pytest.skip("numba is not installed (extra dedup-news[fast])")
    rng = np.random.default_rng(3)
    for _ in range(20):
        vocab = 500
        lens = rng.integers(0, 40, 60)
        lens[::7] = 0  # (candidates without words)
        flat = rng.integers(1, vocab, int(lens.sum()))
        df_f = np.maximum(1, rng.integers(-3, 6, len(flat)))
        length_of = rng.integers(1, 8, vocab)
        wa = np.where(rng.random(vocab) < 0.3, rng.random(vocab) * 5, 0.0)
        n = 1000
        shared, m_lo, n_glued = base._bound_sums(flat, lens, df_f, length_of, wa, n + 1.0)
        glue = (df_f == 1) & (length_of[flat] >= 4)
        wt = np.log((n + 1) / (df_f + 1.0)) + 1.0
        np.testing.assert_allclose(shared, base._segment_sums(wa[flat], lens), rtol=1e-12)
        np.testing.assert_allclose(
            m_lo, base._segment_sums(np.where(glue, 0.0, wt), lens), rtol=1e-12
        )
        assert n_glued.tolist() == base._segment_sums(glue.astype(np.int64), lens).tolist()
        assert (n_glued > 0).any() and (lens == 0).any()


def test_union_counts_gathered_at_once_are_the_ones_read_one_by_one():
    # _UnionCounts.counts (by number, at once) against __getitem__ (one word at a time):
    # query words from the query's counts, candidate words at least 1, others refused
    vocab = {"a": 1, "b": 2, "c": 3, "d": 4}
    words = ["", "a", "b", "c", "d"]
    member = np.array([0, 5, 5, 2, 5], dtype=np.uint32)  # "c" is no candidate's (stamp 2)
    count_of = np.array([0, 3, 0, -1, 7])
    union = base._UnionCounts({"q": 1, "a": 9}, vocab, words, member, count_of, 5)
    asked = ["q", "a", "b", "d"]
    assert union.counts(asked) == {w: union[w] for w in asked} == {"q": 1, "a": 9, "b": 1, "d": 7}
    for missing in ("c", "zz"):
        with pytest.raises(KeyError, match=missing):
            union.counts(["b", missing])
        assert missing not in union and union.get(missing, -1) == -1
    assert sorted(union) == ["a", "b", "d", "q"]
