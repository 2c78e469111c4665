"""The migrations are the only way the schema is made: they must match the models."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

import app.models  # noqa: F401
from app.db import metadata
from app.services.health import alembic_config, head_revision
from tests.helpers.db import both_backends


@both_backends
def test_migrations_match_models(engine: Engine) -> None:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, metadata)
    assert diff == []


@both_backends
def test_taxonomy_seeded(engine: Engine) -> None:
    with engine.connect() as conn:
        regions = conn.execute(text("SELECT count(*) FROM region")).scalar_one()
        specialties = conn.execute(text("SELECT count(*) FROM specialty")).scalar_one()
        groups = conn.execute(text("SELECT label_fr FROM client_group WHERE code='youth'")).scalar()
    assert (regions, specialties, groups) == (17, 12, "Jeunes (16–35 ans)")


@both_backends
def test_downgrade_to_base_and_up_again(engine: Engine) -> None:
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "base")
        assert inspect(conn).get_table_names() == ["alembic_version"]
        command.upgrade(config, "head")
        current = MigrationContext.configure(conn).get_current_revision()
    assert current == head_revision()
