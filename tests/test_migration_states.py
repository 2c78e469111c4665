"""The states' CHECK constraints (migrations 20261204_2300 and 20261204_2330): the database
itself refuses a row in a state the code does not know, and rows in known states migrate
unchanged."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alembic import command
from sqlalchemy import CheckConstraint, Connection, inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

import app.models  # noqa: F401
from app.db import metadata
from app.models.states import (
    AttemptOutcome,
    Channel,
    ConsultationStatus,
    IdempotencyState,
    OutboxStatus,
    ReferralState,
)
from app.services.health import alembic_config, head_revision
from tests.helpers.db import both_backends

BEFORE = "20261204_2200"
TABLES = (
    "consultation",
    "contact_digest",
    "referral",
    "referral_event",
    "outbox_event",
    "delivery_attempt",
    "idempotency_record",
)
STATE_COLUMNS = [
    ("consultation", "status"),
    ("referral", "state"),
    ("referral_event", "from_state"),
    ("referral_event", "to_state"),
    ("outbox_event", "status"),
    ("outbox_event", "channel"),
    ("delivery_attempt", "outcome"),
    ("idempotency_record", "state"),
]
AT = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)


@pytest.fixture
def at_revision(engine: Engine) -> Iterator[Any]:
    """`move(revision)` runs the real migrations down or up on the test database."""
    config = alembic_config()

    def move(revision: str) -> None:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            if revision == "head":
                command.upgrade(config, "head")
            else:
                command.downgrade(config, revision)

    yield move
    move("head")


def rows_in_every_state(conn: Connection) -> None:
    """A centre, and consultations, referrals, their history, digests, events and attempts
    that use every state of every column."""
    t = metadata.tables
    centre = uuid.uuid4()
    conn.execute(
        t["centre"]
        .insert()
        .values(
            id=centre,
            ref="states-1",
            name="Centre des états",
            languages=["fr"],
            modes=["in_person"],
            intake_status="open",
            weekly_capacity=10,
            notify_emails=[],
            active=True,
            created_at=AT,
            updated_at=AT,
        )
    )
    for n, status in enumerate(ConsultationStatus):
        consultation = uuid.uuid4()
        conn.execute(
            t["consultation"]
            .insert()
            .values(
                id=consultation,
                created_at=AT + timedelta(minutes=n),
                status=status.value,
                channel="public",
                criteria={"region": "04"},
                ranking=[],
                policy_version="2026-11",
                consent={"purposes": ["referral"]},
                person_enc="sealed",
                message_enc=None,
            )
        )
        conn.execute(
            t["contact_digest"].insert().values(digest=f"{n:064x}", consultation_id=consultation)
        )
        for m, state in enumerate(ReferralState):
            referral = uuid.uuid4()
            conn.execute(
                t["referral"]
                .insert()
                .values(
                    id=referral,
                    consultation_id=consultation,
                    centre_id=centre,
                    attempt=m + 1,
                    state=state.value,
                    rank=m + 1,
                    score=0.5,
                    reasons=[{"code": "region"}],
                    created_at=AT,
                    expires_at=AT + timedelta(days=2),
                    version=m + 1,
                )
            )
            conn.execute(
                t["referral_event"]
                .insert()
                .values(
                    id=uuid.uuid4(),
                    referral_id=referral,
                    at=AT,
                    from_state=None,
                    to_state=ReferralState.PENDING.value,
                    actor="system",
                )
            )
            conn.execute(
                t["referral_event"]
                .insert()
                .values(
                    id=uuid.uuid4(),
                    referral_id=referral,
                    at=AT + timedelta(hours=1),
                    from_state=ReferralState.PENDING.value,
                    to_state=state.value,
                    actor="system",
                )
            )
    for n, (status, channel) in enumerate((s, c) for s in OutboxStatus for c in Channel):
        event = uuid.uuid4()
        conn.execute(
            t["outbox_event"]
            .insert()
            .values(
                id=event,
                webhook_id=f"msg_{n:032x}",
                event_type="referral.created",
                channel=channel.value,
                centre_id=centre,
                subject_id=None,
                payload={"type": "x"},
                status=status.value,
                attempts=n,
                next_attempt_at=AT,
                crashes=0,
                created_at=AT,
            )
        )
        for m, outcome in enumerate(AttemptOutcome):
            conn.execute(
                t["delivery_attempt"]
                .insert()
                .values(
                    id=uuid.uuid4(),
                    event_id=event,
                    attempt=m + 1,
                    started_at=AT,
                    duration_ms=12,
                    status_code=200,
                    outcome=outcome.value,
                )
            )
    for n, state in enumerate(IdempotencyState):
        conn.execute(
            t["idempotency_record"]
            .insert()
            .values(
                scope="ip:192.0.2.0",
                key=f"key-{n}",
                request_hash="0" * 64,
                state=state.value,
                response_status=201 if state == IdempotencyState.DONE else None,
                response_body={"id": "x"} if state == IdempotencyState.DONE else None,
                created_at=AT,
                expires_at=AT + timedelta(days=1),
            )
        )


def snapshot(conn: Connection) -> dict[str, list[tuple[Any, ...]]]:
    order = {"contact_digest": "digest", "idempotency_record": "scope, key"}
    return {
        table: [
            tuple(row)
            for row in conn.execute(
                text(f"SELECT * FROM {table} ORDER BY {order.get(table, 'id')}")
            )
        ]  # noqa: S608
        for table in TABLES
    }


@both_backends
def test_every_check_constraint_of_the_models_is_in_the_database(engine: Engine) -> None:
    # compare_metadata (test_migrations) does not look at CHECK constraints: this does.
    found = inspect(engine)
    for table in metadata.sorted_tables:
        declared = {c.name for c in table.constraints if isinstance(c, CheckConstraint)}
        present = {c["name"] for c in found.get_check_constraints(table.name)}
        assert present == declared, table.name


@both_backends
@pytest.mark.parametrize(("table", "column"), STATE_COLUMNS)
def test_the_database_refuses_an_unknown_state(engine: Engine, table: str, column: str) -> None:
    with engine.begin() as conn:
        rows_in_every_state(conn)
    refused = pytest.raises(IntegrityError, match=f"ck_{table}_{column}|CHECK constraint")
    with refused, engine.begin() as conn:
        conn.execute(text(f"UPDATE {table} SET {column} = 'lost'"))  # noqa: S608
    with engine.connect() as conn:
        values = conn.execute(text(f"SELECT DISTINCT {column} FROM {table}")).scalars()  # noqa: S608
        assert "lost" not in set(values)


@both_backends
def test_rows_in_known_states_migrate_unchanged(engine: Engine, at_revision: Any) -> None:
    at_revision(BEFORE)
    with engine.begin() as conn:
        rows_in_every_state(conn)
        before = snapshot(conn)
    assert all(before.values())
    at_revision("head")
    with engine.connect() as conn:
        assert snapshot(conn) == before
    at_revision(BEFORE)  # and down again, rows kept too
    with engine.connect() as conn:
        assert snapshot(conn) == before
        assert not inspect(conn).get_check_constraints("referral")


@both_backends
@pytest.mark.parametrize(
    ("table", "column", "one_row"),
    [("referral", "state", "attempt = 1"), ("idempotency_record", "state", "key = 'key-0'")],
)
def test_an_unknown_state_stops_the_upgrade_and_changes_nothing(
    engine: Engine, at_revision: Any, table: str, column: str, one_row: str
) -> None:
    at_revision(BEFORE)
    with engine.begin() as conn:
        rows_in_every_state(conn)
        conn.execute(text(f"UPDATE {table} SET {column} = 'lost' WHERE {one_row}"))  # noqa: S608
        before = snapshot(conn)
    with pytest.raises(RuntimeError, match=rf"{table}\.{column} .*\['lost'\]"):
        at_revision("head")
    with engine.begin() as conn:
        assert snapshot(conn) == before
        assert not any(inspect(conn).get_check_constraints(t) for t in TABLES)
        conn.execute(text(f"DELETE FROM {table} WHERE {column} = 'lost'"))  # noqa: S608
    assert head_revision() != BEFORE
