"""A centre's e-mail notice through the outbox, and the page its link opens: no personal
information in the message, a page that changes nothing when opened, answers by POST with
the CSRF token and the API's state machine, and links that cannot be forged or reused."""

from __future__ import annotations

import socket
import uuid
from html import unescape

from pydantic import SecretStr
from sqlalchemy import select
from sqlmodel import Session

from app.models import AuditEntry, DeliveryAttempt, OutboxEvent, Referral
from tests.helpers.db import both_backends
from tests.helpers.factories import DEMO_SECRET
from tests.helpers.intake import request_body
from tests.helpers.mail import Service, centre_mail, link_path
from tests.helpers.pages import HTML, csrf_of


def submit(service: Service, centre_ref: str = "tr-a", **overrides: object) -> dict[str, object]:
    body = request_body(centre_id=service.centre_ids()[centre_ref], **overrides)
    answer = service.client.post("/v1/consultations", json=body)
    assert answer.status_code == 201, answer.text
    result: dict[str, object] = answer.json()
    return result


def referral_state(service: Service, consultation_id: object) -> list[tuple[str, str]]:
    with Session(service.engine) as s:
        rows = s.scalars(
            select(Referral).where(Referral.consultation_id == uuid.UUID(str(consultation_id)))
        ).all()
        return [(str(r.centre_id), r.state) for r in sorted(rows, key=lambda r: r.attempt)]


def test_a_notice_reaches_the_centre_and_marks_the_referral_delivered(
    mail_service: Service,
) -> None:
    consultation = submit(mail_service)
    assert mail_service.mailbox.messages == []  # queued with the request, sent by the worker
    mail_service.deliver()
    [notice] = centre_mail(mail_service)
    assert notice.recipients == ("equipe0@example.org",)
    assert notice.subject.startswith("Une nouvelle demande vous a été acheminée")
    assert f"Référence : {consultation['id']}" in notice.text
    assert f"Reference: {consultation['id']}" in notice.text  # and in English
    assert "heure du Québec" in notice.text
    assert notice.html and link_path(notice.html)
    assert referral_state(mail_service, consultation["id"])[0][1] == "delivered"
    with Session(mail_service.engine) as s:
        [event] = s.scalars(
            select(OutboxEvent).where(OutboxEvent.event_type == "mail.referral_notice")
        ).all()
        assert event.status == "delivered" and "sealed" in event.payload
        assert "equipe0" not in str(event.payload)  # the address is sealed at rest too


def test_the_link_opens_a_page_that_changes_nothing(mail_service: Service) -> None:
    consultation = submit(mail_service)
    mail_service.deliver()
    path = link_path(centre_mail(mail_service)[0].text)
    before = referral_state(mail_service, consultation["id"])
    for _ in range(3):  # a mail scanner, then the person, then a reload
        page = mail_service.client.get(path, headers=HTML)
        assert page.status_code == 200
    assert referral_state(mail_service, consultation["id"]) == before
    html = unescape(page.text)
    assert str(consultation["id"]) in html and "Recherche d'emploi" in html
    for personal in ("Marie", "Exemple", "marie@example.org", "555 0199", "Je cherche"):
        assert personal not in html
    assert page.headers["cache-control"] == "no-store"
    assert "no_capacity, out_of_area" not in html  # the match's reasons, not the decline codes
    assert "Pourquoi votre centre" in html
    english = mail_service.client.get(
        path.replace("/boite/demande/", "/en/inbox/request/"), headers=HTML
    )
    assert english.status_code == 200 and "Accept the request" in english.text


