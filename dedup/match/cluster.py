"""Clustering verified pairs, with a representative per cluster.

``star`` (default) prevents chaining. *Centers* are visited most-connected first (the
documents with the most verified duplicates, as in Aslam et al.'s star clustering; ties by
representative preference: input order, or longest first). An unassigned center takes the
still-unassigned documents verified *directly against it*, strongest first, with one more
condition for rewrites: a ``same_story`` member must also be verified against a strict
majority of the rewrites already in the cluster (the center counts as one; ``exact`` and
``near_copy`` members are copies of the center and stand for it). So A~B and B~C with A!~C
never puts A and C together, whichever of the three comes first -- while a story's copies,
truncated copies and rewrites still gather around its most central report.

``connected`` is union-find over all verified pairs (transitive closure): it finds every
document linked through any chain, and can chain unrelated articles through intermediate ones.

Examples
--------
>>> edges = [(0, 1, 0.6, "same_story"), (1, 2, 0.6, "same_story")]   # 0~1, 1~2, 0 !~ 2
>>> assign_clusters(3, edges).cluster.tolist()
[0, 0, 1]
>>> assign_clusters(3, edges, ClusterConfig(method="connected")).cluster.tolist()
[0, 0, 0]
>>> copies = [(0, 1, 0.9, "near_copy"), (1, 2, 0.6, "same_story")]  # 1 a copy of 0 ...
>>> assign_clusters(3, copies).cluster.tolist()                     # ... 2 a rewrite of 1
[0, 0, 0]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from dedup.config import ClusterConfig

__all__ = ["Assignment", "assign_clusters", "preference_order"]

Edge = tuple[int, int, float, str]
_COPIES = ("exact", "near_copy")
_FULL = 0.8


@dataclass(frozen=True)
class Assignment:
    """Per document: ``cluster`` number, ``representative`` index, ``score`` and ``relation``
    against the representative (``nan`` / ``None`` for representatives).

    Clusters are numbered by the input position of their first document.
    """

    cluster: np.ndarray
    representative: np.ndarray
    score: np.ndarray
    relation: list[str | None]


def preference_order(lengths: Sequence[int], config: ClusterConfig) -> np.ndarray:
    """Document indices, most preferred representative first (ties: input order)."""
    n = len(lengths)
    if config.representative == "longest":
        return np.lexsort((np.arange(n), -np.asarray(lengths, dtype=np.int64)))
    return np.arange(n)


def _renumber(rep: np.ndarray) -> np.ndarray:
    # cluster number = rank of the cluster's first document in input order
    first: dict[int, int] = {}
    out = np.empty(len(rep), dtype=np.int64)
    for i, r in enumerate(rep.tolist()):
        out[i] = first.setdefault(r, len(first))
    return out


def assign_clusters(
    n_docs: int,
    edges: Iterable[Edge],
    config: ClusterConfig | None = None,
    *,
    lengths: Sequence[int] | None = None,
) -> Assignment:
    """Turn verified duplicate pairs into clusters.

    Parameters
    ----------
    n_docs : int
        Number of documents; every index ``0 .. n_docs-1`` gets a cluster.
    edges : iterable of (i, j, score, relation)
        Verified duplicate pairs.
    config : ClusterConfig, optional
        ``method`` and ``representative`` choice.
    lengths : sequence of int, optional
        Text lengths, needed for ``representative="longest"``.
    """
    cfg = config or ClusterConfig()
    if cfg.representative == "longest" and lengths is None:
        raise ValueError("representative='longest' needs lengths=")
    order = preference_order(lengths if lengths is not None else [0] * n_docs, cfg)
    rank = np.empty(n_docs, dtype=np.int64)
    rank[order] = np.arange(n_docs)
    adj: dict[int, dict[int, tuple[float, str]]] = {}
    for i, j, score, relation in edges:
        i, j = int(i), int(j)
        if i == j:
            continue
        adj.setdefault(i, {})[j] = (float(score), relation)
        adj.setdefault(j, {})[i] = (float(score), relation)

    rep = np.full(n_docs, -1, dtype=np.int64)
    score = np.full(n_docs, np.nan)
    relation: list[str | None] = [None] * n_docs
    if cfg.method == "star":
        # Centers: the documents with most verified duplicates first (ties: preference), as
        # in star clustering (Aslam et al.): a central report gathers its rewrites.
        degree = np.zeros(n_docs, dtype=np.int64)
        for i, nbrs in adj.items():
            degree[i] = len(nbrs)
        centers = np.lexsort((rank, -degree))
        size = np.asarray(lengths if lengths is not None else [1] * n_docs, dtype=np.float64)
        for d in centers.tolist():
            if rep[d] >= 0:
                continue
            rep[d] = d
            # members other than full copies of the center: rewrites, and parts
            groups: dict[str, list[int]] = {"rewrite": [], "part": []}
            nbrs = adj.get(d, {})
            # strongest first; ties by preference rank, so the result is order-stable
            for m in sorted(nbrs, key=lambda m: (-nbrs[m][0], rank[m])):
                if rep[m] >= 0:
                    continue
                own = adj.get(m, {})
                # A full copy of the center (exact, or a near copy at least _FULL of its
                # length) stands for the center. A rewrite must also be verified against a
                # strict majority of the rewrites already in, and a part of the center (a
                # truncated copy, or one article of a page carrying several) against a strict
                # majority of the parts already in; the center counts as one.
                # So A~B, B~C, A!~C never puts A with C.
                if nbrs[m][1] in _COPIES:
                    kind = "full" if size[m] >= _FULL * size[d] else "part"
                else:
                    kind = "rewrite"
                if kind != "full":
                    group = groups[kind]
                    agree = 1 + sum(1 for x in group if x in own)
                    if 2 * agree <= 1 + len(group):
                        continue
                    group.append(m)
                rep[m] = d
                score[m], relation[m] = nbrs[m]
    else:
        parent = np.arange(n_docs)

        def find(x: int) -> int:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = int(parent[x])
            return x

        for i, nbrs in adj.items():
            for j in nbrs:
                ri, rj = find(i), find(j)
                if ri != rj:  # keep the preferred document as root
                    if rank[ri] < rank[rj]:
                        parent[rj] = ri
                    else:
                        parent[ri] = rj
        for d in range(n_docs):
            rep[d] = find(d)
        for d in range(n_docs):
            r = int(rep[d])
            if r != d:
                direct = adj.get(d, {}).get(r)
                if direct is not None:
                    score[d], relation[d] = direct
                else:  # linked only through a chain: report its strongest own link
                    best = max(adj[d].values())
                    score[d], relation[d] = best[0], best[1]
    return Assignment(_renumber(rep), rep, score, relation)
