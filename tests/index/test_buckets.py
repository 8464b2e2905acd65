"""Big LSH buckets: the index applies the star rule of dedup.cluster; bulk loads count exactly;
format version 2 (set buckets in Redis) is refused there with a rebuild message."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from benchmarks.corpus import generate_corpus
from dedup.config import LSHConfig
from dedup.index import open_index
from dedup.index.base import IndexFormatError
from dedup.sketch.lsh import candidate_pairs

from .conftest import NO_LEARN

# a small bucket cap, so the generator's shared vocabulary makes many buckets overflow
CAPPED = replace(NO_LEARN, lsh=LSHConfig(max_bucket=4, min_similarity=0.0))


@pytest.fixture(scope="module")
def texts() -> list[str]:
    docs = generate_corpus(160, seed=21, dup_fraction=0.2, languages=("fr",))
    return [d["text"] for d in docs]


@pytest.mark.parametrize("warm_up", [0, 10**9])  # buckets copied in memory, or read
def test_lookup_is_the_batch_star_rule(make_index, texts, warm_up):
    idx = make_index(CAPPED)
    idx.warm_up_checks = warm_up  # (SQLite only; Redis has no copies)
    preps = idx.prepare_many(texts)
    keep, seen = [], set()
    for p in preps:  # distinct texts: exact copies are also found by their text hash
        if p.normalized not in seen:
            seen.add(p.normalized)
            keep.append(p)
    stored, queries = keep[:-12], keep[-12:]
    idx.add_prepared([(f"s{i}", p, None) for i, p in enumerate(stored)])
    capped_any = False
    for q in queries:
        sigs = np.stack([p.signature for p in stored] + [q.signature])
        last = len(stored)
        pairs = candidate_pairs(sigs, CAPPED.lsh)
        expected = {f"s{a}" for a, b in pairs if b == last}
        got = set(idx._candidate_ids(idx._lookup(q, None)))
        assert got == expected
        unlimited = candidate_pairs(sigs, replace(CAPPED.lsh, max_bucket=10_000))
        capped_any |= len(expected) < sum(1 for _, b in unlimited if b == last)
    assert capped_any  # the cap really applied to some query


def test_batched_bulk_load_counts_words_like_single_adds(make_index, texts, tmp_path):
    idx = make_index(NO_LEARN)
    rows = [(f"d{i}", t) for i, t in enumerate(texts[:60])]
    idx.add_many(rows, batch_size=25)
    # replacing ids inside one batch, including an id added earlier in that same batch
    again = [("d3", texts[70]), ("new", texts[71]), ("new", texts[72]), ("d4", texts[73])]
    idx.add_prepared(
        [(i, p, None) for (i, _), p in zip(again, idx.prepare_many([t for _, t in again]))],
        batch_size=10,
        on_conflict="replace",
    )
    assert idx.word_count_problems() == []
    single = open_index(tmp_path / "single.db", NO_LEARN)
    for doc_id, text in rows:
        single.add(doc_id, text)
    for doc_id, text in [("d3", texts[70]), ("new", texts[72]), ("d4", texts[73])]:
        single.remove(doc_id)
        single.add(doc_id, text)
    assert single.stored_word_counts() == idx.stored_word_counts()
    assert sorted(single.ids()) == sorted(idx.ids())
    single.close()


def _set_version(meta_json: str, version: int) -> str:
    meta = json.loads(meta_json)
    meta["format_version"] = version
    return json.dumps(meta)


def test_sqlite_version_2_still_opens(tmp_path, texts, make_old_sqlite):
    path = tmp_path / "v2.db"
    with open_index(path, NO_LEARN) as idx:
        idx.add("a", texts[0])
    make_old_sqlite(path, 2)
    with open_index(path) as idx:  # upgraded in place
        assert [m.id for m in idx.check(texts[0])] == ["a"]


def test_redis_version_2_is_refused_with_a_rebuild_message(redis_url):
    import redis

    prefix = "v2-format:"
    with open_index(redis_url, NO_LEARN, prefix=prefix) as idx:
        meta = idx._r.get(prefix + "meta").decode()
    r = redis.Redis.from_url(redis_url)
    r.set(prefix + "meta", _set_version(meta, 2))
    try:
        with pytest.raises(IndexFormatError, match=r"version 2 .*reads version 3.*rebuild"):
            open_index(redis_url, prefix=prefix)
    finally:
        r.delete(prefix + "meta")
        r.close()


def test_cached_word_counts_follow_other_connections_and_own_writes(tmp_path, texts):
    path = tmp_path / "wc.db"
    a = open_index(path, NO_LEARN)
    b = open_index(path)
    a.add_many([(f"d{i}", t) for i, t in enumerate(texts[:20])])
    words = sorted(set(a.prepare(texts[30]).normalized.split()))
    assert a._word_counts(words) == b._word_counts(words)  # both caches filled
    b.add("other", texts[30])  # another connection commits
    a.add("mine", texts[31])  # and this one
    a.remove("d0")
    truth = {w: n for w, n in a.stored_word_counts()[0].items() if w in words}
    for idx in (a, b):
        counts, n_docs = idx._word_counts(words)
        assert (counts, n_docs) == (truth, 21)
    a.close()
    b.close()