@both_backends
def test_accepting_shows_the_contact_details_once_audited(mail_service: Service) -> None:
    consultation = submit(mail_service)
    mail_service.deliver()
    path = link_path(centre_mail(mail_service)[0].text)
    client = mail_service.client
    token = csrf_of(client.get(path, headers=HTML).text)
    refused = client.post(path, data={"action": "accept"}, headers=HTML)
    assert refused.status_code == 403
    other_site = client.post(
        path,
        data={"action": "accept", "csrf_token": token},
        headers={**HTML, "origin": "https://evil.example.org"},
    )
    assert other_site.status_code == 403
    assert referral_state(mail_service, consultation["id"])[0][1] == "delivered"
    accepted = client.post(path, data={"action": "accept", "csrf_token": token}, headers=HTML)
    assert accepted.status_code == 200, accepted.text
    assert "Marie" in accepted.text and "marie@example.org" in accepted.text
    assert referral_state(mail_service, consultation["id"])[0][1] == "accepted"
    again = client.post(path, data={"action": "accept", "csrf_token": token}, headers=HTML)
    assert again.status_code == 200 and "déjà été enregistrée" in again.text
    with Session(mail_service.engine) as s:
        reads = s.scalars(select(AuditEntry).where(AuditEntry.action == "read_person")).all()
        assert len(reads) == 2 and all(r.actor.endswith(":email") for r in reads)
    # The link has done its work: opening it again says so, and shows nothing personal.
    closed = client.get(path, headers=HTML)
    assert closed.status_code == 410 and "Marie" not in closed.text
    declined = client.post(
        path, data={"action": "decline", "reason": "other", "csrf_token": token}, headers=HTML
    )
    assert declined.status_code == 409 and "ne peut plus servir" in unescape(declined.text)
    assert referral_state(mail_service, consultation["id"])[0][1] == "accepted"


def test_declining_moves_the_request_on_and_the_next_centre_is_told(mail_service: Service) -> None:
    consultation = submit(mail_service)
    mail_service.deliver()
    path = link_path(centre_mail(mail_service)[0].text)
    client = mail_service.client
    token = csrf_of(client.get(path, headers=HTML).text)
    missing = client.post(path, data={"action": "decline", "csrf_token": token}, headers=HTML)
    assert missing.status_code == 422 and "Motif" in missing.text
    assert referral_state(mail_service, consultation["id"])[0][1] == "delivered"
    done = client.post(
        path,
        data={
            "action": "decline",
            "reason": "no_capacity",
            "note": "Complet ce mois-ci.",
            "csrf_token": token,
        },
        headers=HTML,
    )
    assert done.status_code == 200 and "centre suivant" in done.text
    again = client.post(
        path, data={"action": "decline", "reason": "no_capacity", "csrf_token": token}, headers=HTML
    )
    assert again.status_code == 200 and "déjà" in again.text
    states = referral_state(mail_service, consultation["id"])
    assert [s for _, s in states] == ["declined", "pending"]
    mail_service.deliver()
    second = centre_mail(mail_service, 2)[1]
    assert second.recipients != ("equipe0@example.org",)
    assert link_path(second.text) != path


def test_ask_axtra_is_written_in_the_history_and_changes_no_state(mail_service: Service) -> None:
    consultation = submit(mail_service)
    mail_service.deliver()
    path = link_path(centre_mail(mail_service)[0].text)
    token = csrf_of(mail_service.client.get(path, headers=HTML).text)
    asked = mail_service.client.post(
        path,
        data={"action": "ask", "note": "Est-ce pour nous ?", "csrf_token": token},
        headers=HTML,
    )
    assert asked.status_code == 200 and "AXTRA" in asked.text
    assert referral_state(mail_service, consultation["id"])[0][1] == "delivered"
    detail = mail_service.client.get(
        f"/v1/admin/consultations/{consultation['id']}", headers=mail_service.admin
    ).json()
    assert "ask_axtra" in str(detail)


def test_forged_and_altered_links_get_a_clear_404(mail_service: Service) -> None:
    submit(mail_service)
    mail_service.deliver()
    path = link_path(centre_mail(mail_service)[0].text)
    head, mac = path.rsplit("/", 1)[1].split(".")
    flipped = mac[:-1] + ("A" if mac[-1] != "A" else "B")
    for bad in [
        f"{head}.{flipped}",
        f"{uuid.uuid4().hex}.{mac}",
        "x",
        "a" * 5000,
        f"{head}.{mac}%00",
        "../../etc/passwd",
        f"{head.upper()}.{mac}",
    ]:
        page = mail_service.client.get(f"/boite/demande/{bad}", headers=HTML)
        if "%00" in bad:  # refused before any route: the path itself is malformed
            assert page.status_code == 400
            continue
        assert page.status_code == 404, bad
        if "/" not in bad:  # the page's own answer (a path that is not its shape: any 404)
            assert "ne correspond à aucune demande" in unescape(page.text), bad
        posted = mail_service.client.post(
            f"/boite/demande/{bad}", data={"action": "accept"}, headers=HTML
        )
        assert posted.status_code in (403, 404)


