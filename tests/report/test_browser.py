"""The HTML report in a real headless Chromium: loads, shows clusters, highlights, is inert."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("playwright", reason="playwright is not installed: pip install playwright")
from playwright.sync_api import expect

from dedup.pipeline import cluster
from dedup.report.html import render_html
from dedup.text.boilerplate import strip_boilerplate
from dedup.text.normalization import normalize

SEED_A = "000_9106e3a7f7abc474"
SEED_B = "001_679247a4154d51ed"


def _open(page, path):
    page.goto(path.resolve().as_uri())
    page.wait_for_selector('html[data-ready="1"]')


def test_seed_report_shows_cluster_and_pair_view(run_cli, seeds_dir, tmp_path, page, artifacts):
    report = tmp_path / "seeds.html"
    r = run_cli("cluster", str(seeds_dir), "--report", str(report), "-o", str(tmp_path / "o.jsonl"))
    assert r.returncode == 0, r.stderr
    _open(page, report)

    cards = page.locator("section.cluster")
    assert cards.count() == 1  # documents without duplicates are hidden by default
    card = cards.first
    assert "2 documents" in card.locator("h3").text_content()
    assert card.locator(".rep .id").text_content() == SEED_A
    member = card.locator(".member")
    assert member.locator(".id").text_content() == SEED_B
    assert member.locator(".badge").text_content() == "same_story"
    assert "Vietnam et Russie coopèrent" in member.locator(".t").text_content()
    assert "5documents" in page.locator("#summary").text_content().replace(" ", "")

    member.click()
    page.wait_for_selector("#pair:not([hidden]) #col-a mark.sh")
    assert SEED_A in page.locator("#pair-title").text_content()
    assert "same_story" in page.locator("#pair-scores").text_content()
    norm_a = normalize(strip_boilerplate((seeds_dir / f"{SEED_A}.txt").read_text()).text)
    norm_b = normalize(strip_boilerplate((seeds_dir / f"{SEED_B}.txt").read_text()).text)
    for col, other in (("#col-a", norm_b), ("#col-b", norm_a)):
        marks = page.locator(f"{col} mark.sh").all_text_contents()
        assert len(marks) >= 5
        for text in marks:  # every highlighted passage really occurs in the other article
            assert f" {normalize(text)} " in f" {other} ", text
    assert any("Aleksandr Gorovoy" in t for t in page.locator("#col-a mark.sh").all_text_contents())
    removed = page.locator("#col-a del").all_text_contents()
    assert "Nhân Dân en ligne - " in removed
    assert "source_prefix" in page.locator("#col-a .rule").all_text_contents()

    # hovering a passage lights up its twin in the other column
    first = page.locator("#col-a mark.sh").nth(1)
    first.hover()
    p = first.get_attribute("data-p")
    assert page.locator(f'#col-b mark.sh.hot[data-p="{p}"]').count() >= 1

    page.screenshot(path=str(artifacts / "report-seeds-pair.png"))
    page.keyboard.press("Escape")
    assert page.locator("#pair").is_hidden()
    page.screenshot(path=str(artifacts / "report-seeds-list.png"))
    assert page.errors == []
    assert all(u.startswith(("file:", "data:")) for u in page.requests), page.requests


def test_search_by_id_and_title(run_cli, seeds_dir, tmp_path, page):
    report = tmp_path / "seeds.html"
    assert run_cli("cluster", str(seeds_dir), "--report", str(report)).returncode == 0
    _open(page, report)
    page.check("#singles")
    cards = page.locator("section.cluster")
    expect(cards).to_have_count(4)
    page.fill("#search", "004_09a7")
    expect(cards).to_have_count(1)
    assert page.locator("section.cluster .id").text_content() == "004_09a78b2aaf5faed8"
    page.fill("#search", "coopèrent")  # a word of 001's title finds its cluster
    expect(page.locator("section.cluster .member .id")).to_have_text([SEED_B])
    expect(cards).to_have_count(1)
    page.fill("#search", "no such thing anywhere")
    expect(cards).to_have_count(0)
    assert "0 clusters" in page.locator("#count").text_content()
    assert "Nothing matches" in page.locator("#clusters").text_content()


PAYLOADS = [
    "<script>window.__pwned='script';document.title='pwned'</script>",
    "</script><script>window.__pwned='close';document.title='pwned'</script>",
    "<!--<script>window.__pwned='comment'</script>",
    "<img src=x onerror=\"window.__pwned='img';document.title='pwned'\">",
    '"><svg onload="window.__pwned=\'svg\'"></svg>',
    "javascript:window.__pwned='href'",
]


def _hostile_docs():
    body = (
        "Le ministre a signé l'accord de coopération à Moscou le 5 septembre. "
        + " ".join(PAYLOADS)
        + " Les deux parties ont discuté de la formation du personnel et de la sécurité."
    )
    return [
        (PAYLOADS[3], PAYLOADS[1] + "\n" + body),
        (PAYLOADS[0], PAYLOADS[4] + "\n" + body + "\n" + PAYLOADS[2] + "\nVNA/CVN"),
        ("plain", "Un autre sujet : " + PAYLOADS[5]),
    ]


@pytest.mark.parametrize("without_csp", [False, True], ids=["as-written", "csp-removed"])
def test_hostile_text_and_ids_do_not_execute(tmp_path, page, artifacts, without_csp):
    html = render_html(cluster(_hostile_docs()))
    if without_csp:  # escaping alone must hold, not only the Content-Security-Policy
        start = html.index('<meta http-equiv="Content-Security-Policy"')
        html = html[:start] + html[html.index(">", start) + 1 :]
        assert "Content-Security-Policy" not in html
    path = tmp_path / "hostile.html"
    path.write_text(html, encoding="utf-8")
    _open(page, path)
    page.check("#singles")
    page.locator("section.cluster .member").first.click()
    page.wait_for_selector("#pair:not([hidden]) #col-a mark.sh")
    page.fill("#search", "<img")
    page.wait_for_timeout(300)
    page.fill("#search", "")
    page.wait_for_timeout(300)

    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.title() == "dedup report"
    assert page.evaluate("document.querySelectorAll('script').length") == 2
    assert page.evaluate("document.querySelectorAll('img, svg, iframe, a[href]').length") == 0
    assert page.errors == []
    # the payloads are shown as text, exactly
    ids = page.locator("section.cluster .id").all_text_contents()
    assert PAYLOADS[3] in ids and PAYLOADS[0] in ids
    col = page.locator("#col-a").text_content() + page.locator("#col-b").text_content()
    for p in PAYLOADS[:5]:
        assert p in col, p
    data = json.loads(page.locator("#dedup-data").text_content())
    assert [d[0] for d in data["docs"]] == [PAYLOADS[3], PAYLOADS[0], "plain"]
    page.screenshot(path=str(artifacts / f"report-hostile-{'nocsp' if without_csp else 'csp'}.png"))


def test_many_clusters_render_lazily(tmp_path, page):
    from benchmarks.corpus import generate_corpus

    docs = [(d["id"], d["text"]) for d in generate_corpus(600, seed=7)]
    result = cluster(docs)
    multi = sum(1 for c in result.clusters.values() if len(c) > 1)
    assert multi > 60  # more than one batch
    path = tmp_path / "many.html"
    path.write_text(render_html(result), encoding="utf-8")
    _open(page, path)
    first = page.evaluate("document.querySelectorAll('section.cluster').length")
    assert 0 < first < multi
    sizes = page.evaluate(
        "Array.from(document.querySelectorAll('section.cluster h3')).map(h => parseInt(h.textContent.split('·')[1]))"
    )
    assert sizes == sorted(sizes, reverse=True)
    for _ in range(20):
        page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
        page.wait_for_timeout(50)
        if page.evaluate("document.querySelectorAll('section.cluster').length") == multi:
            break
    assert page.evaluate("document.querySelectorAll('section.cluster').length") == multi
    assert page.errors == []
