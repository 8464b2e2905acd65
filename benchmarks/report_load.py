"""How fast the HTML report is built and opens, on a generated corpus.

Builds ``dedup cluster --report`` for a generated corpus, then opens it in Debian's headless
Chromium (through playwright) and measures, inside the page: time to DOMContentLoaded and to
the first clusters being shown, the time a search takes (without its 120 ms typing debounce),
and the time to open a pair view. The report's build time is given as a ratio to the
clustering it reports on, measured in the same run.

    python -m benchmarks.report_load --docs 3000

Figures on a shared machine are noisy; compare ratios, not absolute times.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from benchmarks.corpus import generate_corpus
from dedup.pipeline import cluster
from dedup.report.html import render_html

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

_SEARCH_JS = """async (q) => {
  const box = document.getElementById('search'), count = document.getElementById('count');
  const before = count.textContent;
  const t0 = performance.now();
  box.value = q;
  box.dispatchEvent(new Event('input'));
  await new Promise(res => new MutationObserver((m, o) => { o.disconnect(); res(); })
    .observe(count, {childList: true, characterData: true, subtree: true}));
  await new Promise(r => requestAnimationFrame(() => r()));
  return {ms: performance.now() - t0 - 120, shown: count.textContent, before};
}"""

_PAIR_JS = """() => {
  const rows = document.querySelectorAll('.member');
  const t0 = performance.now();
  rows[0].click();
  document.body.offsetHeight;  // force layout
  const ms = performance.now() - t0;
  const marks = document.querySelectorAll('#col-a mark.sh').length;
  document.dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape'}));
  return {ms, marks};
}"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    args = ap.parse_args()

    from playwright.sync_api import sync_playwright

    docs = [(d["id"], d["text"]) for d in generate_corpus(args.docs, seed=args.seed)]
    t = time.perf_counter()
    result = cluster(docs)
    t_cluster = time.perf_counter() - t
    t = time.perf_counter()
    page_html = render_html(result)
    t_report = time.perf_counter() - t
    out = {
        "docs": args.docs,
        "clusters": result.stats["clusters"],
        "clusters_with_duplicates": sum(1 for c in result.clusters.values() if len(c) > 1),
        "cluster_s": round(t_cluster, 2),
        "report_build_s": round(t_report, 2),
        "report_build_over_cluster": round(t_report / t_cluster, 3),
        "html_mb": round(len(page_html.encode()) / 1e6, 2),
    }
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "report.html"
        path.write_text(page_html, encoding="utf-8")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=args.chromium, args=ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            t = time.perf_counter()
            page.goto(path.as_uri())
            page.wait_for_selector('html[data-ready="1"]')
            out["open_wall_s"] = round(time.perf_counter() - t, 2)
            nav = page.evaluate(
                "() => { const n = performance.getEntriesByType('navigation')[0];"
                " return {dcl: n.domContentLoadedEventEnd, cards:"
                " document.querySelectorAll('section.cluster').length}; }"
            )
            out["dom_content_loaded_ms"] = round(nav["dcl"])
            out["cards_rendered_at_load"] = nav["cards"]
            s = page.evaluate(_SEARCH_JS, "reuters")
            out["search_ms"] = round(s["ms"], 1)
            page.evaluate(_SEARCH_JS, "")
            pr = page.evaluate(_PAIR_JS)
            out["open_pair_ms"] = round(pr["ms"], 1)
            out["pair_marks"] = pr["marks"]
            browser.close()
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
