"""Readiness: database reachable, migrations at head."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from app.paths import project_root


def alembic_config() -> Config:
    root = project_root()
    config = Config(str(root / "alembic.ini"))
    config.set_main_option("script_location", str(root / "migrations"))
    return config


def upgrade_to_head(engine: Engine) -> None:
    """Build or upgrade a schema with the real migrations (`ttx migrate`, tests, benchmarks)."""
    with engine.begin() as conn:
        config = alembic_config()
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def readiness(engine: Engine) -> dict[str, Any]:
    head = head_revision()
    try:
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
    except SQLAlchemyError as exc:
        return {"status": "unavailable", "database": "unreachable", "error": type(exc).__name__}
    ok = current == head
    return {
        "status": "ready" if ok else "migrations_pending",
        "database": "ok",
        "revision": current,
        "head": head,
    }
