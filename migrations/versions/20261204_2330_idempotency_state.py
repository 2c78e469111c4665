"""The state of an Idempotency-Key's claim as a CHECK constraint (app.models.states).

A row in another state stops the upgrade, naming it, before anything is altered. On SQLite
the table is rebuilt (batch mode); no table references it, so its rows are simply copied.

Revision ID: 20261204_2330
Revises: 20261204_2300
Create Date: 2026-12-04 23:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261204_2330"
down_revision: str | None = "20261204_2300"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ck_idempotency_record_state"
KNOWN = "state IN ('in_flight', 'done')"


def upgrade() -> None:
    unknown = op.get_bind().execute(
        sa.text(f"SELECT DISTINCT state FROM idempotency_record WHERE NOT ({KNOWN})")
    )
    found = sorted(str(value) for value in unknown.scalars())
    if found:
        raise RuntimeError(f"idempotency_record.state holds states this version does not know: {found}")
    with op.batch_alter_table("idempotency_record", recreate="auto") as batch:
        batch.create_check_constraint(op.f(NAME), KNOWN)


def downgrade() -> None:
    with op.batch_alter_table("idempotency_record", recreate="auto") as batch:
        batch.drop_constraint(op.f(NAME), type_="check")
