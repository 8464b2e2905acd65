"""DocCopies (the in-process copies of an SQLite index) against plain loops."""

from __future__ import annotations

import numpy as np
import pytest

from dedup.config import LSHConfig
from dedup.index.copies import DocCopies

WIDTH = 16


def _rows(rng: np.random.Generator, nums: list[int], pool: np.ndarray) -> list[tuple]:
    rows = []
    for num in nums:
        # signatures drawn from a small pool of values, so agreement counts vary widely;
        # values differ above the low byte too (the pre-filter must not be the answer)
        sig = pool[rng.integers(0, len(pool), WIDTH)].astype("<u4")
        h = int(rng.integers(0, 3)) if rng.random() < 0.5 else None
        words = np.sort(rng.choice(1000, int(rng.integers(0, 6)), replace=False)).astype("<u4")
        rows.append((num, float(num % 7), h, sig.tobytes(), words.tobytes() or None))
    return rows


@pytest.mark.parametrize("seed", range(5))
def test_filter_is_the_plain_rule(seed: int) -> None:
    rng = np.random.default_rng(seed)
    # values sharing low bytes: 0x100 apart
    pool = np.array([0x100 * k + (k % 3) for k in range(6)], dtype=np.uint32)
    copies = DocCopies(LSHConfig(bands=4, rows=4))
    rows = _rows(rng, list(range(1, 200)), pool)
    at = 0
    while at < len(rows):  # batches and single rows (the two ways put copies)
        step = 37 if at % 2 else 1
        copies.put(rows[at : at + step])
        at += step
    removed = rng.choice(np.arange(1, 200), 30, replace=False)
    copies.mark_removed(removed)
    for _ in range(20):
        query = pool[rng.integers(0, len(pool), WIDTH)].astype(np.uint32)
        text_hash = int(rng.integers(0, 3)) if rng.random() < 0.5 else None
        need = int(rng.integers(1, WIDTH + 1))
        min_ts = float(rng.integers(0, 7)) if rng.random() < 0.5 else None
        nums = np.sort(rng.choice(np.arange(1, 200), 120, replace=False))
        found, seen = copies.filter(query, text_hash, nums, min_ts, need)
        expected, recent = [], 0
        for num, ts, h, sig, _ in rows:
            if num not in nums or num in removed or (min_ts is not None and ts < min_ts):
                continue
            recent += 1
            agree = sum(a == b for a, b in zip(np.frombuffer(sig, "<u4"), query))
            if agree >= need or (text_hash is not None and h == text_hash):
                expected.append((num, ts, sig, h))
        assert seen == recent
        assert [(c.ref, c.ts, c.sig, c.text_hash) for c in found] == expected
        # what the verifier reads without making each Candidate
        assert found.refs == [e[0] for e in expected] and len(found) == len(expected)
        same = [k for k, e in enumerate(expected) if text_hash is not None and e[3] == text_hash]
        assert found.with_hash(text_hash) == same
        assert found[1:3] == [found[k] for k in range(1, min(3, len(found)))]


def test_word_numbers_and_rollback() -> None:
    rng = np.random.default_rng(7)
    pool = np.arange(50, dtype=np.uint32)
    copies = DocCopies(LSHConfig(bands=4, rows=4))
    rows = _rows(rng, list(range(1, 40)), pool)
    copies.put(rows[:20])
    mark = copies.mark()
    copies.put(rows[20:])
    for num, _, _, _, words in rows:
        assert copies.word_numbers(np.array([num])).tobytes() == (words or b"")
    nums = np.array([3, 25, 9])
    joined = b"".join(rows[n - 1][4] or b"" for n in nums)
    assert copies.word_numbers(nums).tobytes() == joined
    assert copies.word_counts_of(nums).tolist() == [len(rows[n - 1][4] or b"") // 4 for n in nums]
    copies.forget_after(mark)  # a rolled-back transaction: numbers 21.. given again
    assert copies.top == 20 and not copies.live[21:].any() and copies.gone is None
    again = _rows(rng, list(range(21, 30)), pool)
    copies.put(again)
    for num, _, _, _, words in again:
        assert copies.word_numbers(np.array([num])).tobytes() == (words or b"")
