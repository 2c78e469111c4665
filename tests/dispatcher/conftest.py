"""Fixtures for the dispatcher: migrated databases, synthetic centres, a real local receiver.

Self-contained on purpose (`pytest --confcutdir=tests/dispatcher` runs these alone): what it
needs comes from tests/helpers/, not from tests/conftest.py."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url

from app.db import make_engine
from app.settings import Settings
from tests.helpers.db import admin_sql, migrate, postgres_admin_url, throwaway_database_name
from tests.helpers.dispatch import Receiver, ReceiverServer, make_handler


@pytest.fixture(scope="session")
def dispatch_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("dispatch-template") / "template.db"
    migrate(f"sqlite:///{path}")
    return path


@pytest.fixture
def sqlite_url(dispatch_sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "ttx.db"
    shutil.copy(dispatch_sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def dispatch_engine(sqlite_url: str) -> Iterator[Engine]:
    engine = make_engine(Settings(database_url=sqlite_url))
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for one test module, migrated, dropped afterwards."""
    admin_url = make_url(postgres_admin_url())
    name = throwaway_database_name()
    admin_sql(admin_url, f'CREATE DATABASE "{name}"')
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    try:
        migrate(url)
        yield url
    finally:
        admin_sql(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_engine(pg_url: str) -> Iterator[Engine]:
    """The module's PostgreSQL database, emptied of centres and events for each test."""
    engine = make_engine(Settings(database_url=pg_url))
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE centre, outbox_event, delivery_attempt CASCADE"))
    yield engine
    engine.dispose()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rec = Receiver()
    server = ReceiverServer(("127.0.0.1", 0), make_handler(rec))
    rec.server = server
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield rec
    server.shutdown()
    server.server_close()
