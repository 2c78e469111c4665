"""Centres' `notify_emails`: the addresses that receive their e-mail notices and web-inbox
sign-in links (DESIGN §13); each centre starts with its public `email`.

Revision ID: 20261204_1400
Revises: 20261204_signin
Create Date: 2026-12-04 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "20261204_1400"
down_revision: str | None = "20261204_signin"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_TYPE = sa.JSON().with_variant(JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("centre") as batch:
        batch.add_column(
            sa.Column("notify_emails", JSON_TYPE, nullable=False, server_default="[]")
        )
    centre = sa.table(
        "centre", sa.column("id", sa.Uuid()), sa.column("email", sa.String()),
        sa.column("notify_emails", JSON_TYPE),
    )  # fmt: skip
    conn = op.get_bind()
    rows = conn.execute(sa.select(centre.c.id, centre.c.email).where(centre.c.email.is_not(None)))
    for centre_id, email in rows.all():
        conn.execute(
            centre.update().where(centre.c.id == centre_id).values(notify_emails=[email.lower()])
        )


def downgrade() -> None:
    with op.batch_alter_table("centre") as batch:
        batch.drop_column("notify_emails")
