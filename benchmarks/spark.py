"""Local engine vs the Spark engine on one corpus file, side by side in one run.

Both engines read **the same JSONL file the way a user would**, each in its own process:

* local: the real command ``python -m dedup cluster CORPUS -o OUT --progress``;
* Spark: ``python -m benchmarks.spark --worker ...``, which does what
  ``dedup cluster --engine spark`` does (``session``, :func:`dedup.spark.read_inputs` on the
  JSONL -- or on a Parquet copy with ``--spark-input parquet`` --, :func:`cluster_spark`, the
  CLI's JSONL writer) and times the session start-up and every stage.

Reported: wall time of each (Spark start-up separately), time per stage (from the progress
events, timestamped as they arrive), peak memory of each process tree sampled from ``/proc``
(local process; Spark driver Python, JVM, Python workers and their sum), the ratio, and
whether the two output files are identical byte for byte (they must be).

The corpus is ``--corpus FILE`` or the generated one of ``--docs`` articles
(:func:`benchmarks.corpus.write_jsonl`, seed 0), reused from ``/work/cache/*/corpus_N.jsonl``
when a finished file exists, else written to ``--workdir`` (``.tmp`` then renamed).

Usage::

    python -m benchmarks.spark --docs 10000 --json out.json
    flock /work/wt/heavy.lock python -m benchmarks.spark --docs 100000 --timeout 1500
    python -m benchmarks.spark --corpus articles.jsonl --master 'local[2]' --spark-input parquet
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path("/work/cache")


# ----------------------------------------------------------------------------- corpus


def find_corpus(n: int, workdir: Path) -> Path:
    """A finished generated corpus of ``n`` documents (seed 0): reused if cached, else written."""
    mine = workdir / f"corpus_{n}.jsonl"
    if mine.exists():
        return mine
    if CACHE.is_dir():
        for p in sorted(CACHE.glob(f"*/corpus_{n}.jsonl")):
            return p
    from benchmarks.corpus import write_jsonl

    workdir.mkdir(parents=True, exist_ok=True)
    tmp = mine.with_suffix(".tmp")
    write_jsonl(tmp, n, seed=0)
    tmp.replace(mine)
    return mine


def to_parquet(corpus: Path, workdir: Path) -> Path:
    """A Parquet copy (``id``, ``text``) of a JSONL corpus, cached in ``workdir``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = workdir / (corpus.stem + ".parquet")
    if out.exists() and out.stat().st_mtime >= corpus.stat().st_mtime:
        return out
    ids, texts = [], []
    with corpus.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                rec = json.loads(line)
                ids.append(str(rec["id"]))
                texts.append(rec["text"])
    tmp = out.with_suffix(".tmp")
    pq.write_table(
        pa.table({"id": ids, "text": texts}), tmp, row_group_size=max(1000, len(ids) // 16)
    )
    tmp.replace(out)
    return out


# ----------------------------------------------------------------------------- measuring


def _tree(root: int) -> list[int]:
    """``root`` and all its descendants (from ``/proc/*/stat``)."""
    children: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(d))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, ()))
    return out


def _rss_mb(pid: int) -> tuple[str, float]:
    """(executable name, resident MB) of one process; ('', 0) once it is gone."""
    try:
        exe = os.path.basename(os.readlink(f"/proc/{pid}/exe"))
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return exe, int(line.split()[1]) / 1024
    except OSError:
        pass
    return "", 0.0


class MemorySampler(threading.Thread):
    """Peak resident memory of a process tree, by kind: the root, ``java``, other processes."""

    def __init__(self, pid: int, every: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.pid, self.every = pid, every
        self.peak = {"root": 0.0, "jvm": 0.0, "workers": 0.0, "total": 0.0}
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            now = {"root": 0.0, "jvm": 0.0, "workers": 0.0}
            for pid in _tree(self.pid):
                exe, mb = _rss_mb(pid)
                kind = "root" if pid == self.pid else "jvm" if exe == "java" else "workers"
                now[kind] += mb
            now["total"] = sum(now.values())
            for k, v in now.items():
                self.peak[k] = max(self.peak[k], v)
            self.stop.wait(self.every)


def run_timed(cmd: list[str], timeout: float) -> dict:  # type: ignore[type-arg]
    """Run ``cmd``; wall time, peak memory, and a timestamp for every stderr line (\\r or \\n)."""
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    )
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    sampler = MemorySampler(proc.pid)
    sampler.start()
    events: list[tuple[float, str]] = []
    tail: list[str] = []

    def read() -> None:
        # a segment ends at \r or \n; it is timestamped when its first byte arrived (the
        # progress line of a stage's start ends only when the next one begins)
        buf, buf_t = b"", 0.0
        assert proc.stderr is not None
        while chunk := proc.stderr.read1(4096):  # type: ignore[attr-defined]
            now = time.perf_counter() - t0
            if not buf:
                buf_t = now
            buf += chunk
            while True:
                cut = [i for i in (buf.find(b"\r"), buf.find(b"\n")) if i >= 0]
                if not cut:
                    break
                i = min(cut)
                line, buf = buf[:i].decode("utf-8", "replace"), buf[i + 1 :]
                if line.strip():
                    events.append((buf_t, line.strip()))
                    tail.append(line)
                    del tail[:-20]
                buf_t = now

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        code = proc.wait(timeout=timeout)
        status = "ok" if code == 0 else f"exit {code}: {' | '.join(tail[-5:])}"
    except subprocess.TimeoutExpired:
        proc.kill()  # the child's own process group is not ours to kill; children follow it
        proc.wait()
        status = f"timeout after {timeout:.0f} s"
    wall = time.perf_counter() - t0
    reader.join(5)
    sampler.stop.set()
    sampler.join()
    return {
        "wall_s": round(wall, 2),
        "peak_mb": {k: round(v) for k, v in sampler.peak.items()},
        "status": status,
        "events": events,
        "command": " ".join(["python", *cmd[1:]]),
    }


