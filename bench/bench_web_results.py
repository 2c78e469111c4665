"""The results page (`GET /recherche?…`) against `POST /v1/matches` for the same searches, on
the same server, in the same run: bytes transferred, and server time.

Budgets (issue 16): a results page weighs at most 60 KB transferred (its HTML; the stylesheet
and icon add the first visit's bytes once, then come from the cache for a year), and its
server time p50 is within 2x that of `POST /v1/matches` for the same search. Server time is
the latency at concurrency 1 on the loopback (no queueing), beside the server's CPU time
per request, the steadier figure on a shared machine.

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
        "searches": len(pairs), "load_generator": page.tool,
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
    return row


if __name__ == "__main__":
    main()
