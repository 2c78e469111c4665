"""Helpers shared by the dispatcher tests: migrations, synthetic centres, a real receiver."""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from app.dispatcher import enqueue
from app.models.directory import Centre, InboxEndpoint
from app.models.outbox import DeliveryAttempt, OutboxEvent

ROOT = Path(__file__).resolve().parents[2]
SECRET = "whsec_" + base64.b64encode(b"synthetic-test-secret-0123456789").decode()


def add_centre(
    engine: Engine, *, url: str | None = None, secret: str = SECRET, ref: str | None = None
) -> uuid.UUID:
    """A synthetic centre, with an inbox endpoint when `url` is given; returns its id."""
    ref = ref or f"cce-test-{uuid.uuid4().hex[:8]}"
    with Session(engine) as session:
        centre = Centre(ref=ref, name=f"Centre fictif {ref}", email=f"accueil@{ref}.example.org")
        session.add(centre)
        if url is not None:
            session.add(InboxEndpoint(centre_id=centre.id, url=url, secret=secret))
        session.commit()
        return centre.id


def referral_data(n: int = 0) -> dict[str, Any]:
    """A `referral.created` body for an invented person."""
    return {
        "referral_id": str(uuid.uuid4()),
        "consultation_id": str(uuid.uuid4()),
        "centre_ref": "cce-test",
        "person": {
            "first_name": "Camille",
            "last_name": f"Exemple{n}",
            "email": f"camille{n}@example.org",
            "phone": "+1 819 555 0199",
        },
        "criteria": {"needs": ["job_search"]},
        "message": "Je cherche un emploi en soudure.",
        "match": {"rank": 1, "score": 0.9, "reasons": ["serves_region"]},
    }


def statuses(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        rows = session.exec(select(OutboxEvent.status)).all()
    counts: dict[str, int] = {}
    for status in rows:
        counts[status] = counts.get(status, 0) + 1
    return counts


class ReceiverServer(ThreadingHTTPServer):
    # The default listen backlog (5) refuses connections when a worker opens dozens at once.
    request_queue_size = 256
    daemon_threads = True


@dataclass
class Received:
    webhook_id: str
    at: float
    body: dict[str, Any]


@dataclass
class Receiver:
    """A real HTTP receiver on 127.0.0.1 that verifies every signature with the
    `standardwebhooks` package and answers as `plan(webhook_id, nth_call)` says:
    `(status, seconds_to_wait_first)`."""

    secret: str = SECRET
    plan: Callable[[str, int], tuple[int, float]] = lambda _id, _n: (204, 0.0)
    received: list[Received] = field(default_factory=list)
    rejected: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ReceiverServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/inbox"

    def ids(self) -> list[str]:
        with self.lock:
            return [r.webhook_id for r in self.received]

    def handle(self, headers: dict[str, str], body: bytes) -> tuple[int, float]:
        try:
            payload = Webhook(self.secret).verify(body, headers)
        except WebhookVerificationError:
            with self.lock:
                self.rejected += 1
            return 401, 0.0
        webhook_id = headers["webhook-id"]
        with self.lock:
            nth = sum(1 for r in self.received if r.webhook_id == webhook_id)
            self.received.append(Received(webhook_id, time.monotonic(), payload))
        return self.plan(webhook_id, nth)


def make_handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length)
            if len(body) < length:
                self.close_connection = True  # the sender died mid-request (kill -9 tests)
                return
            status, wait = receiver.handle({k.lower(): v for k, v in self.headers.items()}, body)
            if wait:
                time.sleep(wait)
            reply = b"" if status in (204, 304) else json.dumps({"ok": status < 300}).encode()
            try:
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)
            except OSError:
                pass  # the dispatcher gave up waiting (timeout tests)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


class FakeClock:
    """A clock the test moves by hand: the dispatcher's `now`."""

    def __init__(self) -> None:
        self.moment = datetime(2026, 11, 27, 20, 15, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, seconds: float) -> None:
        self.moment += timedelta(seconds=seconds)


def enqueue_committed(
    engine: Engine, centre_id: uuid.UUID, n: int = 0, now: datetime | None = None
) -> OutboxEvent:
    """Enqueue one `referral.created` event and commit, as the intake service would; return
    the stored row."""
    with Session(engine, expire_on_commit=False) as session:
        queued = enqueue(
            session,
            event_type="referral.created",
            centre_id=centre_id,
            subject_id=uuid.uuid4(),
            data=referral_data(n),
            now=now,
        )
        session.commit()
    return load_event(engine, queued.id)


