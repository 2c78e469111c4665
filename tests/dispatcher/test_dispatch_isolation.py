"""One bad inbox never stops the others (issue 12): whatever one delivery meets (a URL the
HTTP client refuses, a DNS failure, a receiver speaking garbage or NUL bytes, a corrupt
event) becomes a failed attempt on that event, and the loop goes on delivering the rest."""

from __future__ import annotations

import random
import signal
import socket
import subprocess
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.dispatcher import Dispatcher, list_failed, replay
from app.models.outbox import OutboxEvent
from tests.helpers.dispatch import (
    FakeClock,
    Receiver,
    add_centre,
    attempts_for,
    black_hole,
    enqueue_committed,
    load_event,
    raw_server,
    running_receiver,
    set_endpoint_url,
    spawn_worker,
)
from tests.helpers.waiting import wait_until

# Rows registered before the URL rules were strict: the dispatcher must refuse them calmly.
LEGACY_URLS = [
    "http://[::1/inbox",
    "http://127.0.0.1:99999/inbox",
    "http://127.0.0.1/in\x7fbox",
    "http://" + "a" * 64 + ".example.org/inbox",
    "http://exa mple.org/inbox",
]


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest) -> Engine:
    name = "dispatch_engine" if request.param == "sqlite" else "pg_engine"
    return request.getfixturevalue(name)  # type: ignore[no-any-return]


def garbage(conn: socket.socket) -> None:
    conn.recv(65536)
    conn.sendall(b"this is not HTTP at all\r\n\r\n")


def hang_up(conn: socket.socket) -> None:
    conn.recv(65536)  # then closed without a word


