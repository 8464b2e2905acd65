"""Documents are read as they are prepared: same output, bounded read-ahead, errors on time.

``dedup.cluster`` takes its documents from the iterable (a reader, in the CLI) only as fast
as they are prepared, so the input texts of a large corpus never all exist at once. These
tests shrink the thresholds so a small corpus exercises the worker-pool path.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import dedup
import dedup.pipeline as P
from benchmarks.corpus import generate_corpus
from dedup.cli.options import make_progress
from dedup.errors import InputError


@pytest.fixture(scope="module")
def docs() -> list[tuple[str, str]]:
    gen = generate_corpus(300, seed=11, world="wide")
    out = [(d["id"], d["text"]) for d in gen]
    out.append(("copy", out[3][1]))
    return out


@pytest.fixture
def small_pool(monkeypatch):
    monkeypatch.setattr(P, "_POOL_FROM", 40)
    monkeypatch.setattr(P, "_CHUNK", 7)
    monkeypatch.setattr(P, "_REPORT_EVERY", 1)  # a report after every chunk


def _pairs(res: dedup.ClusterResult) -> list[tuple]:
    return [(p.a, p.b, p.score, p.relation) for p in res.pairs]


def test_worker_pool_streaming_gives_the_serial_result(docs, small_pool) -> None:
    serial = dedup.cluster(docs, n_jobs=1)
    pooled = dedup.cluster(iter(docs), n_jobs=2)
    assert pooled.records == serial.records
    assert pooled.normalized == serial.normalized
    assert pooled.stripped == serial.stripped
    assert _pairs(pooled) == _pairs(serial)
    assert pooled.stats == serial.stats


def test_documents_are_taken_only_as_fast_as_they_are_prepared(docs, small_pool) -> None:
    pulled = 0

    def source() -> Iterator[tuple[str, str]]:
        nonlocal pulled
        for d in docs:
            pulled += 1
            yield d

    ahead = []

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "prepare" and total < 0 and done > 0:
            ahead.append(pulled - done)

    res = dedup.cluster(source(), n_jobs=2, progress=progress)
    assert len(res.records) == len(docs)
    assert ahead, "no progress was reported while preparing"
    # the head that decides on the pool, then at most a window of chunks in flight (plus
    # the one submitted after each result) -- never the whole corpus
    bound = P._POOL_FROM + (4 * 2 + 1) * P._CHUNK
    assert max(ahead) <= bound < len(docs)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_a_bad_document_late_in_the_stream_still_stops_the_run(docs, small_pool, n_jobs) -> None:
    bad = [*docs[:200], ("late", None), *docs[200:]]
    with pytest.raises(InputError, match=r"document #200.*text of 'late' must be a string"):
        dedup.cluster(bad, n_jobs=n_jobs)  # type: ignore[arg-type]


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_skipped_documents_are_accounted_for_while_streaming(docs, small_pool, n_jobs) -> None:
    bad = [*docs[:150], ("late", None), docs[7], *docs[150:]]  # bad text, repeated id
    res = dedup.cluster(bad, n_jobs=n_jobs, on_error="skip")  # type: ignore[arg-type]
    assert [r.id for r in res.records] == [i for i, _ in docs]
    assert [(s.reason, s.id) for s in res.skipped] == [
        ("bad_text", "late"),
        ("duplicate_id", docs[7][0]),
    ]
    assert res.stats["read"] == len(bad) and res.stats["skipped"] == 2


def test_prepare_progress_counts_before_the_total_is_known(docs, small_pool) -> None:
    seen = []
    dedup.cluster(docs, n_jobs=2, progress=lambda *a: seen.append(a))
    prep = [(done, total) for stage, done, total in seen if stage == "prepare"]
    assert prep[0] == (0, -1) and prep[-1] == (len(docs), len(docs))
    counts = [done for done, total in prep[1:-1]]
    assert counts and all(total == -1 for _, total in prep[1:-1])
    assert counts == sorted(counts) and counts[-1] <= len(docs)


def test_terminal_progress_shows_a_count_while_the_total_is_unknown(capsys) -> None:
    progress = make_progress(True)
    assert progress is not None
    progress("prepare", 1234, -1)
    progress("prepare", 2000, 2000)
    err = capsys.readouterr().err
    assert "prepare 1234 documents" in err
    assert "[" + "#" * 30 + "] 2000/2000\n" in err
