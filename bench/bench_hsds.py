"""The HSDS read API over HTTP: a page of services, one fully nested service, and service
points near a postcode, on the real service (SQLite, migrated, demo directory imported)
against a bare FastAPI endpoint returning a precomputed dict of the same answer (serialised
per request by FastAPI), under the same server settings and load, in the same run.

Target: the service serves at least 50 % of the bare endpoint's requests/s.

    python -m bench bench_hsds
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from bench.apps import demo_database, service_app
from bench.http import Call, Load, alternate, cpu_note, server
from bench.report import compare, print_table

TARGET = 0.5
SECONDS = 3.0
ROUNDS = 2
CONCURRENCY = 16
PAGE = "/hsds/services?per_page=50"
NEAR = "/hsds/service_at_locations?postcode=H2X%201Y4&proximity=10000"


def bare_hsds_app(page: dict[str, Any], near: dict[str, Any], services: dict[str, Any]) -> FastAPI:
    app = FastAPI()

    @app.get("/hsds/services")
    async def listing(per_page: int = 50) -> dict[str, Any]:
        return page

    @app.get("/hsds/service_at_locations")
    async def nearby(postcode: str | None = None, proximity: str | None = None) -> dict[str, Any]:
        return near

    @app.get("/hsds/services/{service_id}")
    async def one(service_id: str) -> dict[str, Any]:
        return services[service_id]

    return app


def _answers(base: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    with httpx.Client(base_url=base, timeout=10) as client:
        page = client.get(PAGE).raise_for_status().json()
        near = client.get(NEAR).raise_for_status().json()
        ids = [s["id"] for s in client.get("/hsds/services?per_page=1000").json()["contents"]]
        services = {i: client.get(f"/hsds/services/{i}").raise_for_status().json() for i in ids}
    return page, near, services


def _measure(bases: dict[str, str], calls: list[Call]) -> dict[str, Load]:
    return alternate(bases, calls, rounds=ROUNDS, seconds=SECONDS, concurrency=CONCURRENCY)


def main() -> dict[str, Any]:
    """Measure the three reads against their baselines, print a table, return the figures."""
    with tempfile.TemporaryDirectory() as folder:
        url = demo_database(f"sqlite:///{Path(folder) / 'bench.db'}")
        with server(functools.partial(service_app, url)) as service:
            page, near, services = _answers(service)
            with server(functools.partial(bare_hsds_app, page, near, services)) as bare:
                bases = {"service": service, "bare": bare}
                listing = _measure(bases, [Call("GET", PAGE)])
                one = _measure(bases, [Call("GET", f"/hsds/services/{i}") for i in services])
                nearby = _measure(bases, [Call("GET", NEAR)])
    rows = [
        compare(f"GET {PAGE}", listing["service"], listing["bare"], TARGET),
        compare("GET /hsds/services/{id}", one["service"], one["bare"], TARGET),
        compare(f"GET {NEAR}", nearby["service"], nearby["bare"], TARGET),
    ]
    print(f"{cpu_note()}; concurrency {CONCURRENCY}, best of {ROUNDS} x {SECONDS:.0f} s")
    print(f"{len(services)} services; a page of {page['size']}; {near['total_items']} nearby")
    print_table(rows)
    return {
        "concurrency": CONCURRENCY,
        "seconds": SECONDS,
        "rounds": ROUNDS,
        "load_generator": listing["service"].tool,
        "page_bytes": len(httpx.Response(200, json=page).content),
        "rows": rows,
    }


if __name__ == "__main__":
    main()
