"""Stored settings, format marker, and damaged or foreign files."""

from __future__ import annotations

import json
import sqlite3

import pytest

from dedup.config import BoilerplateConfig, DedupConfig, LSHConfig, MinHashConfig, ShingleConfig
from dedup.errors import ConfigMismatchError, DedupError
from dedup.index import IndexFormatError, open_index

from .test_api import OTHER, STORY


@pytest.mark.parametrize(
    ("other", "named"),
    [
        (DedupConfig(shingle=ShingleConfig(size=3)), "shingle.size: index has 1, asked for 3"),
        (
            DedupConfig(minhash=MinHashConfig(num_perm=64), lsh=LSHConfig(bands=21)),
            "minhash.num_perm: index has 128, asked for 64",
        ),
        (DedupConfig(lsh=LSHConfig(bands=20, rows=5)), "lsh.bands: index has 42, asked for 20"),
        (DedupConfig(minhash=MinHashConfig(hash="sha1_32")), "minhash.hash"),
        (DedupConfig(minhash=MinHashConfig(seed=7)), "minhash.seed: index has 1, asked for 7"),
    ],
)
def test_refuses_other_settings_and_names_them(make_index, other, named):
    make_index().add("a", STORY)
    with pytest.raises(ConfigMismatchError, match=named.replace("(", r"\(")):
        make_index(other)
    idx = make_index()  # without a config: the stored settings
    assert idx.config == DedupConfig()
    assert [m.id for m in idx.check(STORY)] == ["a"]


def test_uses_stored_settings_when_none_given(make_index):
    cfg = DedupConfig(shingle=ShingleConfig(kind="char", size=5, min_token_len=1))
    make_index(cfg).add("a", STORY)
    idx = make_index()
    assert idx.config == cfg
    assert idx.stats()["config"]["shingle"] == {"kind": "char", "size": 5, "min_token_len": 1}


def test_changed_rule_file_is_noticed(make_index, tmp_path):
    rules = tmp_path / "extra.rules"
    rules.write_text("drop_line  house_ad  (?i)^subscribe now\n", encoding="utf-8")
    cfg = DedupConfig(boilerplate=BoilerplateConfig(extra_rules_path=str(rules)))
    make_index(cfg).add("a", STORY)
    make_index(cfg)  # unchanged: fine
    rules.write_text("drop_line  house_ad  (?i)^subscribe today\n", encoding="utf-8")
    from dedup.text.boilerplate import rules_for

    rules_for.cache_clear()
    with pytest.raises(ConfigMismatchError, match="rule files' content changed"):
        make_index(cfg)


def test_other_normalizer_version_is_refused(tmp_path):
    path = tmp_path / "news.db"
    open_index(path).close()
    db = sqlite3.connect(path)
    meta = json.loads(db.execute("SELECT value FROM meta WHERE key='settings'").fetchone()[0])
    meta["config"]["normalizer_version"] = 0
    db.execute("UPDATE meta SET value=? WHERE key='settings'", (json.dumps(meta),))
    db.commit()
    db.close()
    with pytest.raises(ConfigMismatchError, match=r"normalizer_version: index has 0.*rebuild"):
        open_index(path)


def test_text_file_is_not_an_index(tmp_path):
    p = tmp_path / "notes.db"
    p.write_text("just some notes, not a database\n" * 10)
    with pytest.raises(IndexFormatError, match="not a dedup index"):
        open_index(p)
    assert p.read_text().startswith("just some notes")  # untouched


def test_foreign_sqlite_database_is_not_an_index(tmp_path):
    p = tmp_path / "app.db"
    db = sqlite3.connect(p)
    db.execute("CREATE TABLE users(name TEXT)")
    db.commit()
    db.close()
    with pytest.raises(IndexFormatError, match="SQLite database but not a dedup index"):
        open_index(p)


def _filled(path):
    with open_index(path) as idx:
        idx.add_many((f"d{i}", f"{STORY} {i} {OTHER}") for i in range(300))
    # fold the WAL into the main file so the file alone is the index
    db = sqlite3.connect(path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()


def test_truncated_index_gives_a_clear_error(tmp_path):
    p = tmp_path / "news.db"
    _filled(p)
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(IndexFormatError, match="truncated"):
        open_index(p)


def test_damaged_header_gives_a_clear_error(tmp_path):
    p = tmp_path / "news.db"
    _filled(p)
    data = bytearray(p.read_bytes())
    data[0:16] = b"garbage garbage!"
    p.write_bytes(bytes(data))
    with pytest.raises(IndexFormatError, match="not a dedup index"):
        open_index(p)


def test_damaged_pages_are_found_by_the_integrity_check(tmp_path):
    p = tmp_path / "news.db"
    _filled(p)
    data = bytearray(p.read_bytes())
    page = 4096
    for off in range(3 * page, len(data) - page, 7 * page):  # scribble over several pages
        data[off + 8 : off + 200] = b"\xa5" * 192
    p.write_bytes(bytes(data))
    try:
        idx = open_index(p)
    except DedupError as exc:  # damaged where opening reads: also a clear error
        assert "damaged" in str(exc) or "not a dedup index" in str(exc)
        return
    with idx:
        try:
            problems = idx.integrity_check()
        except DedupError:
            return
        assert problems


def test_missing_index_without_create(tmp_path):
    with pytest.raises(IndexFormatError, match="no such index"):
        open_index(tmp_path / "missing.db", create=False)


def test_redis_foreign_key_is_not_an_index(redis_url):
    import redis

    r = redis.Redis.from_url(redis_url)
    r.set("foreign:meta", b"\x00\x01 not json")
    try:
        with pytest.raises(IndexFormatError, match="not a dedup index marker"):
            open_index(redis_url, prefix="foreign:")
    finally:
        r.delete("foreign:meta")
        r.close()


def test_redis_unreachable_is_a_clear_error():
    pytest.importorskip("redis")
    with pytest.raises(DedupError, match="cannot reach Redis"):
        open_index("redis://127.0.0.1:1/0", socket_connect_timeout=1)


def test_unknown_sqlite_option(tmp_path):
    with pytest.raises(ValueError, match=r"unknown option.*prefix"):
        open_index(tmp_path / "x.db", prefix="a:")


def test_redis_password_is_passed_through(redis_with_password):
    with pytest.raises(DedupError, match="cannot reach Redis"):
        open_index(redis_with_password)
    with open_index(redis_with_password, password="hunter2-test", prefix="pw:") as idx:
        idx.add("a", STORY)
        assert [m.id for m in idx.check(STORY)] == ["a"]
    url = redis_with_password.replace("redis://", "redis://:hunter2-test@")
    with open_index(url, prefix="pw:") as idx:
        assert len(idx) == 1
        assert "hunter2" not in idx.location  # the password is never shown
