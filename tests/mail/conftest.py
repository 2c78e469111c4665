"""A service with e-mail on, sending to a real SMTP server on 127.0.0.1, and its dispatcher."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.db import make_engine
from app.main import create_app
from app.settings import Settings
from tests.helpers.db import make_key
from tests.helpers.intake import three_centres
from tests.helpers.mail import Service
from tests.helpers.smtp import MailCatcher


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
