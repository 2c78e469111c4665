"""The outbox: webhooks to deliver to centre inboxes, and one row per delivery attempt.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 21:14:45.511240
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "outbox_event",
        sa.Column("id", sa.Uuid(), nullable=False),
        # Standard Webhooks `webhook-id`: the receiver's de-duplication key, stable across retries.
        sa.Column("webhook_id", sa.String(length=40), nullable=False),
        sa.Column("event_type", sa.String(length=60), nullable=False),
        sa.Column("centre_id", sa.Uuid(), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=True),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TIMESTAMP, nullable=False),
        # A worker's lease on the row while it delivers; another worker may take it once expired.
        sa.Column("locked_until", TIMESTAMP, nullable=True),
        sa.Column("locked_by", sa.String(length=80), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("delivered_at", TIMESTAMP, nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["centre_id"],
            ["centre.id"],
            name=op.f("fk_outbox_event_centre_id_centre"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_event")),
        sa.UniqueConstraint("webhook_id", name=op.f("uq_outbox_event_webhook_id")),
    )
    op.create_index(op.f("ix_outbox_event_centre_id"), "outbox_event", ["centre_id"])
    op.create_index(op.f("ix_outbox_event_subject_id"), "outbox_event", ["subject_id"])
    # Serves the workers' claim query: due pending rows, oldest first.
    op.create_index("ix_outbox_event_due", "outbox_event", ["status", "next_attempt_at"])

    op.create_table(
        "delivery_attempt",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("started_at", TIMESTAMP, nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("response_excerpt", sa.String(length=1024), nullable=True),
        sa.Column("worker", sa.String(length=80), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["outbox_event.id"],
            name=op.f("fk_delivery_attempt_event_id_outbox_event"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_attempt")),
    )
    op.create_index(op.f("ix_delivery_attempt_event_id"), "delivery_attempt", ["event_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_delivery_attempt_event_id"), table_name="delivery_attempt")
    op.drop_table("delivery_attempt")
    op.drop_index("ix_outbox_event_due", table_name="outbox_event")
    op.drop_index(op.f("ix_outbox_event_subject_id"), table_name="outbox_event")
    op.drop_index(op.f("ix_outbox_event_centre_id"), table_name="outbox_event")
    op.drop_table("outbox_event")