def stage_times(events: list[tuple[float, str]], wall: float) -> dict[str, float]:
    """Seconds per stage from progress lines ``stage [###...] done/total``.

    A stage runs from its first event (``0/total``; else from the previous stage's end) to its
    last (``total/total``); a gap before a stage's first event is reported as
    ``before <stage>``, the time after the last stage as ``after``. A ``session S`` line ends
    the Spark start-up.
    """
    out: dict[str, float] = {}
    last, start = 0.0, None
    for t, line in events:
        parts = line.split()
        if parts and parts[0] == "session":
            last = t
            continue
        if len(parts) < 3 or not parts[1].startswith("[") or "/" not in parts[-1]:
            continue
        done, total = parts[-1].split("/")
        if start is None and done == total:  # a stage with one event: from the previous end
            start = last
        elif start is None:
            start = t
            if t - last > 0.05:
                out[f"before {parts[0]}"] = round(t - last, 2)
        if done == total:  # a stage's last event
            out[parts[0]] = round(t - start, 2)
            last, start = t, None
    out["after"] = round(wall - last, 2)
    return out


# ----------------------------------------------------------------------------- the Spark worker


def spark_worker(corpus: str, out: str, master: str, partitions: int) -> int:
    """What ``dedup cluster --engine spark CORPUS -o OUT`` does, with timings on stderr."""
    from dedup.engines import spark as engine
    from dedup.io import WRITERS, atomic_output
    from dedup.pipeline import DocResult

    t0 = time.perf_counter()
    spark = engine.session(master, "dedup-bench", {"spark.sql.shuffle.partitions": str(partitions)})
    spark.range(1).count()  # the JVM and the first job are up
    sys.stderr.write(f"session {time.perf_counter() - t0:.2f}\n")
    shuffles = ShuffleLog(spark)

    def progress(stage: str, done: int, total: int) -> None:
        shuffles.close_step(stage)
        sys.stderr.write(f"{stage} [#] {done}/{total}\n")
        sys.stderr.flush()

    try:
        df = engine.read_inputs(spark, [corpus])
        result = engine.cluster_spark(df, progress=progress)
        rows = result.records.select(
            "id", "cluster", "representative", "duplicate", "score", "relation"
        ).toLocalIterator()
        with atomic_output(out) as fh:
            WRITERS["jsonl"]((DocResult(*row) for row in rows), fh)  # type: ignore[arg-type]
        shuffles.close_step("write")
        sys.stderr.write("write [#] 1/1\n")
        sys.stderr.write(json.dumps({"stats": result.stats}) + "\n")
        time.sleep(1.0)  # the status listener is asynchronous
        shuffles.close_step("write")
        sys.stderr.write(json.dumps({"shuffle": shuffles.steps}) + "\n")
    finally:
        spark.stop()
    return 0


class ShuffleLog:
    """Shuffle bytes and records written per pipeline step, from Spark's status store.

    Each Spark stage (attempt) is attributed to the step whose progress event follows it;
    the status listener runs asynchronously, so a stage that ends right at a step boundary
    can land in the next step.
    """

    def __init__(self, spark) -> None:  # type: ignore[no-untyped-def]
        self.store = spark.sparkContext._jsc.sc().statusStore()
        self.seen: set[tuple[int, int]] = set()
        self.steps: dict[str, dict[str, list]] = {}  # type: ignore[type-arg]
        self.close_step("startup")

    def _stages(self) -> list:  # type: ignore[type-arg]
        st = self.store
        defaults = [getattr(st, f"stageList$default${i}")() for i in (2, 3, 4, 5)]
        seq = st.stageList(None, *defaults)
        return [seq.apply(i) for i in range(seq.size())]

    def close_step(self, step: str) -> None:
        entry = self.steps.setdefault(step, {"stages": []})
        for s in self._stages():
            key = (s.stageId(), s.attemptId())
            if key in self.seen or str(s.status()) not in ("COMPLETE", "SKIPPED", "FAILED"):
                continue
            self.seen.add(key)
            if s.shuffleWriteBytes() or s.shuffleReadBytes():
                entry["stages"].append(
                    [
                        s.stageId(),
                        s.shuffleWriteRecords(),
                        s.shuffleWriteBytes(),
                        s.shuffleReadBytes(),
                        s.executorRunTime(),
                    ]
                )


