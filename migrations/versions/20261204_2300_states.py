"""States as CHECK constraints: a consultation's status, a referral's state (and its history),
an outbox event's status and channel, a delivery attempt's outcome (app.models.states).

Rows already in a known state migrate unchanged; a row in any other state stops the upgrade
with its table, column and value, before anything is altered.

SQLite adds a constraint by copying the table into a new one (batch mode), and dropping the
old table deletes, through ON DELETE CASCADE, the rows that reference it: the referrals of a
consultation, the history of a referral, the attempts of an event. So on SQLite the six tables
are kept in temporary copies, emptied, rebuilt with their constraints and filled again,
parents first, all in the migration's transaction.

Revision ID: 20261204_2300
Revises: 20261204_2200
Create Date: 2026-12-04 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261204_2300"
down_revision: str | None = "20261204_2200"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFERRAL = ("pending", "delivered", "accepted", "declined", "expired", "cancelled")
# (table, column, states), as app.models.states has them on the day of this migration.
CHECKS = (
    ("consultation", "status", ("routed", "unrouted", "accepted", "cancelled")),
    ("referral", "state", REFERRAL),
    ("referral_event", "from_state", REFERRAL),
    ("referral_event", "to_state", REFERRAL),
    ("outbox_event", "status", ("pending", "delivered", "failed", "pull", "cancelled")),
    ("outbox_event", "channel", ("webhook", "email")),
    ("delivery_attempt", "outcome", ("success", "failure", "gone")),
)
# Parents before children: the order rows are put back in on SQLite.
TABLES = (
    "consultation",
    "contact_digest",
    "referral",
    "referral_event",
    "outbox_event",
    "delivery_attempt",
)


def _condition(column: str, states: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(state) for state in states)})"


def _refuse_unknown_states() -> None:
    bind = op.get_bind()
    for table, column, states in CHECKS:
        known = _condition(column, states)
        unknown = bind.execute(
            sa.text(f"SELECT DISTINCT {column} FROM {table} WHERE NOT ({known})")  # nosec B608
        ).scalars()
        found = sorted(str(value) for value in unknown)
        if found:
            raise RuntimeError(f"{table}.{column} holds states this version does not know: {found}")


def _rebuild_sqlite(change: str) -> None:
    """Rebuild each table with its constraints added (`upgrade`) or dropped, keeping its rows."""
    bind = op.get_bind()
    columns = {t: [c["name"] for c in sa.inspect(bind).get_columns(t)] for t in TABLES}
    for table in TABLES:
        # A failed earlier run may have left its copy in this connection's temporary schema.
        op.execute(f"DROP TABLE IF EXISTS temp.keep_{table}")
        op.execute(f"CREATE TEMP TABLE keep_{table} AS SELECT * FROM {table}")
    for table in reversed(TABLES):
        op.execute(f"DELETE FROM {table}")
    for table in TABLES:
        checks = [(column, states) for t, column, states in CHECKS if t == table]
        if not checks:
            continue
        with op.batch_alter_table(table, recreate="always") as batch:
            for column, states in checks:
                name = op.f(f"ck_{table}_{column}")
                if change == "upgrade":
                    batch.create_check_constraint(name, _condition(column, states))
                else:
                    batch.drop_constraint(name, type_="check")
    for table in TABLES:
        listed = ", ".join(columns[table])
        op.execute(f"INSERT INTO {table} ({listed}) SELECT {listed} FROM keep_{table}")
        op.execute(f"DROP TABLE keep_{table}")


def upgrade() -> None:
    _refuse_unknown_states()
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite("upgrade")
        return
    for table, column, states in CHECKS:
        op.create_check_constraint(op.f(f"ck_{table}_{column}"), table, _condition(column, states))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite("downgrade")
        return
    for table, column, _ in CHECKS:
        op.drop_constraint(op.f(f"ck_{table}_{column}"), table, type_="check")
