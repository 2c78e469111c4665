"""Daily outcome figures for the reports, and the indexes that read a day of history.

Revision ID: 20261203_reports
Revises: 20261203_1300
Create Date: 2026-12-03 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261203_reports"
down_revision: str | None = "20261203_1300"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTERS = (
    "requests", "routed_at_once", "received", "accepted",
    "declined_no_capacity", "declined_out_of_area", "declined_not_eligible",
    "declined_unreachable", "declined_duplicate", "declined_other",
    "expired", "cancelled", "unrouted",
    "accepted_at_1", "accepted_at_2", "accepted_at_3_or_more",
)  # fmt: skip
BIN_COLUMNS = tuple(f"answers_{b:02d}" for b in range(32))


def upgrade() -> None:
    op.create_table(
        "report_day",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("region_code", sa.String(length=2), nullable=True),
        sa.Column("centre_id", sa.Uuid(), nullable=True),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in COUNTERS + BIN_COLUMNS),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_day")),
    )
    op.create_index("ix_report_day_day_centre_id", "report_day", ["day", "centre_id"])
    op.create_table(
        "report_rollup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("through", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_rollup")),
    )
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.create_index("ix_referral_created_at", ["created_at"], unique=False)
    with op.batch_alter_table("referral_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referral_event_at"), ["at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("referral_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_event_at"))
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.drop_index("ix_referral_created_at")
    op.drop_table("report_rollup")
    op.drop_index("ix_report_day_day_centre_id", table_name="report_day")
    op.drop_table("report_day")
