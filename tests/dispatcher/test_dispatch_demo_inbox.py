"""The demo inbox, fed by the embedded dispatcher: what a newcomer sees in the README walk."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy.engine import Engine

from app.dispatcher import generate_secret, start_embedded
from app.dispatcher.demo_inbox import DemoInbox, format_event, make_demo_inbox
from app.dispatcher.signing import signed_headers
from app.settings import Settings
from tests.helpers.dispatch import add_centre, enqueue_committed, statuses
from tests.helpers.waiting import wait_until


@pytest.fixture
def inbox() -> Iterator[DemoInbox]:
    server = make_demo_inbox("127.0.0.1", 0, out=io.StringIO())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def printed(inbox: DemoInbox) -> str:
    assert isinstance(inbox.out, io.StringIO)
    return inbox.out.getvalue()


@pytest.mark.slow
def test_embedded_dispatcher_delivers_to_the_demo_inbox(
    inbox: DemoInbox, dispatch_engine: Engine, sqlite_url: str
) -> None:
    centre = add_centre(dispatch_engine, url=inbox.url, secret=inbox.secret, ref="cce-demo-1")
    handle = start_embedded(Settings(database_url=sqlite_url), dispatch_engine, poll_interval=0.05)
    try:
        event = enqueue_committed(dispatch_engine, centre)
        assert wait_until(lambda: statuses(dispatch_engine) == {"delivered": 1}, timeout=10)
    finally:
        handle.stop()
    assert not handle.running
    text = printed(inbox)
    assert f"referral.created · {event.webhook_id}" in text
    assert "Camille Exemple0 · camille0@example.org · +1 819 555 0199" in text
    assert "Je cherche un emploi en soudure." in text


def test_the_demo_inbox_refuses_bad_signatures_and_spots_duplicates(inbox: DemoInbox) -> None:
    body = b'{"type":"referral.created","timestamp":"2026-11-27T20:15:00Z","data":{}}'
    good = signed_headers(inbox.secret, "msg_demo", body)
    bad = signed_headers(generate_secret(), "msg_demo", body)
    with httpx.Client() as client:
        assert client.post(inbox.url, content=body, headers=bad).status_code == 401
        assert client.post(inbox.url, content=body, headers=good).status_code == 204
        assert client.post(inbox.url, content=body, headers=good).status_code == 204
        assert client.get(inbox.url).status_code == 200
    text = printed(inbox)
    assert "signature does not verify" in text
    assert text.count("── referral.created · msg_demo") == 1
    assert "already received" in text


def test_format_event_reads_reasons_as_codes_or_labels() -> None:
    text = format_event(
        "msg_x",
        {
            "type": "referral.created",
            "timestamp": "2026-11-27T20:15:00Z",
            "data": {
                "centre_ref": "cce-1",
                "criteria": {"needs": ["job_search"], "age": 34},
                "match": {"rank": 1, "score": 0.91, "reasons": [{"code": "a", "en": "Near"}, "b"]},
            },
        },
    )
    assert "rank 1 · score 0.91 · Near, b" in text
    assert "needs: job_search; age: 34" in text
