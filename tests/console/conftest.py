"""The console's fixtures: the demo directory, a real SMTP catcher for the sign-in links, a
staff account, and a client signed in the way a person is (e-mail, link page, button)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.db import make_engine, session_scope
from app.mail.demo_mailbox import MailCatcher
from app.main import create_app
from app.services import staff_members
from app.settings import Settings
from tests.web.conftest import HTML, demo_template, demo_url, form_fields  # noqa: F401

STAFF_EMAIL = "ana.gagnon@example.org"


@pytest.fixture
def console_settings(demo_url: str, smtp_server: MailCatcher) -> Settings:  # noqa: F811
    return Settings(
        database_url=demo_url, embedded_dispatcher=False, rate_limit_public="100000/minute",
        smtp_url=smtp_server.url, public_url="http://testserver",
    )  # fmt: skip


@pytest.fixture
def console_engine(console_settings: Settings) -> Iterator[Engine]:
    engine = make_engine(console_settings)
    yield engine
    engine.dispose()


@pytest.fixture
def staff_email(console_engine: Engine) -> str:
    with session_scope(console_engine) as session:
        staff_members.add(session, STAFF_EMAIL, name="Ana Gagnon")
    return STAFF_EMAIL


@pytest.fixture
def console(console_settings: Settings) -> Iterator[TestClient]:
    app = create_app(console_settings, embedded_dispatcher=False)
    with TestClient(app, raise_server_exceptions=False, headers=HTML) as client:
        yield client


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


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


@pytest.fixture
def staff(console: TestClient, smtp_server: MailCatcher, staff_email: str) -> TestClient:
    """The console client, signed in as a staff member (development: no second factor)."""
    sign_in(console, smtp_server, staff_email)
    assert console.get("/admin", follow_redirects=False).status_code == 200
    return console
