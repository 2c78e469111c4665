"""Fairness to small receivers and outcome classification (issue 12), with real servers on
127.0.0.1: a stdlib server with its default listen backlog, a black hole, a receiver that
answers 429 with Retry-After, one that resets reused connections."""

from __future__ import annotations

import random
import socket
import struct
import threading
import time
from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.dispatcher import Dispatcher
from app.models.outbox import DeliveryAttempt
from tests.helpers.dispatch import (
    FakeClock,
    add_centre,
    attempts_for,
    black_hole,
    enqueue_committed,
    enqueue_many,
    load_event,
    raw_server,
    running_receiver,
    statuses,
)
from tests.helpers.waiting import wait_until


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest) -> Engine:
    name = "dispatch_engine" if request.param == "sqlite" else "pg_engine"
    return request.getfixturevalue(name)  # type: ignore[no-any-return]


class Serving:
    """`Dispatcher.run_forever` in a thread (what `ttx worker` runs), stopped at the end."""

    def __init__(self, dispatcher: Dispatcher) -> None:
        self.stop = threading.Event()
        self.thread = threading.Thread(target=dispatcher.run_forever, args=(self.stop,))
        self.thread.start()

    def __enter__(self) -> Serving:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join(60)


class Concurrency:
    """A receiver plan that works a little and keeps the most requests it saw at once."""

    def __init__(self, seconds: float) -> None:
        self.seconds, self.now, self.most = seconds, 0, 0
        self.lock = threading.Lock()

    def __call__(self, _id: str, _n: int) -> tuple[int, float]:
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
        time.sleep(self.seconds)
        with self.lock:
            self.now -= 1
        return 204, 0.0


def failures(engine: Engine) -> int:
    with Session(engine) as session:
        query = select(func.count()).where(DeliveryAttempt.outcome != "success")
        return int(session.scalar(query) or 0)


def test_a_stdlib_server_with_backlog_5_gets_a_burst_without_a_failure(engine: Engine) -> None:
    plan = Concurrency(0.005)
    with running_receiver(plan, backlog=5) as inbox:
        centres = [add_centre(engine, url=inbox.url) for _ in range(19)]
        sent = enqueue_many(engine, centres, 300)
        with Serving(Dispatcher(engine, concurrency=64, poll_interval=0.05)):
            assert wait_until(lambda: statuses(engine) == {"delivered": 300}, 120), statuses(engine)
    assert sorted(inbox.ids()) == sorted(sent)  # each once: no attempt failed
    assert failures(engine) == 0
    assert plan.most <= 4  # TTX_DELIVERY_PER_ORIGIN's default


def test_the_per_endpoint_cap_holds_within_an_origin(engine: Engine) -> None:
    plan = Concurrency(0.05)
    with running_receiver(plan) as inbox:
        one = add_centre(engine, url=inbox.url)
        sent = enqueue_many(engine, [one], 12)
        dispatcher = Dispatcher(
            engine, concurrency=16, per_origin=4, per_endpoint=1, poll_interval=0.05
        )
        with Serving(dispatcher):
            assert wait_until(lambda: set(sent) <= set(inbox.ids()), 60), statuses(engine)
    assert plan.most == 1  # one endpoint: one attempt at a time, though its origin has four
    assert failures(engine) == 0


def test_a_dead_centre_holds_only_its_own_slots(engine: Engine) -> None:
    with running_receiver() as healthy, raw_server(black_hole) as hole:
        dead = add_centre(engine, url=hole)
        stuck = [enqueue_committed(engine, dead, n) for n in range(10)]  # first in the queue
        alive = [add_centre(engine, url=healthy.url) for _ in range(3)]
        sent = enqueue_many(engine, alive, 40)
        dispatcher = Dispatcher(
            engine,
            concurrency=8,
            per_origin=2,
            timeout_seconds=30,
            poll_interval=0.05,
            grace_seconds=0.5,
        )
        with Serving(dispatcher):
            assert wait_until(lambda: set(sent) <= set(healthy.ids()), 20)
            # Every healthy event arrived while the dead centre's first attempts still wait
            # for their 30 s timeout: they held two slots, not all eight.
            assert all(not attempts_for(engine, e.id) for e in stuck)
            leased = [load_event(engine, e.id).locked_by is not None for e in stuck]
            assert sum(leased) <= 4  # two in flight, two waiting; the rest left unclaimed


def _throttling(retry_after: str) -> Callable[[socket.socket], None]:
    def reply(conn: socket.socket) -> None:
        while conn.recv(65536):
            conn.sendall(
                b"HTTP/1.1 429 Too Many Requests\r\nretry-after: " + retry_after.encode()
                + b"\r\ncontent-length: 0\r\n\r\n"
            )  # fmt: skip

    return reply


