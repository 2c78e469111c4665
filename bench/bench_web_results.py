"""The results page (`GET /recherche?…`) against `POST /v1/matches` for the same searches, on
the same server, in the same run: bytes transferred, and server time.

Budgets (issue 16): a results page weighs at most 60 KB transferred (its HTML; the stylesheet
and icon add the first visit's bytes once, then come from the cache for a year), and its
server time p50 is within 2x that of `POST /v1/matches` for the same search. Server time is
the latency at concurrency 1 on the loopback (no queueing), beside the server's CPU time
per request, the steadier figure on a shared machine.

Lighthouse-style figures where a browser is installed (Debian's chromium, driven by
playwright, the tests' browser): first and largest contentful paint, cumulative layout shift,
load time, requests and bytes a fresh visit makes, and whether any left the site; skipped
(and said so) without chromium.

    python -m bench bench_web_results
"""

from __future__ import annotations

import functools
import gzip
import re
import statistics
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

from bench.apps import demo_database, service_app
from bench.bench_api_matches import situations
from bench.http import Call, Load, best, cpu_note, measure, server

PAGE_BUDGET = 60 * 1024
TIME_RATIO_TARGET = 2.0
SECONDS = 3.0
ROUNDS = 2
LIMIT = 10  # the results page shows 10 centres: the match asks for as many
HTML = (("accept", "text/html"),)
CHROMIUM = "/usr/bin/chromium"
VISITS = 5
# Read once the page has loaded: paints, the largest contentful paint and the layout shifts
# (buffered observers see what happened before they were made), the navigation's timing and
# what every resource weighed on the wire.
VITALS = """() => new Promise((done) => {
  const out = {lcp: 0, cls: 0};
  new PerformanceObserver((l) => { for (const e of l.getEntries()) out.lcp = e.startTime; })
    .observe({type: 'largest-contentful-paint', buffered: true});
  new PerformanceObserver((l) => { for (const e of l.getEntries())
      if (!e.hadRecentInput) out.cls += e.value; })
    .observe({type: 'layout-shift', buffered: true});
  setTimeout(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const fcp = performance.getEntriesByName('first-contentful-paint')[0];
    const res = performance.getEntriesByType('resource');
    out.fcp = fcp ? fcp.startTime : null;
    out.load = nav.loadEventEnd;
    out.requests = 1 + res.length;
    out.bytes = nav.transferSize + res.reduce((n, r) => n + r.transferSize, 0);
    done(out);
  }, 300);
})"""


def searches() -> list[tuple[dict[str, Any], str]]:
    """(match body, results URL) pairs for the same situations (the page takes a place as
    typed: the points of the API mix are left out)."""
    pairs = []
    for body in situations():
        location = body["location"]
        place = location.get("postal_code") or location.get("municipality")
        if not place:
            continue
        query = [("q", place)] + [("needs", n) for n in body["needs"]]
        query += [("groups", g) for g in body["client_groups"]]
        query += [("modes", m) for m in body["modes"]]
        for key, name in (("language", "language"), ("age", "age"), ("need_text", "text")):
            if key in body:
                query.append((name, str(body[key])))
        pairs.append(({**body, "limit": LIMIT}, "/recherche?" + urlencode(query)))
    return pairs


def _sizes(base: str, urls: list[str]) -> dict[str, Any]:
    """Bytes on the wire for each results page (status line and headers included)."""
    pages, gzipped = [], []
    with httpx.Client(base_url=base, timeout=10, headers=dict(HTML)) as client:
        for url in urls:
            answer = client.get(url)
            if answer.status_code != 200 or 'class="cards"' not in answer.text:
                raise RuntimeError(f"{url}: {answer.status_code}, no results list")
            head = sum(len(k) + len(v) + 4 for k, v in answer.headers.raw) + 17
            pages.append(head + len(answer.content))
            gzipped.append(head + len(gzip.compress(answer.content)))
        first = client.get(urls[0]).text
        assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', first)
        asset_bytes = sum(len(client.get(a).content) for a in assets)
    return {
        "page_bytes_median": statistics.median(pages), "page_bytes_max": max(pages),
        "page_bytes_gzip_max": max(gzipped), "assets": assets, "asset_bytes": asset_bytes,
        "first_visit_bytes_max": max(pages) + asset_bytes,
    }  # fmt: skip


def _timed(base: str, pages: list[Call], matches: list[Call]) -> dict[str, Load]:
    runs: dict[str, list[Load]] = {"page": [], "match": []}
    for _ in range(ROUNDS):
        runs["page"].append(measure(base, pages, seconds=SECONDS, concurrency=1))
        runs["match"].append(measure(base, matches, seconds=SECONDS, concurrency=1))
    return {name: best(loads) for name, loads in runs.items()}


