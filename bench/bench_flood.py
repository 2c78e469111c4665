"""A flood on the public form: how many requests the abuse limits refuse (429), and how the
latency of everyone else's requests holds meanwhile.

One client address floods `POST /v1/consultations` with 16 connections; eight other
addresses each send a request every 200 ms (under the limit), half consultations, half
directory searches. Their latency is measured alone first, then during the flood, in the
same run against the same server. Client addresses come from `X-Forwarded-For`, which uvicorn
trusts from 127.0.0.1 by default, as it would from a load balancer."""

from __future__ import annotations

import asyncio
import functools
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from app.settings import Settings
from bench.apps import demo_database
from bench.http import server

SECONDS = 6.0
FLOOD_CONNECTIONS = 16
USERS = 8
BODY = {
    "person": {"first_name": "Flot", "last_name": "Exemple", "email": "flot@example.org"},
    "criteria": {"location": {"postal_code": "H2X 1Y4"}, "needs": ["job_search"]},
    "consent": {"notice_version": "2026-01", "purposes": ["referral"], "accepted": True},
}


def limited_app(url: str) -> FastAPI:
    from app.main import create_app

    settings = Settings(database_url=url, embedded_dispatcher=False, rate_limit_public="30/minute")
    return create_app(settings, embedded_dispatcher=False)


async def flooder(client: httpx.AsyncClient, stop: float, codes: Counter[int]) -> None:
    headers = {"x-forwarded-for": "198.51.100.66"}
    while time.perf_counter() < stop:
        answer = await client.post("/v1/consultations", json=BODY, headers=headers)
        codes[answer.status_code] += 1


async def user(
    client: httpx.AsyncClient, n: int, stop: float, latencies: list[float], codes: Counter[int]
) -> None:
    headers = {"x-forwarded-for": f"203.0.113.{n + 1}"}
    i = 0
    while time.perf_counter() < stop:
        started = time.perf_counter()
        if i % 2 == 0:
            answer = await client.post("/v1/consultations", json=BODY, headers=headers)
        else:
            answer = await client.get("/v1/centres?region=06", headers=headers)
        latencies.append((time.perf_counter() - started) * 1000)
        codes[answer.status_code] += 1
        i += 1
        await asyncio.sleep(max(0.0, 0.2 - (time.perf_counter() - started)))


async def run(base: str, flood: bool) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        stop = time.perf_counter() + SECONDS
        latencies: list[float] = []
        user_codes: Counter[int] = Counter()
        flood_codes: Counter[int] = Counter()
        tasks = [user(client, n, stop, latencies, user_codes) for n in range(USERS)]
        if flood:
            tasks += [flooder(client, stop, flood_codes) for _ in range(FLOOD_CONNECTIONS)]
        await asyncio.gather(*tasks)
    cuts = statistics.quantiles(latencies, n=100)
    return {
        "user_requests": sum(user_codes.values()),
        "user_refused": user_codes[429],
        "user_p50_ms": round(statistics.median(latencies), 1),
        "user_p99_ms": round(cuts[98], 1),
        "flood_requests": sum(flood_codes.values()),
        "flood_429": flood_codes[429],
        "flood_accepted": flood_codes[201],
    }


def main() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        url = demo_database(f"sqlite:///{Path(folder) / 'flood.db'}")
        # Fresh server per phase: the flooder's window must not carry over.
        with server(functools.partial(limited_app, url)) as base:
            alone = asyncio.run(run(base, flood=False))
        with server(functools.partial(limited_app, url)) as base:
            flooded = asyncio.run(run(base, flood=True))
    print(f"public limit 30/minute per address; {USERS} users at 5 requests/s each; "
          f"flood: {FLOOD_CONNECTIONS} connections from one address, {SECONDS:g} s")  # fmt: skip
    print(f"{'':28}{'alone':>10}{'flooded':>10}")
    for key in ("user_requests", "user_refused", "user_p50_ms", "user_p99_ms"):
        print(f"{key:28}{alone[key]:>10}{flooded[key]:>10}")
    print(f"flood: {flooded['flood_requests']} requests, {flooded['flood_429']} refused with 429, "
          f"{flooded['flood_accepted']} accepted (the limit)")  # fmt: skip
    return {"alone": alone, "flooded": flooded}
