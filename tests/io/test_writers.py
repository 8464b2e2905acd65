"""Writers: atomic output (temp file + rename), file mode, clear errors."""

from __future__ import annotations

import json
import os
import stat

import pytest

from dedup.documents import Skipped
from dedup.errors import DedupError, OutputError
from dedup.io import atomic_output, write_skipped


def _leftovers(directory) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


def test_complete_block_replaces_the_file(tmp_path):
    out = tmp_path / "out.jsonl"
    out.write_text("old\n")
    with atomic_output(out) as fh:
        fh.write("new\n")
        assert out.read_text() == "old\n"  # nothing visible until the block ends
    assert out.read_text() == "new\n"
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("exc", [RuntimeError("boom"), KeyboardInterrupt()])
def test_failed_block_leaves_old_file_and_no_temp(tmp_path, exc):
    out = tmp_path / "out.jsonl"
    out.write_text("old\n")
    with pytest.raises(type(exc)), atomic_output(out) as fh:
        fh.write("partial")
        raise exc
    assert out.read_text() == "old\n"
    assert _leftovers(tmp_path) == []


def test_failed_block_creates_nothing(tmp_path):
    out = tmp_path / "new.jsonl"
    with pytest.raises(RuntimeError), atomic_output(out) as fh:
        fh.write("partial")
        raise RuntimeError
    assert not out.exists() and _leftovers(tmp_path) == []


def test_mode_follows_umask_or_existing_file(tmp_path):
    old = os.umask(0o022)
    try:
        with atomic_output(tmp_path / "a") as fh:
            fh.write("x")
        assert stat.S_IMODE((tmp_path / "a").stat().st_mode) == 0o644  # not mkstemp's 0600
        (tmp_path / "b").write_text("x")
        os.chmod(tmp_path / "b", 0o640)
        with atomic_output(tmp_path / "b") as fh:
            fh.write("y")
        assert stat.S_IMODE((tmp_path / "b").stat().st_mode) == 0o640
    finally:
        os.umask(old)


def test_missing_directory_is_an_output_error(tmp_path):
    target = tmp_path / "no" / "such" / "out.jsonl"
    with pytest.raises(OutputError, match=r"out\.jsonl: cannot write: No such file") as info:
        with atomic_output(target):
            pass
    assert isinstance(info.value, DedupError) and isinstance(info.value, OSError)


def test_target_is_a_directory(tmp_path):
    (tmp_path / "d").mkdir()
    with pytest.raises(OutputError, match="cannot write"), atomic_output(tmp_path / "d") as fh:
        fh.write("x")
    assert _leftovers(tmp_path) == []


def test_write_skipped_jsonl(tmp_path):
    rows = [
        Skipped("invalid_json", "f.jsonl:3: invalid JSON", None, "f.jsonl", 3),
        Skipped("duplicate_id", "g:1: duplicate id 'é'", "é", "g", 1),
    ]
    with atomic_output(tmp_path / "s.jsonl") as fh:
        write_skipped(rows, fh)
    got = [json.loads(x) for x in (tmp_path / "s.jsonl").read_text("utf-8").splitlines()]
    assert got == [r.to_dict() for r in rows]
    assert set(got[0]) == {"id", "source", "line", "reason", "detail"}
