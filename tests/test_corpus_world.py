"""The generator's ``world="wide"`` option: seeded, different from the default, and less
overlapping between unrelated stories; the default output is unchanged."""

from __future__ import annotations

import hashlib
import json
import random

import pytest

from benchmarks.corpus import generate_corpus, iter_corpus, write_jsonl
from dedup.config import BoilerplateConfig, DedupConfig
from dedup.pipeline import prepare_texts

CFG = DedupConfig(boilerplate=BoilerplateConfig(learn=False))


def _digest(docs):
    return hashlib.sha256(json.dumps(docs, ensure_ascii=False).encode()).hexdigest()


def test_default_world_is_the_default():
    assert generate_corpus(200, seed=4) == generate_corpus(200, seed=4, world="default")
    assert _digest(generate_corpus(200, seed=4)) != _digest(
        generate_corpus(200, seed=4, world="wide")
    )


def test_wide_world_is_seeded_and_deterministic(tmp_path):
    a = generate_corpus(150, seed=9, world="wide")
    assert a == generate_corpus(150, seed=9, world="wide")
    assert a != generate_corpus(150, seed=10, world="wide")
    assert len(a) == 150 and {d["kind"] for d in a} >= {"original", "reworded"}
    path = write_jsonl(tmp_path / "w.jsonl", 150, seed=9, world="wide")
    assert [json.loads(line) for line in path.read_text().splitlines()] == a


def test_unknown_world_is_refused():
    with pytest.raises(ValueError, match="world must be 'default' or 'wide'"):
        next(iter_corpus(1, world="huge"))


def _unrelated_jaccard(docs, k=600):
    _, norm, _ = prepare_texts([d["text"] for d in docs], CFG)
    words = [{w for w in t.split() if len(w) >= CFG.shingle.min_token_len} for t in norm]
    rng = random.Random(0)
    out = []
    while len(out) < k:
        a, b = rng.randrange(len(docs)), rng.randrange(len(docs))
        if docs[a]["story"] != docs[b]["story"] and docs[a]["lang"] == docs[b]["lang"]:
            out.append(len(words[a] & words[b]) / len(words[a] | words[b]))
    return sorted(out)


def test_wide_world_overlaps_less_between_unrelated_stories():
    narrow = _unrelated_jaccard(generate_corpus(400, seed=1))
    wide = _unrelated_jaccard(generate_corpus(400, seed=1, world="wide"))
    # median and 90th percentile of same-language unrelated pairs
    assert wide[len(wide) // 2] < narrow[len(narrow) // 2] - 0.04
    assert wide[int(0.9 * len(wide))] < narrow[int(0.9 * len(narrow))] - 0.05
