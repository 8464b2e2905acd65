"""`dedup explain` through the real command, and the terminal renderer."""

from __future__ import annotations

import json
import re

from dedup.report.explain import explain
from dedup.report.terminal import render_text

SEED_A = "000_9106e3a7f7abc474"
SEED_B = "001_679247a4154d51ed"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_explain_two_files_plain_when_piped(run_cli, seeds_dir):
    r = run_cli("explain", str(seeds_dir / f"{SEED_A}.txt"), str(seeds_dir / f"{SEED_B}.txt"))
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "\x1b[" not in out  # not a terminal: no colour
    assert "relation     same_story" in out
    for name in ("score", "containment", "fuzz", "overlap"):
        assert re.search(rf"^{name}\s+0\.\d{{3}}", out, re.M), name
    assert "[[vice-ministre de l'Intérieur de la Fédération de Russie, Aleksandr" in out
    assert "~~Nhân Dân en ligne - ~~{source_prefix}" in out
    assert "{dateline}" in out and "{related_tail}" in out
    # stacked by default when not on a terminal: A's block comes before B's
    assert out.index("── A") < out.index("── B")


def test_explain_color_always_and_side_layout(run_cli, seeds_dir):
    r = run_cli(
        "explain",
        str(seeds_dir / f"{SEED_A}.txt"),
        str(seeds_dir / f"{SEED_B}.txt"),
        "--color",
        "always",
        "--layout",
        "side",
        "--width",
        "120",
    )
    assert r.returncode == 0, r.stderr
    assert "\x1b[30;42m" in r.stdout and "\x1b[2;9m" in r.stdout
    assert "[[" not in r.stdout and "~~" not in r.stdout
    body = r.stdout.split("┬", 1)[1].splitlines()[1:]
    assert body and all(len(ANSI.sub("", line)) <= 120 for line in body)
    assert all("│" in line for line in body)


def test_explain_ids_in_input_and_json(run_cli, seeds_dir):
    r = run_cli("explain", "--input", str(seeds_dir), SEED_A, SEED_B, "--format", "json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["a"]["id"] == SEED_A and d["b"]["id"] == SEED_B
    assert d["relation"] == "same_story"
    assert d["scores"]["score"] >= 0.5
    kinds = {g["kind"] for g in d["a"]["segments"]}
    assert kinds == {"text", "shared", "removed"}


def test_explain_distinct_pair(run_cli, seeds_dir):
    r = run_cli("explain", "--input", str(seeds_dir), SEED_A, "004_09a78b2aaf5faed8")
    assert r.returncode == 0, r.stderr
    assert "relation     distinct" in r.stdout


def test_explain_errors_name_what_to_pass(run_cli, seeds_dir, tmp_path):
    r = run_cli("explain", str(seeds_dir / f"{SEED_A}.txt"), str(tmp_path / "nope.txt"))
    assert r.returncode == 2 and "nope.txt" in r.stderr and "--input" in r.stderr
    r = run_cli("explain", "--input", str(seeds_dir), SEED_A, "no_such_id")
    assert r.returncode == 2 and "'no_such_id'" in r.stderr and SEED_B in r.stderr
    r = run_cli(
        "explain",
        str(seeds_dir / f"{SEED_A}.txt"),
        str(seeds_dir / f"{SEED_B}.txt"),
        "--width",
        "5",
    )
    assert r.returncode == 2 and "width" in r.stderr


def test_render_wraps_to_width_and_keeps_all_text():
    a = "Le ministre a signé l'accord de coopération à Moscou le 5 septembre. " * 3
    b = "Hanoi (VNA) – " + a + "Un mot-très-très-très-long-qui-ne-tient-pas-dans-la-colonne."
    e = explain(a, b)
    out = render_text(e, layout="side", width=50, header=False)
    lines = out.splitlines()
    assert all(len(line) <= 50 for line in lines)
    flat = "".join(line.split("│", 1)[1] if "│" in line else "" for line in lines[1:])
    assert "colonne" in flat.replace(" ", "")
    stacked = render_text(e, layout="stacked", width=40)
    assert "relation" in stacked and "~~Hanoi (VNA) – ~~{dateline}" in stacked


def _run_on_terminal(args, env_extra):
    """Run ``python -m dedup ARGS`` with stdout on a real pseudo-terminal; return its output."""
    import os
    import pty
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env.update(PYTHONPATH=str(root), COLUMNS="130", **env_extra)
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "dedup", *args], stdout=slave, stderr=subprocess.PIPE, env=env
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert proc.wait(timeout=120) == 0, proc.stderr.read()
    return b"".join(chunks).decode("utf-8")


def test_colour_and_side_by_side_on_a_terminal(seeds_dir):
    files = [str(seeds_dir / f"{SEED_A}.txt"), str(seeds_dir / f"{SEED_B}.txt")]
    out = _run_on_terminal(["explain", *files], {})
    assert "\x1b[30;42m" in out and "[[" not in out
    assert "┬" in out and "│" in out  # side by side on a wide terminal
    plain = _run_on_terminal(["explain", *files], {"NO_COLOR": "1"})
    assert "\x1b[" not in plain and "[[" in plain
