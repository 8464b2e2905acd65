"""Detection quality of dedup's defaults against classic baselines, on the evaluation corpus.

``python -m benchmarks.quality`` prints, for each split (``tune``, ``heldout``) of
``benchmarks/data/`` and each method, pairwise precision / recall / F1, the adjusted Rand
index (ARI, implemented here -- see :func:`adjusted_rand_index`) and wall time; then the pairs
dedup still gets wrong, with their ids and scores.

Methods, all run on the same documents:

``dedup``
    ``dedup.cluster(docs)`` with the default :class:`~dedup.DedupConfig`.
``minhash5@0.8``
    the usual LLM-data dedup recipe: word 5-grams of the normalized text (no boilerplate
    removal), 128-permutation ``datasketch.MinHash``, ``MinHashLSH(threshold=0.8)``, every
    document queried, union of all candidate pairs (connected components).
``minhashlsh5@0.5``
    the same with ``MinHashLSH``'s default threshold, 0.5.
``exact``
    documents whose normalized text (:func:`dedup.normalize`, no boilerplate removal) hashes
    equal.

Options: ``--json`` (same figures as JSON), ``--split tune|heldout|all``, ``--sweep`` (the
precision/recall of dedup at several ``--threshold`` values: the table in docs/quality.md),
``--failures N`` (how many failing pairs to list).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

DATA = Path(__file__).resolve().parent / "data"
SPLITS = ("tune", "heldout")
SWEEP = (0.3, 0.4, 0.45, 0.5, 0.55, 0.6, 0.7, 0.8, 0.9, 0.95)

__all__ = [
    "adjusted_rand_index",
    "evaluate",
    "load_split",
    "pair_counts",
    "pairwise_scores",
    "run_baseline_exact",
    "run_baseline_minhash",
    "run_dedup",
]


# ---------------------------------------------------------------------------------------------
# Metrics
# ---------------------------------------------------------------------------------------------


def _comb2(x: np.ndarray | int) -> Any:
    return x * (x - 1) // 2


def pair_counts(truth: Sequence[Any], pred: Sequence[Any]) -> tuple[int, int, int, int]:
    """``(same_both, same_pred, same_truth, all_pairs)`` over all unordered document pairs.

    >>> pair_counts(["a", "a", "b"], [0, 0, 0])
    (1, 3, 1, 3)
    """
    if len(truth) != len(pred):
        raise ValueError(f"truth has {len(truth)} labels, pred has {len(pred)}")
    cells = Counter(zip(truth, pred))
    both = sum(_comb2(c) for c in cells.values())
    same_pred = sum(_comb2(c) for c in Counter(pred).values())
    same_truth = sum(_comb2(c) for c in Counter(truth).values())
    return int(both), int(same_pred), int(same_truth), int(_comb2(len(truth)))


def pairwise_scores(truth: Sequence[Any], pred: Sequence[Any]) -> dict[str, float]:
    """Pairwise precision, recall and F1: a pair is positive when both are in one cluster.

    With no predicted (or no true) pairs, precision (recall) is 1.0.

    >>> pairwise_scores(["a", "a", "b"], [0, 0, 0])
    {'precision': 0.3333333333333333, 'recall': 1.0, 'f1': 0.5}
    """
    both, same_pred, same_truth, _ = pair_counts(truth, pred)
    p = both / same_pred if same_pred else 1.0
    r = both / same_truth if same_truth else 1.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": p, "recall": r, "f1": f1}


def adjusted_rand_index(truth: Sequence[Any], pred: Sequence[Any]) -> float:
    """Adjusted Rand index (Hubert & Arabie 1985), from the pair-count contingency table.

    Implemented here (scikit-learn is not a dependency); equal to
    ``sklearn.metrics.adjusted_rand_score``.

    >>> adjusted_rand_index([0, 0, 1, 1], [5, 5, 7, 7])
    1.0
    >>> round(adjusted_rand_index([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 2, 2]), 6)
    0.242424
    """
    both, same_pred, same_truth, total = pair_counts(truth, pred)
    if total == 0:
        return 1.0
    expected = same_pred * same_truth / total
    maximum = (same_pred + same_truth) / 2
    if maximum == expected:  # both partitions trivial (all singletons or one cluster)
        return 1.0
    return float((both - expected) / (maximum - expected))


# ---------------------------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------------------------


def load_split(name: str) -> list[dict[str, str]]:
    """Documents of ``benchmarks/data/<name>.jsonl`` (dicts with id, text, story, kind ...)."""
    path = DATA / f"{name}.jsonl"
    if not path.exists():
        raise FileNotFoundError(
            f"{path} is missing: run `python -m benchmarks.corpus --eval` to write the splits"
        )
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


# ---------------------------------------------------------------------------------------------
# Methods: each returns one cluster label per document
# ---------------------------------------------------------------------------------------------


def run_dedup(docs: Sequence[dict[str, str]], config: Any = None) -> tuple[list[int], Any]:
    """dedup's pipeline; returns labels and the :class:`~dedup.ClusterResult`."""
    import dedup

    result = dedup.cluster([(d["id"], d["text"]) for d in docs], config)
    return [r.cluster for r in result.records], result