def test_429_retry_after_is_honoured_and_pauses_the_origin(dispatch_engine: Engine) -> None:
    with raw_server(_throttling("120")) as url, running_receiver() as elsewhere:
        centre = add_centre(dispatch_engine, url=url)
        events = [enqueue_committed(dispatch_engine, centre, n) for n in range(5)]
        other = add_centre(dispatch_engine, url=elsewhere.url)
        dispatcher = Dispatcher(dispatch_engine, per_origin=1, poll_interval=0.05)
        with Serving(dispatcher):
            assert wait_until(lambda: any(attempts_for(dispatch_engine, e.id) for e in events), 10)
            # The dispatcher goes on claiming: events for another origin, queued one after the
            # other behind the paused origin's (due earlier), are delivered while those wait.
            for n in range(3):
                later = enqueue_committed(dispatch_engine, other, n)
                assert wait_until(
                    lambda e=later: load_event(dispatch_engine, e.id).status == "delivered", 10
                )
        tried = [e for e in events if attempts_for(dispatch_engine, e.id)]
    assert len(tried) == 1
    (attempt,) = attempts_for(dispatch_engine, tried[0].id)
    assert attempt.status_code == 429
    assert attempt.error == "HTTP 429 Too Many Requests: the receiver asked to wait 120 s"
    event = load_event(dispatch_engine, tried[0].id)
    wait = (event.next_attempt_at - attempt.started_at).total_seconds()
    assert 119 <= wait <= 121  # not the schedule's "immediately"
    assert all(load_event(dispatch_engine, e.id).attempts == 0 for e in events if e not in tried)


def test_a_retry_after_date_and_a_huge_one_are_bounded(dispatch_engine: Engine) -> None:
    clock = FakeClock()
    with raw_server(_throttling("99999999")) as url:
        centre = add_centre(dispatch_engine, url=url)
        event = enqueue_committed(dispatch_engine, centre, now=clock())
        Dispatcher(dispatch_engine, now=clock, rng=random.Random(0)).run_once()
    stored = load_event(dispatch_engine, event.id)
    assert (stored.next_attempt_at - clock()).total_seconds() == 3600  # at most an hour


def _reset_reused(resets: list[int]) -> Callable[[socket.socket], None]:
    """Answer the first request of a connection; reset the connection on the second."""

    def reply(conn: socket.socket) -> None:
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n")
        if conn.recv(65536):
            resets.append(1)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()

    return reply


def test_a_reset_on_a_reused_connection_is_retried_at_once_on_a_fresh_one(
    dispatch_engine: Engine,
) -> None:
    resets: list[int] = []
    with raw_server(_reset_reused(resets)) as url:
        centre = add_centre(dispatch_engine, url=url)
        dispatcher = Dispatcher(dispatch_engine, per_origin=1, poll_interval=0.02)
        with Serving(dispatcher):
            for n in range(6):  # one after the other, over the kept-alive connection
                event = enqueue_committed(dispatch_engine, centre, n)
                assert wait_until(
                    lambda e=event: load_event(dispatch_engine, e.id).status == "delivered", 10
                )
    assert resets  # the receiver did reset reused connections…
    assert failures(dispatch_engine) == 0  # …and none of it counted as a failed attempt


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rst_at_once(conn: socket.socket) -> None:
    conn.recv(65536)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


def _hang_up(conn: socket.socket) -> None:
    conn.recv(65536)  # and closed without a word


def _plain_http(conn: socket.socket) -> None:
    conn.recv(65536)  # a TLS ClientHello, answered in plain HTTP
    conn.sendall(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")


@pytest.mark.parametrize(
    ("scenario", "expected"),
    [
        ("refused", "connection refused: nothing accepts connections at that address"),
        ("reset", "connection reset by the receiver"),
        ("hang_up", "the receiver closed the connection without answering"),
        ("timeout", "timeout: no complete answer within 0.5 s"),
        ("tls", "TLS: "),
        ("dns", "DNS: the host name does not resolve"),
    ],
)
def test_errors_are_said_in_plain_words(
    dispatch_engine: Engine, scenario: str, expected: str
) -> None:
    replies = {"reset": _rst_at_once, "hang_up": _hang_up, "timeout": black_hole}
    clock = FakeClock()

    def run(url: str) -> str:
        centre = add_centre(dispatch_engine, url=url)
        event = enqueue_committed(dispatch_engine, centre, now=clock())
        Dispatcher(dispatch_engine, now=clock, timeout_seconds=0.5).run_once()
        (attempt,) = attempts_for(dispatch_engine, event.id)
        assert attempt.outcome == "failure"
        return attempt.error or ""

    if scenario in replies:
        with raw_server(replies[scenario]) as url:
            error = run(url)
    elif scenario == "refused":
        error = run(f"http://127.0.0.1:{_free_port()}/inbox")
    elif scenario == "tls":
        with raw_server(_plain_http) as url:
            error = run(url.replace("http://", "https://"))
    else:
        error = run("http://ttx-no-such-host.invalid/inbox")
    assert error.startswith(expected), error
