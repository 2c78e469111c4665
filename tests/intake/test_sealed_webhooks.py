"""Webhook bodies carry personal data: stored encrypted in the outbox, opened only to send."""

from __future__ import annotations

import json

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.engine import Engine
from sqlmodel import Session
from standardwebhooks import Webhook

from app.dispatcher import Dispatcher
from app.models import DeliveryAttempt, Referral, ReferralEvent
from app.settings import Settings
from tests.helpers.db import both_backends
from tests.helpers.factories import DEMO_SECRET, centre_record

REQUEST = {
    "person": {"first_name": "Inès", "last_name": "Exemple", "email": "ines@example.org"},
    "criteria": {"location": {"municipality": "Trois-Rivières"}},
    "message": "Disponible le mardi.",
    "consent": {"notice_version": "2026-01", "purposes": ["referral"], "accepted": True},
}


def seed_and_submit(client: TestClient, headers: dict[str, str]) -> None:
    inbox = {"url": "http://127.0.0.1:9/inbox", "secret": DEMO_SECRET}
    doc = {"centres": [centre_record("sealed-1", inbox=inbox)]}
    assert client.post("/v1/admin/centres/import", json=doc, headers=headers).status_code == 200
    assert client.post("/v1/consultations", json=REQUEST).status_code == 201


@both_backends
def test_outbox_holds_no_plaintext_and_the_worker_opens_it(
    client: TestClient, admin_headers: dict[str, str], engine: Engine, settings: Settings
) -> None:
    seed_and_submit(client, admin_headers)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT CAST(payload AS TEXT) FROM outbox_event")).scalar_one()
    assert "sealed" in stored and "ines@example.org" not in stored and "Exemple" not in stored

    received: list[httpx.Request] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(204)

    transport = httpx.MockTransport(receiver)
    assert Dispatcher.from_settings(settings, engine, transport=transport).run_once() == 1
    (request,) = received
    payload = Webhook(DEMO_SECRET).verify(request.content, dict(request.headers))
    assert payload["type"] == "referral.created"
    assert payload["data"]["person"]["email"] == "ines@example.org"
    assert json.loads(request.content)["data"]["message"] == "Disponible le mardi."
    with Session(engine) as s:
        referral = s.scalars(select(Referral)).one()
        history = s.scalars(
            select(ReferralEvent).where(ReferralEvent.referral_id == referral.id)  # type: ignore[arg-type]
        ).all()
    assert referral.state == "delivered" and referral.delivered_at is not None
    assert referral.version == 2  # a concurrent change made from version 1 is a conflict
    assert sorted((e.to_state, e.from_state, e.actor) for e in history) == [
        ("delivered", "pending", "dispatcher"), ("pending", None, "public")
    ]  # fmt: skip


def test_a_worker_without_the_key_sends_nothing(
    client: TestClient, admin_headers: dict[str, str], engine: Engine
) -> None:
    seed_and_submit(client, admin_headers)
    received: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda r: received.append(r) or httpx.Response(204))
    assert Dispatcher(engine, transport=transport).run_once() == 1
    assert received == []
    with Session(engine) as s:
        attempt = s.scalars(select(DeliveryAttempt)).one()
    assert attempt.outcome == "failure" and "sealed" in (attempt.error or "")