def load_event(engine: Engine, event_id: uuid.UUID) -> OutboxEvent:
    with Session(engine, expire_on_commit=False) as session:
        event = session.get(OutboxEvent, event_id)
        assert event is not None
        return event


def load_endpoint(engine: Engine, centre_id: uuid.UUID) -> InboxEndpoint:
    with Session(engine, expire_on_commit=False) as session:
        endpoint = session.exec(
            select(InboxEndpoint).where(InboxEndpoint.centre_id == centre_id)
        ).one()
        return endpoint


def attempts_for(engine: Engine, event_id: uuid.UUID) -> list[DeliveryAttempt]:
    with Session(engine, expire_on_commit=False) as session:
        return list(
            session.exec(
                select(DeliveryAttempt)
                .where(DeliveryAttempt.event_id == event_id)
                .order_by(DeliveryAttempt.attempt)
            ).all()
        )


WORKER_CODE = """
import faulthandler, json, logging, signal, sys
faulthandler.register(signal.SIGUSR1)
logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(message)s")
logging.getLogger("httpx").setLevel(logging.WARNING)
from app.dispatcher import run_worker
from app.settings import Settings
run_worker(Settings(), **json.loads(sys.argv[1]))
"""


def spawn_worker(
    url: str, log_path: Path, *, timeout: float = 5.0, **options: Any
) -> subprocess.Popen[bytes]:
    """A real `run_worker` process (what `ttx worker` runs), logging to `log_path`."""
    env = os.environ | {
        "TTX_DATABASE_URL": url,
        "TTX_WEBHOOK_TIMEOUT_SECONDS": str(timeout),
        "TTX_ENV": "development",
    }
    with log_path.open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-c", WORKER_CODE, json.dumps(options)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def enqueue_many(engine: Engine, centre_ids: list[uuid.UUID], count: int) -> list[str]:
    """Enqueue `count` events spread over the centres in one transaction; their webhook ids."""
    with Session(engine) as session:
        events = [
            enqueue(
                session,
                event_type="referral.created",
                centre_id=centre_ids[n % len(centre_ids)],
                subject_id=uuid.uuid4(),
                data=referral_data(n),
            )
            for n in range(count)
        ]
        ids = [e.webhook_id for e in events]
        session.commit()
    return ids


@contextmanager
def running_receiver(
    plan: Callable[[str, int], tuple[int, float]] | None = None,
    *,
    backlog: int | None = None,
) -> Iterator[Receiver]:
    """A `Receiver` on its own real server for the length of the block. `backlog` set: a
    plain `ThreadingHTTPServer` with that listen backlog (stdlib default 5)."""
    rec = Receiver() if plan is None else Receiver(plan=plan)
    server_class: type[ThreadingHTTPServer] = ReceiverServer
    if backlog is not None:
        server_class = type("SmallServer", (ThreadingHTTPServer,), {
            "request_queue_size": backlog, "daemon_threads": True
        })  # fmt: skip
    server = server_class(("127.0.0.1", 0), make_handler(rec))
    rec.server = server  # type: ignore[assignment]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield rec
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def raw_server(reply: Callable[[socket.socket], None]) -> Iterator[str]:
    """A hostile TCP server on 127.0.0.1: each connection is handed to `reply`, which may
    write anything (or nothing) before the socket is closed. Yields its inbox URL."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()
    conns: list[socket.socket] = []

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            conns.append(conn)
            threading.Thread(target=_answer, args=(conn, reply), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/inbox"
    finally:
        stop.set()
        thread.join(2)
        listener.close()
        for conn in conns:
            with suppress(OSError):
                conn.close()


def _answer(conn: socket.socket, reply: Callable[[socket.socket], None]) -> None:
    with suppress(OSError):
        conn.settimeout(5)
        reply(conn)
        conn.close()


def black_hole(conn: socket.socket) -> None:
    """Accept, read, never answer (until the test ends)."""
    conn.settimeout(None)
    with suppress(OSError):
        while conn.recv(65536):
            pass


def set_endpoint_url(engine: Engine, centre_id: uuid.UUID, url: str) -> None:
    """Store a URL as a row written before today's checks would (no validation on the way)."""
    table = InboxEndpoint.__table__  # type: ignore[attr-defined]
    with engine.begin() as conn:
        conn.execute(update(table).where(table.c.centre_id == centre_id).values(url=url))
