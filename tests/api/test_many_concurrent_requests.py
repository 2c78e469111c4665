"""Many concurrent requests on database routes: all answered, none stuck (real server).

FastAPI runs sync dependencies, endpoints and response validation on a pool of worker
threads, one call at a time, while a request's session keeps its connection (and, on SQLite,
the process's write lock) from its first statement to its commit. Requests waiting for a
connection or for the write lock could then hold every worker thread while the requests
holding them wait for a thread: nothing moved until the 30 s timeouts, then 500s.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import anyio.to_thread
import httpx
from fastapi import FastAPI
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.deps import SessionDep, SessionGate
from app.main import create_app
from app.models import ApiKey
from app.settings import Settings
from tests.helpers.db import both_backends, make_key
from tests.helpers.servers import free_port, start_api

WRITERS = 60  # each creates an API key: a write, then a validated response model
READERS = 60  # each lists the keys: reads, then a validated response model


@both_backends
def test_a_burst_of_writes_and_reads_is_all_answered(settings: Settings, engine: Engine) -> None:
    admin = make_key(engine, "admin")
    with Session(engine) as session:
        before = session.scalar(select(func.count()).select_from(ApiKey))
    port = free_port()
    proc = start_api(settings.database_url.get_secret_value(), port)
    try:
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            headers=admin,
            timeout=20,
            limits=httpx.Limits(max_connections=WRITERS + READERS),
        ) as client:

            def call(n: int) -> int:
                if n % 2:
                    body = {"role": "partner", "label": f"burst {n}"}
                    return client.post("/v1/admin/keys", json=body).status_code
                return client.get("/v1/admin/keys").status_code

            with ThreadPoolExecutor(WRITERS + READERS) as pool:
                statuses = list(pool.map(call, range(WRITERS + READERS)))
    finally:
        proc.kill()
        proc.wait()
    assert sorted(set(statuses)) == [200, 201], statuses
    assert statuses.count(201) == WRITERS
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(ApiKey)) == before + WRITERS


def test_no_more_sessions_than_the_gate_allows_at_once(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"db_sessions": 2}), embedded_dispatcher=False)
    inside: list[int] = []
    now = [0]
    lock = threading.Lock()
    pair = threading.Barrier(2, timeout=10)  # two sessions stay open together, then leave

    @app.get("/slow")
    def slow(session: SessionDep) -> dict[str, int]:
        with lock:
            now[0] += 1
            inside.append(now[0])
        session.execute(text("SELECT 1"))
        pair.wait()
        with lock:
            now[0] -= 1
        return {"ok": 1}

    async def burst() -> list[int]:
        async with app.router.lifespan_context(app), _client(app) as client:
            answers = await asyncio.gather(*(client.get("/slow") for _ in range(8)))
        return [a.status_code for a in answers]

    assert asyncio.run(burst()) == [200] * 8
    assert max(inside) == 2 and len(inside) == 8


def test_a_request_that_waits_too_long_for_a_session_gets_a_503(settings: Settings) -> None:
    app = create_app(settings, embedded_dispatcher=False)
    entered, release = threading.Event(), threading.Event()

    @app.get("/slow")
    def slow(session: SessionDep) -> dict[str, int]:
        session.execute(text("SELECT 1"))
        entered.set()
        release.wait(10)
        return {"ok": 1}

    async def two() -> list[httpx.Response]:
        async with app.router.lifespan_context(app), _client(app) as client:
            app.state.session_gate = SessionGate(1, wait_seconds=0.2)
            first = asyncio.create_task(client.get("/slow"))
            assert await anyio.to_thread.run_sync(entered.wait, 10)  # it holds the only slot
            late = await client.get("/slow")
            release.set()
            return [late, await first]

    late, first = asyncio.run(two())
    assert first.status_code == 200
    assert late.status_code == 503 and late.headers["retry-after"] == "1"
    assert late.json()["type"].endswith("/unavailable")


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
