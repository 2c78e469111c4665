"""A service with e-mail on (the `mail_service` fixture of tests/mail) and what it sent."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from app.dispatcher import Dispatcher
from app.settings import Settings
from tests.helpers.smtp import MailCatcher
from tests.helpers.waiting import eventually


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


def link_path(text: str) -> str:
    """The French answer page's path in a notice."""
    found = re.search(
        r"https://trouvetonx\.example\.org(/boite/demande/[0-9a-f]{32}\.[\w-]{43})", text
    )
    assert found, text
    return found.group(1)


def centre_mail(service: Service, count: int = 1) -> list[Any]:
    """The messages sent to centres (their `equipeN@` addresses), once `count` have come."""

    def to_centres() -> list[Any]:
        return [m for m in service.mailbox.messages if m.recipients[0].startswith("equipe")]

    return eventually(to_centres, until=lambda found: len(found) >= count, timeout=10)


def seeker_mail(service: Service) -> list[Any]:
    return [m for m in service.mailbox.messages if not m.recipients[0].startswith("equipe")]
