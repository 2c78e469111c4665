"""The one way in: `enqueue` adds an event to the caller's transaction (DESIGN §8)."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from pydantic import SecretStr
from sqlalchemy import bindparam, case, exists
from sqlmodel import Session

from app.crypto import decrypt_json, encrypt_json
from app.db import utcnow
from app.models.directory import InboxEndpoint
from app.models.outbox import OutboxEvent
from app.models.states import Channel, OutboxStatus
from app.ops.logs import current_request_id

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Delivered:
    """An event that has just reached its centre, as `on_delivered` hooks see it."""

    event_id: uuid.UUID
    webhook_id: str
    event_type: str
    subject_id: uuid.UUID | None


DeliveredHook = Callable[[Session, Sequence[Delivered]], None]
_delivered_hooks: list[DeliveredHook] = []


@dataclass(frozen=True, slots=True)
class Queued:
    """What `enqueue` wrote: the event's id, its webhook id and its stored payload."""

    id: uuid.UUID
    webhook_id: str
    payload: dict[str, Any]


def enqueue(
    session: Session,
    *,
    event_type: str,
    centre_id: uuid.UUID | None,
    subject_id: uuid.UUID | None,
    data: Mapping[str, Any],
    now: datetime | None = None,
    seal_key: SecretStr | None = None,
    channel: Channel = Channel.WEBHOOK,
) -> Queued:
    """Queue a webhook for a centre, or an e-mail, inside the caller's transaction.

    The event is written, never committed: it exists if and only if the business transaction
    commits. A centre without an inbox endpoint gets a `pull` event (it reads its referrals
    through the inbox API); otherwise the event is `pending` and due at once.
    `data` may hold UUIDs, datetimes and decimals: they are stored as JSON strings.
    With `seal_key` (data holding personal information), `data` is stored encrypted and only
    decrypted by the worker that sends it. The id of the request being handled, if any, is
    kept and sent with the webhook as `X-Request-ID`.

    `channel="email"`: one message to one address, `data` made by `mailing.mail_data` (the
    template, language, recipient and the context the message shows), always sealed, pending
    at once whatever endpoint the centre has; `centre_id` may be None (a job seeker's).

    One INSERT, without an ORM instance or a separate look-up (this runs on every
    submission); nothing pending in the session is flushed first, so write the rows this one
    refers to before calling it.
    """
    if channel not in (Channel.WEBHOOK, Channel.EMAIL):
        raise ValueError(f"unknown channel {channel!r}")
    if channel == Channel.WEBHOOK and centre_id is None:
        raise ValueError("a webhook goes to a centre")
    if channel == Channel.EMAIL and seal_key is None:
        raise ValueError("an e-mail event is stored sealed: pass seal_key")
    moment = now or utcnow()
    body = webhook_body(event_type, moment, data, seal_key)
    queued = Queued(uuid.uuid4(), new_webhook_id(), body)
    row = {
        "id": queued.id,
        "webhook_id": queued.webhook_id,
        "event_type": event_type,
        "centre_id": centre_id,
        "subject_id": subject_id,
        "payload": queued.payload,
        "attempts": 0,
        "next_attempt_at": moment,
        "created_at": moment,
        "request_id": current_request_id(),
        "channel": channel,
    }
    if channel == Channel.EMAIL:
        session.execute(_INSERT_MAIL, row)
    else:
        session.execute(_INSERT, row | {"endpoint_of": centre_id})
    return queued


_ENDPOINTS = InboxEndpoint.__table__  # type: ignore[attr-defined]
# Built once (building a statement costs more than running it). The endpoint is looked up by
# the INSERT itself, never from a cache: one registered a moment ago gets its events pushed,
# one removed leaves none waiting for a push.
_INSERT = OutboxEvent.__table__.insert().values(  # type: ignore[attr-defined]
    status=case(
        (exists().where(_ENDPOINTS.c.centre_id == bindparam("endpoint_of")), OutboxStatus.PENDING),
        else_=OutboxStatus.PULL,
    )
)


_INSERT_MAIL = OutboxEvent.__table__.insert().values(status=OutboxStatus.PENDING)  # type: ignore[attr-defined]


def _open(token: str, key: SecretStr | None) -> Any:
    if key is None:
        raise ValueError("the body is sealed and this worker has no TTX_SECRET_KEY")
    return decrypt_json(key, token)


def new_webhook_id() -> str:
    """A Standard Webhooks message id: `msg_` and 32 hex digits."""
    return "msg_" + uuid.uuid4().hex


def webhook_body(
    event_type: str, moment: datetime, data: Mapping[str, Any], seal_key: SecretStr | None = None
) -> dict[str, Any]:
    """The document sent to the centre, `{"type", "timestamp", "data"}` (DESIGN §8), as
    stored: with `seal_key`, `data` is encrypted at rest (`sealed`); `type` and `timestamp`
    stay readable for staff."""
    stamp = moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    if seal_key is not None:
        sealed = encrypt_json(seal_key, dict(data), default=_json_default)
        return {"type": event_type, "timestamp": stamp, "sealed": sealed}
    return {"type": event_type, "timestamp": stamp, "data": to_json_value(dict(data))}


def encode_body(payload: Mapping[str, Any], key: SecretStr | None = None) -> bytes:
    """Serialise a stored body with `type` first, whatever key order the database kept,
    opening a sealed `data` with `key` (ValueError when it cannot)."""
    data = payload["data"] if "sealed" not in payload else _open(payload["sealed"], key)
    ordered = {"type": payload["type"], "timestamp": payload["timestamp"], "data": data}
    return json.dumps(ordered, ensure_ascii=False, separators=(",", ":")).encode()


def to_json_value(value: Any) -> Any:
    """`value` made of JSON types only, so that the JSON column accepts it on every backend."""
    return json.loads(json.dumps(value, default=_json_default))


def _json_default(value: Any) -> Any:
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} cannot be sent in a webhook")


def on_delivered(fn: DeliveredHook) -> DeliveredHook:
    """Register `fn(session, delivered)`, called with the events of a batch that reached their
    centres, in the transaction that records them as delivered.

    This is how the business layer learns of deliveries without the dispatcher importing it.
    A delivery is at least once, and staff may replay one, so `fn` must be idempotent. If it
    raises, its changes are rolled back to a savepoint, it is called again for each event on
    its own (so one bad event does not hold back the others), and the deliveries are recorded
    whatever it does. Usable as a decorator; registering the same function twice has no effect.
    """
    if fn not in _delivered_hooks:
        _delivered_hooks.append(fn)
    return fn


def remove_delivered_hook(fn: DeliveredHook) -> None:
    """Unregister a function given to `on_delivered` (tests, reloads)."""
    if fn in _delivered_hooks:
        _delivered_hooks.remove(fn)


def run_delivered_hooks(session: Session, delivered: Sequence[Delivered]) -> None:
    """Call every registered hook with the whole batch, each inside its own savepoint; a hook
    that fails is called again event by event."""
    if not delivered:
        return
    for fn in list(_delivered_hooks):
        try:
            with session.begin_nested():
                fn(session, delivered)
            continue
        except Exception:
            if len(delivered) == 1:
                log.exception("on_delivered hook %r failed for %s", fn, delivered[0].webhook_id)
                continue
        for one in delivered:
            try:
                with session.begin_nested():
                    fn(session, [one])
            except Exception:
                log.exception("on_delivered hook %r failed for %s", fn, one.webhook_id)
