"""Dispatcher throughput: signed webhook deliveries per second from one worker to a local
receiver, on PostgreSQL and SQLite, against the receiver's own capacity measured alone in the
same run (a load generator posting the same signed body with the same concurrency). Each
event is about a real pending referral, which the delivery marks delivered, as in production.

Target (issue 5): at least 500 deliveries/s on PostgreSQL. PostgreSQL is used when
TTX_BENCH_POSTGRES_URL or TTX_TEST_POSTGRES_URL names a server (a scratch database is created
and dropped); otherwise only SQLite is measured.

    python -m bench bench_dispatch
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, func, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import NullPool
from sqlmodel import Session, select

from app.db import insert_rows, make_engine, utcnow
from app.dispatcher import Dispatcher, enqueue, generate_secret
from app.dispatcher.signing import signed_headers
from app.models import Consultation, Referral
from app.models.directory import Centre, InboxEndpoint
from app.models.outbox import OutboxEvent
from app.services.sweeper import install_hooks
from app.settings import Settings
from bench.apps import migrate
from bench.http import server

EVENTS = int(os.environ.get("TTX_BENCH_DISPATCH_EVENTS", "6000"))
CENTRES = 20
CONCURRENCY = 64
TARGET_PG = 500.0
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


def receiver_app() -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """A bare ASGI receiver: reads the body, answers 204 (what a fast centre inbox does)."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        more = True
        while more:
            message = await receive()
            more = message.get("more_body", False)
        status = 200 if scope["path"] == "/healthz" else 204
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    return app


def sample_body() -> bytes:
    """A `referral.created` body of the usual size, for the load generator."""
    data = {
        "referral_id": str(uuid.uuid4()),
        "consultation_id": str(uuid.uuid4()),
        "centre_ref": "cce-bench",
        "person": {"first_name": "Alex", "last_name": "Exemple", "email": "alex@example.org"},
        "criteria": {"needs": ["job_search"], "client_groups": ["general"], "language": "fr"},
        "message": "Je cherche un emploi en soudure près de chez moi." * 3,
        "match": {"rank": 1, "score": 0.91, "reasons": ["serves_region", "offers_need"]},
    }
    return json.dumps({"type": "referral.created", "data": data}).encode()


def receiver_capacity(url: str) -> float:
    """Requests per second the receiver takes from one Python client at `CONCURRENCY`,
    sending `EVENTS` signed bodies over warm connections."""
    return asyncio.run(_hammer(url, EVENTS))


async def _hammer(url: str, total: int) -> float:
    # One single-connection client per slot, as the dispatcher does: the fastest arrangement
    # of httpx measured here, so the receiver is the limit.
    body, secret = sample_body(), generate_secret()
    tls = httpx.create_ssl_context()
    clients = [
        httpx.AsyncClient(verify=tls, limits=httpx.Limits(max_connections=1))
        for _ in range(CONCURRENCY)
    ]
    left = total

    async def post(client: httpx.AsyncClient) -> None:
        headers = signed_headers(secret, "msg_" + uuid.uuid4().hex, body)
        response = await client.post(url, content=body, headers=headers)
        response.raise_for_status()

    async def one_connection(client: httpx.AsyncClient) -> None:
        nonlocal left
        while left > 0:
            left -= 1
            await post(client)

    try:
        await asyncio.gather(*(post(client) for client in clients))  # connect first
        started = time.perf_counter()
        await asyncio.gather(*(one_connection(client) for client in clients))
        return total / (time.perf_counter() - started)
    finally:
        await asyncio.gather(*(client.aclose() for client in clients))


def fill(engine: Engine, inbox_url: str) -> None:
    """Centres with an inbox at the receiver, and `EVENTS` committed `referral.created` events,
    each about a pending referral of its own, as intake leaves them: on delivery, the
    worker's hook marks each referral delivered and writes its history row, as in production."""
    now = utcnow()
    with Session(engine) as session:
        centres = [Centre(ref=f"cce-bench-{n}", name=f"Centre fictif {n}") for n in range(CENTRES)]
        session.add_all(centres)
        session.flush()
        session.add_all(
            InboxEndpoint(centre_id=c.id, url=inbox_url, secret=generate_secret()) for c in centres
        )
        session.flush()
        consultations = [uuid.uuid4() for _ in range(EVENTS)]
        referrals = [uuid.uuid4() for _ in range(EVENTS)]
        insert_rows(session, Consultation, *(
            {"id": c, "created_at": now, "status": "routed", "channel": "public",
             "criteria": {}, "ranking": [], "policy_version": "bench", "consent": {}}
            for c in consultations
        ))  # fmt: skip
        insert_rows(session, Referral, *(
            {"id": r, "consultation_id": c, "centre_id": centres[n % CENTRES].id, "attempt": 1,
             "state": "pending", "reasons": [], "created_at": now,
             "expires_at": now + timedelta(hours=48), "version": 1}
            for n, (c, r) in enumerate(zip(consultations, referrals, strict=True))
        ))  # fmt: skip
        for n, referral in enumerate(referrals):
            data = {"referral_id": str(referral), "message": "Je cherche un emploi." * 8}
            enqueue(
                session,
                event_type="referral.created",
                centre_id=centres[n % CENTRES].id,
                subject_id=referral,
                data=data,
            )
        session.commit()


