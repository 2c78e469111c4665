"""Shared fixtures: databases built by the real migrations, on SQLite and PostgreSQL.

What these fixtures are built from (migrations, keys, `both_backends`) is in tests/helpers/db.py:
test modules import from tests/helpers/, never from a conftest or from one another.

Under pytest-xdist (`-n 2`) each worker has its own PostgreSQL databases (named after the
worker), its own Redis database number, temporary directories and ports; the tests marked
`serial` run afterwards, alone (`make test` runs both passes)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

# The helpers' asserts report what they compared, as tests' own do: registered before any
# helper is imported (hence the imports below this line).
pytest.register_assert_rewrite("tests.helpers")

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

from app.db import make_engine
from app.main import create_app
from app.settings import Settings
from tests.helpers.db import (
    admin_sql,
    make_key,
    migrate,
    postgres_admin_url,
    redis_url_for_worker,
    reset_postgres,
    seed_demo,
    throwaway_database_name,
    worker_index,
)
from tests.helpers.smtp import smtp_server  # noqa: F401  (a real SMTP server, for any test)

REDIS_ENV = "TTX_TEST_REDIS_URL"


def pytest_configure(config: pytest.Config) -> None:
    # Each xdist worker is its own process: the URL is rewritten for it, and for what it spawns.
    if os.environ.get(REDIS_ENV) and worker_index():
        os.environ[REDIS_ENV] = redis_url_for_worker(os.environ[REDIS_ENV], worker_index())


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # A `serial` test disturbs what other tests use at the same moment (a PostgreSQL restart):
    # under xdist it is left out, and `make test` runs it in a second pass, alone.
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    serial = [item for item in items if item.get_closest_marker("serial")]
    if serial:
        config.hook.pytest_deselected(items=serial)
        items[:] = [item for item in items if not item.get_closest_marker("serial")]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    migrate(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, migrated, dropped at the end."""
    admin_url = make_url(postgres_admin_url())
    name = throwaway_database_name()
    admin_sql(admin_url, f'CREATE DATABASE "{name}"')
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    try:
        migrate(url)
        yield url
    finally:
        admin_sql(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite"])
def db_url(request: pytest.FixtureRequest, sqlite_template: Path, tmp_path: Path) -> str:
    """A clean, migrated database. Parametrise with ["sqlite", "postgres"] to run on both."""
    if request.param == "postgres":
        url: str = request.getfixturevalue("postgres_url")
        reset_postgres(url)
        return url
    path = tmp_path / "ttx.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def demo_template(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    shutil.copy(sqlite_template, path)
    seed_demo(f"sqlite:///{path}")
    return path


@pytest.fixture
def demo_url(request: pytest.FixtureRequest, demo_template: Path, tmp_path: Path) -> str:
    """A migrated database with the demo directory (SQLite; PostgreSQL when parametrised)."""
    if getattr(request, "param", "sqlite") == "postgres":
        url: str = request.getfixturevalue("postgres_url")
        reset_postgres(url)
        seed_demo(url)
        return url
    path = tmp_path / "site.db"
    shutil.copy(demo_template, path)
    return f"sqlite:///{path}"


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


@pytest.fixture
def admin_headers(engine: Engine) -> dict[str, str]:
    return make_key(engine, "admin")


@pytest.fixture
def partner_headers(engine: Engine) -> dict[str, str]:
    return make_key(engine, "partner")
