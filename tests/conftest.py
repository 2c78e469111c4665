"""Shared fixtures: databases built by the real migrations, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.pool import NullPool
from sqlmodel import Session

from app.db import make_engine, session_scope
from app.main import create_app
from app.services import keys
from app.services.health import upgrade_to_head
from app.settings import Settings
from tests.helpers.smtp import smtp_server  # noqa: F401  (a real SMTP server, for any test)

PG_ENV = "TTX_TEST_POSTGRES_URL"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
# Tables that hold rows a test writes; the taxonomy seeded by the migration stays.
DATA_TABLES_SQL = """
SELECT tablename FROM pg_tables WHERE schemaname = 'public'
AND tablename NOT IN ('region', 'specialty', 'client_group', 'alembic_version')
"""


def migrate(url: str) -> None:
    """Build a schema with the real migrations, exactly as `ttx migrate` does."""
    engine = make_engine(Settings(database_url=url))
    upgrade_to_head(engine)
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    migrate(f"sqlite:///{path}")
    return path


def postgres_admin_url() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        if IN_CI:
            pytest.fail(f"{PG_ENV} must be set under CI: PostgreSQL tests may not skip there")
        pytest.skip(f"set {PG_ENV} to run PostgreSQL tests")
    return url


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, migrated, dropped at the end."""
    admin_url = make_url(postgres_admin_url())
    name = f"ttx_test_{uuid.uuid4().hex[:10]}"
    _admin_sql(admin_url, f'CREATE DATABASE "{name}"')
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    try:
        migrate(url)
        yield url
    finally:
        _admin_sql(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _admin_sql(url: URL, sql: str) -> None:
    # A fresh connection each time: a test may restart the server in between.
    admin = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(sql))
    admin.dispose()


def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        tables = [row[0] for row in conn.execute(text(DATA_TABLES_SQL))]
        conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        conn.execute(
            text("INSERT INTO directory_state (id, version, changed_at) VALUES (1, 0, now())")
        )
    engine.dispose()


@pytest.fixture(params=["sqlite"])
def db_url(request: pytest.FixtureRequest, sqlite_template: Path, tmp_path: Path) -> str:
    """A clean, migrated database. Parametrise with ["sqlite", "postgres"] to run on both."""
    if request.param == "postgres":
        url: str = request.getfixturevalue("postgres_url")
        _reset_postgres(url)
        return url
    path = tmp_path / "ttx.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


both_backends = pytest.mark.parametrize(
    "db_url", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


@pytest.fixture
def settings(db_url: str) -> Settings:
    # Tests post many requests from one address: the abuse limits have tests of their own.
    return Settings(
        database_url=db_url,
        env="development",
        embedded_dispatcher=False,
        rate_limit_public="100000/minute",
    )


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    engine = make_engine(settings)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session whose work is rolled back at the end of the test."""
    with Session(engine, expire_on_commit=False) as session:
        yield session
        session.rollback()


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings, embedded_dispatcher=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def make_key(engine: Engine, role: str, centre_ref: str | None = None) -> dict[str, str]:
    """Create a key straight through the service; return the header that carries it."""
    with session_scope(engine) as session:
        _, plaintext = keys.create_key(session, role=role, centre_ref=centre_ref)
    return {"Authorization": f"Bearer {plaintext}"}


@pytest.fixture
def admin_headers(engine: Engine) -> dict[str, str]:
    return make_key(engine, "admin")


@pytest.fixture
def partner_headers(engine: Engine) -> dict[str, str]:
    return make_key(engine, "partner")
