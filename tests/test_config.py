"""Configuration: validation messages and round trips."""

from __future__ import annotations

import pytest

from dedup.config import (
    BoilerplateConfig,
    ClusterConfig,
    DedupConfig,
    LSHConfig,
    MinHashConfig,
    ShingleConfig,
    VerifyConfig,
)


def test_round_trip_through_dict() -> None:
    cfg = DedupConfig(shingle=ShingleConfig(kind="char", size=5), lsh=LSHConfig(bands=20, rows=5))
    d = cfg.to_dict()
    assert d["normalizer_version"] >= 1
    assert DedupConfig.from_dict(d) == cfg


def test_unknown_section_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown config section 'bogus'"):
        DedupConfig.from_dict({"bogus": {}})


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: ShingleConfig(kind="line"), "shingle kind must be 'word' or 'char'"),
        (lambda: ShingleConfig(size=0), "shingle size must be a positive integer"),
        (lambda: MinHashConfig(num_perm=1), "num_perm must be an integer >= 2"),
        (lambda: MinHashConfig(hash="md5"), "hash must be 'dedup32' or 'sha1_32'"),
        (lambda: VerifyConfig(threshold=1.5), "threshold must be a number between 0 and 1"),
        (lambda: ClusterConfig(method="greedy"), "method must be 'star' or 'connected'"),
        (lambda: BoilerplateConfig(learn_min_docs=1), "learn_min_docs must be >= 2"),
        (lambda: DedupConfig(lsh=LSHConfig(bands=64, rows=4)), "exceeds num_perm 128"),
    ],
)
def test_invalid_values_say_what_to_pass(make, message) -> None:
    with pytest.raises(ValueError, match=message):
        make()


def test_candidate_probability_is_an_s_curve() -> None:
    lsh = LSHConfig()
    assert lsh.candidate_probability(0.5) > 0.99
    assert lsh.candidate_probability(0.05) < 0.01
