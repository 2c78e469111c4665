"""Intake in `services.consultations`, called directly: the best open centre gets the request,
a chosen centre must be eligible, no eligible centre leaves it for staff, the honeypot stores
nothing, and an `Idempotency-Key` replays its first answer."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.db import session_scope
from app.errors import InvalidInput
from app.models import Consultation, Referral
from app.models.states import ConsultationStatus
from app.schemas.intake import ConsultationIn
from app.services import consultations
from app.services.directory_index import DirectoryIndex
from app.settings import Settings
from tests.helpers.intake import request_body, seed_centres, submit_request


@pytest.fixture
def centre_ids(engine: Engine) -> dict[str, uuid.UUID]:
    return seed_centres(engine)


def receive(
    engine: Engine, settings: Settings, body: dict, key: str | None = None
) -> tuple[int, dict]:
    directory = DirectoryIndex(engine, 3600).get()
    scoped = ("public", key) if key else None
    with session_scope(engine) as session:
        return consultations.receive(
            session,
            settings,
            directory,
            None,
            ConsultationIn.model_validate(body),
            None,
            idempotency_key=scoped,
        )


def stored(engine: Engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(Consultation)) or 0


def test_the_request_goes_to_an_open_centre(
    engine: Engine, settings: Settings, centre_ids: dict[str, uuid.UUID]
) -> None:
    made = submit_request(engine, settings)
    with Session(engine) as session:
        consultation = session.get(Consultation, made.consultation_id)
        referral = session.get(Referral, made.referral_id)
        assert consultation is not None and referral is not None
        assert consultation.status == ConsultationStatus.ROUTED
        assert referral.centre_id != centre_ids["tr-paused"] and referral.attempt == 1
        assert [e["centre_id"] for e in consultation.ranking][0] == str(referral.centre_id)


def test_a_chosen_centre_goes_first_if_it_is_eligible(
    engine: Engine, settings: Settings, centre_ids: dict[str, uuid.UUID]
) -> None:
    made = submit_request(engine, settings, centre_id=str(centre_ids["tr-c"]))
    with Session(engine) as session:
        referral = session.get(Referral, made.referral_id)
        assert referral is not None and referral.centre_id == centre_ids["tr-c"]
    refusals = [
        (centre_ids["tr-paused"], "centre_not_eligible"),
        (uuid.uuid4(), "centre_not_active"),
    ]
    for centre_id, code in refusals:
        with pytest.raises(InvalidInput) as refused:
            submit_request(engine, settings, centre_id=str(centre_id))
        assert refused.value.code == code
        assert (refused.value.errors or [])[0]["loc"] == ["body", "centre_id"]
    assert stored(engine) == 1


def test_no_eligible_centre_leaves_the_request_for_staff(
    engine: Engine, settings: Settings, centre_ids: dict[str, uuid.UUID]
) -> None:
    far = {"location": {"municipality": "Gaspé"}, "modes": ["in_person"]}
    made = submit_request(engine, settings, criteria=far)
    assert made.referral_id is None
    with Session(engine) as session:
        consultation = session.get(Consultation, made.consultation_id)
        assert consultation is not None and consultation.status == ConsultationStatus.UNROUTED


def test_the_honeypot_answers_like_a_request_and_stores_nothing(
    engine: Engine, settings: Settings, centre_ids: dict[str, uuid.UUID]
) -> None:
    status, answer = receive(engine, settings, request_body(website="https://spam.example.org"))
    assert status == 201 and answer["status"] == "unrouted" and answer["referral"] is None
    assert stored(engine) == 0


def test_an_idempotency_key_replays_its_first_answer(
    engine: Engine, settings: Settings, centre_ids: dict[str, uuid.UUID]
) -> None:
    first = receive(engine, settings, request_body(), key="svc-key-1")
    again = receive(engine, settings, request_body(), key="svc-key-1")
    assert first == again and first[0] == 201
    with pytest.raises(InvalidInput):
        receive(engine, settings, request_body(message="Autre chose."), key="svc-key-1")
    other = receive(engine, settings, request_body(), key="svc-key-2")
    assert other[1]["id"] != first[1]["id"]
    assert stored(engine) == 2
