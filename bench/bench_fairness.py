"""Fairness to small receivers (issue 12): a burst of consultations to centres whose inboxes
all live on one plain stdlib `ThreadingHTTPServer` (listen backlog 5), and the same burst
with one more centre whose endpoint never answers. Each figure is measured with the
per-origin cap (`TTX_DELIVERY_PER_ORIGIN`, default 4) and against the baseline of the same
run without it (64 attempts in flight to one origin, what the dispatcher did before).

Reported: acknowledgement→delivery latency (commit of the event → the receiver has the
request) p50 and max, failed attempts, and for the dead-centre burst the healthy centres'
p50 over the p50 of the same burst without the dead centre.

Target: 300 consultations to 19 centres on one stdlib server → every one delivered, p50 ≤ 1 s,
max ≤ 15 s, no failed attempt; with one dead centre, healthy latency as without it.

    python -m bench bench_fairness
"""

from __future__ import annotations

import os
import socket
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import NullPool
from sqlmodel import Session

from app.db import make_engine
from app.dispatcher import Dispatcher, enqueue, generate_secret
from app.models.directory import Centre, InboxEndpoint
from app.models.outbox import DeliveryAttempt, OutboxEvent
from app.settings import Settings
from bench.apps import migrate

EVENTS = int(os.environ.get("TTX_BENCH_FAIRNESS_EVENTS", "300"))
CENTRES = 19
WORK_SECONDS = 0.005  # what a small inbox does per request (a row written, a log line)
CAPPED = 4
UNCAPPED = 64
TIMEOUT = 10.0
DEADLINE = 90.0


class Inbox(ThreadingHTTPServer):
    """A centre's small inbox: the stdlib server as it comes (listen backlog 5)."""

    daemon_threads = True

    def __init__(self) -> None:
        self.arrivals: dict[str, float] = {}
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _handler(self))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/inbox"


def _handler(inbox: Inbox) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", "0")))
            time.sleep(WORK_SECONDS)
            with inbox.lock:
                inbox.arrivals.setdefault(self.headers["webhook-id"], time.time())
            self.send_response(204)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def running(server: ThreadingHTTPServer) -> Iterator[None]:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def black_hole() -> Iterator[str]:
    """An endpoint that accepts connections and never answers."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=128)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/inbox"
    finally:
        stop.set()
        thread.join(2)
        for conn in held:
            conn.close()
        listener.close()


def burst(url: str, inbox: Inbox, per_origin: int, dead_url: str | None) -> dict[str, Any]:
    """`EVENTS` events committed at once over `CENTRES` centres (one more on `dead_url`),
    delivered by one worker; the healthy centres' latency and the attempts that failed."""
    migrate(url)
    engine = make_engine(Settings(database_url=url))
    try:
        urls = [inbox.url] * CENTRES + ([dead_url] if dead_url else [])
        acked, acked_at = _fill(engine, urls)
        worker = Dispatcher(
            engine, concurrency=64, poll_interval=0.05, per_origin=per_origin,
            timeout_seconds=TIMEOUT,
        )  # fmt: skip
        stop = threading.Event()
        thread = threading.Thread(target=worker.run_forever, args=(stop,))
        thread.start()
        healthy = {wid for wid, target in acked.items() if target != dead_url}
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline and not healthy <= set(inbox.arrivals):
            time.sleep(0.05)
        stop.set()
        thread.join(TIMEOUT + 30)
        return _figures(engine, acked_at, healthy, inbox)
    finally:
        engine.dispose()


def _fill(engine: Engine, urls: list[str]) -> tuple[dict[str, str], float]:
    """The centres and their endpoints, then the events in one transaction; each event's
    endpoint URL by webhook id, and the moment the burst was committed (acknowledged)."""
    with Session(engine) as session:
        centres = [Centre(ref=f"cce-fair-{n}", name=f"Centre fictif {n}") for n in range(len(urls))]
        session.add_all(centres)
        session.flush()
        session.add_all(
            InboxEndpoint(centre_id=c.id, url=u, secret=generate_secret())
            for c, u in zip(centres, urls, strict=True)
        )
        session.flush()
        targets = {}
        for n in range(EVENTS):
            queued = enqueue(
                session, event_type="referral.created", centre_id=centres[n % len(urls)].id,
                subject_id=uuid.uuid4(), data={"referral_id": str(uuid.uuid4()), "n": n},
            )  # fmt: skip
            targets[queued.webhook_id] = urls[n % len(urls)]
        session.commit()
    return targets, time.time()


