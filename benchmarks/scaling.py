"""Scaling run: the real ``dedup cluster`` command on 10k, 100k and 1M generated articles.

``python -m benchmarks.scaling`` writes each corpus with :func:`benchmarks.corpus.write_jsonl`
(streaming), runs ``python -m dedup cluster CORPUS -o OUT --no-progress`` in a subprocess and
measures its wall time and peak resident memory (``ru_maxrss`` of the child). It prints a
table, writes it as JSON (``--json-out``) and plots it (``--plot``, needs matplotlib: the
``bench`` extra).

Options: ``--sizes 10000,100000`` (default ``10000,100000,1000000``), ``--jobs N`` (passed to
``dedup cluster --jobs``), ``--workdir DIR`` (corpora are kept there and reused),
``--timeout SECONDS`` per run, ``--stages`` (instead: seconds and RSS at each pipeline stage
boundary, see :func:`measure_stages`). A size that does not finish in time is reported as such.
Previous results in ``--json-out`` are kept for sizes not run again, so sizes can be run
one at a time.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def generator_version() -> str:
    """A fingerprint of ``benchmarks/corpus.py``: cached corpora of another generator are not reused."""
    return hashlib.sha256((ROOT / "benchmarks" / "corpus.py").read_bytes()).hexdigest()[:10]


def ensure_corpus(
    workdir: Path, n: int, seed: int = 0, world: str = "default"
) -> tuple[Path, float]:
    """The generated corpus of ``n`` documents (written once, streaming), and its size in MB.

    The file name carries :func:`generator_version`, so a corpus written by an earlier
    version of the generator is never mistaken for the current one. ``world`` is passed to
    :func:`benchmarks.corpus.write_jsonl` (``"wide"``: many story families, as in a real
    archive; ``"default"``: a few dense families of hard negatives).
    """
    from benchmarks.corpus import write_jsonl

    tag = "" if world == "default" else f"_{world}"
    path = workdir / f"corpus_{n}{tag}_{generator_version()}.jsonl"
    if not path.exists():
        tmp = path.with_suffix(".tmp")
        if world == "default":
            write_jsonl(tmp, n, seed=seed)
        else:
            write_jsonl(tmp, n, seed=seed, world=world)
        tmp.replace(path)
    return path, path.stat().st_size / 1e6


def run_cluster(corpus: Path, out: Path, jobs: int, timeout: float) -> dict:  # type: ignore[type-arg]
    """Run ``dedup cluster`` in a child process; wall time, peak RSS, exit status."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    cmd = [sys.executable, "-m", "dedup", "cluster", str(corpus), "-o", str(out), "--no-progress"]
    if jobs != 1:
        cmd += ["--jobs", str(jobs)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
        status = "ok" if proc.returncode == 0 else f"exit {proc.returncode}: {proc.stderr[-300:]}"
    except subprocess.TimeoutExpired:
        status = f"timeout after {timeout:.0f} s"
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    found = re.search(r"\((\d+) candidates checked\)", proc.stderr if status == "ok" else "")
    # ru_maxrss of RUSAGE_CHILDREN is the largest child so far: run sizes smallest first.
    return {
        "candidate_pairs": int(found.group(1)) if found else None,
        "wall_s": wall,
        "cpu_s": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        "peak_rss_mb": after.ru_maxrss / 1024.0,
        "status": status,
        "command": " ".join(["python", *cmd[1:]]),
    }


_CANDIDATES_CODE = """
import json, sys, time
from itertools import islice
from dedup.config import DedupConfig
from dedup.pipeline import prepare_texts
from dedup.sketch.lsh import candidate_pairs, filter_pairs
from dedup.sketch.minhash import minhash_texts
cfg = DedupConfig()
n = int(sys.argv[2])
with open(sys.argv[1], encoding="utf-8") as fh:
    texts = [json.loads(line)["text"] for line in islice(fh, n)]
t = time.process_time()
_, norm, _ = prepare_texts(texts, cfg)
t1 = time.process_time()
sigs = minhash_texts(norm, cfg.shingle, cfg.minhash)
t2 = time.process_time()
c = candidate_pairs(sigs, cfg.lsh)
n_lsh = len(c)
c = filter_pairs(sigs, c, cfg.lsh.min_similarity)
t3 = time.process_time()
print(json.dumps({"lsh_pairs": n_lsh, "candidate_pairs": len(c), "prepare_s": t1 - t,
                  "hash_s": t2 - t1, "lsh_s": t3 - t2}))
"""


def measure_candidates(corpus: Path, n: int, timeout: float) -> dict:  # type: ignore[type-arg]
    """Candidate pairs (after LSH and the signature filter) of the first ``n`` documents.

    Runs only the stages before verification -- preparation, hashing, LSH -- in a child
    process (CPU seconds per stage): how fast the verifier's work grows with the corpus.
    """
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run(
        [sys.executable, "-c", _CANDIDATES_CODE, str(corpus), str(n)],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


_STAGES_CODE = """
import json, sys, time
from dedup.config import DedupConfig
from dedup.io import WRITERS, InputReader, atomic_output
from dedup.pipeline import cluster

def mem():
    out = {}
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(("VmRSS:", "VmHWM:")):
                out[line[:5]] = int(line.split()[1]) / 1024
    return out

log = []
t0, c0 = time.perf_counter(), time.process_time()
def mark(stage, event):
    m = mem()
    log.append({"stage": stage, "event": event, "wall_s": time.perf_counter() - t0,
                "cpu_s": time.process_time() - c0, "rss_mb": m["VmRSS"], "peak_mb": m["VmHWM"]})
    print(json.dumps(log[-1]), file=sys.stderr, flush=True)
def progress(stage, done, total):
    if done == 0:
        mark(stage, "start")
    if total >= 0 and done >= total:
        mark(stage, "end")
mark("read", "start")
res = cluster(InputReader([sys.argv[1]]), DedupConfig(), n_jobs=int(sys.argv[3]),
              progress=progress, keep_stripped=False)
mark("clusters", "end")
with atomic_output(sys.argv[2]) as fh:
    WRITERS["jsonl"](res.records, fh)
mark("write", "end")
print(json.dumps({"log": log, "pairs_mb": res.pairs.nbytes / 1e6, "stats": res.stats}))
"""


def measure_stages(corpus: Path, out: Path, jobs: int, timeout: float) -> dict:  # type: ignore[type-arg]
    """Wall/CPU seconds and RSS (now, and peak so far) at each stage boundary of one run.

    Runs :func:`dedup.pipeline.cluster` as ``dedup cluster`` does (same reader, same
    settings, ``keep_stripped=False``) in a child process with a progress callback that
    reads ``VmRSS``/``VmHWM`` from ``/proc/self/status``: where the memory goes.
    """
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    log_path = out.with_suffix(".stages.log")  # one JSON line per stage boundary, as it runs
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-c", _STAGES_CODE, str(corpus), str(out), str(jobs)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        try:
            stdout, _ = proc.communicate(timeout=timeout)
            status = "ok" if proc.returncode == 0 else f"exit {proc.returncode}"
        except subprocess.TimeoutExpired:
            proc.kill()
            stdout, _ = proc.communicate()
            status = f"timeout after {timeout:.0f} s"
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if status == "ok":
        result = json.loads(stdout.strip().splitlines()[-1])
    else:  # what was reached before the end
        lines = log_path.read_text().splitlines()
        result = {"log": [json.loads(x) for x in lines if x.startswith("{")]}
    result.update(
        status=status,
        wall_s=time.perf_counter() - t,
        cpu_s=(after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        peak_rss_mb=after.ru_maxrss / 1024.0,
    )
    return result


def format_stages(stages: dict) -> str:  # type: ignore[type-arg]
    """Markdown table: per stage, seconds and RSS at its end, peak RSS so far."""
    lines = [
        "| documents | stage | wall s (stage) | RSS MB at end | peak MB so far |",
        "| ---: | --- | ---: | ---: | ---: |",
    ]
    for k in sorted(stages, key=int):
        log = stages[k]["log"]
        start = {}
        for e in log:
            if e["event"] == "start":
                start[e["stage"]] = e["wall_s"]
            else:
                took = e["wall_s"] - start.get(e["stage"], e["wall_s"])
                lines.append(
                    f"| {int(k):,d} | {e['stage']} | {took:.1f} | {e['rss_mb']:.0f} "
                    f"| {e['peak_mb']:.0f} |"
                )
    return "\n".join(lines)


def summarize(out: Path) -> dict:  # type: ignore[type-arg]
    n = dup = 0
    clusters = set()
    with out.open(encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            n += 1
            dup += bool(rec["duplicate"])
            clusters.add(rec["cluster"])
    return {"records": n, "duplicates": dup, "clusters": len(clusters)}


def plot(results: dict, path: Path) -> None:  # type: ignore[type-arg]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    done = sorted(
        (int(k), v) for k, v in results.items() if k.isdigit() and v.get("status") == "ok"
    )
    if not done:
        return
    ns = [n for n, _ in done]
    growth = sorted(
        (int(k), v["candidate_pairs"]) for k, v in results.get("candidate_growth", {}).items()
    )
    fig, (ax1, ax3) = plt.subplots(1, 2, figsize=(11, 4.2), gridspec_kw={"width_ratios": [3, 2]})
    ax1.loglog(ns, [v["wall_s"] for _, v in done], "o-", label="wall time (s)")
    cpu = [v["cpu_s"] for _, v in done]
    ax1.loglog(ns, cpu, "^-", color="tab:green", label="CPU time (s)")
    if len(done) >= 2:  # power-law fit of the measured CPU times, drawn as an extrapolation
        import numpy as np

        k, c = np.polyfit(np.log(ns), np.log(cpu), 1)
        xs = np.array([ns[-1], 1_000_000])
        ax1.loglog(
            xs,
            np.exp(c) * xs**k,
            ":",
            color="tab:green",
            label=f"CPU extrapolated (~n^{k:.2f}), not measured",
        )
    ax1.set_xlabel("documents (generated ~2 KB news articles)")
    ax1.set_xlim(5_000, 2_000_000)
    ax1.set_ylabel("time (s)")
    ax2 = ax1.twinx()
    ax2.semilogx(
        ns, [v["peak_rss_mb"] for _, v in done], "s--", color="tab:orange", label="peak RSS (MB)"
    )
    ax2.set_ylabel("peak RSS (MB)")
    for n, v in done:
        ax1.annotate(
            f"{v['wall_s']:.0f} s",
            (n, v["wall_s"]),
            textcoords="offset points",
            xytext=(4, 6),
            fontsize=8,
        )
    ax1.set_title("dedup cluster: wall time and peak memory")
    h1, l1 = ax1.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax1.legend(h1 + h2, l1 + l2, loc="upper left", fontsize=8)
    cn = [(n, v["candidate_pairs"]) for n, v in done if v.get("candidate_pairs")]
    if growth:
        ax3.loglog(*zip(*growth), "o-", color="tab:purple", label="prepare + hash + LSH only")
    if cn:
        ax3.loglog(*zip(*cn), "x", color="black", ms=9, label="dedup cluster runs")
    points = growth or cn
    if points:  # reference slopes through the smallest measured point
        n0, c0 = points[0]
        n1 = max(n for n, _ in growth + cn)
        ax3.loglog([n0, n1], [c0, c0 * (n1 / n0) ** 2], ":", color="gray", label="~n^2")
        ax3.loglog([n0, n1], [c0, c0 * (n1 / n0)], "--", color="gray", label="~n")
    ax3.set_xlabel("documents")
    ax3.set_ylabel("candidate pairs verified")
    ax3.set_title("candidate pairs to verify")
    ax3.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def format_table(results: dict) -> str:  # type: ignore[type-arg]
    """Markdown table of the runs (CPU time is the figure that survives a busy machine)."""
    lines = [
        "| documents | corpus MB | wall s | CPU s | CPU ms/doc | peak RSS MB | candidate pairs "
        "| clusters | status |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for k in sorted((k for k in results if k.isdigit()), key=int):
        r = results[k]
        n = int(k)
        clusters = f"{r['clusters']:,d}" if "clusters" in r else "-"
        cands = f"{r['candidate_pairs']:,d}" if r.get("candidate_pairs") is not None else "-"
        lines.append(
            f"| {n:,d} | {r['corpus_mb']:.0f} | {r['wall_s']:.0f} | {r['cpu_s']:.0f} | "
            f"{r['cpu_s'] / n * 1e3:.1f} | {r['peak_rss_mb']:.0f} | {cands} | {clusters} "
            f"| {r['status']} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.scaling", description=__doc__.split("\n")[0]
    )
    p.add_argument("--sizes", default="10000,100000,1000000")
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--workdir", type=Path, default=Path("/tmp/dedup-scaling"))
    p.add_argument("--timeout", type=float, default=3600.0)
    p.add_argument(
        "--world",
        choices=["default", "wide"],
        default="default",
        help="generated world: default (a few dense story families of hard negatives) or wide "
        "(many families, pairwise overlap like real news; results go to scaling-wide.json/png)",
    )
    p.add_argument("--json-out", type=Path, default=None, help="default: benchmarks/scaling.json")
    p.add_argument("--plot", type=Path, default=None, help="default: docs/scaling.png")
    p.add_argument(
        "--candidates",
        default="",
        help="sizes (e.g. 5000,10000,20000,40000) whose candidate pairs are counted without "
        "verification, on prefixes of the largest --sizes corpus",
    )
    p.add_argument(
        "--stages",
        action="store_true",
        help="instead of the CLI runs: time and RSS per pipeline stage (in-process, one child "
        "per size; results under 'stages' in the JSON)",
    )
    args = p.parse_args(argv)
    tag = "" if args.world == "default" else f"-{args.world}"
    args.json_out = args.json_out or ROOT / "benchmarks" / f"scaling{tag}.json"
    args.plot = args.plot or ROOT / "docs" / f"scaling{tag}.png"
    args.workdir.mkdir(parents=True, exist_ok=True)
    results: dict = {}  # type: ignore[type-arg]
    if args.json_out.exists():
        results = json.loads(args.json_out.read_text())
    if args.candidates:
        sizes = sorted(int(x) for x in args.candidates.split(",") if x.strip())
        largest = max(int(x) for x in args.sizes.split(","))
        source, _ = ensure_corpus(args.workdir, largest, world=args.world)
        growth = results.setdefault("candidate_growth", {})
        for n in sizes:
            growth[str(n)] = measure_candidates(source, n, args.timeout)
            growth[str(n)]["generator"] = generator_version()
            print(f"{n:>9,d} docs  {growth[str(n)]}", flush=True)
            args.json_out.write_text(json.dumps(results, indent=2))
        plot(results, args.plot)
        return 0
    if args.stages:
        stages = results.setdefault("stages", {})
        for n in sorted(int(s) for s in args.sizes.split(",") if s.strip()):
            corpus, _ = ensure_corpus(args.workdir, n, world=args.world)
            out = args.workdir / f"out_stages_{n}.jsonl"
            stages[str(n)] = measure_stages(corpus, out, args.jobs, args.timeout)
            stages[str(n)]["jobs"] = args.jobs
            args.json_out.write_text(json.dumps(results, indent=2))
        print(format_stages(stages))
        return 0
    for n in sorted(int(s) for s in args.sizes.split(",") if s.strip()):
        t = time.perf_counter()
        corpus, mb = ensure_corpus(args.workdir, n, world=args.world)
        gen = time.perf_counter() - t
        out = args.workdir / f"out_{n}.jsonl"
        r = run_cluster(corpus, out, args.jobs, args.timeout)
        r.update(
            corpus_mb=mb, generate_s=gen, jobs=args.jobs, generator=generator_version(),
            world=args.world,
        )  # fmt: skip
        if r["status"] == "ok":
            r.update(summarize(out))
        results[str(n)] = r
        print(
            f"{n:>9,d} docs  {mb:8.1f} MB  wall {r['wall_s']:8.1f} s  "
            f"peak RSS {r['peak_rss_mb']:8.0f} MB  {r['status']}",
            flush=True,
        )
        args.json_out.write_text(json.dumps(results, indent=2))
    print()
    print(format_table(results))
    try:
        plot(results, args.plot)
        print(f"plot: {args.plot}")
    except ImportError:
        print("matplotlib missing: pip install 'dedup-news[bench]' for the plot")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
