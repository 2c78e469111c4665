"""The staff console as a person uses it: sign in with the e-mailed link, and a request that
waits for staff."""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlsplit

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.mail.demo_mailbox import MailCatcher
from app.models import Consultation, Referral
from tests.helpers.pages import csrf_of, form_fields

STAFF_EMAIL = "ana.gagnon@example.org"

REQUEST = {
    "person": {"first_name": "Marie", "last_name": "Exemple", "email": "marie@example.org",
               "phone": "+1 819 555 0199", "preferred_contact": "email", "language": "fr"},
    "criteria": {"location": {"postal_code": "G9A 1A1"}, "needs": ["job_search"], "language": "fr"},
    "message": "Je cherche un emploi.",
    "consent": {"notice_version": "2026-01", "purposes": ["referral"], "accepted": True},
}  # fmt: skip


def ask_link(client: TestClient, smtp: MailCatcher, email: str, *, lang: str = "fr") -> str:
    """Ask for a sign-in link as a person does; return the link's path from the e-mail."""
    base = "/admin/connexion" if lang == "fr" else "/en/admin/sign-in"
    page = client.get(base)
    before = len(smtp.messages)
    sent = client.post(base, data={"email": email, "csrf_token": csrf_of(page.text)})
    assert sent.status_code == 200, sent.text
    [message] = smtp.wait_for(before + 1)[before:]
    assert message.recipients == (email,)
    [link] = [u for u in message.links if "jeton=" in u]
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}"


def open_link(client: TestClient, path: str) -> TestClient:
    """Open the link's page and press its button; follow to where it leads."""
    page = client.get(path)
    assert page.status_code == 200, page.text
    fields = form_fields(page.text)
    action = re.search(r'<form method="post" action="([^"]+)"', page.text)
    assert action
    answer = client.post(action.group(1), data={k: v[0] for k, v in fields.items()},
                         follow_redirects=False)  # fmt: skip
    assert answer.status_code == 303, answer.text
    return client


def sign_in(client: TestClient, smtp: MailCatcher, email: str) -> TestClient:
    open_link(client, ask_link(client, smtp, email))
    return client


def unrouted(client: TestClient, engine: Engine) -> str:
    """A request that waits for staff (stored, then its referral withdrawn by hand)."""
    headers = {"Accept": "application/json", "Idempotency-Key": uuid.uuid4().hex}
    answer = client.post("/v1/consultations", json=REQUEST, headers=headers)
    assert answer.status_code == 201, answer.text
    cid = answer.json()["id"]
    with Session(engine) as s:
        c = s.get(Consultation, uuid.UUID(cid))
        assert c is not None
        c.status = "unrouted"
        for r in s.scalars(select(Referral).where(Referral.consultation_id == c.id)):
            r.state = "expired"
            s.add(r)
        s.add(c)
        s.commit()
    return cid
