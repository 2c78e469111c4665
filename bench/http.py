"""Throughput of HTTP endpoints: a real uvicorn server, a keep-alive load generator.

Both the endpoint under test and its bare baseline run in the same server process settings,
one after the other, so the ratio says what our code costs over FastAPI itself.

The load comes from `wrk` when it is installed (bench/wrk.py; a C client: on a 2-core machine
a Python client spends as much CPU per request as the server, which flattens every ratio
towards 1), else from an async httpx client. The server is pinned to the first core and the
load generator to the others, so neither steals the other's time slices. Besides requests per
second, each run reports the CPU time the server process spent per request, which other work
on a shared machine moves much less than the rate.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import multiprocessing
import os
import shutil
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

import httpx

from bench import wrk

SERVER_CORE = 0
_RUN = itertools.count()
_PIDS: dict[str, int] = {}  # base URL -> server process, for its CPU time


@dataclass(frozen=True, slots=True)
class Load:
    """What one load run measured."""

    rate: float  # requests per second, every answer 2xx
    requests: int
    p50_ms: float | None
    p99_ms: float | None
    tool: str
    # CPU time the server process spent per request: unlike the rate, barely moved by other
    # work on a shared machine. None where /proc is missing.
    cpu_ms: float | None = None


@dataclass(frozen=True, slots=True)
class Call:
    """One request of a load mix: method, path, optional JSON body and headers."""

    method: str
    path: str
    body: Any = None
    headers: tuple[tuple[str, str], ...] = ()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cores() -> set[int] | None:
    try:
        return set(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return None


def _generator_cores() -> set[int] | None:
    cores = _cores()
    if cores is None or len(cores) < 2 or SERVER_CORE not in cores:
        return None
    return cores - {SERVER_CORE}


def _serve(factory: Callable[[], Any], port: int, pin: bool) -> None:
    import uvicorn

    if pin and _generator_cores() is not None:
        os.sched_setaffinity(0, {SERVER_CORE})
    uvicorn.run(factory(), host="127.0.0.1", port=port, log_level="warning", access_log=False)


@contextlib.contextmanager
def server(factory: Callable[[], Any], *, pin: bool = True) -> Iterator[str]:
    """Run `factory()` (an ASGI app) under uvicorn in a child process; yield its base URL.

    `factory` must be picklable (a top-level function, or a functools.partial of one): the
    child is spawned. With `pin`, the server runs on one core, as one uvicorn worker does."""
    port = free_port()
    ctx = multiprocessing.get_context("spawn")
    proc = ctx.Process(target=_serve, args=(factory, port, pin), daemon=True)
    proc.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code < 500:
                break
        except httpx.HTTPError:
            if not proc.is_alive() or time.monotonic() > deadline:
                proc.terminate()
                raise RuntimeError(f"the server did not start (exit {proc.exitcode})") from None
            time.sleep(0.1)
    _PIDS[base] = proc.pid or 0
    try:
        yield base
    finally:
        _PIDS.pop(base, None)
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
    calls = [Call(method, path, body) for path in paths]
    return measure(base, calls, seconds=seconds, concurrency=concurrency).rate


def measure(
    base: str,
    calls: Sequence[Call],
    *,
    seconds: float = 3.0,
    concurrency: int = 16,
    warmup: float = 1.0,
) -> Load:
    """Load `base` with `calls` in turn from `concurrency` keep-alive connections.

    Raises RuntimeError if any answer is not 2xx (or a socket fails)."""
    if not calls:
        raise ValueError("no calls to make")
    if shutil.which("wrk"):
        if warmup > 0:
            _wrk(base, calls, warmup, concurrency)
        before = server_cpu_seconds(base)
        load = _wrk(base, calls, seconds, concurrency)
    else:
        with _on_generator_cores():
            before, load = asyncio.run(_load(base, calls, seconds, concurrency, warmup))
    after = server_cpu_seconds(base)
    if before is None or after is None or not load.requests:
        return load
    return replace(load, cpu_ms=(after - before) * 1000 / load.requests)


def alternate(
    bases: dict[str, str],
    calls: Sequence[Call],
    *,
    rounds: int = 2,
    seconds: float = 3.0,
    concurrency: int = 16,
) -> dict[str, Load]:
    """Measure every server in turn, `rounds` times, and keep the best of each: alternating
    means drift on the machine (other work starting or stopping) hits all of them alike."""
    runs: dict[str, list[Load]] = {name: [] for name in bases}
    for _ in range(rounds):
        for name, base in bases.items():
            runs[name].append(measure(base, calls, seconds=seconds, concurrency=concurrency))
    return {name: best(loads) for name, loads in runs.items()}


def best(runs: Sequence[Load]) -> Load:
    """The fastest of repeated runs, with the lowest CPU per request seen: noise on a shared
    machine only ever slows a run down."""
    fastest = max(runs, key=lambda load: load.rate)
    cpu = [load.cpu_ms for load in runs if load.cpu_ms is not None]
    return replace(fastest, cpu_ms=min(cpu) if cpu else None)


def server_cpu_seconds(base: str) -> float | None:
    """User and system CPU seconds used so far by the server at `base` (all its threads)."""
    pid = _PIDS.get(base)
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tool() -> str:
    """The load generator `measure` uses on this machine."""
    return "wrk" if shutil.which("wrk") else "httpx (wrk not installed)"


def cpu_note() -> str:
    split = _generator_cores()
    if split is None:
        return f"{os.cpu_count()} cores; server and load generator share them; load: {tool()}"
    return (
        f"server pinned to core {SERVER_CORE}, load generator ({tool()}) on "
        f"{','.join(map(str, sorted(split)))}"
    )


def _wrk(base: str, calls: Sequence[Call], seconds: float, concurrency: int) -> Load:
    requests = [(c.method, c.path, dict(c.headers), c.body) for c in calls]
    # Each run starts further along the list: successive runs send different requests.
    start = next(_RUN) * 104_729
    figures = wrk.run(base, requests, seconds, concurrency, start, _generator_cores())
    return Load(figures.rate, figures.requests, figures.p50_ms, figures.p99_ms, "wrk")


# --- Python fallback -----------------------------------------------------------------------


@contextlib.contextmanager
def _on_generator_cores() -> Iterator[None]:
    """Run this process off the server's core for a while (as wrk runs)."""
    before, cores = _cores(), _generator_cores()
    if before is None or cores is None:
        yield
        return
    os.sched_setaffinity(0, cores)
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