def _union_find(n: int, pairs: Sequence[tuple[int, int]]) -> list[int]:
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, j in pairs:
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)
    return [find(i) for i in range(n)]


def run_baseline_minhash(
    docs: Sequence[dict[str, str]], threshold: float, *, ngram: int = 5, num_perm: int = 128
) -> list[int]:
    """Word n-gram MinHash + ``datasketch.MinHashLSH(threshold)``, union of candidates."""
    from datasketch import MinHash, MinHashLSH

    from dedup import normalize

    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    sigs = []
    for k, d in enumerate(docs):
        toks = normalize(d["text"]).split()
        grams = {" ".join(toks[i : i + ngram]) for i in range(max(1, len(toks) - ngram + 1))}
        m = MinHash(num_perm=num_perm)
        m.update_batch([g.encode("utf-8") for g in grams])
        lsh.insert(k, m)
        sigs.append(m)
    pairs = [(k, j) for k, m in enumerate(sigs) for j in lsh.query(m) if j != k]
    return _union_find(len(docs), pairs)


def run_baseline_exact(docs: Sequence[dict[str, str]]) -> list[int]:
    """Same cluster when the normalized texts hash equal."""
    from dedup import normalize

    first: dict[bytes, int] = {}
    return [
        first.setdefault(hashlib.sha1(normalize(d["text"]).encode()).digest(), k)
        for k, d in enumerate(docs)
    ]


METHODS: dict[str, Callable[[Sequence[dict[str, str]]], list[int]]] = {
    "dedup": lambda docs: run_dedup(docs)[0],
    "minhash5@0.8": lambda docs: run_baseline_minhash(docs, 0.8),
    "minhashlsh5@0.5": lambda docs: run_baseline_minhash(docs, 0.5),
    "exact": run_baseline_exact,
}


def _scores(truth: Sequence[str], labels: Sequence[int], seconds: float) -> dict[str, float]:
    out = pairwise_scores(truth, labels)
    out["ari"] = adjusted_rand_index(truth, labels)
    out["seconds"] = seconds
    return out


def evaluate(docs: Sequence[dict[str, str]]) -> dict[str, dict[str, float]]:
    """Scores of every method in :data:`METHODS` on ``docs``."""
    truth = [d["story"] for d in docs]
    out = {}
    for name, method in METHODS.items():
        t0 = time.perf_counter()
        labels = method(docs)
        out[name] = _scores(truth, labels, time.perf_counter() - t0)
    return out


def recall_by_kind(docs: Sequence[dict[str, str]], labels: Sequence[int]) -> dict[str, float]:
    """Share of (original, variant) pairs of each variant kind that share a cluster."""
    origin = {d["story"]: k for k, d in enumerate(docs) if d["kind"] == "original"}
    hit: Counter[str] = Counter()
    tot: Counter[str] = Counter()
    for k, d in enumerate(docs):
        o = origin.get(d["story"])
        if d["kind"] == "original" or o is None:
            continue
        tot[d["kind"]] += 1
        hit[d["kind"]] += labels[k] == labels[o]
    return {kind: hit[kind] / tot[kind] for kind in sorted(tot)}


def failures(
    docs: Sequence[dict[str, str]], result: Any, limit: int = 20
) -> dict[str, list[dict[str, Any]]]:
    """dedup's false merges and missed pairs, with the verifier's scores on each pair."""
    from dedup.match.verify import Verifier

    labels = [r.cluster for r in result.records]
    ver = Verifier(result.normalized, result.config.verify)
    by_story: dict[str, list[int]] = {}
    for k, d in enumerate(docs):
        by_story.setdefault(d["story"], []).append(k)
    by_cluster: dict[int, list[int]] = {}
    for k, c in enumerate(labels):
        by_cluster.setdefault(c, []).append(k)
    cand = {(p.a, p.b) for p in result.pairs} | {(p.b, p.a) for p in result.pairs}

    def row(i: int, j: int) -> dict[str, Any]:
        s = ver.score(i, j)
        return {
            "a": docs[i]["id"], "b": docs[j]["id"],
            "kinds": f"{docs[i]['kind']}/{docs[j]['kind']}",
            "score": round(s.score, 3), "relation": s.relation,
            "containment": round(s.containment, 3),
            "fuzz": None if math.isnan(s.fuzz) else round(s.fuzz, 3),
            "overlap": round(s.overlap, 3),
            "candidate": (docs[i]["id"], docs[j]["id"]) in cand,
        }  # fmt: skip

    false_merges = [
        row(i, j)
        for members in by_cluster.values()
        for x, i in enumerate(members)
        for j in members[x + 1 :]
        if docs[i]["story"] != docs[j]["story"]
    ]
    missed = [
        row(i, j)
        for members in by_story.values()
        for x, i in enumerate(members)
        for j in members[x + 1 :]
        if labels[i] != labels[j]
    ]
    false_merges.sort(key=lambda r: -r["score"])
    missed.sort(key=lambda r: r["score"])
    return {
        "false_merges": false_merges[:limit],
        "n_false_merges": len(false_merges),  # type: ignore[dict-item]
        "missed": missed[:limit],
        "n_missed": len(missed),  # type: ignore[dict-item]
    }