def _browser(base: str, url: str) -> dict[str, Any] | None:
    """Lighthouse-style figures of fresh visits to `url` (medians), or None without chromium."""
    if not Path(CHROMIUM).exists():
        return None
    from playwright.sync_api import sync_playwright

    runs: list[dict[str, Any]] = []
    elsewhere: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        for _ in range(VISITS):
            context = browser.new_context(viewport={"width": 360, "height": 740})
            page = context.new_page()
            page.on(
                "request",
                lambda r: None if r.url.startswith(base) else elsewhere.append(r.url),
            )
            page.goto(base + url, wait_until="load")
            runs.append(page.evaluate(VITALS))
            context.close()
        browser.close()

    def median(key: str) -> float:
        return round(statistics.median(r[key] or 0 for r in runs), 3)

    return {
        "fcp_ms": median("fcp"), "lcp_ms": median("lcp"), "cls": median("cls"),
        "load_ms": median("load"), "requests": median("requests"),
        "bytes": median("bytes"), "visits": VISITS, "elsewhere": sorted(set(elsewhere)),
    }  # fmt: skip


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def main() -> dict[str, Any]:
    pairs = searches()
    pages = [Call("GET", url, headers=HTML) for _, url in pairs]
    matches = [Call("POST", "/v1/matches", body) for body, _ in pairs]
    with tempfile.TemporaryDirectory() as folder:
        url = demo_database(f"sqlite:///{Path(folder) / 'bench.db'}")
        with server(functools.partial(service_app, url)) as base:
            sizes = _sizes(base, [u for _, u in pairs])
            loads = _timed(base, pages, matches)
            vitals = _browser(base, pairs[0][1])
    page, match = loads["page"], loads["match"]
    ratio = (page.p50_ms or 0) / (match.p50_ms or 1)
    cpu_ratio = (page.cpu_ms / match.cpu_ms) if page.cpu_ms and match.cpu_ms else None
    row = {
        **sizes,
        "page_budget_bytes": PAGE_BUDGET,
        "page_budget_met": sizes["page_bytes_max"] <= PAGE_BUDGET,
        "page_p50_ms": _r(page.p50_ms), "match_p50_ms": _r(match.p50_ms),
        "p50_ratio": round(ratio, 2), "p50_ratio_target": TIME_RATIO_TARGET,
        "p50_target_met": ratio <= TIME_RATIO_TARGET,
        "page_cpu_ms": _r(page.cpu_ms), "match_cpu_ms": _r(match.cpu_ms),
        "cpu_ratio": round(cpu_ratio, 2) if cpu_ratio else None,
        "page_rps": round(page.rate, 1), "match_rps": round(match.rate, 1),
        "searches": len(pairs), "load_generator": page.tool, "browser": vitals,
    }  # fmt: skip
    print(f"{cpu_note()}; concurrency 1, best of {ROUNDS} x {SECONDS:.0f} s; {len(pairs)} searches")
    print(
        f"results page: {row['page_bytes_median']:.0f} B median, {row['page_bytes_max']} B max "
        f"(budget {PAGE_BUDGET} B: {'met' if row['page_budget_met'] else 'NOT MET'}); "
        f"gzip would make it {row['page_bytes_gzip_max']} B; first visit adds "
        f"{row['asset_bytes']} B of {', '.join(sizes['assets'])}"
    )
    print(
        f"server time p50: page {row['page_p50_ms']} ms, POST /v1/matches "
        f"{row['match_p50_ms']} ms, ratio "
        f"{row['p50_ratio']} (target <= {TIME_RATIO_TARGET}: "
        f"{'met' if row['p50_target_met'] else 'NOT MET'}); CPU per request: page "
        f"{row['page_cpu_ms']} ms, match {row['match_cpu_ms']} ms (ratio {row['cpu_ratio']})"
    )
    if vitals is None:
        print(f"browser figures: skipped ({CHROMIUM} is not installed)")
    else:
        print(
            f"in chromium (fresh visit, 360 px, median of {VISITS}): first contentful paint "
            f"{vitals['fcp_ms']:.0f} ms, largest {vitals['lcp_ms']:.0f} ms, layout shift "
            f"{vitals['cls']}, load {vitals['load_ms']:.0f} ms, {vitals['requests']:.0f} "
            f"requests, {vitals['bytes']:.0f} B; from another site: {vitals['elsewhere'] or 'none'}"
        )
    return row


if __name__ == "__main__":
    main()
