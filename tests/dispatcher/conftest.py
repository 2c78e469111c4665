"""Fixtures for the dispatcher: migrated databases, synthetic centres, a real local receiver.

Self-contained on purpose (`pytest --confcutdir=tests/dispatcher` runs these alone)."""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from dispatch_support import PG_ENV, Receiver, ReceiverServer, make_handler
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import NullPool

from app.db import make_engine
from app.settings import Settings
from tests.conftest import migrate

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


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
    admin_url = os.environ.get(PG_ENV)
    if not admin_url:
        if IN_CI:
            pytest.fail(f"{PG_ENV} must be set under CI: PostgreSQL tests may not skip there")
        pytest.skip(f"set {PG_ENV} to run PostgreSQL tests")
    # No pool: the server may be restarted by a test in between.
    admin = create_engine(make_url(admin_url), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    name = f"ttx_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        migrate(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


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
