"""The queue, a request with its reasons, routing by hand with a confirmation, and referrals by
state and age, through the console's pages."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.models import AuditEntry, Consultation
from tests.helpers.console import unrouted
from tests.helpers.pages import csrf_of


def test_queue_detail_and_route_with_confirmation(
    staff: TestClient, console_engine: Engine
) -> None:
    cid = unrouted(staff, console_engine)
    queue = staff.get("/admin/file")
    assert queue.status_code == 200 and f"/admin/demandes/{cid}" in queue.text
    page = staff.get(f"/admin/demandes/{cid}")
    assert page.status_code == 200 and "Marie" in page.text and "pourquoi" in page.text
    # No centre chosen: the form again, with its error first.
    missing = staff.post(
        f"/admin/demandes/{cid}/acheminer", data={"csrf_token": csrf_of(page.text)}
    )
    assert missing.status_code == 422 and missing.text.count("Choisissez le centre") >= 1
    option = page.text.split('<option value="')[2].split('"')[0]
    confirm = staff.post(f"/admin/demandes/{cid}/acheminer",
                         data={"centre_id": option, "csrf_token": csrf_of(page.text)})  # fmt: skip
    assert confirm.status_code == 200 and "Confirmer" in confirm.text
    with Session(console_engine) as s:  # nothing sent before the confirmation
        assert s.get(Consultation, uuid.UUID(cid)).status == "unrouted"  # type: ignore[union-attr]
    done = staff.post(f"/admin/demandes/{cid}/acheminer", data={
        "centre_id": option, "confirm": "yes", "csrf_token": csrf_of(confirm.text)})  # fmt: skip
    assert done.status_code == 200 and "a été acheminée" in done.text
    with Session(console_engine) as s:
        assert s.get(Consultation, uuid.UUID(cid)).status == "routed"  # type: ignore[union-attr]
        entries = s.scalars(select(AuditEntry).where(AuditEntry.subject_id == uuid.UUID(cid))).all()
    actors = {(e.action, e.actor.split(":")[0]) for e in entries}
    assert ("read_person", "staff") in actors and ("send_person", "staff") in actors


def test_bad_ids_and_a_missing_csrf(staff: TestClient) -> None:
    assert staff.get("/admin/demandes/not-a-uuid").status_code == 404
    assert staff.get(f"/admin/demandes/{uuid.uuid4()}").status_code == 404
    page = staff.get("/admin")
    no_csrf = staff.post(f"/admin/demandes/{uuid.uuid4()}/acheminer", data={"centre_id": "x"})
    assert no_csrf.status_code == 403
    bad = staff.post(f"/admin/demandes/{uuid.uuid4()}/acheminer",
                     data={"centre_id": str(uuid.uuid4()), "confirm": "yes",
                           "csrf_token": csrf_of(page.text)})  # fmt: skip
    assert bad.status_code == 404
    assert staff.get("/admin/file?page=abc").status_code == 200
    assert staff.get("/admin/acheminements?etat=nope").status_code == 422


def test_referrals_by_state_and_age(staff: TestClient, console_engine: Engine) -> None:
    unrouted(staff, console_engine)
    page = staff.get("/admin/acheminements?etat=expired")
    assert page.status_code == 200 and "Moins de 24 h" in page.text
    assert "/admin/demandes/" in page.text
    english = staff.get("/en/admin/referrals?etat=expired")
    assert english.status_code == 200 and "Under 24 h" in english.text