def sweep(docs: Sequence[dict[str, str]], thresholds: Sequence[float] = SWEEP) -> list[dict]:
    """dedup at several ``threshold`` values (everything else default)."""
    import dedup

    truth = [d["story"] for d in docs]
    rows = []
    for t in thresholds:
        cfg = dedup.DedupConfig(verify=dedup.VerifyConfig(threshold=t))
        t0 = time.perf_counter()
        labels, _ = run_dedup(docs, cfg)
        row = {"threshold": t, **_scores(truth, labels, time.perf_counter() - t0)}
        row["recall_by_kind"] = recall_by_kind(docs, labels)
        rows.append(row)
    return rows


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------


def _fmt_table(results: dict[str, dict[str, float]]) -> str:
    lines = [f"  {'method':<17}{'precision':>10}{'recall':>9}{'F1':>8}{'ARI':>8}{'time s':>9}"]
    for name, r in results.items():
        lines.append(
            f"  {name:<17}{r['precision']:>10.4f}{r['recall']:>9.4f}{r['f1']:>8.4f}"
            f"{r['ari']:>8.4f}{r['seconds']:>9.2f}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.quality", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    ap.add_argument("--json", action="store_true", help="print JSON instead of tables")
    ap.add_argument("--split", choices=[*SPLITS, "all"], default="all")
    ap.add_argument("--sweep", action="store_true", help="dedup at several --threshold values")
    ap.add_argument("--failures", type=int, default=15, help="failing pairs to list per kind")
    args = ap.parse_args(argv)
    splits = SPLITS if args.split == "all" else (args.split,)
    report: dict[str, Any] = {}
    for name in splits:
        docs = load_split(name)
        entry: dict[str, Any] = {
            "documents": len(docs),
            "stories": len({d["story"] for d in docs}),
            "true_pairs": pair_counts([d["story"] for d in docs], list(range(len(docs))))[2],
        }
        if args.sweep:
            entry["sweep"] = sweep(docs)
        else:
            entry["methods"] = evaluate(docs)
            labels, result = run_dedup(docs)
            entry["dedup_recall_by_kind"] = recall_by_kind(docs, labels)
            entry["dedup_failures"] = failures(docs, result, args.failures)
        report[name] = entry
    if args.json:
        json.dump(report, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    for name, entry in report.items():
        print(
            f"== {name}: {entry['documents']} documents, {entry['stories']} stories, "
            f"{entry['true_pairs']} true pairs"
        )
        if args.sweep:
            print(
                f"  {'threshold':>9}{'precision':>10}{'recall':>9}{'F1':>8}{'ARI':>8}   recall by kind"
            )
            for r in entry["sweep"]:
                kinds = " ".join(f"{k}={v:.2f}" for k, v in r["recall_by_kind"].items())
                print(
                    f"  {r['threshold']:>9.2f}{r['precision']:>10.4f}{r['recall']:>9.4f}"
                    f"{r['f1']:>8.4f}{r['ari']:>8.4f}   {kinds}"
                )
            continue
        print(_fmt_table(entry["methods"]))
        kinds = " ".join(f"{k}={v:.3f}" for k, v in entry["dedup_recall_by_kind"].items())
        print(f"  dedup recall by variant kind: {kinds}")
        f = entry["dedup_failures"]
        print(f"  dedup false merges: {f['n_false_merges']} pairs; missed: {f['n_missed']} pairs")
        for title, rows in (("false merge", f["false_merges"]), ("missed", f["missed"])):
            for r in rows:
                print(
                    f"    {title:<11} {r['a']} ~ {r['b']} ({r['kinds']}) score {r['score']:.3f} "
                    f"[containment {r['containment']:.2f} overlap {r['overlap']:.2f}]"
                    f"{'' if r['candidate'] else ' not an LSH candidate'}"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
