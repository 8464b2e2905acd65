"""A self-contained HTML report of a clustering run (``dedup cluster ... --report FILE``).

One file, no network and no external assets: inline CSS and JavaScript, the data embedded as
JSON in a ``<script type="application/json">`` element. The page lists summary counts and the
clusters, largest first, each with its representative and members (score, relation); a click
on a member opens the side-by-side view of it and its representative (precomputed with
:func:`~dedup.report.explain.explain`). Clusters are rendered in batches as the reader scrolls
and the search box filters by id and title, so reports of thousands of clusters open at once.

Article text is untrusted. The JSON is embedded with ``<``, ``>``, ``&`` and the line
separators escaped (so no ``</script>`` or ``<!--`` can end or bend the element), the script
inserts every piece of data with ``textContent`` (never as HTML), and a Content Security
Policy allows no network access and only the report's own inline script (by hash).

Examples
--------
>>> from dedup.pipeline import cluster
>>> result = cluster([("a", "Le ministre a signé l'accord de coopération à Moscou."),
...                   ("b", "Le ministre a signé l’accord de coopération à Moscou. Photo : VNA")])
>>> page = render_html(result)
>>> page.startswith("<!DOCTYPE html>"), "http" in page.split("<script")[0].replace("http-equiv", "")
(True, False)
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dedup.match.verify import PairScore
from dedup.pipeline import ClusterResult
from dedup.report.explain import (
    RELATION_MEANINGS,
    SCORE_MEANINGS,
    Explanation,
    Side,
    explain_tokens,
    source_tokens,
)

__all__ = ["embed_json", "render_html", "report_data", "write_html"]

_TITLE_CHARS = 160


def embed_json(data: Any) -> str:
    """JSON safe to place inside ``<script type="application/json">``.

    ``<``, ``>`` and ``&`` become ``\\u003c``, ``\\u003e``, ``\\u0026`` (so ``</script>`` and
    ``<!--`` cannot appear), and U+2028/U+2029 are escaped too; ``JSON.parse`` reads it back
    unchanged.

    Examples
    --------
    >>> embed_json({"t": "</script><!-- &"})
    '{"t":"\\\\u003c/script\\\\u003e\\\\u003c!-- \\\\u0026"}'
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def _title(source: str) -> str:
    for line in source.split("\n"):
        line = " ".join(line.split())
        if line:
            return line if len(line) <= _TITLE_CHARS else line[: _TITLE_CHARS - 1] + "…"
    return ""


def _utf16_map(source: str) -> Callable[[int], int] | None:
    """Code-point offset -> UTF-16 offset (JavaScript string index), or None when equal."""
    if len(source.encode("utf-16-le")) == 2 * len(source):
        return None
    prefix = [0]
    for ch in source:
        prefix.append(prefix[-1] + (2 if ord(ch) > 0xFFFF else 1))
    return prefix.__getitem__


def _flat_segments(side: Side) -> list[Any]:
    """``[start, end, what, ...]``; what: -1 text, k >= 0 passage k, a string: removed by rule."""
    conv = _utf16_map(side.source)
    out: list[Any] = []
    for g in side.segments:
        s, e = (conv(g.start), conv(g.end)) if conv else (g.start, g.end)
        what: Any = -1 if g.kind == "text" else g.passage if g.kind == "shared" else g.rule
        out += [s, e, what]
    return out


def _pair_data(e: Explanation) -> dict[str, Any]:
    sc = e.scores
    return {
        "s": [sc.score, round(sc.containment, 6), round(sc.fuzz, 6), round(sc.overlap, 6)],
        "r": sc.relation,
        "k": "".join("m" if p.kind == "moved" else "a" for p in e.passages),
        "f": [round(e.a.shared_fraction, 4), round(e.b.shared_fraction, 4)],
        "a": _flat_segments(e.a),
        "b": _flat_segments(e.b),
    }


