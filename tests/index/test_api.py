"""The index API on both backends (real SQLite file, real redis-server)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from dedup.config import DedupConfig, VerifyConfig
from dedup.index import AddResult, DuplicateIdError, Match

STORY = (
    "Minister Lanvo Ducam signed a cooperation agreement on port equipment in Jakarta on "
    "Tuesday with his counterpart Sabo Kelin, covering training, research and joint exercises "
    "for the coming five years.\n\n"
    "The delegation also visited a factory where new railway projects were announced, and both "
    "sides agreed to meet again in Hanoi next spring to review progress on infrastructure."
)
COPY = STORY + "\n\nPhoto : VNA"
REWRITE = (
    "In Jakarta on Tuesday, minister Lanvo Ducam and his counterpart Sabo Kelin signed an "
    "agreement on cooperation in port equipment, which covers research, training and joint "
    "exercises over five years.\n\n"
    "Both sides agreed to meet in Hanoi next spring to review infrastructure progress; the "
    "delegation visited a factory where railway projects were announced."
)
OTHER = (
    "Heavy rain is expected across the northern provinces tomorrow, the weather service said, "
    "with flooding possible along the rivers and landslides in the mountain districts.\n\n"
    "Farmers were advised to harvest early and schools may close if the warnings are raised."
)


def test_check_does_not_add_and_finds_stored_copy(make_index):
    idx = make_index()
    assert idx.check(STORY) == []
    assert len(idx) == 0
    idx.add("a", STORY)
    assert len(idx) == 1 and "a" in idx and "b" not in idx
    matches = idx.check(COPY)
    assert [(m.id, m.relation) for m in matches] == [("a", "exact")]
    assert isinstance(matches[0], Match) and matches[0].score == 1.0
    assert idx.check(OTHER) == []
    assert len(idx) == 1


def test_check_and_add_original_then_duplicate(make_index):
    idx = make_index()
    first = idx.check_and_add("a", STORY)
    assert isinstance(first, AddResult)
    assert (first.added, first.duplicate, first.duplicate_of) == (True, False, None)
    second = idx.check_and_add("b", COPY)
    assert (second.added, second.duplicate_of) == (True, "a")
    third = idx.check_and_add("c", OTHER)
    assert not third.duplicate
    assert len(idx) == 3
    # a later copy matches both stored copies, best (exact, earliest) first
    fourth = idx.check_and_add("d", STORY, add_duplicates=False)
    assert fourth.added is False
    assert [m.id for m in fourth.matches] == ["a", "b"]
    assert "d" not in idx and len(idx) == 3


def test_near_copy_and_same_story_relations(make_index):
    idx = make_index()
    idx.add("full", STORY)
    truncated = STORY.split("\n\n")[0]
    [m] = idx.check(truncated)
    assert (m.id, m.relation) == ("full", "near_copy")
    assert m.containment == 1.0


def test_duplicate_id_is_refused(make_index):
    idx = make_index()
    idx.add("a", STORY)
    with pytest.raises(DuplicateIdError, match="'a' is already in the index"):
        idx.add("a", OTHER)
    with pytest.raises(DuplicateIdError, match="'a'"):
        idx.check_and_add("a", OTHER)
    assert len(idx) == 1
    assert idx.check(OTHER) == []  # the refused text was not stored


def test_add_many_on_conflict(make_index):
    idx = make_index()
    assert idx.add_many([("a", STORY), ("b", OTHER)]) == 2
    with pytest.raises(DuplicateIdError):
        idx.add_many([("a", OTHER)])
    assert idx.add_many([("a", OTHER), ("c", COPY)], on_conflict="skip") == 1
    assert [m.id for m in idx.check(STORY)] == ["a", "c"]
    assert idx.add_many([("a", OTHER)], on_conflict="replace") == 1
    assert len(idx) == 3
    assert [m.id for m in idx.check(STORY)] == ["c"]  # "a" now holds the other story
    assert {m.id for m in idx.check(OTHER)} == {"a", "b"}


def test_remove(make_index):
    idx = make_index()
    idx.add("a", STORY)
    idx.add("b", OTHER)
    assert idx.remove("a") is True
    assert idx.remove("a") is False
    assert idx.check(COPY) == [] and len(idx) == 1
    idx.add("a", STORY)  # the id can be used again
    assert [m.id for m in idx.check(COPY)] == ["a"]


def test_empty_and_wordless_texts_never_match(make_index):
    idx = make_index()
    idx.add("empty", "")
    idx.add("short", "a b c")  # tokens but no shingle of 4+ characters: empty signature
    idx.add("story", STORY)
    assert idx.check("") == []
    assert [m.id for m in idx.check("a b c")] == ["short"]  # exact text still matches
    assert [m.id for m in idx.check(STORY)] == ["story"]
    assert len(idx) == 3
    assert idx.remove("short") and idx.remove("empty")
    assert idx.check("a b c") == []


def test_evict_by_published_at(make_index):
    idx = make_index()
    now = datetime.now(timezone.utc)
    idx.add("old", STORY, published_at=now - timedelta(days=40))
    idx.add("recent", COPY, published_at=(now - timedelta(days=2)).isoformat())
    idx.add("unknown", OTHER)  # no date: the time it was added
    assert idx.evict(older_than="30d") == 1
    assert "old" not in idx and len(idx) == 2
    assert [m.id for m in idx.check(STORY)] == ["recent"]
    assert idx.evict(older_than=timedelta(days=1)) == 1
    assert idx.evict(older_than=now + timedelta(hours=1)) == 1  # absolute cut-off
    assert len(idx) == 0
    with pytest.raises(ValueError, match="older_than"):
        idx.evict()
    with pytest.raises(ValueError, match="duration"):
        idx.evict(older_than="soon")


def test_retention_hides_and_evicts_old_articles(make_index):
    idx = make_index(retention="7d")
    assert idx.retention == 7 * 86400
    now = datetime.now(timezone.utc)
    idx.add("old", STORY, published_at=now - timedelta(days=8))
    idx.add("new", OTHER, published_at=now)
    assert idx.check(COPY) == []  # outside the window: never matched
    assert idx.check_and_add("copy", COPY).duplicate is False
    idx.close()
    idx = make_index()  # retention is stored in the index
    assert idx.retention == 7 * 86400
    assert idx.evict() == 1
    assert sorted(["copy", "new"]) == sorted(x for x in ("old", "new", "copy") if x in idx)


def test_verify_threshold_may_differ_between_sessions(make_index):
    idx = make_index()
    idx.add("full", STORY)
    idx.close()
    idx = make_index()
    assert [m.relation for m in idx.check(REWRITE)] == ["same_story"]
    idx.close()
    strict = make_index(DedupConfig(verify=VerifyConfig(threshold=0.9)))
    assert strict.check(REWRITE) == []
    assert [m.relation for m in strict.check(COPY)] == ["exact"]


def test_bad_published_at(make_index):
    idx = make_index()
    with pytest.raises(ValueError, match="ISO 8601"):
        idx.add("a", STORY, published_at="last tuesday")
    with pytest.raises(ValueError, match="non-empty"):
        idx.add("", STORY)
    assert len(idx) == 0


def test_stats(make_index, backend):
    idx = make_index()
    idx.add_many([("a", STORY), ("b", OTHER)])
    s = idx.stats()
    assert s["backend"] == backend and s["documents"] == 2
    assert s["config"]["minhash"]["num_perm"] == 128
    assert s["oldest"] <= s["newest"]
