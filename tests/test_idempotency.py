"""Idempotency claims: an abandoned in-flight claim is taken over once, not twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine

from app.db import session_scope, utcnow
from app.errors import Conflict, InvalidInput
from app.models import IdempotencyRecord
from app.services import idempotency


def test_abandoned_claim_is_taken_over_once(engine: Engine) -> None:
    with session_scope(engine) as session:
        session.add(IdempotencyRecord(
            scope="ip:x", key="k1", request_hash="h", state="in_flight",
            created_at=utcnow() - timedelta(minutes=5), expires_at=utcnow() + timedelta(hours=1),
        ))  # fmt: skip
    assert idempotency.begin(engine, "ip:x", "k1", "h") is None
    with pytest.raises(Conflict):
        idempotency.begin(engine, "ip:x", "k1", "h")
    with pytest.raises(InvalidInput):
        idempotency.begin(engine, "ip:x", "k1", "another body")


def test_fresh_claim_conflicts_and_finished_one_replays(engine: Engine) -> None:
    assert idempotency.begin(engine, "ip:y", "k2", "h") is None
    with pytest.raises(Conflict):
        idempotency.begin(engine, "ip:y", "k2", "h")
    with session_scope(engine) as session:
        idempotency.finish(session, "ip:y", "k2", 201, {"id": "abc"})
    replay = idempotency.begin(engine, "ip:y", "k2", "h")
    assert replay is not None and (replay.status, replay.body) == (201, {"id": "abc"})
    assert idempotency.begin(engine, "ip:other", "k2", "h") is None  # scoped to the caller
