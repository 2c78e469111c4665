"""`Idempotency-Key`: the same key and body replay the first answer; another body is refused;
a duplicate that arrives while the first is still being processed gets 409 with
`Retry-After`. A claim is a lease: one left by a process that died (killed mid-request) is
taken over once `LEASE` has passed, so the client's retry goes through."""

from __future__ import annotations

import functools
import hashlib
import math
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from app.db import on_rollback, session_scope, utcnow
from app.errors import Conflict, InvalidInput
from app.models import IdempotencyRecord
from app.models.states import IdempotencyState

KEEP = timedelta(hours=24)
# An in-flight claim older than this belongs to a request that died: it may be taken over.
# Above the longest a live request holds it (30 s waiting for a session, then its work).
LEASE = timedelta(seconds=45)
IN_PROGRESS = "idempotency_key_in_progress"


@dataclass(frozen=True, slots=True)
class Replay:
    status: int
    body: dict[str, Any]


def body_hash(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def claim(session: Session, scope: str, key: str, body: BaseModel) -> Replay | None:
    """Before the work of a request with an `Idempotency-Key`: the stored answer when this
    key was already answered for this body (replay it), else None, the key now being this
    request's, until `finish` stores its answer in `session`'s transaction or that
    transaction rolls back, which releases the key for a retry.

    409 while the same key is in progress elsewhere, 422 when it came with another body."""
    engine = session.get_bind()
    if not isinstance(engine, Engine):  # request sessions are bound to the engine
        raise TypeError("idempotency.claim takes a session bound to an engine")
    replay = begin(engine, scope, key, body_hash(body.model_dump_json().encode()))
    if replay is None:
        on_rollback(session, functools.partial(abandon, engine, scope, key))
    return replay


def begin(engine: Engine, scope: str, key: str, request_hash: str) -> Replay | None:
    """Claim the key in a transaction of its own, so a concurrent duplicate sees the claim.
    Return the stored answer when this key was already answered for this body."""
    if not 1 <= len(key) <= 200 or not key.isprintable():
        raise InvalidInput("idempotency_key_invalid")
    try:
        with session_scope(engine) as session:
            return _claim(session, scope, key, request_hash)
    except IntegrityError as exc:  # a concurrent duplicate claimed it first, just now
        raise Conflict(IN_PROGRESS, retry_after=_seconds(LEASE)) from exc


def _claim(session: Session, scope: str, key: str, request_hash: str) -> Replay | None:
    now = utcnow()
    record = session.get(IdempotencyRecord, (scope, key))
    if record is not None and record.expires_at <= now:
        session.delete(record)
        session.flush()
        record = None
    if record is None:
        session.add(
            IdempotencyRecord(
                scope=scope,
                key=key,
                request_hash=request_hash,
                state=IdempotencyState.IN_FLIGHT,
                created_at=now,
                expires_at=now + KEEP,
            )
        )
        session.flush()
        return None
    if record.request_hash != request_hash:
        raise InvalidInput("idempotency_key_reused")
    if record.state == IdempotencyState.DONE and record.response_status is not None:
        return Replay(record.response_status, record.response_body or {})
    if now - record.created_at < LEASE:
        raise Conflict(IN_PROGRESS, retry_after=_seconds(LEASE - (now - record.created_at)))
    # Take the abandoned claim over only if nobody else did since we read it.
    taken = session.execute(
        update(IdempotencyRecord)
        .where(
            col(IdempotencyRecord.scope) == scope,
            col(IdempotencyRecord.key) == key,
            col(IdempotencyRecord.created_at) == record.created_at,
        )
        .values(created_at=now)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(IN_PROGRESS, retry_after=_seconds(LEASE))
    return None


def _seconds(left: timedelta) -> int:
    return max(1, math.ceil(left.total_seconds()))


def finish(session: Session, scope: str, key: str, status: int, body: dict[str, Any]) -> None:
    """Store the answer in the business transaction: it exists only if the work committed."""
    record = session.get(IdempotencyRecord, (scope, key))
    if record is not None:
        record.state, record.response_status, record.response_body = (
            IdempotencyState.DONE,
            status,
            body,
        )
        session.add(record)


def abandon(engine: Engine, scope: str, key: str) -> None:
    """Release the claim of a request that failed, so the client can retry."""
    with session_scope(engine) as session:
        record = session.get(IdempotencyRecord, (scope, key))
        if record is not None and record.state == IdempotencyState.IN_FLIGHT:
            session.delete(record)
