"""The site's fixtures: settings and a client on a database holding the demo directory
(`demo_url`, from tests/conftest.py), and the browser for the browser tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from tests.helpers.browser import chromium  # noqa: F401  (Debian's chromium, per module)
from tests.helpers.pages import HTML


@pytest.fixture
def site_settings(demo_url: str) -> Settings:
    return Settings(
        database_url=demo_url, embedded_dispatcher=False, rate_limit_public="100000/minute"
    )


@pytest.fixture
def site(site_settings: Settings) -> Iterator[TestClient]:
    app = create_app(site_settings, embedded_dispatcher=False)
    with TestClient(app, raise_server_exceptions=False, headers=HTML) as client:
        yield client