def delivered(engine: Engine) -> int:
    with Session(engine) as session:
        query = select(func.count()).where(OutboxEvent.status == "delivered")
        return int(session.exec(query).one())


def deliveries_per_second(url: str, inbox_url: str) -> tuple[float, float]:
    """One worker delivering `EVENTS` queued events: deliveries per second of wall time until
    the last is recorded, and this process's CPU milliseconds per delivery (the figure that
    does not depend on what else the machine runs)."""
    migrate(url)
    engine = make_engine(Settings(database_url=url))
    try:
        fill(engine, inbox_url)
        if engine.dialect.name == "postgresql":
            # Statistics as autovacuum keeps them: without them, right after a bulk insert, the
            # planner sorts the whole backlog at every claim instead of walking the index.
            with engine.begin() as conn:
                conn.execute(text("ANALYZE outbox_event"))
        install_hooks()  # as `ttx worker` does: deliveries mark their referrals delivered
        stop = threading.Event()
        worker = Dispatcher(engine, concurrency=CONCURRENCY, poll_interval=0.05)
        thread = threading.Thread(target=worker.run_forever, args=(stop,))
        cpu, started = time.process_time(), time.perf_counter()
        thread.start()
        while delivered(engine) < EVENTS:
            time.sleep(0.05)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        stop.set()
        thread.join(30)
        _check_referrals_delivered(engine)
        return EVENTS / elapsed, cpu * 1000 / EVENTS
    finally:
        engine.dispose()


def _check_referrals_delivered(engine: Engine) -> None:
    with engine.connect() as conn:
        left = conn.execute(text("SELECT count(*) FROM referral WHERE state <> 'delivered'"))
        if left.scalar_one():
            raise RuntimeError("some delivered events left their referral pending")


def postgres_rate(inbox_url: str) -> tuple[float, float] | None:
    admin_url = os.environ.get("TTX_BENCH_POSTGRES_URL") or os.environ.get("TTX_TEST_POSTGRES_URL")
    if not admin_url:
        return None
    admin = create_engine(make_url(admin_url), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    name = f"ttx_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        return deliveries_per_second(url, inbox_url)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def sqlite_rate(inbox_url: str) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as folder:
        return deliveries_per_second(f"sqlite:///{Path(folder) / 'bench.db'}", inbox_url)


def main() -> dict[str, Any]:
    with server(receiver_app) as base:
        inbox_url = base + "/inbox"
        before = receiver_capacity(inbox_url)
        pg = postgres_rate(inbox_url)
        lite = sqlite_rate(inbox_url)
        # Measured before and after; the better figure is kept, so the ratios are not flattered.
        capacity = max(before, receiver_capacity(inbox_url))
    rows: list[tuple[str, float, float, float | None]] = [
        ("receiver alone (load generator)", capacity, 1.0, None)
    ]
    if pg is not None:
        rows.append(("one worker, PostgreSQL", pg[0], pg[0] / capacity, pg[1]))
    rows.append(("one worker, SQLite", lite[0], lite[0] / capacity, lite[1]))
    print(f"{EVENTS} events, {CENTRES} centres, concurrency {CONCURRENCY}, load {_load()}")
    print(f"{'':34} {'per second':>11} {'ratio':>7} {'CPU ms each':>12}")
    for label, rate, ratio, cpu_ms in rows:
        cpu = f"{cpu_ms:12.2f}" if cpu_ms is not None else f"{'':12}"
        print(f"{label:34} {rate:11.0f} {ratio:7.2f} {cpu}")
    if pg is not None:
        verdict = "met" if pg[0] >= TARGET_PG else "NOT met"
        print(f"target >= {TARGET_PG:.0f}/s on PostgreSQL: {verdict}")
    else:
        print("PostgreSQL skipped: set TTX_BENCH_POSTGRES_URL or TTX_TEST_POSTGRES_URL")
    return {
        "events": EVENTS,
        "concurrency": CONCURRENCY,
        "receiver_capacity_per_s": round(capacity, 1),
        "postgres_deliveries_per_s": None if pg is None else round(pg[0], 1),
        "postgres_ratio": None if pg is None else round(pg[0] / capacity, 3),
        "postgres_cpu_ms_per_delivery": None if pg is None else round(pg[1], 3),
        "sqlite_deliveries_per_s": round(lite[0], 1),
        "sqlite_ratio": round(lite[0] / capacity, 3),
        "sqlite_cpu_ms_per_delivery": round(lite[1], 3),
        "target_postgres_per_s": TARGET_PG,
        "target_met": None if pg is None else pg[0] >= TARGET_PG,
    }


def _load() -> str:
    """The machine's load average: figures taken on a busy machine are lower."""
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


if __name__ == "__main__":
    main()
