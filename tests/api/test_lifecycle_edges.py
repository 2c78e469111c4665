"""Edges of the referral lifecycle found in review: concurrent answers, staff cancellation,
what a centre sees after it is off a request, replays, partial updates and re-imports."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

from app.db import utcnow
from app.models import Consultation, OutboxEvent, Referral
from app.services import referrals
from app.services.sweeper import sweep
from app.settings import Settings
from tests.helpers.db import make_key
from tests.helpers.factories import DEMO_SECRET, centre_record

TR = {"municipality": "Trois-Rivières", "lat": 46.343, "lon": -72.543}
REQUEST = {
    "person": {"first_name": "Zoé", "last_name": "Exemple", "email": "zoe@example.org"},
    "criteria": {"location": {"municipality": "Trois-Rivières"}},
    "consent": {"notice_version": "2026-01", "purposes": ["referral"], "accepted": True},
}


@pytest.fixture
def submitted(client: TestClient, admin_headers: dict[str, str]) -> dict[str, Any]:
    doc = {"centres": [centre_record(f"edge-{i}", locations=[TR]) for i in range(3)]}
    assert (
        client.post("/v1/admin/centres/import", json=doc, headers=admin_headers).status_code == 200
    )
    answer = client.post("/v1/consultations", json=REQUEST)
    assert answer.status_code == 201
    body: dict[str, Any] = answer.json()
    return body


def test_two_writers_cannot_both_answer(submitted: dict[str, Any], engine: Engine) -> None:
    referral_id = uuid.UUID(submitted["referral"]["id"])
    with Session(engine) as centre_side, Session(engine) as sweep_side:
        mine = centre_side.get(Referral, referral_id)
        theirs = sweep_side.get(Referral, referral_id)
        assert mine is not None and theirs is not None
        referrals.transition(sweep_side, theirs, "expired", "system:expiry")
        sweep_side.commit()
        referrals.transition(centre_side, mine, "accepted", "centre")
        with pytest.raises(StaleDataError):
            centre_side.commit()
    with Session(engine) as s:
        assert s.get(Referral, referral_id).state == "expired"  # type: ignore[union-attr]


def test_staff_cancel_puts_the_request_back_in_the_queue(
    client: TestClient, submitted: dict[str, Any], admin_headers: dict[str, str]
) -> None:
    url = f"/v1/admin/referrals/{submitted['referral']['id']}/cancel"
    assert client.post(url, json={"note": "erreur"}, headers=admin_headers).status_code == 200
    queue = client.get("/v1/admin/consultations?status=unrouted", headers=admin_headers).json()
    assert [c["id"] for c in queue["items"]] == [submitted["id"]]


def test_a_centre_off_the_request_no_longer_sees_the_person(
    client: TestClient, submitted: dict[str, Any], engine: Engine
) -> None:
    headers = make_key(engine, "centre", submitted["referral"]["centre"]["ref"])
    url = f"/v1/inbox/referrals/{submitted['referral']['id']}/decline"
    assert client.post(url, json={"reason": "no_capacity"}, headers=headers).status_code == 200
    (item,) = client.get("/v1/inbox/referrals", headers=headers).json()["items"]
    assert item["state"] == "declined" and item["person"] is None and item["message"] is None


def test_replay_refused_once_the_referral_moved_on(
    client: TestClient, admin_headers: dict[str, str], engine: Engine
) -> None:
    inbox = {"url": "http://127.0.0.1:9/never", "secret": DEMO_SECRET}
    doc = {"centres": [centre_record("edge-hook", locations=[TR], inbox=inbox)]}
    client.post("/v1/admin/centres/import", json=doc, headers=admin_headers)
    client.post("/v1/consultations", json=REQUEST)
    with Session(engine) as s:
        event = s.scalars(select(OutboxEvent)).one()
        event.status = "failed"
        s.add(event)
        s.commit()
        event_id = event.id
    replay = f"/v1/admin/deliveries/{event_id}/replay"
    assert client.post(replay, headers=admin_headers).status_code == 200
    with Session(engine) as s:
        s.get(OutboxEvent, event_id).status = "failed"  # type: ignore[union-attr]
        referral = s.scalars(select(Referral)).one()
        referral.expires_at = utcnow() - timedelta(minutes=1)
        s.commit()
    assert sweep(engine, Settings(database_url=str(engine.url))) == 1
    assert client.post(replay, headers=admin_headers).status_code == 409


def test_null_for_a_required_field_is_422(
    client: TestClient, submitted: dict[str, Any], admin_headers: dict[str, str]
) -> None:
    centre_id = submitted["referral"]["centre"]["id"]
    for field in ("name", "languages", "weekly_capacity", "intake_status", "locations"):
        bad = client.patch(f"/v1/admin/centres/{centre_id}", json={field: None},
                           headers=admin_headers)  # fmt: skip
        assert bad.status_code == 422, field


def test_reimport_keeps_inboxes_and_deactivations(
    client: TestClient, admin_headers: dict[str, str], engine: Engine
) -> None:
    inbox = {"url": "http://127.0.0.1:9/x", "secret": DEMO_SECRET}
    first = {"centres": [centre_record("keep-1", inbox=inbox), centre_record("keep-2")]}
    client.post("/v1/admin/centres/import", json=first, headers=admin_headers)
    listed = client.get("/v1/admin/centres", headers=admin_headers).json()["items"]
    ids = {c["ref"]: c["id"] for c in listed}
    client.delete(f"/v1/admin/centres/{ids['keep-2']}", headers=admin_headers)
    again = {"centres": [centre_record("keep-1"), centre_record("keep-2")]}
    assert (
        client.post("/v1/admin/centres/import", json=again, headers=admin_headers).status_code
        == 200
    )
    after = {
        c["ref"]: c for c in client.get("/v1/admin/centres", headers=admin_headers).json()["items"]
    }
    assert after["keep-1"]["inbox"]["url"] == "http://127.0.0.1:9/x"
    assert after["keep-2"]["active"] is False


def test_centre_keys_do_not_submit_requests(
    client: TestClient, submitted: dict[str, Any], engine: Engine
) -> None:
    headers = make_key(engine, "centre", submitted["referral"]["centre"]["ref"])
    assert client.post("/v1/consultations", json=REQUEST, headers=headers).status_code == 403
    with Session(engine) as s:
        assert len(s.scalars(select(Consultation)).all()) == 1
