"""Per-word document counts: kept with the documents, used for the verifier's word weights."""

from __future__ import annotations

import json
import sqlite3

import pytest

from benchmarks.corpus import generate_corpus
from dedup.index import IndexFormatError, open_index
from dedup.match.verify import WordWeights

from .conftest import NO_LEARN


@pytest.fixture(scope="module")
def docs() -> list[tuple[str, str]]:
    return [(d["id"], d["text"]) for d in generate_corpus(60, seed=5, dup_fraction=0.4)]


def _assert_counts(idx, expected_texts: list[str]) -> None:
    """Stored counts equal a recount of the texts we know are stored (not only of the index)."""
    stored, n = idx.stored_word_counts()
    assert n == len(expected_texts) == len(idx)
    assert stored == WordWeights.raw_counts(expected_texts)
    assert idx.word_count_problems() == []


def test_counts_follow_add_remove_replace_and_evict(make_index, docs):
    idx = make_index(NO_LEARN)
    norm = {i: idx.prepare(t).normalized for i, t in docs}
    assert idx.stored_word_counts() == ({}, 0)
    idx.add_many(docs[:40], batch_size=7)
    idx.add(*docs[40])
    idx.check_and_add(*docs[41])
    idx.check_and_add(*docs[42], add_duplicates=False)  # maybe not stored
    stored = [i for i, _ in docs[:43] if i in idx]
    _assert_counts(idx, [norm[i] for i in stored])
    assert idx.stored_word_counts()[0]  # really counted something

    for i, _ in docs[:10]:
        assert idx.remove(i)
    assert not idx.remove(docs[0][0])  # a second removal changes nothing
    stored = [i for i in stored if i not in {d[0] for d in docs[:10]}]
    _assert_counts(idx, [norm[i] for i in stored])

    # replace: the old text's words go, the new text's come
    new = docs[50][1]
    idx.add_many([(docs[20][0], new)], on_conflict="replace")
    norm[docs[20][0]] = idx.prepare(new).normalized
    _assert_counts(idx, [norm[i] for i in stored])

    idx.add_many(docs[44:50])
    idx.add_many([{"id": "old", "text": docs[55][1], "published_at": "2001-01-01T00:00:00Z"}])
    assert idx.evict("3650d") == 1
    _assert_counts(idx, [norm[i] for i in stored] + [norm[i] for i, _ in docs[44:50]])
    n_before = len(idx)
    assert n_before > 20 and idx.evict("0s") == n_before
    _assert_counts(idx, [])
    assert idx.stored_word_counts() == ({}, 0)  # words of no document are deleted


def test_a_check_weighs_words_by_stored_documents_plus_the_query(make_index, docs):
    # A word the stored documents all use weighs little, one only the pair uses a lot: the
    # same pair scores differently depending on what else is stored.
    idx = make_index(NO_LEARN)
    story = "le ministre vietnamien a signe un accord de cooperation a moscou mardi soir"
    rewrite = "mardi soir a moscou le ministre vietnamien a signe un accord sur la peche"
    idx.add("a", story)
    alone = idx.check(rewrite)[0].overlap
    # many stored articles use "moscou" and "mardi": they weigh less now, the score changes
    filler = [(f"f{i}", f"moscou mardi soir reunion numero {i} sur le commerce") for i in range(30)]
    idx.add_many(filler)
    crowded = idx.check(rewrite)
    assert crowded and crowded[0].overlap != alone
    # ... and equals the verifier with weights of "stored + this article"
    from dedup.match.verify import Verifier

    texts = [idx.prepare(rewrite).normalized, *idx._all_texts()]
    raw = WordWeights.raw_counts(texts)
    ver = Verifier(texts, NO_LEARN.verify, weights=WordWeights(raw, raw, len(texts)))
    a_pos = texts.index(idx.prepare(story).normalized, 1)
    assert crowded[0].overlap == ver.score(0, a_pos).overlap


def test_old_format_version_is_refused_with_a_clear_message(tmp_path, redis_url):
    path = tmp_path / "old.db"
    open_index(path).close()
    db = sqlite3.connect(path)
    meta = json.loads(db.execute("SELECT value FROM meta WHERE key='settings'").fetchone()[0])
    meta["format_version"] = 1
    db.execute("UPDATE meta SET value=? WHERE key='settings'", (json.dumps(meta),))
    db.commit()
    db.close()
    with pytest.raises(IndexFormatError, match=r"version 1 \(without per-word .*rebuild"):
        open_index(path)

    import redis

    r = redis.Redis.from_url(redis_url)
    prefix = "old-format:"
    r.set(prefix + "meta", json.dumps(meta))
    try:
        with pytest.raises(IndexFormatError, match=r"version 1 \(without per-word .*rebuild"):
            open_index(redis_url, prefix=prefix)
    finally:
        r.delete(prefix + "meta")
        r.close()
