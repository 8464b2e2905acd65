"""The HTML report without a browser: embedding, escaping, self-containment, data."""

from __future__ import annotations

import json
import re

from dedup.pipeline import cluster
from dedup.report.html import embed_json, render_html, report_data

SEED_A = "000_9106e3a7f7abc474"
SEED_B = "001_679247a4154d51ed"
HOSTILE = [
    "</script><script>window.__pwned=1</script>",
    "<!--<script>",
    "</SCRIPT >",
    "a\u2028b\u2029c",
    "&lt; & <b>",
]


def _data_of(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="dedup-data">(.*?)</script>', page, re.S)
    assert m
    return json.loads(m.group(1))


def test_embed_json_escapes_and_round_trips():
    for s in HOSTILE:
        out = embed_json({"t": s, "ids": [s]})
        assert "<" not in out and ">" not in out and "&" not in out
        assert "\u2028" not in out and "\u2029" not in out
        assert json.loads(out) == {"t": s, "ids": [s]}


def test_page_is_self_contained(seed_docs):
    page = render_html(cluster(seed_docs))
    head, _, _ = page.partition('<script type="application/json"')
    assert not re.search(r"\b(?:src|href)\s*=", head, re.I)
    assert not re.search(r"https?://|//[a-z]", page.replace("http-equiv", ""), re.I)
    assert "@import" not in page and "url(" not in page
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1)
    assert "default-src 'none'" in csp and "connect-src 'none'" in csp
    assert page.count("<script") == 2


def test_report_data_for_seeds(seed_docs):
    result = cluster(seed_docs)
    data = _data_of(render_html(result))
    assert data == json.loads(json.dumps(report_data(result)))
    assert data["stats"]["documents"] == 5 and data["stats"]["clusters"] == 4
    first = data["clusters"][0]  # largest first
    docs = data["docs"]
    assert docs[first[1]][0] == SEED_A
    assert [docs[m[0]][0] for m in first[2]] == [SEED_B]
    _, score, relation, pair_no = first[2][0]
    assert relation == "same_story" and score > 0.5
    pair = data["pairs"][pair_no]
    assert pair["r"] == "same_story" and abs(pair["s"][0] - score) < 1e-6
    src_b = docs[first[2][0][0]][2]
    seg = pair["b"]
    pieces = [src_b[seg[i] : seg[i + 1]] for i in range(0, len(seg), 3)]
    assert "".join(pieces) == src_b
    shared = [p for p, w in zip(pieces, seg[2::3]) if isinstance(w, int) and w >= 0]
    assert any("Aleksandr Gorovoy" in p for p in shared)
    # singletons are listed by title, without their text
    assert all(d[2] is None for d in docs if d[0].startswith(("002", "003", "004")))
    assert docs[first[1]][1].startswith("Vietnam-Russie")


def test_offsets_are_javascript_string_indexes():
    body = "🙂🙂 Le ministre a signé l'accord de coopération à Moscou le 5 septembre 🙂."
    result = cluster([("a", body), ("b", "🙂 " + body)])
    data = report_data(result)
    seg = data["pairs"][0]["b"]
    src = data["docs"][1][2]
    units = src.encode("utf-16-le")
    assert seg[1::3][-1] * 2 == len(units)  # last end offset counts UTF-16 code units
    shared = [
        units[2 * seg[i] : 2 * seg[i + 1]].decode("utf-16-le")
        for i in range(0, len(seg), 3)
        if seg[i + 2] != -1
    ]
    assert shared == ["Le ministre a signé l'accord de coopération à Moscou le 5 septembre"]
    assert units[: 2 * seg[3]].decode("utf-16-le") == "🙂 🙂🙂 "


def test_cli_report_option(run_cli, seeds_dir, tmp_path):
    out = tmp_path / "r.html"
    r = run_cli("cluster", str(seeds_dir), "--report", str(out), "--format", "table")
    assert r.returncode == 0, r.stderr
    assert "cluster 0 (2 documents)" in r.stdout
    data = _data_of(out.read_text(encoding="utf-8"))
    assert data["stats"]["duplicates"] == 1