def report_data(result: ClusterResult, *, min_run: int = 3) -> dict[str, Any]:
    """The data the page shows: documents, clusters (largest first) and pair explanations.

    Parameters
    ----------
    result : ClusterResult
        From :func:`dedup.pipeline.cluster` (it carries the stripped texts).
    min_run : int
        Shortest shared run of words shown as a shared passage.
    """
    n = len(result.records)
    if len(result.stripped) != n:
        raise ValueError(
            "the ClusterResult carries no prepared texts (result.stripped); "
            "pass the result of dedup.cluster() itself"
        )
    index = {r.id: k for k, r in enumerate(result.records)}
    groups: dict[int, list[int]] = {}
    for k, r in enumerate(result.records):
        groups.setdefault(r.cluster, []).append(k)
    clusters: list[tuple[int, int, list[int]]] = []  # (cluster no, rep, members)
    for no, ks in groups.items():
        rep = index[result.records[ks[0]].representative]
        clusters.append((no, rep, [k for k in ks if k != rep]))
    clusters.sort(key=lambda c: (-(len(c[2]) + 1), c[0]))

    with_text = {k for _, rep, members in clusters if members for k in (rep, *members)}
    docs = [
        [
            r.id,
            _title(result.stripped[k].source),
            result.stripped[k].source if k in with_text else None,
        ]
        for k, r in enumerate(result.records)
    ]
    pairs: list[dict[str, Any]] = []
    out_clusters = []
    relations: dict[str, int] = {}
    if min_run < 1:
        raise ValueError(f"min_run must be at least 1, got {min_run}")
    cfg = result.config
    verified = {(p.a, p.b): p for p in result.pairs}
    verified.update({(p.b, p.a): p for p in result.pairs})
    for no, rep, members in clusters:
        rows = []
        rep_tokens = source_tokens(result.stripped[rep], cfg.normalize) if members else []
        for m in members:
            rec = result.records[m]
            known = verified.get((result.records[rep].id, rec.id))
            scores = (
                PairScore(known.score, known.relation, known.containment, known.fuzz, known.overlap)  # type: ignore[arg-type]
                if known is not None
                else None
            )
            e = explain_tokens(
                result.stripped[rep],
                rep_tokens,
                result.stripped[m],
                source_tokens(result.stripped[m], cfg.normalize),
                cfg,
                (result.records[rep].id, rec.id),
                min_run,
                scores,
            )
            pairs.append(_pair_data(e))
            rows.append([m, rec.score, rec.relation, len(pairs) - 1])
            relations[rec.relation or "none"] = relations.get(rec.relation or "none", 0) + 1
        out_clusters.append([no, rep, rows])
    from dedup import __version__  # here: dedup/__init__ imports this package

    multi = sum(1 for c in clusters if c[2])
    stats = dict(result.stats)
    return {
        "version": __version__,
        "stats": {
            "documents": n,
            "clusters": len(clusters),
            "clusters_with_duplicates": multi,
            "duplicates": sum(len(c[2]) for c in clusters),
            "singletons": len(clusters) - multi,
            "candidate_pairs": stats.get("candidate_pairs", 0),
            "duplicate_pairs": stats.get("duplicate_pairs", 0),
            "relations": relations,
        },
        "threshold": result.config.verify.threshold,
        "near_copy": result.config.verify.near_copy,
        "method": result.config.cluster.method,
        "meanings": {"relation": RELATION_MEANINGS, "score": SCORE_MEANINGS},
        "docs": docs,
        "clusters": out_clusters,
        "pairs": pairs,
    }


def _csp_hash(script: str) -> str:
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


def render_html(result: ClusterResult, *, title: str = "dedup report", min_run: int = 3) -> str:
    """The report as one HTML string (see the module docstring)."""
    data = embed_json(report_data(result, min_run=min_run))
    csp = (
        "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
        f"script-src '{_csp_hash(_SCRIPT)}'; connect-src 'none'; form-action 'none'; "
        "base-uri 'none'"
    )
    return (
        _PAGE.replace("@@CSP@@", html.escape(csp, quote=False))
        .replace("@@TITLE@@", html.escape(title))
        .replace("@@STYLE@@", _STYLE)
        .replace("@@SCRIPT@@", _SCRIPT)
        .replace("@@DATA@@", data)
    )