# ----------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--corpus", type=Path, help="a JSONL corpus (default: the generated one)")
    ap.add_argument("--workdir", type=Path, default=CACHE / "spark2")
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--partitions", type=int, default=8, help="spark.sql.shuffle.partitions")
    ap.add_argument("--spark-input", choices=("jsonl", "parquet"), default="jsonl")
    ap.add_argument("--local-jobs", type=int, default=1, help="--jobs of the local command")
    ap.add_argument("--timeout", type=float, default=1500.0, help="seconds per engine")
    ap.add_argument("--only", choices=("local", "spark"), help="run one engine only")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    ap.add_argument("--worker", nargs=2, metavar=("CORPUS", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        return spark_worker(*args.worker, args.master, args.partitions)

    args.workdir.mkdir(parents=True, exist_ok=True)
    corpus = args.corpus or find_corpus(args.docs, args.workdir)
    n = sum(1 for line in corpus.open(encoding="utf-8") if line.strip())
    spark_in = to_parquet(corpus, args.workdir) if args.spark_input == "parquet" else corpus
    tag = f"{os.getpid()}"
    out_local = args.workdir / f"bench_{n}_{tag}_local.jsonl"
    out_spark = args.workdir / f"bench_{n}_{tag}_spark.jsonl"
    figures: dict = {  # type: ignore[type-arg]
        "corpus": str(corpus),
        "docs": n,
        "corpus_mb": round(corpus.stat().st_size / 1e6, 1),
        "master": args.master,
        "shuffle_partitions": args.partitions,
        "spark_input": args.spark_input,
        "load_average_at_start": os.getloadavg(),
    }
    if args.only != "spark":
        cmd = [sys.executable, "-m", "dedup", "cluster", str(corpus), "-o", str(out_local)]
        cmd += ["--progress", "--jobs", str(args.local_jobs)]
        r = run_timed(cmd, args.timeout)
        figures["local"] = {
            "wall_s": r["wall_s"],
            "stages_s": stage_times(r["events"], r["wall_s"]),
            "peak_rss_mb": r["peak_mb"]["total"],
            "status": r["status"],
            "summary": next((e for _, e in r["events"] if e.startswith("dedup:")), ""),
            "command": r["command"],
        }
        print(f"local: {json.dumps(figures['local'])}", file=sys.stderr, flush=True)
    if args.only != "local":
        cmd = [sys.executable, "-m", "benchmarks.spark", "--worker", str(spark_in), str(out_spark)]
        cmd += ["--master", args.master, "--partitions", str(args.partitions)]
        r = run_timed(cmd, args.timeout)
        session_s = next(
            (float(e.split()[1]) for _, e in r["events"] if e.startswith("session ")), None
        )
        stages = stage_times(r["events"], r["wall_s"])
        t_session_end = next((t for t, e in r["events"] if e.startswith("session ")), 0.0)
        blobs = [json.loads(e) for _, e in r["events"] if e.startswith("{")]
        stats = next((b["stats"] for b in blobs if "stats" in b), None)
        shuffle = next((b["shuffle"] for b in blobs if "shuffle" in b), None)
        figures["spark"] = {
            "wall_s": r["wall_s"],
            "startup_s": round(t_session_end, 2),
            "session_s": session_s,
            "after_startup_s": round(r["wall_s"] - t_session_end, 2),
            "stages_s": stages,
            "peak_mb": r["peak_mb"],
            "status": r["status"],
            "stats": stats,
            "shuffle": shuffle,
            "command": r["command"],
        }
        print(f"spark: {json.dumps(figures['spark'])}", file=sys.stderr, flush=True)
    if "local" in figures and "spark" in figures:
        ok = figures["local"]["status"] == figures["spark"]["status"] == "ok"
        figures["spark_over_local"] = round(
            figures["spark"]["wall_s"] / figures["local"]["wall_s"], 2
        )
        figures["spark_after_startup_over_local"] = round(
            figures["spark"]["after_startup_s"] / figures["local"]["wall_s"], 2
        )
        figures["same_output"] = ok and out_local.read_bytes() == out_spark.read_bytes()
    for p in (out_local, out_spark):
        p.unlink(missing_ok=True)
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0 if figures.get("same_output", True) else 1


if __name__ == "__main__":
    sys.exit(main())
