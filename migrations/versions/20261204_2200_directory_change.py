"""The directory's change log: one row per centre changed by a directory transaction, so
replicas fetch only what changed instead of rebuilding the whole directory.

Revision ID: 20261204_2200
Revises: 20261204_1500
Create Date: 2026-12-04 22:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261204_2200"
down_revision: str | None = "20261204_1500"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "directory_change",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("centre_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('upsert', 'remove')", name=op.f("ck_directory_change_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directory_change")),
    )
    op.create_index("ix_directory_change_version", "directory_change", ["version"])


def downgrade() -> None:
    op.drop_index("ix_directory_change_version", table_name="directory_change")
    op.drop_table("directory_change")
