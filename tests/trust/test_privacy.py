"""Law 25: encryption at rest with key rotation, audit of reads, export, erasure, purge."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select, text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.crypto import decrypt_json
from app.db import session_scope, utcnow
from app.models import AuditEntry, Consultation, OutboxEvent, Referral
from app.services import privacy
from app.settings import Settings
from tests.helpers.db import make_key
from tests.helpers.factories import centre_record

PERSON = {"first_name": "Léa", "last_name": "Fictive", "email": "Lea@Example.org",
          "phone": "+1 819 555 0123", "preferred_contact": "email"}  # fmt: skip


def body(**person: Any) -> dict[str, Any]:
    return {
        "person": {**PERSON, **person},
        "criteria": {"location": {"municipality": "Trois-Rivières"}, "age": 29,
                     "need_text": "mon voisin Jean m'a parlé de vous"},
        "message": "Appelez-moi le matin.",
        "consent": {"notice_version": "2026-01", "purposes": ["referral"], "accepted": True},
    }  # fmt: skip


def seed(client: TestClient, headers: dict[str, str]) -> None:
    doc = {"centres": [centre_record("tr-1"), centre_record("tr-2")]}
    assert client.post("/v1/admin/centres/import", json=doc, headers=headers).status_code == 200


def test_export_then_erase(
    client: TestClient, admin_headers: dict[str, str], engine: Engine
) -> None:
    seed(client, admin_headers)
    first = client.post("/v1/consultations", json=body()).json()
    client.post("/v1/consultations", json=body(email="other@example.org", phone=None))
    centre = make_key(engine, "centre", first["referral"]["centre"]["ref"])
    assert client.get("/v1/inbox/referrals", headers=centre).json()["total"] == 1

    exported = client.post("/v1/admin/privacy/export", json={"email": "lea@example.org"},
                           headers=admin_headers)  # fmt: skip
    assert exported.status_code == 200
    items = exported.json()["consultations"]
    assert [c["id"] for c in items] == [first["id"]]
    assert items[0]["person"]["last_name"] == "Fictive"
    assert items[0]["consent"]["notice_version"] == "2026-01"
    assert any(r["actor"].startswith("centre:") for r in items[0]["reads"])
    assert items[0]["ranking"][0]["reasons"]

    by_phone = client.post("/v1/admin/privacy/export", json={"phone": "819-555-0123"},
                           headers=admin_headers).json()  # fmt: skip
    assert len(by_phone["consultations"]) == 1

    unconfirmed = client.post("/v1/admin/privacy/erase", json={"email": "lea@example.org"},
                              headers=admin_headers)  # fmt: skip
    assert unconfirmed.status_code == 422
    confirmed = {"email": "lea@example.org", "confirm": True}
    erased = client.post("/v1/admin/privacy/erase", json=confirmed, headers=admin_headers)
    assert erased.json() == {"erased": 1}
    with Session(engine) as s:
        row = s.get(Consultation, uuid.UUID(first["id"]))
        assert row is not None and row.person_enc is None and row.message_enc is None
        assert (
            row.criteria["location"] == {"region_code": "04"}
            and row.criteria["age_band"] == "25-34"
        )
        assert "need_text" not in row.criteria
        refs = s.scalars(select(Referral).where(Referral.consultation_id == row.id)).all()
        assert [r.state for r in refs] == ["cancelled"]
        events = s.scalars(select(OutboxEvent).where(OutboxEvent.subject_id == refs[0].id)).all()
        assert events and not any("Fictive" in str(e.payload) for e in events)
    again = client.post("/v1/admin/privacy/export", json={"email": "lea@example.org"},
                        headers=admin_headers).json()  # fmt: skip
    assert again["consultations"] == []


def test_purge_anonymises_only_old_requests(
    client: TestClient, admin_headers: dict[str, str], engine: Engine, settings: Settings
) -> None:
    seed(client, admin_headers)
    old = client.post("/v1/consultations", json=body()).json()["id"]
    new = client.post("/v1/consultations", json=body()).json()["id"]
    with engine.begin() as conn:
        conn.execute(text("UPDATE consultation SET created_at = :t WHERE id = :i"),
                     {"t": utcnow() - timedelta(days=400), "i": old.replace("-", "")})  # fmt: skip
    with session_scope(engine) as session:
        assert privacy.purge(session, settings) == 1
    with Session(engine) as s:
        rows = {str(c.id): c for c in s.scalars(select(Consultation)).all()}
        assert rows[old].person_enc is None and rows[old].anonymized_at is not None
        assert rows[old].region_code == "04" and rows[old].policy_version
        assert rows[new].person_enc is not None
        assert s.scalars(select(AuditEntry).where(AuditEntry.action == "anonymise")).one()


def test_key_rotation(client: TestClient, admin_headers: dict[str, str], engine: Engine,
                      settings: Settings) -> None:  # fmt: skip
    seed(client, admin_headers)
    client.post("/v1/consultations", json=body())
    newest_first = "new-secret," + settings.secret_key.get_secret_value()
    rotated = settings.model_copy(update={"secret_key": SecretStr(newest_first)})
    with session_scope(engine) as session:
        assert privacy.rotate_keys(session, rotated) == 1
    only_new = settings.model_copy(update={"secret_key": SecretStr("new-secret")})
    with Session(engine) as s:
        row = s.scalars(select(Consultation)).one()
        assert decrypt_json(only_new.secret_key, row.person_enc or "")["first_name"] == "Léa"
    with session_scope(engine) as session:
        assert len(privacy.find(session, only_new, "lea@example.org", None)) == 1
