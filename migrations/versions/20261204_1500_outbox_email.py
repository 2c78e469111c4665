"""E-mail as a channel of the outbox (DESIGN §13): each event says whether it is a webhook
or an e-mail; an e-mail to a job seeker belongs to no centre, so `centre_id` may be empty.

Revision ID: 20261204_1500
Revises: 20261204_1400
Create Date: 2026-12-04 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261204_1500"
down_revision: str | None = "20261204_1400"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_event") as batch:
        batch.add_column(
            sa.Column("channel", sa.String(length=10), nullable=False, server_default="webhook")
        )
        batch.alter_column("centre_id", existing_type=sa.Uuid(), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM outbox_event WHERE centre_id IS NULL")
    with op.batch_alter_table("outbox_event") as batch:
        batch.alter_column("centre_id", existing_type=sa.Uuid(), nullable=False)
        batch.drop_column("channel")
