"""The job seeker's messages (confirmation, acceptance, staff follow-up) and their status
page; the reminder to centres; and, over a whole flow, no personal field of the request in
any message but the person's own address on their own messages."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from html import unescape

from sqlalchemy import select, update
from sqlmodel import Session

from app.db import utcnow
from app.models import Consultation, OutboxEvent, Referral
from app.services.sweeper import sweep
from tests.helpers.db import both_backends
from tests.helpers.intake import request_body
from tests.helpers.mail import Service, centre_mail, link_path, seeker_mail
from tests.helpers.pages import HTML, csrf_of

PERSON = {"first_name": "Zéphirine", "last_name": "Quennevillette",
          "email": "zephirine.q@example.org", "phone": "+1 819 555 0142",
          "preferred_contact": "email", "language": "fr"}  # fmt: skip
MESSAGE = "Mon message confidentiel Xyzzy"
NEED_TEXT = "soudure plughium"
# Every personal field of the request, as it might be written in a message.
PERSONAL = ["Zéphirine", "Zephirine", "Quennevillette", "zephirine.q@example.org", "555 0142",
            "5550142", "Xyzzy", "plughium", "Personnes handicapées", "disabilities"]  # fmt: skip


def body(centre_id: str) -> dict[str, object]:
    return request_body(
        person=PERSON, message=MESSAGE, centre_id=centre_id,
        criteria={"location": {"municipality": "Trois-Rivières"}, "needs": ["job_search"],
                  "language": "fr", "client_groups": ["disabilities"], "need_text": NEED_TEXT},
    )  # fmt: skip


def answer(service: Service, path: str, **form: str) -> str:
    token = csrf_of(service.client.get(path, headers=HTML).text)
    done = service.client.post(path, data={**form, "csrf_token": token}, headers=HTML)
    assert done.status_code == 200, done.text
    return done.text


def open_referral(service: Service, consultation_id: str) -> Referral:
    with Session(service.engine) as s:
        rows = s.scalars(select(Referral).where(
            Referral.consultation_id == uuid.UUID(consultation_id))).all()  # fmt: skip
        return next(r for r in rows if r.state in ("pending", "delivered"))


def shift(service: Service, referral_id: uuid.UUID, **values: object) -> None:
    with Session(service.engine) as s:
        s.execute(update(Referral).where(Referral.id == referral_id).values(**values))
        s.commit()


@both_backends
def test_a_whole_flow_sends_no_personal_field(mail_service: Service) -> None:
    ids = mail_service.centre_ids()
    answered = mail_service.client.post("/v1/consultations", json=body(ids["tr-a"]))
    assert answered.status_code == 201
    cid = answered.json()["id"]
    mail_service.deliver()
    [confirmation] = seeker_mail(mail_service)
    assert confirmation.recipients == ("zephirine.q@example.org",)
    assert confirmation.subject == "Votre demande a bien été reçue"
    assert cid in confirmation.text and "jusqu'au" in confirmation.text
    # 1. The first centre declines from its notice.
    answer(mail_service, link_path(centre_mail(mail_service, 1)[0].text), action="decline",
           reason="no_capacity")  # fmt: skip
    mail_service.deliver()
    # 2. The second lets it run out.
    second = open_referral(mail_service, cid)
    shift(mail_service, second.id, expires_at=utcnow() - timedelta(seconds=1))
    sweep(mail_service.engine, mail_service.settings)
    mail_service.deliver()
    # 3. The third is reminded 24 h before its deadline, then accepts.
    third = open_referral(mail_service, cid)
    shift(mail_service, third.id, created_at=utcnow() - timedelta(hours=30),
          expires_at=utcnow() + timedelta(hours=12))  # fmt: skip
    sweep(mail_service.engine, mail_service.settings)
    sweep(mail_service.engine, mail_service.settings)  # once only
    mail_service.deliver()
    centre_messages = centre_mail(mail_service, 4)
    reminders = [m for m in centre_messages if m.subject.startswith("Rappel")]
    assert len(reminders) == 1 and len(centre_messages) == 4
    accepted = answer(mail_service, link_path(reminders[0].text), action="accept")
    assert "Zéphirine" in accepted  # the page shows it; no message does
    mail_service.deliver()
    seeker = seeker_mail(mail_service)
    assert [m.subject for m in seeker] == ["Votre demande a bien été reçue",
                                           "Un centre a accepté votre demande"]  # fmt: skip
    assert re.search(r"Centre fictif tr-[abc] a accepté votre demande", seeker[1].text)
    # 4. Another request that no centre takes: staff follow up, and the person is told.
    other = mail_service.client.post("/v1/consultations", json=body(ids["tr-a"])).json()["id"]
    for _ in range(3):
        mail_service.deliver()
        referral = open_referral(mail_service, other)
        shift(mail_service, referral.id, expires_at=utcnow() - timedelta(seconds=1))
        sweep(mail_service.engine, mail_service.settings)
    mail_service.deliver()
    assert seeker_mail(mail_service)[-1].subject.startswith("Votre demande : l'équipe d'AXTRA")
    # Every message of the flow, headers and every part decoded.
    messages = mail_service.mailbox.messages
    assert len(messages) >= 10
    for message in messages:
        text = message.decoded()
        if message.recipients == ("zephirine.q@example.org",):
            text = re.sub(r"(?m)^To: .*$", "", text)  # their own address, on their own mail
        found = [field for field in PERSONAL if field.lower() in text.lower()]
        assert found == [], (message.subject, found)


def test_the_status_page_shows_and_withdraws(mail_service: Service) -> None:
    ids = mail_service.centre_ids()
    cid = mail_service.client.post("/v1/consultations", json=body(ids["tr-a"])).json()["id"]
    mail_service.deliver()
    [confirmation] = seeker_mail(mail_service)
    found = re.search(
        r"https://trouvetonx\.example\.org(/demande/suivi/[\w.-]+)", confirmation.text
    )
    assert found
    path = found.group(1)
    client = mail_service.client
    page = client.get(path, headers=HTML)
    assert page.status_code == 200 and cid in page.text
    assert "Zéphirine" not in unescape(page.text) and "Loi 25" in unescape(page.text)
    assert client.post(path, data={}, headers=HTML).status_code == 403
    token = csrf_of(page.text)
    done = client.post(path, data={"csrf_token": token}, headers=HTML, follow_redirects=False)
    assert done.status_code == 303
    again = client.post(path, data={"csrf_token": token}, headers=HTML, follow_redirects=False)
    assert again.status_code == 303  # idempotent
    with Session(mail_service.engine) as s:
        assert s.get(Consultation, uuid.UUID(cid)).status == "cancelled"  # type: ignore[union-attr]
        states = {r.state for r in s.scalars(select(Referral)).all()}
        assert states == {"cancelled"}
        notices = s.scalars(
            select(OutboxEvent).where(OutboxEvent.event_type == "mail.referral_notice")
        ).all()
        assert all(e.status in ("delivered", "cancelled") for e in notices)
    shown = unescape(client.get(path, headers=HTML).text)
    assert "Retirée" in shown and "Retirer ma demande</button>" not in shown
    head, mac = path.rsplit("/", 1)[1].split(".")
    forged = client.get(f"/demande/suivi/{head}.{mac[::-1]}", headers=HTML)
    assert forged.status_code == 404
    english = client.get(path.replace("/demande/suivi/", "/en/request/status/"), headers=HTML)
    assert english.status_code == 200 and "Your request" in english.text


def test_no_seeker_mail_when_they_prefer_the_phone(mail_service: Service) -> None:
    ids = mail_service.centre_ids()
    phone_person = {**PERSON, "preferred_contact": "phone"}
    answer_ = mail_service.client.post(
        "/v1/consultations", json=request_body(person=phone_person, centre_id=ids["tr-a"])
    )
    assert answer_.status_code == 201
    mail_service.deliver()
    assert seeker_mail(mail_service) == [] and len(centre_mail(mail_service)) == 1


def test_erasure_empties_and_stops_the_persons_own_mail(mail_service: Service) -> None:
    ids = mail_service.centre_ids()
    cid = mail_service.client.post("/v1/consultations", json=body(ids["tr-a"])).json()["id"]
    erased = mail_service.client.post(
        "/v1/admin/privacy/erase", headers=mail_service.admin,
        json={"email": PERSON["email"], "confirm": True},
    )  # fmt: skip
    assert erased.status_code == 200, erased.text
    with Session(mail_service.engine) as s:
        events = s.scalars(
            select(OutboxEvent).where(OutboxEvent.subject_id == uuid.UUID(cid))
        ).all()
        assert events and all(e.status == "cancelled" and "sealed" not in e.payload for e in events)
    mail_service.deliver()
    assert seeker_mail(mail_service) == []
