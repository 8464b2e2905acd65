"""The real ``dedup index`` command (python -m dedup, in a subprocess)."""

from __future__ import annotations

import json

import pytest

from .test_api import COPY, OTHER, REWRITE, STORY


@pytest.fixture
def inputs(tmp_path):
    archive = tmp_path / "archive.jsonl"
    archive.write_text(
        json.dumps({"id": "a", "text": STORY})
        + "\n"
        + json.dumps({"id": "b", "text": OTHER})
        + "\n",
        encoding="utf-8",
    )
    incoming = tmp_path / "incoming.jsonl"
    incoming.write_text(
        "\n".join(
            json.dumps({"id": i, "text": t})
            for i, t in [("c", COPY), ("r", REWRITE), ("n", "A completely unrelated note.")]
        )
        + "\n",
        encoding="utf-8",
    )
    return archive, incoming


def test_add_check_stats_evict(run_cli, tmp_path, inputs):
    archive, incoming = inputs
    db = str(tmp_path / "news.db")
    r = run_cli("index", "add", db, str(archive), "--retention", "30d")
    assert r.returncode == 0, r.stderr
    assert "added 2 articles" in r.stderr

    r = run_cli("index", "check", db, str(incoming))
    assert r.returncode == 0, r.stderr
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    assert [x["id"] for x in lines] == ["c", "r", "n"]
    assert [x["duplicate"] for x in lines] == [True, True, False]
    assert lines[0]["matches"] == [{"id": "a", "score": 1.0, "relation": "exact"}]
    assert [m["relation"] for m in lines[1]["matches"]] == ["same_story"]

    r = run_cli("index", "stats", db, "--integrity")
    assert r.returncode == 0, r.stderr
    stats = json.loads(r.stdout)
    assert stats["documents"] == 2 and stats["integrity"] == ["ok"]
    assert stats["retention_seconds"] == 30 * 86400

    r = run_cli("index", "check", db, str(incoming), "--add", "-o", str(tmp_path / "out.jsonl"))
    assert r.returncode == 0, r.stderr
    out = [json.loads(x) for x in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [x["added"] for x in out] == [True, True, True]

    r = run_cli("index", "evict", db, "--older-than", "0s")
    assert r.returncode == 0, r.stderr
    assert "evicted 5 articles" in r.stderr


def test_published_at_and_evict_with_stored_retention(run_cli, tmp_path, inputs):
    archive, _ = inputs
    db = str(tmp_path / "news.db")
    r = run_cli(
        "index",
        "add",
        db,
        str(archive),
        "--published-at",
        "2020-01-01T00:00:00Z",
        "--retention",
        "7d",
    )
    assert r.returncode == 0, r.stderr
    r = run_cli("index", "evict", db)
    assert r.returncode == 0, r.stderr
    assert "evicted 2 articles" in r.stderr


def test_bad_inputs_and_mismatched_settings_exit_2(run_cli, tmp_path, inputs):
    archive, incoming = inputs
    notes = tmp_path / "notes.txt"
    notes.write_text("not an index")
    r = run_cli("index", "add", str(notes), str(archive))
    assert r.returncode == 2 and "not a dedup index" in r.stderr
    db = str(tmp_path / "news.db")
    assert run_cli("index", "add", db, str(archive)).returncode == 0
    r = run_cli("index", "add", db, str(archive))
    assert r.returncode == 2 and "'a' is already in the index" in r.stderr
    r = run_cli("index", "check", db, str(incoming), "--ngram", "3")
    assert r.returncode == 2
    assert "shingle.size: index has 1, asked for 3" in r.stderr


def test_redis_url_and_options(run_cli, redis_url, inputs):
    archive, incoming = inputs
    common = ["--prefix", "cli-test:", "--redis-option", "socket_timeout=5"]
    r = run_cli("index", "add", redis_url, str(archive), *common)
    assert r.returncode == 0, r.stderr
    r = run_cli("index", "check", redis_url, str(incoming), *common)
    assert r.returncode == 0, r.stderr
    assert [json.loads(x)["duplicate"] for x in r.stdout.splitlines()] == [True, True, False]
    r = run_cli("index", "evict", redis_url, "--prefix", "cli-test:", "--older-than", "0s")
    assert "evicted 2 articles" in r.stderr


def test_help_lists_actions(run_cli):
    r = run_cli("index", "--help")
    assert r.returncode == 0
    for action in ("add", "check", "stats", "evict", "redis://"):
        assert action in r.stdout