def test_an_unreachable_smtp_server_never_blocks_intake(mail_service: Service) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = sock.getsockname()[1]
    mail_service.settings = mail_service.settings.model_copy(
        update={"smtp_url": SecretStr(f"smtp://127.0.0.1:{dead}")}
    )
    consultation = submit(mail_service)
    assert referral_state(mail_service, consultation["id"])[0][1] == "pending"
    mail_service.deliver()
    with Session(mail_service.engine) as s:
        [event] = s.scalars(
            select(OutboxEvent).where(OutboxEvent.event_type == "mail.referral_notice")
        ).all()
        attempts = s.scalars(
            select(DeliveryAttempt).where(DeliveryAttempt.event_id == event.id)
        ).all()
    assert (
        event.status == "pending"
        and event.attempts == 1
        and event.next_attempt_at > event.created_at
    )
    assert [a.outcome for a in attempts] == ["failure"] and "refused" in (
        attempts[0].error or ""
    ).lower()


def test_the_page_names_the_place_without_the_postal_code() -> None:
    from app.web.centre_answer import _no_postal_code

    assert _no_postal_code("G9A 1A1, Trois-Rivières") == "Trois-Rivières"
    assert _no_postal_code("g9a1a1") == ""
    assert _no_postal_code("Trois-Rivières") == "Trois-Rivières"


def test_hostile_answers_are_refused_and_change_nothing(mail_service: Service) -> None:
    consultation = submit(mail_service)
    mail_service.deliver()
    path = link_path(centre_mail(mail_service)[0].text)
    client = mail_service.client
    token = csrf_of(client.get(path, headers=HTML).text)
    for form, status in [
        ({"action": "decline", "reason": "no_capacity", "note": "x" * 5000}, 422),
        ({"action": "decline", "reason": "no_capacity", "note": "nul\x00byte"}, 422),
        ({"action": "decline", "reason": "<script>alert(1)</script>"}, 422),
        ({"action": "decline", "reason": ["no_capacity", "other"]}, 422),
        ({"action": "explode"}, 409),
        ({}, 409),
        ({"action": "ask", "note": "x" * 5000}, 422),
    ]:
        answer = client.post(path, data={**form, "csrf_token": token}, headers=HTML)
        assert answer.status_code in (status, 422), (form, answer.status_code)
        assert "<script>alert(1)</script>" not in answer.text
    assert referral_state(mail_service, consultation["id"])[0][1] == "delivered"


def test_a_failing_webhook_never_holds_back_the_centres_e_mail(mail_service: Service) -> None:
    # Issue 12: while a centre's endpoint fails, its other channels still carry the request.
    ids = mail_service.centre_ids()
    with socket.socket() as probe:  # a port where nothing listens
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}/inbox"
    inbox = {"url": dead, "secret": DEMO_SECRET}
    patched = mail_service.client.patch(
        f"/v1/admin/centres/{ids['tr-a']}", json={"inbox": inbox}, headers=mail_service.admin
    )
    assert patched.status_code == 200, patched.text
    consultation = submit(mail_service)
    mail_service.deliver()
    [notice] = centre_mail(mail_service)
    assert notice.recipients == ("equipe0@example.org",)
    assert f"Référence : {consultation['id']}" in notice.text
    with Session(mail_service.engine) as s:
        [webhook] = s.scalars(
            select(OutboxEvent).where(OutboxEvent.event_type == "referral.created")
        ).all()
    assert webhook.status == "pending" and webhook.attempts == 1
    assert (webhook.last_error or "").startswith("connection refused")