def write_html(result: ClusterResult, path: str | Path, **kwargs: Any) -> None:
    """Write :func:`render_html` to ``path`` (UTF-8)."""
    Path(path).write_text(render_html(result, **kwargs), encoding="utf-8")


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="@@CSP@@">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>@@TITLE@@</title>
<style>@@STYLE@@</style>
</head>
<body>
<header id="top">
  <h1>@@TITLE@@</h1>
  <div id="summary"></div>
  <div id="tools">
    <input id="search" type="search" placeholder="Search id or title" autocomplete="off" aria-label="Search by id or title">
    <label><input id="singles" type="checkbox"> show documents without duplicates</label>
    <span id="count"></span>
  </div>
</header>
<main id="clusters" aria-live="polite"></main>
<div id="more"></div>
<div id="pair" hidden>
  <div id="pair-box" role="dialog" aria-modal="true" aria-labelledby="pair-title">
    <div id="pair-head">
      <h2 id="pair-title"></h2>
      <button id="pair-close" type="button" aria-label="Close">×</button>
    </div>
    <div id="pair-scores"></div>
    <div id="pair-legend"><mark class="sh">shared passage</mark> <mark class="sh mv">shared, in another place</mark> <del>removed boilerplate</del><span class="rule">rule</span> · hover a passage to see its twin, click to scroll to it · Esc closes</div>
    <div id="pair-cols"><section class="col" id="col-a"></section><section class="col" id="col-b"></section></div>
  </div>
