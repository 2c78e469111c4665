"""Count the consecutive claims of each outbox event that ended in a crash, so that an event
that keeps crashing its workers is parked instead of being claimed forever; and keep the id
of the request that enqueued it, sent with the webhook (X-Request-ID).

Revision ID: 20261203_1300
Revises: 0005
Create Date: 2026-12-03 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261203_1300"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_event") as batch:
        batch.add_column(
            sa.Column("crashes", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("request_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox_event") as batch:
        batch.drop_column("request_id")
        batch.drop_column("crashes")
