"""Databases for tests: schemas built by the real migrations, PostgreSQL databases of their
own, emptied between tests, and keys made straight through the service."""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, Engine
from sqlalchemy.pool import NullPool

from app.db import make_engine, session_scope
from app.paths import data_dir
from app.services import importer, keys
from app.services.centres import Rules
from app.services.health import upgrade_to_head
from app.settings import Settings

PG_ENV = "TTX_TEST_POSTGRES_URL"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
# Tables that hold rows a test writes; the taxonomy seeded by the migration stays.
DATA_TABLES_SQL = """
SELECT tablename FROM pg_tables WHERE schemaname = 'public'
AND tablename NOT IN ('region', 'specialty', 'client_group', 'alembic_version')
"""

# A test on both databases: `@both_backends` above it, `db_url` among its arguments.
both_backends = pytest.mark.parametrize(
    "db_url", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


def migrate(url: str) -> None:
    """Build a schema with the real migrations, exactly as `ttx migrate` does."""
    engine = make_engine(Settings(database_url=url))
    upgrade_to_head(engine)
    engine.dispose()


def postgres_admin_url() -> str:
    """The server's URL from TTX_TEST_POSTGRES_URL; skips without it (fails under CI)."""
    url = os.environ.get(PG_ENV)
    if not url:
        if IN_CI:
            pytest.fail(f"{PG_ENV} must be set under CI: PostgreSQL tests may not skip there")
        pytest.skip(f"set {PG_ENV} to run PostgreSQL tests")
    return url


def worker_name() -> str:
    """This process's name among pytest-xdist's workers ("gw0", "gw1", …), "main" without them."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def worker_index() -> int:
    """0 without pytest-xdist or on its first worker, 1 on the second, and so on."""
    name = worker_name()
    return int(name[2:]) if name.startswith("gw") else 0


def throwaway_database_name() -> str:
    """A database name no other test process uses: the xdist worker's name and a random part."""
    return f"ttx_test_{worker_name()}_{uuid.uuid4().hex[:10]}"


def redis_url_for_worker(url: str, index: int) -> str:
    """The Redis URL with its database number lowered by the worker's index (15, 14, … from
    15): workers never share counters, and the numbers move away from 0, an app's default."""
    head, _, db = url.rpartition("/")
    if not head.endswith("/") and db.isdigit():  # redis://host:port/N
        return f"{head}/{(int(db) - index) % 16}"
    return f"{url.rstrip('/')}/{(15 - index) % 16}"


def admin_sql(url: URL, sql: str) -> None:
    """Run one statement outside a transaction (CREATE / DROP DATABASE)."""
    # A fresh connection each time: a test may restart the server in between.
    admin = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(sql))
    admin.dispose()


def reset_postgres(url: str) -> None:
    """Empty every table a test writes, as a freshly migrated database has them."""
    engine = create_engine(url)
    with engine.begin() as conn:
        tables = [row[0] for row in conn.execute(text(DATA_TABLES_SQL))]
        conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        conn.execute(
            text("INSERT INTO directory_state (id, version, changed_at) VALUES (1, 0, now())")
        )
    engine.dispose()


def seed_demo(url: str) -> None:
    """Load the committed demo directory, as `ttx seed-demo` does."""
    settings = Settings(database_url=url)
    engine = make_engine(settings)
    records = importer.parse_file(
        (data_dir() / "demo_centres.json").read_bytes(), filename="x.json"
    )
    with session_scope(engine) as session:
        importer.import_records(session, records, rules=Rules.from_settings(settings))
    engine.dispose()


def make_key(engine: Engine, role: str, centre_ref: str | None = None) -> dict[str, str]:
    """Create a key straight through the service; return the header that carries it."""
    with session_scope(engine) as session:
        _, plaintext = keys.create_key(session, role=role, centre_ref=centre_ref)
    return {"Authorization": f"Bearer {plaintext}"}