</div>
<script type="application/json" id="dedup-data">@@DATA@@</script>
<script>@@SCRIPT@@</script>
</body>
</html>
"""

_STYLE = """
:root{--fg:#1f2328;--muted:#656d76;--line:#d0d7de;--bg:#f6f8fa;--card:#fff;--sh:#b7ebc0;--mv:#fde7a0;--hot:#2da44e;--acc:#0969da}
*{box-sizing:border-box}
body{margin:0;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;color:var(--fg);background:var(--bg)}
header{position:sticky;top:0;z-index:2;background:var(--card);border-bottom:1px solid var(--line);padding:12px 24px}
h1{font-size:18px;margin:0 0 6px}
#summary{display:flex;flex-wrap:wrap;gap:8px;margin-bottom:8px}
.stat{background:var(--bg);border:1px solid var(--line);border-radius:6px;padding:2px 10px;color:var(--muted)}
.stat b{color:var(--fg);font-size:15px;margin-right:4px}
#tools{display:flex;gap:16px;align-items:center;flex-wrap:wrap}
#search{width:340px;max-width:100%;padding:6px 10px;border:1px solid var(--line);border-radius:6px;font:inherit}
#count{color:var(--muted)}
main{padding:16px 24px;max-width:1200px}
.cluster{background:var(--card);border:1px solid var(--line);border-radius:8px;margin:0 0 12px;overflow:hidden}
.cluster h3{margin:0;padding:8px 14px;font-size:13px;font-weight:600;background:var(--bg);border-bottom:1px solid var(--line);color:var(--muted)}
.row{display:grid;grid-template-columns:230px 1fr 110px 64px;gap:12px;align-items:baseline;padding:6px 14px;border-top:1px solid #eef1f4}
.row:first-of-type{border-top:0}
.row .id{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.row .t{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.row .sc{text-align:right;font-variant-numeric:tabular-nums}
.rep .id::before{content:"★ ";color:#bf8700}
.member{cursor:pointer}
.member:hover,.member:focus{background:#f0f6ff;outline:none}
.member .t{color:var(--acc)}
.badge{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;border:1px solid transparent}
.b-exact,.b-near_copy{background:#ffebe9;border-color:#ffcecb;color:#a40e26}
.b-same_story{background:#fff8c5;border-color:#f2d970;color:#7d4e00}
.b-distinct,.b-none{background:#dafbe1;border-color:#aceebb;color:#116329}
.single .id::before{content:"· ";color:var(--muted)}
.empty{color:var(--muted);padding:24px 0}
#more{padding:0 24px 40px;color:var(--muted)}
#pair{position:fixed;inset:0;background:rgba(31,35,40,.45);z-index:5;display:flex;align-items:stretch;justify-content:center;padding:16px}
#pair[hidden]{display:none}
#pair-box{background:var(--card);border-radius:10px;width:min(1500px,100%);display:flex;flex-direction:column;overflow:hidden;box-shadow:0 8px 24px rgba(0,0,0,.25)}
#pair-head{display:flex;justify-content:space-between;align-items:center;padding:10px 16px;border-bottom:1px solid var(--line)}
#pair-head h2{font-size:15px;margin:0}
#pair-close{font-size:22px;line-height:1;border:0;background:none;cursor:pointer;color:var(--muted)}
#pair-scores{display:grid;grid-template-columns:repeat(6,minmax(0,1fr));gap:8px;padding:10px 16px;border-bottom:1px solid var(--line)}
.score{border:1px solid var(--line);border-radius:6px;padding:4px 10px;background:var(--bg)}
.score .n{font-size:12px;color:var(--muted);display:flex;justify-content:space-between;gap:6px}
.score .v{font-size:17px;font-weight:600;font-variant-numeric:tabular-nums;line-height:1.3}
.score .m{font-size:11.5px;line-height:1.35;color:var(--muted)}
@media (max-width:1100px){#pair-scores{grid-template-columns:repeat(3,minmax(0,1fr))}}
#pair-legend{padding:6px 16px;font-size:12px;color:var(--muted);border-bottom:1px solid var(--line)}
#pair-cols{display:grid;grid-template-columns:1fr 1fr;min-height:0;flex:1}
.rel.r-exact .v,.rel.r-near_copy .v{color:#a40e26}.rel.r-same_story .v{color:#9a6700}.rel.r-distinct .v{color:#116329}
.col{overflow:auto;padding:12px 18px;white-space:pre-wrap;overflow-wrap:anywhere;font-size:14px;line-height:1.6}
.col+.col{border-left:1px solid var(--line)}
.col h4{margin:0 0 8px;font-size:12px;font-family:ui-monospace,Menlo,Consolas,monospace;color:var(--muted);white-space:normal}
mark.sh{background:var(--sh);color:inherit;border-radius:2px;padding:0 1px;cursor:pointer}
mark.sh.mv{background:var(--mv)}
mark.sh.hot{outline:2px solid var(--hot);background:#8fdc9c}
del{color:#8c959f;text-decoration-color:#cf222e}
.rule{font-size:11px;color:#8250df;background:#fbefff;border-radius:4px;padding:0 4px;margin:0 2px;white-space:nowrap;vertical-align:1px}
@media (max-width:800px){.row{grid-template-columns:1fr 90px 56px}.row .t{grid-column:1/-1}#pair-cols{grid-template-columns:1fr}}
"""

_SCRIPT = r"""
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("dedup-data").textContent);
  var BATCH = 60;
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function fmt(x) { return (x === null || x === undefined) ? "" : Number(x).toFixed(3); }

  // summary
  var S = D.stats, sum = document.getElementById("summary");
  function stat(n, label) { var s = el("span", "stat"); s.appendChild(el("b", null, n)); s.appendChild(document.createTextNode(label)); sum.appendChild(s); }
  stat(S.documents, "documents");
  stat(S.clusters, "clusters");
  stat(S.clusters_with_duplicates, "with duplicates");
  stat(S.duplicates, "duplicates");
  Object.keys(S.relations).sort().forEach(function (r) { stat(S.relations[r], r); });
  stat(S.candidate_pairs, "candidate pairs checked");
  stat(D.threshold, "threshold");

  var main = document.getElementById("clusters"), more = document.getElementById("more");
  var count = document.getElementById("count"), search = document.getElementById("search");
  var singles = document.getElementById("singles");
  var view = [], shown = 0, keys = null;

  function docKey(k) { var d = D.docs[k]; return (d[0] + "\n" + d[1]).toLowerCase(); }
  function clusterKey(c) {
    var parts = [docKey(c[1])];
    for (var i = 0; i < c[2].length; i++) parts.push(docKey(c[2][i][0]));
    return parts.join("\n");
  }
  function filter() {
    var q = search.value.trim().toLowerCase(), withSingles = singles.checked;
    if (q && keys === null) keys = D.clusters.map(clusterKey);
    view = [];
    for (var i = 0; i < D.clusters.length; i++) {
      if (!withSingles && D.clusters[i][2].length === 0) continue;
      if (q && keys[i].indexOf(q) < 0) continue;
      view.push(i);
    }
    count.textContent = view.length + (view.length === 1 ? " cluster" : " clusters") + (q ? " match" : "");
    main.textContent = "";
    shown = 0;
    if (view.length === 0) {
      main.appendChild(el("p", "empty", q ? "Nothing matches “" + search.value.trim() + "”." :
        "No duplicates found. Tick “show documents without duplicates” to list every document."));
    }
    renderMore();
  }
  function row(cls, k) {
    var r = el("div", "row " + cls), d = D.docs[k];
    r.appendChild(el("span", "id", d[0])).title = d[0];
    r.appendChild(el("span", "t", d[1])).title = d[1];
    return r;
  }
  function card(ci) {
    var c = D.clusters[ci], n = c[2].length + 1;
    var box = el("section", n > 1 ? "cluster" : "cluster single");
    box.dataset.cluster = c[0];
    box.appendChild(el("h3", null, "cluster " + c[0] + " · " + n + (n === 1 ? " document" : " documents")));
    var rep = row(n > 1 ? "rep" : "single", c[1]);
    rep.appendChild(el("span", "sc", n > 1 ? "representative" : ""));
    rep.appendChild(el("span", "sc"));
    box.appendChild(rep);
    c[2].forEach(function (m) {
      var r = row("member", m[0]);
      var b = el("span", "sc"); b.appendChild(el("span", "badge b-" + (m[2] || "none"), m[2] || "none"));
      r.appendChild(b);
      r.appendChild(el("span", "sc", fmt(m[1])));
      r.tabIndex = 0;
      r.setAttribute("role", "button");
      r.title = "compare with the representative";
      r.addEventListener("click", function () { openPair(c[1], m[0], m[3], m); });
      r.addEventListener("keydown", function (ev) { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); openPair(c[1], m[0], m[3], m); } });
      box.appendChild(r);
    });
    return box;
  }
  function renderMore() {
    var frag = document.createDocumentFragment(), end = Math.min(view.length, shown + BATCH);
    for (; shown < end; shown++) frag.appendChild(card(view[shown]));
    main.appendChild(frag);
    more.textContent = shown < view.length ? "showing " + shown + " of " + view.length + " — scroll for more" : "";
  }
  if ("IntersectionObserver" in window) {
    new IntersectionObserver(function (es) { if (es[0].isIntersecting && shown < view.length) renderMore(); }, { rootMargin: "600px" }).observe(more);
  }
  window.addEventListener("scroll", function () {
    if (shown < view.length && window.innerHeight + window.scrollY > document.body.offsetHeight - 800) renderMore();
  }, { passive: true });
  var timer = null;
  search.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(filter, 120); });
  singles.addEventListener("change", filter);

  // pair view
  var pair = document.getElementById("pair"), colA = document.getElementById("col-a"), colB = document.getElementById("col-b");
  function side(col, label, k, segs, kinds) {
    col.textContent = "";
    col.scrollTop = 0;
    var d = D.docs[k], src = d[2] || "";
    col.appendChild(el("h4", null, label + " · " + d[0]));
    var frag = document.createDocumentFragment();
    for (var i = 0; i < segs.length; i += 3) {
      var text = src.slice(segs[i], segs[i + 1]), w = segs[i + 2];
      if (w === -1) frag.appendChild(document.createTextNode(text.replace(/\n[ \t]*\n(?:[ \t]*\n)+/g, "\n\n")));
      else if (typeof w === "number") {
        var m = el("mark", kinds.charAt(w) === "m" ? "sh mv" : "sh", text);
        m.dataset.p = w;
        m.title = kinds.charAt(w) === "m" ? "shared passage, found in another place in the other article" : "shared passage";
        frag.appendChild(m);
      } else {
        frag.appendChild(el("del", null, text)).title = "removed as boilerplate by rule " + w;
        frag.appendChild(el("span", "rule", w));
      }
    }
    col.appendChild(frag);
  }
  function scoreBox(name, value, meaning, extra) {
    var b = el("div", "score"), n = el("div", "n");
    n.appendChild(el("span", null, name));
    if (extra) n.appendChild(el("span", null, extra));
    b.appendChild(n);
    b.appendChild(el("div", "v", value));
    b.appendChild(el("div", "m", meaning));
    return b;
  }
  function openPair(a, b, p, m) {
    var P = D.pairs[p], s = P.s, M = D.meanings;
    document.getElementById("pair-title").textContent = D.docs[a][0] + "  ↔  " + D.docs[b][0];
    var box = document.getElementById("pair-scores");
    box.textContent = "";
    var rel = scoreBox("relation", P.r, M.relation[P.r]);
    rel.classList.add("rel", "r-" + P.r);
    box.appendChild(rel);
    box.appendChild(scoreBox("score", fmt(s[0]), M.score.score, "threshold " + D.threshold));
    box.appendChild(scoreBox("containment", fmt(s[1]), M.score.containment, "near copy ≥ " + D.near_copy));
    box.appendChild(scoreBox("fuzz", fmt(s[2]), M.score.fuzz));
    box.appendChild(scoreBox("overlap", fmt(s[3]), M.score.overlap));
    box.appendChild(scoreBox("shared words", Math.round(100 * P.f[0]) + "% / " + Math.round(100 * P.f[1]) + "%", P.k.length + " passages; share of the representative's / the member's words"));
    side(colA, "representative", a, P.a, P.k);
    side(colB, "member", b, P.b, P.k);
    pair.hidden = false;
    document.getElementById("pair-close").focus();
  }
  function closePair() { pair.hidden = true; }
  document.getElementById("pair-close").addEventListener("click", closePair);
  pair.addEventListener("click", function (ev) { if (ev.target === pair) closePair(); });
  document.addEventListener("keydown", function (ev) { if (ev.key === "Escape" && !pair.hidden) closePair(); });
  function twins(ev, on) {
    var t = ev.target;
    if (!t || t.tagName !== "MARK" || t.dataset.p === undefined) return;
    var all = pair.querySelectorAll('mark[data-p="' + Number(t.dataset.p) + '"]');
    for (var i = 0; i < all.length; i++) all[i].classList.toggle("hot", on);
  }
  pair.addEventListener("mouseover", function (ev) { twins(ev, true); });
  pair.addEventListener("mouseout", function (ev) { twins(ev, false); });
  pair.addEventListener("click", function (ev) {
    var t = ev.target;
    if (!t || t.tagName !== "MARK" || t.dataset.p === undefined) return;
    var other = (t.parentNode === colA ? colB : colA).querySelector('mark[data-p="' + Number(t.dataset.p) + '"]');
    if (other) other.scrollIntoView({ block: "center", behavior: "smooth" });
  });
  filter();
  document.documentElement.dataset.ready = "1";
})();
"""
