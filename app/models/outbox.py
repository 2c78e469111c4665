"""The transactional outbox (DESIGN §8, §13): webhooks to centre inboxes and e-mails, and one
row per delivery attempt. Written by `app.dispatcher.enqueue` inside the business transaction."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Column, ForeignKey, Index
from sqlmodel import Field, SQLModel

from app.db import EnumText, JSONType, UTCDateTime, utcnow
from app.models.states import AttemptOutcome, Channel, OutboxStatus, one_of


class OutboxEvent(SQLModel, table=True):
    """One webhook to send. `webhook_id` is the receiver's de-duplication key: it never changes,
    whatever the number of attempts or replays."""

    __tablename__ = "outbox_event"
    __table_args__ = (
        # The claim query: due pending rows, oldest first.
        Index("ix_outbox_event_due", "status", "next_attempt_at"),
        one_of("status", OutboxStatus),
        one_of("channel", Channel),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    webhook_id: str = Field(max_length=40, unique=True)
    event_type: str = Field(max_length=60)
    channel: Channel = Field(
        default=Channel.WEBHOOK,
        sa_type=EnumText(Channel),
        sa_column_kwargs={"server_default": Channel.WEBHOOK.value},
    )
    # The centre it concerns; none for an e-mail to a job seeker about an unrouted request.
    centre_id: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(ForeignKey("centre.id", ondelete="CASCADE"), nullable=True, index=True),
    )
    # The referral the event is about; lets the business layer cancel what is still queued.
    subject_id: uuid.UUID | None = Field(default=None, index=True)
    payload: dict[str, Any] = Field(sa_type=JSONType)
    status: OutboxStatus = Field(default=OutboxStatus.PENDING, sa_type=EnumText(OutboxStatus))
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    locked_by: str | None = Field(default=None, max_length=80)
    # Consecutive claims that ended in a crash (an exception while sending, or the worker dying
    # with the lease held): an event that keeps crashing is parked as failed, not claimed forever.
    crashes: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # The request that enqueued it (`X-Request-ID`), sent along with the webhook.
    request_id: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=500)


class DeliveryAttempt(SQLModel, table=True):
    """What happened when the dispatcher tried to deliver an event once."""

    __tablename__ = "delivery_attempt"
    __table_args__ = (one_of("outcome", AttemptOutcome),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    event_id: uuid.UUID = Field(
        sa_column=Column(
            ForeignKey("outbox_event.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    attempt: int
    started_at: datetime = Field(sa_type=UTCDateTime)
    duration_ms: int
    status_code: int | None = None
    outcome: AttemptOutcome = Field(sa_type=EnumText(AttemptOutcome))
    error: str | None = Field(default=None, max_length=500)
    response_excerpt: str | None = Field(default=None, max_length=1024)
    worker: str | None = Field(default=None, max_length=80)