async def _load(
    base: str, calls: Sequence[Call], seconds: float, concurrency: int, warmup: float
) -> tuple[float | None, Load]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        if warmup > 0:
            await _run(client, calls, warmup, concurrency)
        before = server_cpu_seconds(base)
        count, latencies, elapsed = await _run(client, calls, seconds, concurrency)
    latencies.sort()
    p50 = latencies[len(latencies) // 2] if latencies else None
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else None
    return before, Load(count / elapsed, count, p50, p99, "httpx")


async def _run(
    client: httpx.AsyncClient, calls: Sequence[Call], seconds: float, concurrency: int
) -> tuple[int, list[float], float]:
    latencies: list[float] = []
    failures: list[str] = []
    deadline = time.perf_counter() + seconds

    async def worker(offset: int) -> None:
        i = offset
        while time.perf_counter() < deadline:
            call = calls[i % len(calls)]
            i += 1
            sent = time.perf_counter()
            answer = await client.request(
                call.method, call.path, json=call.body, headers=dict(call.headers)
            )
            latencies.append((time.perf_counter() - sent) * 1000)
            if not 200 <= answer.status_code < 300:
                failures.append(f"{call.method} {call.path}: {answer.status_code}")

    started = time.perf_counter()
    start = next(_RUN) * 104_729
    await asyncio.gather(*(worker(start + i * 7919) for i in range(concurrency)))
    elapsed = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"{len(failures)} of {len(latencies)} failed, e.g. {failures[0]}")
    return len(latencies), latencies, elapsed
