"""Keyed hashes of contact details, to find a person's requests for export or erasure.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 21:28:17.179828
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "contact_digest",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("consultation_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultation.id"],
            name=op.f("fk_contact_digest_consultation_id_consultation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("digest", "consultation_id", name=op.f("pk_contact_digest")),
    )
    with op.batch_alter_table("contact_digest", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contact_digest_consultation_id"), ["consultation_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("contact_digest", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contact_digest_consultation_id"))

    op.drop_table("contact_digest")
