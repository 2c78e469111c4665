"""A client on a directory seeded with the demo centres plus a few unusual ones (`seed`)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from tests.helpers.hsds import seed


@pytest.fixture(scope="module")
def hsds_client(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    path = tmp_path_factory.mktemp("hsds") / "ttx.db"
    shutil.copy(sqlite_template, path)
    settings = Settings(database_url=f"sqlite:///{path}", embedded_dispatcher=False)
    seed(settings)
    app = create_app(settings, embedded_dispatcher=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client
