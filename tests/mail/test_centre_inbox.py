"""The centres' web inbox: a one-time link e-mailed only to `notify_emails`, a page that
signs in by POST, the centre's referrals by state, answers, intake and capacity, sign-out."""

from __future__ import annotations

import re
from html import unescape

from sqlalchemy import select
from sqlmodel import Session

from app.models import AuditEntry, Centre, Referral
from tests.helpers.db import both_backends
from tests.helpers.intake import request_body
from tests.helpers.mail import Service
from tests.helpers.pages import HTML, csrf_of


def signin_link(service: Service, address: str) -> str:
    client = service.client
    token = csrf_of(client.get("/boite/connexion", headers=HTML).text)
    sent = client.post(
        "/boite/connexion", data={"email": address, "csrf_token": token}, headers=HTML
    )
    assert sent.status_code == 200 and "Vérifiez vos courriels" in unescape(sent.text)
    message = service.mailbox.messages[-1]
    found = re.search(r"https://trouvetonx\.example\.org(/boite/lien\?jeton=[\w-]+)", message.text)
    assert found, message.text
    return found.group(1)


def sign_in(service: Service, address: str = "equipe0@example.org") -> None:
    path = signin_link(service, address)
    client = service.client
    page = client.get(path, headers=HTML)
    assert (
        page.status_code == 200 and "ttx_centre" not in client.cookies
    )  # opening is not signing in
    jeton = re.search(r'name="jeton" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    done = client.post(
        "/boite/lien",
        data={"jeton": jeton, "csrf_token": csrf_of(page.text)},
        headers=HTML,
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/boite"
    cookie = done.headers["set-cookie"]
    assert "ttx_centre=" in cookie and "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    again = client.post(
        "/boite/lien", data={"jeton": jeton, "csrf_token": csrf_of(page.text)}, headers=HTML
    )
    assert again.status_code == 410  # single use


def test_links_go_only_to_a_centres_notice_addresses(mail_service: Service) -> None:
    client = mail_service.client
    token = csrf_of(client.get("/boite/connexion", headers=HTML).text)
    for address in ("inconnu@example.org", "accueil@tr-a.example.org"):
        sent = client.post(
            "/boite/connexion", data={"email": address, "csrf_token": token}, headers=HTML
        )
        assert sent.status_code == 200 and "Vérifiez vos courriels" in unescape(sent.text)
    bad = client.post(
        "/boite/connexion", data={"email": "pas une adresse", "csrf_token": token}, headers=HTML
    )
    assert bad.status_code == 422
    assert mail_service.mailbox.messages == []
    assert (
        client.get("/boite", headers=HTML, follow_redirects=False).headers["location"]
        == "/boite/connexion"
    )


@both_backends
def test_a_signed_in_centre_sees_answers_and_sets_its_intake(mail_service: Service) -> None:
    ids = mail_service.centre_ids()
    consultation = mail_service.client.post(
        "/v1/consultations", json=request_body(centre_id=ids["tr-a"])
    ).json()
    mail_service.deliver()  # the notice
    sign_in(mail_service)
    client = mail_service.client
    inbox = client.get("/boite", headers=HTML)
    assert inbox.status_code == 200
    text = unescape(inbox.text)
    assert consultation["id"] in text and "Marie" not in text
    referral_id = consultation["referral"]["id"]
    token = csrf_of(inbox.text)
    accepted = client.post(
        f"/boite/reponse/{referral_id}",
        data={"action": "accept", "csrf_token": token},
        headers=HTML,
    )
    assert accepted.status_code == 200 and "marie@example.org" in accepted.text
    listed = unescape(client.get("/boite", headers=HTML).text)
    assert "Marie Exemple" in listed  # accepted: its contact details, read and audited
    with Session(mail_service.engine) as s:
        assert s.get(Referral, __import__("uuid").UUID(referral_id)).state == "accepted"  # type: ignore[union-attr]
        actors = {a.actor for a in s.scalars(select(AuditEntry)).all()}
        assert any(a.endswith(":web") for a in actors)
    saved = client.post(
        "/boite/accueil",
        headers=HTML,
        follow_redirects=False,
        data={"intake_status": "paused", "weekly_capacity": "7", "csrf_token": token},
    )
    assert saved.status_code == 303
    bad = client.post(
        "/boite/accueil",
        headers=HTML,
        data={"intake_status": "closed", "weekly_capacity": "-1", "csrf_token": token},
    )
    assert bad.status_code == 422
    with Session(mail_service.engine) as s:
        centre = s.scalars(select(Centre).where(Centre.ref == "tr-a")).one()
        assert (centre.intake_status, centre.weekly_capacity) == ("paused", 7)
    out = client.post(
        "/boite/deconnexion", data={"csrf_token": token}, headers=HTML, follow_redirects=False
    )
    assert out.status_code == 303
    assert client.get("/boite", headers=HTML, follow_redirects=False).status_code == 303


def test_a_centre_cannot_touch_another_centres_referral(mail_service: Service) -> None:
    ids = mail_service.centre_ids()
    other = mail_service.client.post(
        "/v1/consultations", json=request_body(centre_id=ids["tr-b"])
    ).json()
    sign_in(mail_service)
    token = csrf_of(mail_service.client.get("/boite", headers=HTML).text)
    for target in (other["referral"]["id"], "not-a-uuid", "0" * 5000):
        answer = mail_service.client.post(
            f"/boite/reponse/{target}", data={"action": "accept", "csrf_token": token}, headers=HTML
        )
        assert answer.status_code == 404, target
    with Session(mail_service.engine) as s:
        assert s.get(Referral, __import__("uuid").UUID(other["referral"]["id"])).state == "pending"  # type: ignore[union-attr]


def test_without_a_session_answers_are_refused(mail_service: Service) -> None:
    token = csrf_of(mail_service.client.get("/boite/connexion", headers=HTML).text)
    answer = mail_service.client.post(
        "/boite/reponse/x", data={"action": "accept", "csrf_token": token}, headers=HTML
    )
    assert answer.status_code == 401


def test_several_people_sign_in_and_a_removed_address_is_signed_out(mail_service: Service) -> None:
    centre_id = mail_service.centre_ids()["tr-a"]
    both = {"notify_emails": ["equipe0@example.org", "equipe-b@example.org"]}
    patched = mail_service.client.patch(f"/v1/admin/centres/{centre_id}", json=both,
                                        headers=mail_service.admin)  # fmt: skip
    assert patched.status_code == 200
    sign_in(mail_service, "equipe-b@example.org")
    inbox = mail_service.client.get("/boite", headers=HTML)
    assert inbox.status_code == 200 and "equipe-b@example.org" in inbox.text
    alone = {"notify_emails": ["equipe0@example.org"]}
    assert mail_service.client.patch(f"/v1/admin/centres/{centre_id}", json=alone,
                                     headers=mail_service.admin).status_code == 200  # fmt: skip
    gone = mail_service.client.get("/boite", headers=HTML, follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"] == "/boite/connexion"
