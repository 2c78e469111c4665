"""A service with e-mail on, sending to a real SMTP server on 127.0.0.1, and its dispatcher."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.db import make_engine
from app.dispatcher import Dispatcher
from app.main import create_app
from app.settings import Settings
from tests.conftest import make_key
from tests.helpers.intake import three_centres
from tests.helpers.smtp import MailCatcher

HTML = {"accept": "text/html"}


@dataclass
class Service:
    client: TestClient
    engine: Engine
    settings: Settings
    mailbox: MailCatcher
    admin: dict[str, str]

    def deliver(self) -> int:
        """One pass of the dispatcher (webhooks and e-mails), as a worker makes it."""
        return Dispatcher.from_settings(self.settings, self.engine).run_once()

    def centre_ids(self) -> dict[str, str]:
        items = self.client.get("/v1/admin/centres", headers=self.admin).json()["items"]
        return {c["ref"]: c["id"] for c in items}


@pytest.fixture
def mail_service(db_url: str, smtp_server: MailCatcher) -> Iterator[Service]:
    settings = Settings(
        database_url=db_url, embedded_dispatcher=False, rate_limit_public="100000/minute",
        smtp_url=smtp_server.url, public_url="https://trouvetonx.example.org",
    )  # fmt: skip
    app = create_app(settings, embedded_dispatcher=False)
    engine = make_engine(settings)
    with TestClient(app, raise_server_exceptions=False) as client:
        admin = make_key(engine, "admin")
        directory = three_centres()
        for n, centre in enumerate(directory["centres"]):
            centre["notify_emails"] = [f"equipe{n}@example.org"]
        answer = client.post("/v1/admin/centres/import", json=directory, headers=admin)
        assert answer.status_code == 200, answer.text
        yield Service(client, engine, settings, smtp_server, admin)
    engine.dispose()


def link_path(text: str) -> str:
    """The French answer page's path in a notice."""
    found = re.search(
        r"https://trouvetonx\.example\.org(/boite/demande/[0-9a-f]{32}\.[\w-]{43})", text
    )
    assert found, text
    return found.group(1)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found
    return found.group(1)


def centre_mail(service: Service, count: int = 1) -> list[Any]:
    """The messages sent to centres (their `equipeN@` addresses), once `count` have come."""
    deadline = time.monotonic() + 10
    while True:
        found = [m for m in service.mailbox.messages if m.recipients[0].startswith("equipe")]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.02)


def seeker_mail(service: Service) -> list[Any]:
    return [m for m in service.mailbox.messages if not m.recipients[0].startswith("equipe")]
