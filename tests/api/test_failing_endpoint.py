"""While a centre's webhook endpoint fails, the centre still gets its requests through the
inbox API, and the acceptance clock runs from the request, not from a delivery (issue 12)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.dispatcher import Dispatcher
from app.models import OutboxEvent
from tests.helpers.db import make_key
from tests.helpers.factories import DEMO_SECRET, centre_record


def test_a_failing_endpoint_never_hides_a_request_from_its_centre(client: TestClient) -> None:
    engine = client.app.state.engine  # type: ignore[attr-defined]
    admin = make_key(engine, "admin")
    dead = {"url": "http://127.0.0.1:9/inbox", "secret": DEMO_SECRET}  # nothing listens there
    made = client.post("/v1/admin/centres", json=centre_record(inbox=dead), headers=admin)
    assert made.status_code == 201, made.text
    before = datetime.now(UTC)
    sent = client.post("/v1/consultations", json={
        "person": {"first_name": "Noé", "last_name": "Exemple", "email": "noe@example.org"},
        "criteria": {"location": {"municipality": "Trois-Rivières"}},
        "centre_id": made.json()["id"],
        "consent": {"notice_version": "2026-01", "purposes": ["referral"], "accepted": True},
    })  # fmt: skip
    assert sent.status_code == 201, sent.text
    settings = client.app.state.settings  # type: ignore[attr-defined]
    Dispatcher.from_settings(settings, engine, rng=random.Random(0)).run_once()
    with Session(engine) as session:
        event = session.exec(select(OutboxEvent)).one()
    assert event.status == "pending" and event.attempts == 1
    assert (event.last_error or "").startswith("connection refused")
    centre = make_key(engine, "centre", "test-centre-1")
    listed = client.get("/v1/inbox/referrals", headers=centre)
    assert listed.status_code == 200
    (item,) = listed.json()["items"]
    assert item["person"]["email"] == "noe@example.org"
    expires = datetime.fromisoformat(item["expires_at"])
    assert before + timedelta(hours=47) < expires <= datetime.now(UTC) + timedelta(hours=48)
