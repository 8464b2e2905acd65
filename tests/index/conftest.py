"""Fixtures for the index tests: a REAL redis-server on a free loopback port, and a
factory that opens the same kind of index on either backend."""

from __future__ import annotations

import itertools
import json
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from dedup.config import BoilerplateConfig, DedupConfig, LSHConfig
from dedup.index import open_index
from dedup.index import sqlite as sqlite_backend

ROOT = Path(__file__).resolve().parents[2]
BACKENDS = ["sqlite", "redis"]
_counter = itertools.count()

#: Index settings used by the agreement tests: learned boilerplate never applies to an index.
NO_LEARN = DedupConfig(boilerplate=BoilerplateConfig(learn=False))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_redis(workdir: Path, *extra: str) -> tuple[subprocess.Popen, str] | None:
    """Start a real redis-server on a free loopback port; None if it cannot start."""
    import redis

    binary = shutil.which("redis-server")
    assert binary is not None
    for _attempt in range(5):
        port = _free_port()
        proc = subprocess.Popen(
            [
                binary,
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(workdir),
                *extra,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        client = redis.Redis(host="127.0.0.1", port=port)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                client.ping()
                break
            except redis.AuthenticationError:
                break  # up, and asking for a password
            except redis.ConnectionError:
                time.sleep(0.05)
        client.close()
        if proc.poll() is None:
            return proc, f"redis://127.0.0.1:{port}/0"
    return None


def stop_redis(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def _need_redis() -> None:
    if shutil.which("redis-server") is None:
        pytest.skip(
            "redis-server is not installed (Debian/Ubuntu: apt-get install redis-server; "
            "scripts/test.sh installs it when DEDUP_APT_PACKAGES lists redis-server)"
        )
    try:
        import redis  # noqa: F401
    except ImportError:
        pytest.skip("the redis Python package is missing: pip install 'dedup-news[redis]'")


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory):
    """URL of a redis-server started for this test session (skips if none can start)."""
    _need_redis()
    started = start_redis(tmp_path_factory.mktemp("redis"))
    if started is None:
        pytest.skip("redis-server is installed but could not be started on a loopback port")
    proc, url = started
    yield url
    stop_redis(proc)


@pytest.fixture
def redis_with_password(tmp_path: Path):
    """A second real redis-server that requires the password 'hunter2-test'."""
    _need_redis()
    started = start_redis(tmp_path, "--requirepass", "hunter2-test")
    if started is None:
        pytest.skip("redis-server could not be started on a loopback port")
    proc, url = started
    yield url
    stop_redis(proc)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def target(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> tuple[str, dict]:
    """``(target, options)`` of a fresh, empty index of the parametrized backend."""
    if backend == "sqlite":
        return str(tmp_path / "news.db"), {}
    url = request.getfixturevalue("redis_url")
    return url, {"prefix": f"test{next(_counter)}-{time.time_ns()}:"}


@pytest.fixture
def make_index(target: tuple[str, dict]):
    """``make_index(config=None, **kw)`` opens the test's index (same target each call)."""
    opened = []

    def make(config: DedupConfig | None = None, **kw):
        where, options = target
        idx = open_index(where, config, **{**options, **kw})
        opened.append(idx)
        return idx

    yield make
    for idx in opened:
        try:
            idx.close()
        except Exception:
            pass


def python_script(code: str) -> list[str]:
    """argv running ``code`` with this checkout importable."""
    return [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(ROOT)!r})\n{code}"]


def _make_old_sqlite(path: Path | str, version: int) -> None:
    """Turn a current SQLite index file into one of the older format ``version``, with that
    version's layout (what an older dedup wrote)."""
    db = sqlite3.connect(path)
    (value,) = db.execute("SELECT value FROM meta WHERE key='settings'").fetchone()
    meta = json.loads(value)
    lsh = LSHConfig(**{k: meta["config"]["lsh"][k] for k in ("bands", "rows", "max_bucket")})
    meta["format_version"] = version
    db.execute("UPDATE meta SET value=? WHERE key='settings'", (json.dumps(meta),))
    sqlite_backend.fold_bands(db, lsh)  # older versions wrote every document's band rows
    db.execute("DELETE FROM meta WHERE key = 'banded'")
    db.execute("DROP TABLE gone")  # 6 added the log of removed documents, and
    # moved the signatures from docs to cands (4 and 5 kept their low bytes there, sig8)
    db.execute("ALTER TABLE docs ADD COLUMN sig BLOB")
    db.execute("UPDATE docs SET sig = (SELECT sig FROM cands WHERE cands.num = docs.num)")
    db.execute("ALTER TABLE cands RENAME COLUMN sig TO sig8")
    low = [
        ((np.frombuffer(sig, "<u4") & 0xFF).astype(np.uint8).tobytes(), num)
        for num, sig in db.execute("SELECT num, sig8 FROM cands").fetchall()
    ]
    db.executemany("UPDATE cands SET sig8 = ? WHERE num = ?", low)
    if version < 5:  # 5 added the words as numbers
        db.execute("DROP TABLE wids")
        db.execute("DROP TABLE vocab")
    if version < 4:  # 4 added cands and the word-count log
        sqlite_backend.fold_log(db)  # a version-3 file keeps every count in words
        db.execute("DROP TABLE cands")
        db.execute("DROP TABLE wlog")
        db.execute("DELETE FROM meta WHERE key='fold'")
    db.execute(f"PRAGMA user_version={version}")
    db.commit()
    db.close()


@pytest.fixture
def make_old_sqlite():
    """``make_old_sqlite(path, version)``: rewrite a current SQLite index in an older format."""
    return _make_old_sqlite