def _figures(engine: Engine, acked_at: float, healthy: set[str], inbox: Inbox) -> dict[str, Any]:
    latencies = sorted(inbox.arrivals[w] - acked_at for w in healthy if w in inbox.arrivals)
    with Session(engine) as session:
        failed = session.scalar(
            select(func.count())
            .select_from(DeliveryAttempt)
            .join(OutboxEvent, OutboxEvent.id == DeliveryAttempt.event_id)
            .where(DeliveryAttempt.outcome != "success")
            .where(OutboxEvent.webhook_id.in_(healthy))  # type: ignore[attr-defined]
        )
    return {
        "healthy_events": len(healthy),
        "delivered": len(latencies),
        "p50_s": round(statistics.median(latencies), 3) if latencies else None,
        "max_s": round(latencies[-1], 3) if latencies else None,
        "failed_attempts": int(failed or 0),
    }


@contextmanager
def _database() -> Iterator[str]:
    """A scratch PostgreSQL database when one is configured (created, then dropped), else a
    SQLite file."""
    admin_url = os.environ.get("TTX_BENCH_POSTGRES_URL") or os.environ.get("TTX_TEST_POSTGRES_URL")
    if not admin_url:
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{Path(folder) / 'bench.db'}"
        return
    admin = create_engine(make_url(admin_url), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    name = f"ttx_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _one(per_origin: int, dead: bool) -> dict[str, Any]:
    inbox = Inbox()
    with running(inbox), _database() as url:
        if not dead:
            return burst(url, inbox, per_origin, None)
        with black_hole() as hole:
            return burst(url, inbox, per_origin, hole)


def main() -> dict[str, Any]:
    rows = {(cap, dead): _one(cap, dead) for cap in (UNCAPPED, CAPPED) for dead in (False, True)}
    print(f"{EVENTS} events, {CENTRES} centres on one stdlib ThreadingHTTPServer (backlog 5),"
          f" {WORK_SECONDS * 1000:.0f} ms per request, load {_load()}")  # fmt: skip
    print(f"{'':42} {'delivered':>10} {'p50 s':>7} {'max s':>7} {'failed':>7}")
    for (cap, dead), row in rows.items():
        label = f"per origin {cap}" + (" + one dead centre" if dead else "")
        print(f"{label:42} {row['delivered']:>4}/{row['healthy_events']:<5} "
              f"{row['p50_s']!s:>7} {row['max_s']!s:>7} {row['failed_attempts']:>7}")  # fmt: skip
    capped, capped_dead = rows[(CAPPED, False)], rows[(CAPPED, True)]
    uncapped = rows[(UNCAPPED, False)]
    dead_ratio = _ratio(capped_dead["p50_s"], capped["p50_s"])
    met = (
        capped["delivered"] == capped["healthy_events"]
        and capped["failed_attempts"] == 0
        and (capped["p50_s"] or 99) <= 1.0
        and (capped["max_s"] or 99) <= 15.0
    )
    print(f"capped max over uncapped max: {_ratio(capped['max_s'], uncapped['max_s'])}; "
          f"healthy p50 with a dead centre over without: {dead_ratio}")  # fmt: skip
    print(f"target (all delivered, p50 <= 1 s, max <= 15 s, no failure): "
          f"{'met' if met else 'NOT met'}")  # fmt: skip
    return {
        "events": EVENTS,
        "centres": CENTRES,
        "rows": {
            f"per_origin_{cap}{'_dead' if dead else ''}": r for (cap, dead), r in rows.items()
        },
        "capped_over_uncapped_max": _ratio(capped["max_s"], uncapped["max_s"]),
        "dead_centre_p50_ratio": dead_ratio,
        "target_met": met,
    }


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else round(a / b, 3)


def _load() -> str:
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


if __name__ == "__main__":
    main()
