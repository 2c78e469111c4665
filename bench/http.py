"""Throughput of HTTP endpoints: a real uvicorn server, a keep-alive load generator.

Both the endpoint under test and its bare baseline run in the same server process settings,
one after the other, so the ratio says what our code costs over FastAPI itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(factory: Callable[[], Any], port: int) -> None:
    import uvicorn

    uvicorn.run(factory(), host="127.0.0.1", port=port, log_level="warning", access_log=False)


@contextlib.contextmanager
def server(factory: Callable[[], Any]) -> Iterator[str]:
    """Run `factory()` (an ASGI app) under uvicorn in a child process."""
    port = free_port()
    ctx = multiprocessing.get_context("spawn")
    proc = ctx.Process(target=_serve, args=(factory, port), daemon=True)
    proc.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code < 500:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    try:
        yield base
    finally:
        proc.terminate()
        proc.join(10)


def throughput(
    base: str,
    method: str,
    paths: list[str],
    *,
    body: Any = None,
    seconds: float = 3.0,
    concurrency: int = 16,
) -> float:
    """Requests per second over `seconds`, cycling through `paths`, all answers 2xx."""
    return asyncio.run(_load(base, method, paths, body, seconds, concurrency))


async def _load(
    base: str, method: str, paths: list[str], body: Any, seconds: float, concurrency: int
) -> float:
    count = 0
    errors = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=10) as client:
        for path in paths[:concurrency]:  # warm-up
            await client.request(method, path, json=body)
        deadline = time.perf_counter() + seconds

        async def worker(offset: int) -> None:
            nonlocal count, errors
            i = offset
            while time.perf_counter() < deadline:
                answer = await client.request(method, paths[i % len(paths)], json=body)
                i += 1
                if answer.status_code >= 300:
                    errors += 1
                count += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker(i) for i in range(concurrency)))
        elapsed = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{errors} of {count} requests failed")
    return count / elapsed


def cpu_note() -> str:
    return f"{os.cpu_count()} cores; server and load generator share them"
