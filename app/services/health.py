"""Readiness: database reachable, migrations at head, the embedded dispatcher running."""

from __future__ import annotations

from typing import Any, Protocol

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


class DispatcherState(Protocol):
    def status(self) -> tuple[bool, str | None]: ...


def readiness(engine: Engine, dispatcher: DispatcherState | None = None) -> dict[str, Any]:
    """Database reachable, schema at head, and (when this process delivers) its dispatcher
    running; `status` names the first thing wrong and `reason` says it in words."""
    report = _database_readiness(engine)
    if dispatcher is None:
        report["dispatcher"] = "off"
        return report
    running, why = dispatcher.status()
    report["dispatcher"] = "running" if running else "stopped"
    if not running and report["status"] == "ready":
        report["status"], report["reason"] = "dispatcher_stopped", why
    return report


def _database_readiness(engine: Engine) -> dict[str, Any]:
    head = head_revision()
    try:
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
    except SQLAlchemyError as exc:
        return {
            "status": "unavailable",
            "database": "unreachable",
            "error": type(exc).__name__,
            "reason": "the database does not answer",
        }
    ok = current == head
    report: dict[str, Any] = {
        "status": "ready" if ok else "migrations_pending",
        "database": "ok",
        "revision": current,
        "head": head,
    }
    if not ok:
        report["reason"] = "the database schema is not at the latest migration (ttx migrate)"
    return report
