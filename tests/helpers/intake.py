"""Intake data: a small directory around Trois-Rivières and a consultation request, and the
services that store them (for tests that call the services directly)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.db import session_scope
from app.models import Centre
from app.schemas.intake import ConsultationIn
from app.services import consultations, importer
from app.services.directory_index import DirectoryIndex
from app.settings import Settings
from tests.helpers.factories import centre_record

TR = {"municipality": "Trois-Rivières", "lat": 46.343, "lon": -72.543}
TR_POINT = {"lat": 46.343, "lon": -72.543}


def three_centres() -> dict[str, Any]:
    """Three open generalists serving Mauricie, and a paused one."""
    return {
        "centres": [
            centre_record("tr-a", locations=[{**TR}], weekly_capacity=30),
            centre_record(
                "tr-b", locations=[{**TR, "lat": 46.36}], specialties=["self_employment"]
            ),
            centre_record("tr-c", locations=[{**TR, "lat": 46.40}], client_groups=["general"]),
            centre_record("tr-paused", locations=[{**TR}], intake_status="paused"),
        ]
    }


def request_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "person": {"first_name": "Marie", "last_name": "Exemple", "email": "marie@example.org",
                   "phone": "+1 819 555 0199", "preferred_contact": "email", "language": "fr"},
        "criteria": {"location": {"municipality": "Trois-Rivières"}, "needs": ["job_search"],
                     "language": "fr"},
        "message": "Je cherche un emploi.",
        "consent": {"notice_version": "2026-01", "purposes": ["referral"], "accepted": True},
    }  # fmt: skip
    body.update(overrides)
    return body


def seed_centres(engine: Engine, directory: dict[str, Any] | None = None) -> dict[str, uuid.UUID]:
    """Import `directory` (by default `three_centres()`) through the import service; return
    each centre's id by ref."""
    records = (directory or three_centres())["centres"]
    with session_scope(engine) as session:
        importer.import_records(session, records)
    with Session(engine) as session:
        return {c.ref: c.id for c in session.scalars(select(Centre)).all()}


def submit_request(engine: Engine, settings: Settings, **overrides: Any) -> Submitted:
    """Submit `request_body(**overrides)` through the intake service, as the API route does
    (the directory as the database has it now, no load, no key), and commit."""
    directory = DirectoryIndex(engine, 3600).get()
    body = ConsultationIn.model_validate(request_body(**overrides))
    with session_scope(engine) as session:
        consultation, opened = consultations.submit(session, settings, directory, None, body, None)
    return Submitted(consultation.id, opened.id if opened else None)


@dataclass(frozen=True)
class Submitted:
    consultation_id: uuid.UUID
    referral_id: uuid.UUID | None