def nul_bytes(conn: socket.socket) -> None:
    conn.recv(65536)
    body = b"\x00\x00oops\x00\x1b[31m"
    conn.sendall(b"HTTP/1.1 500 Nope\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body))


class Running:
    """A dispatcher loop (`serve`, what `ttx worker` runs) in a thread, stopped at the end."""

    def __init__(self, dispatcher: Dispatcher) -> None:
        self.stop = threading.Event()
        self.thread = threading.Thread(target=dispatcher.run_forever, args=(self.stop,))
        self.thread.start()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(30)


@pytest.fixture
def loop_runner() -> Iterator[list[Running]]:
    started: list[Running] = []
    yield started
    for run in started:
        run.close()


def test_one_bad_inbox_never_stops_the_others(engine: Engine, loop_runner: list[Running]) -> None:
    with (
        running_receiver() as good_a,
        running_receiver() as good_b,
        raw_server(garbage) as garbage_url,
        raw_server(hang_up) as hang_up_url,
        raw_server(nul_bytes) as nul_url,
        raw_server(black_hole) as hole_url,
    ):
        good = [add_centre(engine, url=r.url) for r in (good_a, good_b)]
        hostile_urls = [garbage_url, hang_up_url, nul_url, hole_url]
        bad = [add_centre(engine, url=url) for url in hostile_urls]
        bad.append(add_centre(engine, url="http://ttx-no-such-host.invalid/inbox"))
        for url in LEGACY_URLS:
            centre = add_centre(engine, url="http://127.0.0.1:9/placeholder")
            set_endpoint_url(engine, centre, url)
            bad.append(centre)
        # The bad events first in the queue: they are claimed before the good ones.
        bad_events = [enqueue_committed(engine, c, n) for n, c in enumerate(bad)]
        good_events = [enqueue_committed(engine, good[n % 2], n) for n in range(20)]
        dispatcher = Dispatcher(
            engine, timeout_seconds=1.5, poll_interval=0.05, schedule_scale=0.001, concurrency=8
        )
        run = Running(dispatcher)
        loop_runner.append(run)

        def settled() -> bool:
            delivered = all(load_event(engine, e.id).status == "delivered" for e in good_events)
            return delivered and all(attempts_for(engine, e.id) for e in bad_events)

        assert wait_until(settled, timeout=30)
        assert run.thread.is_alive()  # the loop survived all of it
        assert len(set(good_a.ids()) | set(good_b.ids())) == 20
        for event in bad_events:
            attempts = attempts_for(engine, event.id)
            assert all(a.outcome == "failure" and a.error for a in attempts), attempts
            assert load_event(engine, event.id).status in ("pending", "failed")
        legacy = bad_events[-len(LEGACY_URLS) :]
        for event in legacy:
            assert (attempts_for(engine, event.id)[0].error or "").startswith("refused:")
        nul_attempt = attempts_for(engine, bad_events[2].id)[0]
        assert nul_attempt.status_code == 500
        assert "\x00" not in (nul_attempt.response_excerpt or "") and "oops" in (
            nul_attempt.response_excerpt or ""
        )
        # Still delivering after all that: a new event goes through at once.
        late = enqueue_committed(engine, good[0], 99)
        assert wait_until(lambda: load_event(engine, late.id).status == "delivered", 10)
        run.close()


def test_an_event_that_keeps_crashing_is_parked_for_staff(
    dispatch_engine: Engine, receiver: Receiver
) -> None:
    clock = FakeClock()
    centre = add_centre(dispatch_engine, url=receiver.url)
    broken = enqueue_committed(dispatch_engine, centre, 1, now=clock())
    with dispatch_engine.begin() as conn:  # a corrupt body: sending it raises, every time
        conn.execute(
            update(OutboxEvent.__table__)  # type: ignore[attr-defined]
            .where(OutboxEvent.__table__.c.id == broken.id)  # type: ignore[attr-defined]
            .values(payload={"type": "referral.created"})
        )
    fine = enqueue_committed(dispatch_engine, centre, 2, now=clock())
    dispatcher = Dispatcher(dispatch_engine, now=clock, rng=random.Random(0), timeout_seconds=2)
    for _ in range(3):
        dispatcher.run_once()
        clock.advance(3600)
    assert load_event(dispatch_engine, fine.id).status == "delivered"
    parked = load_event(dispatch_engine, broken.id)
    assert parked.status == "failed" and parked.attempts == 3
    assert (parked.last_error or "").startswith("parked after 3 crashes")
    assert "cannot be prepared for sending" in (parked.last_error or "")
    assert dispatcher.run_once() == 0  # never claimed again
    with Session(dispatch_engine) as session:
        replay(session, broken.id, now=clock())
        session.commit()
    assert load_event(dispatch_engine, broken.id).crashes == 0  # a replay starts afresh
    assert receiver.ids() == [fine.webhook_id]


def test_a_bad_url_fails_its_event_on_schedule_without_sending(
    dispatch_engine: Engine, receiver: Receiver
) -> None:
    clock = FakeClock()
    centre = add_centre(dispatch_engine, url=receiver.url)
    set_endpoint_url(dispatch_engine, centre, "http://[::1/inbox")
    event = enqueue_committed(dispatch_engine, centre, now=clock())
    dispatcher = Dispatcher(dispatch_engine, now=clock, rng=random.Random(0))
    for _ in range(8):
        dispatcher.run_once()
        clock.advance(40_000)
    stored = load_event(dispatch_engine, event.id)
    assert stored.status == "failed" and stored.attempts == 8
    assert stored.last_error == "refused: the IPv6 address is missing its closing bracket"
    assert stored.crashes == 0  # the receiver's configuration, not a crash
    assert receiver.ids() == []


@pytest.mark.slow
@pytest.mark.postgres
def test_an_event_whose_worker_keeps_dying_is_parked(
    pg_engine: Engine, pg_url: str, receiver: Receiver, tmp_path: Path
) -> None:
    """kill -9 a worker while it sends the same event, three times: the fourth worker parks
    it (failed, in the staff list) instead of claiming it forever, and delivers the rest."""
    log_path = tmp_path / "workers.log"
    procs: list[subprocess.Popen[bytes]] = []

    def start(**options: object) -> subprocess.Popen[bytes]:
        proc = spawn_worker(pg_url, log_path, timeout=30, **({"poll_interval": 0.05} | options))
        procs.append(proc)
        return proc

    try:
        with raw_server(black_hole) as hole_url:
            stuck = enqueue_committed(pg_engine, add_centre(pg_engine, url=hole_url))
            for crashes in (1, 2, 3):
                proc = start(lease_seconds=2)
                assert wait_until(
                    lambda n=crashes: load_event(pg_engine, stuck.id).crashes == n, 30, 0.02
                ), log_path.read_text()
                proc.send_signal(signal.SIGKILL)
                proc.wait(10)
            assert wait_until(lambda: not _leased(pg_engine, stuck.id), 10)
            fourth = start()
            fine = enqueue_committed(pg_engine, add_centre(pg_engine, url=receiver.url))
            assert wait_until(lambda: load_event(pg_engine, stuck.id).status == "failed", 20), (
                log_path.read_text()
            )
            assert wait_until(lambda: load_event(pg_engine, fine.id).status == "delivered", 20)
            parked = load_event(pg_engine, stuck.id)
            assert "parked: its worker stopped 3 times" in (parked.last_error or "")
            with Session(pg_engine) as session:
                failed, _ = list_failed(session)
            assert [e.id for e in failed] == [stuck.id]
            assert fourth.poll() is None  # still running
            fourth.send_signal(signal.SIGTERM)
            assert fourth.wait(30) == 0
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)


def _leased(engine: Engine, event_id: uuid.UUID) -> bool:
    event = load_event(engine, event_id)
    return event.locked_until is not None and event.locked_until > datetime.now(UTC)
