"""Outcomes of an attempt, driven through `httpx.MockTransport` and a hand-moved clock."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Sequence

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session
from standardwebhooks.webhooks import Webhook

from app.dispatcher import Delivered, Dispatcher, on_delivered, remove_delivered_hook
from app.dispatcher.delivery import EXCERPT_BYTES, USER_AGENT
from tests.helpers.dispatch import (
    SECRET,
    FakeClock,
    add_centre,
    attempts_for,
    enqueue_committed,
    load_endpoint,
    load_event,
)

URL = "http://centre.example.org/inbox"
Handler = Callable[[httpx.Request], httpx.Response]


def dispatcher(engine: Engine, handler: Handler, clock: FakeClock, **options: object) -> Dispatcher:
    return Dispatcher(
        engine,
        transport=httpx.MockTransport(handler),
        now=clock,
        rng=random.Random(0),
        timeout_seconds=2,
        **options,  # type: ignore[arg-type]
    )


class Recorder:
    """A MockTransport handler answering from a list of statuses, recording requests."""

    def __init__(self, *statuses: int, body: bytes = b"") -> None:
        self.statuses = list(statuses)
        self.requests: list[httpx.Request] = []
        self.body = body

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        headers = {"location": "https://elsewhere.example.org/"} if 300 <= status < 400 else {}
        return httpx.Response(status, content=self.body, headers=headers)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_2xx_delivers_a_verifiable_signed_body(dispatch_engine: Engine, clock: FakeClock) -> None:
    centre = add_centre(dispatch_engine, url=URL)
    event = enqueue_committed(dispatch_engine, centre, now=clock())
    handler = Recorder(200)
    assert dispatcher(dispatch_engine, handler, clock).run_once() == 1
    (request,) = handler.requests
    assert Webhook(SECRET).verify(request.content, dict(request.headers))["type"] == (
        "referral.created"
    )
    assert request.headers["webhook-id"] == event.webhook_id
    assert request.headers["user-agent"] == USER_AGENT
    assert request.headers["accept"] == "*/*"
    assert request.headers["content-type"] == "application/json"
    # Every phase of the exchange is bounded by the worker's timeout (2 s here).
    assert request.extensions["timeout"] == dict.fromkeys(("connect", "read", "write", "pool"), 2)
    stored = load_event(dispatch_engine, event.id)
    assert (stored.status, stored.attempts, stored.delivered_at) == ("delivered", 1, clock())
    assert stored.locked_by is None
    (attempt,) = attempts_for(dispatch_engine, event.id)
    assert (attempt.outcome, attempt.status_code, attempt.attempt) == ("success", 200, 1)


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (302, "HTTP 302 Found: redirects are not followed"),
        (400, "HTTP 400 Bad Request"),
        (503, "HTTP 503 Service Unavailable"),
    ],  # fmt: skip
)
def test_other_answers_are_retried_on_schedule(
    dispatch_engine: Engine, clock: FakeClock, status: int, error: str
) -> None:
    centre = add_centre(dispatch_engine, url=URL)
    event = enqueue_committed(dispatch_engine, centre, now=clock())
    handler = Recorder(status)
    dispatcher(dispatch_engine, handler, clock).run_once()
    assert len(handler.requests) == 1  # a redirect is not followed
    stored = load_event(dispatch_engine, event.id)
    assert (stored.status, stored.attempts, stored.last_error) == ("pending", 1, error)
    wait = (stored.next_attempt_at - clock()).total_seconds()
    assert 4.5 <= wait <= 5.5
    assert load_endpoint(dispatch_engine, centre).consecutive_failures == 1


def test_not_due_before_the_next_attempt(dispatch_engine: Engine, clock: FakeClock) -> None:
    centre = add_centre(dispatch_engine, url=URL)
    enqueue_committed(dispatch_engine, centre, now=clock())
    handler = Recorder(500, 200)
    worker = dispatcher(dispatch_engine, handler, clock)
    worker.run_once()
    clock.advance(4)
    assert worker.run_once() == 0
    clock.advance(2)
    assert worker.run_once() == 1
    assert len(handler.requests) == 2


def test_timeouts_are_failures_to_retry(dispatch_engine: Engine, clock: FakeClock) -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("no answer", request=request)

    centre = add_centre(dispatch_engine, url=URL)
    event = enqueue_committed(dispatch_engine, centre, now=clock())
    dispatcher(dispatch_engine, slow, clock).run_once()
    stored = load_event(dispatch_engine, event.id)
    assert (stored.status, stored.last_error) == ("pending", "timeout: no answer within 2 s")
    (attempt,) = attempts_for(dispatch_engine, event.id)
    assert attempt.outcome == "failure" and attempt.status_code is None


def test_connection_errors_are_failures(dispatch_engine: Engine, clock: FakeClock) -> None:
    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    centre = add_centre(dispatch_engine, url=URL)
    event = enqueue_committed(dispatch_engine, centre, now=clock())
    dispatcher(dispatch_engine, refused, clock).run_once()
    assert (load_event(dispatch_engine, event.id).last_error or "").startswith("could not connect")


def test_410_disables_the_endpoint_visibly(dispatch_engine: Engine, clock: FakeClock) -> None:
    centre = add_centre(dispatch_engine, url=URL)
    first = enqueue_committed(dispatch_engine, centre, now=clock())
    handler = Recorder(410)
    worker = dispatcher(dispatch_engine, handler, clock)
    worker.run_once()
    endpoint = load_endpoint(dispatch_engine, centre)
    assert not endpoint.enabled
    assert endpoint.disabled_reason == "the endpoint answered 410 Gone"
    assert endpoint.disabled_at == clock()
    assert attempts_for(dispatch_engine, first.id)[0].outcome == "gone"
    # Later events wait for staff instead of hitting a receiver that is gone.
    enqueue_committed(dispatch_engine, centre, now=clock())
    clock.advance(3600)
    assert worker.run_once() == 0
    assert len(handler.requests) == 1


def test_response_excerpt_is_truncated(dispatch_engine: Engine, clock: FakeClock) -> None:
    centre = add_centre(dispatch_engine, url=URL)
    event = enqueue_committed(dispatch_engine, centre, now=clock())
    dispatcher(dispatch_engine, Recorder(500, body="é".encode() * 5000), clock).run_once()
    (attempt,) = attempts_for(dispatch_engine, event.id)
    assert attempt.response_excerpt is not None
    assert len(attempt.response_excerpt.encode()) <= EXCERPT_BYTES + 3
    assert attempt.response_excerpt.startswith("éé")


def test_webhook_id_is_stable_across_retries_until_failed(
    dispatch_engine: Engine, clock: FakeClock
) -> None:
    centre = add_centre(dispatch_engine, url=URL)
    event = enqueue_committed(dispatch_engine, centre, now=clock())
    handler = Recorder(500)
    worker = dispatcher(dispatch_engine, handler, clock)
    waits = []
    for _ in range(8):
        assert worker.run_once() == 1
        stored = load_event(dispatch_engine, event.id)
        waits.append((stored.next_attempt_at - clock()).total_seconds())
        clock.advance(11 * 3600)
    assert {r.headers["webhook-id"] for r in handler.requests} == {event.webhook_id}
    expected = [5, 300, 1800, 7200, 18000, 36000, 36000]
    assert all(0.9 * e <= w <= 1.1 * e for w, e in zip(waits, expected, strict=False))
    stored = load_event(dispatch_engine, event.id)
    assert (stored.status, stored.attempts) == ("failed", 8)
    assert [a.attempt for a in attempts_for(dispatch_engine, event.id)] == list(range(1, 9))
    # No success from the endpoint during the whole schedule: it is disabled, with a reason.
    endpoint = load_endpoint(dispatch_engine, centre)
    assert not endpoint.enabled and endpoint.consecutive_failures == 8
    assert endpoint.disabled_reason and event.webhook_id in endpoint.disabled_reason


def test_a_success_meanwhile_keeps_the_endpoint_enabled(
    dispatch_engine: Engine, clock: FakeClock
) -> None:
    centre = add_centre(dispatch_engine, url=URL)
    doomed = enqueue_committed(dispatch_engine, centre, n=1, now=clock())

    def answer(request: httpx.Request) -> httpx.Response:
        ok = request.headers["webhook-id"] != doomed.webhook_id
        return httpx.Response(200 if ok else 500)

    worker = dispatcher(dispatch_engine, answer, clock)
    for hour in range(8):
        if hour == 3:
            enqueue_committed(dispatch_engine, centre, n=2, now=clock())
        worker.run_once()
        clock.advance(11 * 3600)
    assert load_event(dispatch_engine, doomed.id).status == "failed"
    endpoint = load_endpoint(dispatch_engine, centre)
    assert endpoint.enabled and endpoint.disabled_reason is None


def test_hooks_run_in_the_delivery_transaction(dispatch_engine: Engine, clock: FakeClock) -> None:
    seen: list[tuple[str, str, uuid.UUID | None]] = []

    def hook(session: Session, delivered: Sequence[Delivered]) -> None:
        seen.extend((d.webhook_id, d.event_type, d.subject_id) for d in delivered)

    def broken(session: Session, delivered: Sequence[Delivered]) -> None:
        raise RuntimeError("a bug in the business layer")

    on_delivered(hook)
    on_delivered(broken)
    try:
        centre = add_centre(dispatch_engine, url=URL)
        event = enqueue_committed(dispatch_engine, centre, now=clock())
        dispatcher(dispatch_engine, Recorder(204), clock).run_once()
    finally:
        remove_delivered_hook(hook)
        remove_delivered_hook(broken)
    assert seen == [(event.webhook_id, "referral.created", event.subject_id)]
    assert load_event(dispatch_engine, event.id).status == "delivered"


def test_a_hook_failing_on_one_event_still_sees_the_others(
    dispatch_engine: Engine, clock: FakeClock
) -> None:
    centre = add_centre(dispatch_engine, url=URL)
    events = [enqueue_committed(dispatch_engine, centre, n=n, now=clock()) for n in range(4)]
    poison = events[1].webhook_id
    kept: list[str] = []

    def picky(session: Session, delivered: Sequence[Delivered]) -> None:
        ids = [d.webhook_id for d in delivered]
        session.execute(text("UPDATE inbox_endpoint SET consecutive_failures = 0"))  # a write
        if poison in ids:
            raise ValueError("cannot handle this one")
        kept.extend(ids)

    on_delivered(picky)
    try:
        dispatcher(dispatch_engine, Recorder(204), clock).run_once()
    finally:
        remove_delivered_hook(picky)
    # Called with the whole batch first (rolled back), then event by event.
    assert sorted(kept) == sorted(e.webhook_id for e in events if e.webhook_id != poison)
    assert all(load_event(dispatch_engine, e.id).status == "delivered" for e in events)


def test_production_refuses_plain_http(dispatch_engine: Engine, clock: FakeClock) -> None:
    centre = add_centre(dispatch_engine, url=URL)
    event = enqueue_committed(dispatch_engine, centre, now=clock())
    handler = Recorder(200)
    dispatcher(dispatch_engine, handler, clock, production=True).run_once()
    assert handler.requests == []
    assert (load_event(dispatch_engine, event.id).last_error or "").startswith("refused: ")


def test_a_lease_keeps_other_workers_off_until_it_expires(
    dispatch_engine: Engine, clock: FakeClock
) -> None:
    centre = add_centre(dispatch_engine, url=URL)
    event = enqueue_committed(dispatch_engine, centre, now=clock())
    first = dispatcher(dispatch_engine, Recorder(200), clock, lease_seconds=60)
    jobs = first._claim(10)  # claimed, then the worker dies before answering
    assert [j.webhook_id for j in jobs] == [event.webhook_id]
    second = dispatcher(dispatch_engine, Recorder(200), clock)
    assert second.run_once() == 0
    clock.advance(61)
    assert second.run_once() == 1
    assert load_event(dispatch_engine, event.id).status == "delivered"
