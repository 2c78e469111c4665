"""Directory reads over HTTP: `GET /v1/centres?region=06` and `GET /v1/centres/{id}` on the
real service (SQLite, migrated, demo directory imported) against a bare FastAPI endpoint
returning a precomputed dict of the same shape and size, under the same server settings and
load, in the same run.

Target (issue 2): the service serves at least 50 % of the bare endpoint's requests/s.

    python -m bench bench_directory
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path
from typing import Any

import httpx

from bench.apps import bare_directory_app, demo_database, service_app
from bench.http import Call, Load, alternate, cpu_note, server
from bench.report import compare, print_table

TARGET = 0.5
SECONDS = 3.0
ROUNDS = 2
CONCURRENCY = 16
LISTING = "/v1/centres?region=06"


def _answers(base: str) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The real listing, and every centre's detail keyed by id, as the service answers them."""
    with httpx.Client(base_url=base, timeout=10) as client:
        listing = client.get(LISTING).raise_for_status().json()
        ids = [c["id"] for c in client.get("/v1/centres?limit=100").json()["items"]]
        centres = {i: client.get(f"/v1/centres/{i}").raise_for_status().json() for i in ids}
    return listing, centres


def _measure(bases: dict[str, str], calls: list[Call]) -> dict[str, Load]:
    return alternate(bases, calls, rounds=ROUNDS, seconds=SECONDS, concurrency=CONCURRENCY)


def main() -> dict[str, Any]:
    """Measure both endpoints against their baselines, print a table, return the figures."""
    with tempfile.TemporaryDirectory() as folder:
        url = demo_database(f"sqlite:///{Path(folder) / 'bench.db'}")
        with server(functools.partial(service_app, url)) as service:
            listing, centres = _answers(service)
            bare_app = functools.partial(bare_directory_app, listing, centres)
            with server(bare_app) as bare:
                bases = {"service": service, "bare": bare}
                search = _measure(bases, [Call("GET", LISTING)])
                detail_calls = [Call("GET", f"/v1/centres/{i}") for i in centres]
                detail = _measure(bases, detail_calls)
    rows = [
        compare(f"GET {LISTING}", search["service"], search["bare"], TARGET),
        compare("GET /v1/centres/{id}", detail["service"], detail["bare"], TARGET),
    ]
    print(f"{cpu_note()}; concurrency {CONCURRENCY}, best of {ROUNDS} x {SECONDS:.0f} s")
    print(f"{len(centres)} demo centres; listing has {len(listing['items'])} items")
    print_table(rows)
    return {
        "concurrency": CONCURRENCY,
        "seconds": SECONDS,
        "rounds": ROUNDS,
        "load_generator": search["service"].tool,
        "listing_bytes": len(httpx.Response(200, json=listing).content),
        "rows": rows,
    }


if __name__ == "__main__":
    main()
