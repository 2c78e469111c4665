"""How the worker connects: a transport per attempt, never lent across origins, and a proxy
from the environment honoured."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy.engine import Engine

from app.dispatcher import Dispatcher
from app.dispatcher.delivery import ConnectionPool, make_transport
from tests.helpers.dispatch import Receiver, add_centre, enqueue_committed, load_event


def test_a_connection_is_never_lent_to_another_origin() -> None:
    made: list[object] = []

    def factory() -> httpx.AsyncBaseTransport:
        made.append(httpx.MockTransport(lambda r: httpx.Response(204)))
        return made[-1]  # type: ignore[return-value]

    pool = ConnectionPool(factory, size=1)
    first, replaced, reused = pool.acquire("https://a.example.org")
    assert replaced is None and not reused
    pool.release("https://a.example.org", first)
    again, replaced, reused = pool.acquire("https://a.example.org")
    assert again is first and replaced is None and reused  # same origin: reused
    pool.release("https://a.example.org", again)
    other, replaced, reused = pool.acquire("https://b.example.org")
    # Full, and the idle one is connected elsewhere: a new one, the old one to close.
    assert other is not first and replaced is first and len(made) == 2 and not reused
    asyncio.run(pool.aclose())


def test_proxy_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "https_proxy", "http_proxy",
                 "all_proxy"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    assert isinstance(make_transport(), httpx.AsyncHTTPTransport)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example.org:3128")
    client = make_transport(timeout=3)
    assert isinstance(client, httpx.AsyncClient)
    assert not client.follow_redirects and client.timeout == httpx.Timeout(3)
    asyncio.run(client.aclose())


def test_delivery_through_the_proxy_aware_client(
    dispatch_engine: Engine, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A proxy is configured but the receiver is excluded (NO_PROXY): the client path delivers
    # to a real server, signed, once.
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    centre = add_centre(dispatch_engine, url=receiver.url)
    event = enqueue_committed(dispatch_engine, centre)
    assert Dispatcher(dispatch_engine, timeout_seconds=5).run_once() == 1
    assert receiver.ids() == [event.webhook_id] and receiver.rejected == 0
    assert load_event(dispatch_engine, event.id).status == "delivered"
