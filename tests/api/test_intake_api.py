"""Matching and intake through the API: ranking, consent, idempotency, the referral
lifecycle in the centre inbox, and the staff queue."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.db import utcnow
from app.main import create_app
from app.models import Consultation, OutboxEvent, Referral
from app.services.sweeper import sweep
from app.settings import Settings
from tests.helpers.db import both_backends, make_key
from tests.helpers.intake import TR_POINT, request_body, three_centres

PROBLEM = "application/problem+json"


@pytest.fixture
def seeded(client: TestClient, admin_headers: dict[str, str]) -> TestClient:
    answer = client.post("/v1/admin/centres/import", json=three_centres(), headers=admin_headers)
    assert answer.status_code == 200, answer.text
    return client


def test_match_ranks_with_reasons(seeded: TestClient) -> None:
    answer = seeded.post("/v1/matches", json={"location": {"municipality": "trois rivieres"},
                                              "needs": ["self_employment"]})  # fmt: skip
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["location"]["region_code"] == "04" and body["policy_version"]
    refs = [r["centre"]["ref"] for r in body["results"]]
    assert refs[0] == "tr-b" and "tr-paused" not in refs
    assert all(
        r["reasons"] and {"code", "fr", "en"} <= set(r["reasons"][0]) for r in body["results"]
    )


def test_match_shows_the_needs_read_from_the_text(seeded: TestClient) -> None:
    where = {"municipality": "Trois-Rivières"}
    answer = seeded.post(
        "/v1/matches", json={"location": where, "need_text": "Je veux lancer mon entreprise"}
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["policy_version"] == "2026.3"
    assert body["needs_detected"] == [
        {"code": "self_employment", "fr": "Démarrage d'entreprise", "en": "Self-employment",
         "strength": 1.0, "words": ["lancer mon entreprise"]}
    ]  # fmt: skip
    assert body["results"][0]["centre"]["ref"] == "tr-b"
    nothing = seeded.post("/v1/matches", json={"location": where})
    assert nothing.json()["needs_detected"] == []
    schema = seeded.get("/openapi.json").json()["components"]["schemas"]["MatchResponse"]
    assert "needs_detected" in schema["required"]


def test_match_bad_inputs(seeded: TestClient) -> None:
    where = {"municipality": "Trois-Rivières"}
    for bad in (
        {"location": where, "needs": ["foo"]},
        {"location": where, "age": 14},
        {"location": where, "age": 101},
        {"location": where, "limit": 51},
        {"location": {}},
        {"location": {"postal_code": "G8T 2A1", "municipality": "x"}},
        {"location": where, "extra": 1},
    ):
        answer = seeded.post("/v1/matches", json=bad)
        assert answer.status_code == 422, bad
        assert answer.headers["content-type"] == PROBLEM
    lost = seeded.post("/v1/matches", json={"location": {"municipality": "Qwxzyq"}})
    assert lost.status_code == 422
    toronto = seeded.post("/v1/matches", json={"location": {"postal_code": "M5V 2T6"}})
    assert toronto.status_code == 422 and "Québec" in toronto.json()["detail"]


def test_match_without_criteria_ranks_by_location(seeded: TestClient) -> None:
    answer = seeded.post("/v1/matches", json={"location": {"lat": 46.343, "lon": -72.543}})
    assert answer.status_code == 200
    assert [r["centre"]["ref"] for r in answer.json()["results"]][0] == "tr-a"


@both_backends
def test_submit_routes_to_best_centre(seeded: TestClient, engine: Engine) -> None:
    answer = seeded.post("/v1/consultations", json=request_body())
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["status"] == "routed" and body["referral"]["state"] == "pending"
    assert body["referral"]["reasons"]
    with Session(engine) as s:
        event = s.scalars(select(OutboxEvent)).one()
        assert event.status == "pull" and str(event.subject_id) == body["referral"]["id"]
        raw = s.execute(text("SELECT person_enc, message_enc FROM consultation")).one()
    assert "marie@example.org" not in str(raw) and "emploi" not in str(raw)


@both_backends
def test_a_write_that_fails_midway_leaves_nothing(settings: Settings, engine: Engine) -> None:
    """The centre vanishes from the database while the in-memory directory still offers it:
    the referral INSERT fails (on PostgreSQL, at the end of the pipelined batch) and the
    consultation, contacts and webhook written before it in the same request are rolled back."""
    app = create_app(settings.model_copy(update={"directory_refresh_seconds": 3600}),
                     embedded_dispatcher=False)  # fmt: skip
    with TestClient(app, raise_server_exceptions=False) as client:
        admin = make_key(engine, "admin")
        assert client.post("/v1/admin/centres/import", json=three_centres(),
                           headers=admin).status_code == 200  # fmt: skip
        assert client.post("/v1/matches", json={"location": TR_POINT}).status_code == 200
        with engine.begin() as conn:  # behind the directory's back: no version bump
            conn.execute(text("DELETE FROM centre WHERE ref = 'tr-a'"))
        answer = client.post(
            "/v1/consultations", json=request_body(), headers={"Idempotency-Key": "k-midway"}
        )
        assert answer.status_code == 500
        assert answer.headers["content-type"] == PROBLEM
    with Session(engine) as s:
        # The key is released too, so the client may retry.
        for table in ("consultation", "contact_digest", "referral", "referral_event",
                      "outbox_event", "idempotency_record"):  # fmt: skip
            assert s.scalar(text(f"SELECT count(*) FROM {table}")) == 0, table  # noqa: S608


def test_consent_is_required(seeded: TestClient, engine: Engine) -> None:
    refused = request_body(consent={"notice_version": "2026-01", "purposes": ["referral"],
                                    "accepted": False})  # fmt: skip
    assert seeded.post("/v1/consultations", json=refused).status_code == 422
    missing = request_body()
    del missing["consent"]
    assert seeded.post("/v1/consultations", json=missing).status_code == 422
    unreachable = request_body(person={"first_name": "A", "last_name": "B"})
    assert seeded.post("/v1/consultations", json=unreachable).status_code == 422
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Consultation)) == 0


def test_no_eligible_centre_is_stored_unrouted(seeded: TestClient) -> None:
    body = request_body(criteria={"location": {"municipality": "Gaspé"}, "modes": ["in_person"]})
    answer = seeded.post("/v1/consultations", json=body)
    assert answer.status_code == 201
    assert answer.json()["status"] == "unrouted" and answer.json()["referral"] is None


def test_chosen_centre_must_be_eligible(seeded: TestClient) -> None:
    centres = {c["ref"]: c["id"] for c in seeded.get("/v1/centres?region=04").json()["items"]}
    chosen = seeded.post("/v1/consultations", json=request_body(centre_id=centres["tr-c"]))
    assert chosen.status_code == 201 and chosen.json()["referral"]["centre"]["ref"] == "tr-c"
    paused = seeded.post("/v1/consultations", json=request_body(centre_id=centres["tr-paused"]))
    assert paused.status_code == 422
    assert paused.json()["errors"][0]["loc"] == ["body", "centre_id"]


def test_idempotency_key(seeded: TestClient, engine: Engine) -> None:
    headers = {"Idempotency-Key": "abc-123"}
    first = seeded.post("/v1/consultations", json=request_body(), headers=headers)
    again = seeded.post("/v1/consultations", json=request_body(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    other = seeded.post("/v1/consultations", json=request_body(message="autre"), headers=headers)
    assert other.status_code == 422
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Consultation)) == 1


def test_honeypot_accepts_and_stores_nothing(seeded: TestClient, engine: Engine) -> None:
    answer = seeded.post("/v1/consultations", json=request_body(website="http://spam.example"))
    assert answer.status_code == 201
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Consultation)) == 0


def centre_headers(engine: Engine, ref: str) -> dict[str, str]:
    return make_key(engine, "centre", ref)


@both_backends
def test_inbox_accept_and_isolation(seeded: TestClient, engine: Engine) -> None:
    referral = seeded.post("/v1/consultations", json=request_body()).json()["referral"]
    owner = centre_headers(engine, referral["centre"]["ref"])
    other = centre_headers(engine, "tr-c" if referral["centre"]["ref"] != "tr-c" else "tr-b")
    listed = seeded.get("/v1/inbox/referrals", headers=owner).json()
    assert listed["total"] == 1 and listed["items"][0]["person"]["email"] == "marie@example.org"
    assert listed["items"][0]["state"] == "delivered"
    assert seeded.get("/v1/inbox/referrals", headers=other).json()["total"] == 0
    url = f"/v1/inbox/referrals/{referral['id']}/accept"
    assert seeded.post(url, headers=other).status_code == 404
    assert seeded.post(url, headers=owner).json()["state"] == "accepted"
    assert seeded.post(f"/v1/inbox/referrals/{referral['id']}/decline", headers=owner,
                       json={"reason": "no_capacity"}).status_code == 409  # fmt: skip


def test_declines_move_on_then_unrouted(
    seeded: TestClient, engine: Engine, admin_headers: dict[str, str]
) -> None:
    consultation = seeded.post("/v1/consultations", json=request_body()).json()
    seen = []
    for _ in range(3):
        with Session(engine) as s:
            current = s.scalars(
                select(Referral).where(Referral.state == "pending").order_by(Referral.attempt)
            ).all()
        assert len(current) == 1
        ref = next(c["ref"] for c in seeded.get("/v1/centres").json()["items"]
                   if c["id"] == str(current[0].centre_id))  # fmt: skip
        seen.append(ref)
        headers = centre_headers(engine, ref)
        bad = seeded.post(f"/v1/inbox/referrals/{current[0].id}/decline", headers=headers,
                          json={"reason": "because"})  # fmt: skip
        assert bad.status_code == 422
        ok = seeded.post(f"/v1/inbox/referrals/{current[0].id}/decline", headers=headers,
                         json={"reason": "no_capacity", "note": "complet"})  # fmt: skip
        assert ok.status_code == 200, ok.text
    assert len(set(seen)) == 3 and "tr-paused" not in seen
    queue = seeded.get("/v1/admin/consultations?status=unrouted", headers=admin_headers).json()
    assert [c["id"] for c in queue["items"]] == [consultation["id"]]
    detail = seeded.get(f"/v1/admin/consultations/{consultation['id']}", headers=admin_headers)
    history = [h["to"] for h in detail.json()["referrals"][0]["history"]]
    assert history == ["pending", "declined"] and detail.json()["person"]["first_name"] == "Marie"
    centre_id = seeded.get("/v1/centres?q=tr-a").json()["items"][0]["id"]
    routed = seeded.post(f"/v1/admin/consultations/{consultation['id']}/route",
                         json={"centre_id": centre_id}, headers=admin_headers)  # fmt: skip
    assert routed.status_code == 201 and routed.json()["attempt"] == 4


def test_unanswered_referral_expires_and_moves_on(seeded: TestClient, engine: Engine) -> None:
    first = seeded.post("/v1/consultations", json=request_body()).json()["referral"]
    with Session(engine) as s:
        row = s.get(Referral, uuid.UUID(first["id"]))
        assert row is not None
        row.expires_at = utcnow() - timedelta(minutes=1)
        s.add(row)
        s.commit()
    assert sweep(engine, Settings(database_url=str(engine.url))) == 1
    with Session(engine) as s:
        states = [r.state for r in s.scalars(select(Referral).order_by(Referral.attempt)).all()]
    assert states == ["expired", "pending"]


def test_centre_pauses_intake(seeded: TestClient, engine: Engine) -> None:
    headers = centre_headers(engine, "tr-a")
    answer = seeded.patch("/v1/inbox/centre", json={"intake_status": "paused"}, headers=headers)
    assert answer.status_code == 200 and answer.json()["intake_status"] == "paused"
    matched = seeded.post("/v1/matches", json={"location": {"municipality": "Trois-Rivières"}})
    refs = [r["centre"]["ref"] for r in matched.json()["results"]]
    assert "tr-a" not in refs
    assert (
        seeded.patch("/v1/inbox/centre", json={"active": True}, headers=headers).status_code == 422
    )


def test_partner_sees_only_its_consultations(seeded: TestClient, engine: Engine) -> None:
    partner_a, partner_b = make_key(engine, "partner"), make_key(engine, "partner")
    made = seeded.post("/v1/consultations", json=request_body(), headers=partner_a).json()
    assert seeded.get(f"/v1/consultations/{made['id']}", headers=partner_a).status_code == 200
    assert seeded.get(f"/v1/consultations/{made['id']}", headers=partner_b).status_code == 404
    assert seeded.get(f"/v1/consultations/{made['id']}").status_code == 401
    bad_key = {"Authorization": "Bearer ttx_nope"}
    assert seeded.post("/v1/consultations", json=request_body(), headers=bad_key).status_code == 401
