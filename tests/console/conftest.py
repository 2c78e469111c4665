"""The console's fixtures: the demo directory, a real SMTP catcher for the sign-in links, a
staff account, and a client signed in the way a person is (e-mail, link page, button)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.db import make_engine, session_scope
from app.mail.demo_mailbox import MailCatcher
from app.main import create_app
from app.services import staff_members
from app.settings import Settings
from tests.helpers.browser import chromium  # noqa: F401  (Debian's chromium, per module)
from tests.helpers.console import STAFF_EMAIL, sign_in
from tests.helpers.pages import HTML


@pytest.fixture
def console_settings(demo_url: str, smtp_server: MailCatcher) -> Settings:
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


@pytest.fixture
def staff(console: TestClient, smtp_server: MailCatcher, staff_email: str) -> TestClient:
    """The console client, signed in as a staff member (development: no second factor)."""
    sign_in(console, smtp_server, staff_email)
    assert console.get("/admin", follow_redirects=False).status_code == 200
    return console
