"""A client on a directory seeded with the demo centres plus a few unusual ones."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.db import session_scope
from app.main import create_app
from app.paths import data_dir
from app.services import importer
from app.settings import Settings
from tests.factories import centre_record, montreal_record

EXTRA = [
    # Paused, age limits, no phone or website, two service points, one without a street address.
    centre_record(
        "hsds-edge-1",
        intake_status="paused",
        age_min=16,
        age_max=35,
        phone=None,
        website=None,
        description_en=None,
        client_groups=["youth"],
        locations=[
            {
                "address": "100 rue Exemple",
                "municipality": "Trois-Rivières",
                "postal_code": "G9A 1A1",
                "lat": 46.343,
                "lon": -72.543,
            },
            {"municipality": "Shawinigan"},
        ],
    ),  # fmt: skip
    montreal_record("hsds-edge-2", description_fr=None, description_en=None, languages=["fr"]),
]


def seed(app_settings: Settings) -> None:
    app = create_app(app_settings, embedded_dispatcher=False)
    records = importer.parse_file((data_dir() / "demo_centres.json").read_bytes()) + EXTRA
    with session_scope(app.state.engine) as session:
        importer.import_records(session, records)
    app.state.engine.dispose()


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
