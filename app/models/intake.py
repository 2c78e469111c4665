"""Consultations, their referrals to centres, the referral history, idempotency and audit.

Personal fields are stored encrypted (`*_enc`, see app.crypto); everything else here is
non-personal and survives anonymisation for statistics."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Column, ForeignKey, Index, Integer, Text
from sqlmodel import Field, SQLModel

from app.db import EnumText, JSONType, UTCDateTime, utcnow
from app.models.states import ConsultationStatus, IdempotencyState, ReferralState, one_of


class Consultation(SQLModel, table=True):
    """A person's request for help (demande de consultation)."""

    __table_args__ = (one_of("status", ConsultationStatus),)

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    status: ConsultationStatus = Field(sa_type=EnumText(ConsultationStatus), index=True)
    channel: str = Field(max_length=10)  # public | partner | admin
    partner_key_id: uuid.UUID | None = Field(default=None, index=True)
    region_code: str | None = Field(default=None, max_length=2)
    # What the match used, without personal data: resolved place, codes, language, modes.
    criteria: dict[str, Any] = Field(sa_type=JSONType)
    # The original ranking: [{"centre_id", "rank", "score", "reasons"}], re-routing walks it.
    ranking: list[dict[str, Any]] = Field(sa_type=JSONType)
    policy_version: str = Field(max_length=20)
    consent: dict[str, Any] = Field(sa_type=JSONType)
    person_enc: str | None = Field(default=None, sa_type=Text)
    message_enc: str | None = Field(default=None, sa_type=Text)
    anonymized_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ContactDigest(SQLModel, table=True):
    """A keyed hash of a person's normalised email or phone: finds their requests for export
    or erasure without decrypting every row, and reveals nothing without the key."""

    __tablename__ = "contact_digest"

    digest: str = Field(primary_key=True, max_length=64)
    consultation_id: uuid.UUID = Field(
        sa_column=Column(
            ForeignKey("consultation.id", ondelete="CASCADE"), primary_key=True, index=True
        )
    )


_REFERRAL_VERSION = Column("version", Integer, nullable=False, server_default="1")


class Referral(SQLModel, table=True):
    """One consultation sent to one centre (acheminement).

    `version` guards every state change: two writers that read the same state (a centre
    accepting while the expiry sweep expires) cannot both win; the second gets a conflict."""

    __table_args__ = (
        Index("ix_referral_state_expires_at", "state", "expires_at"),
        Index("ix_referral_created_at", "created_at"),  # the reports read a day's referrals
        one_of("state", ReferralState),
    )
    __mapper_args__ = {"version_id_col": _REFERRAL_VERSION}  # noqa: RUF012

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    consultation_id: uuid.UUID = Field(
        sa_column=Column(
            ForeignKey("consultation.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    centre_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("centre.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    attempt: int  # 1 for the first centre, 2 for the next...
    state: ReferralState = Field(sa_type=EnumText(ReferralState))
    rank: int | None = None
    score: float | None = None
    reasons: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONType)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    responded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    decline_reason: str | None = Field(default=None, max_length=20)
    decline_note: str | None = Field(default=None, max_length=1000)
    version: int = Field(default=1, sa_column=_REFERRAL_VERSION)


class ReferralEvent(SQLModel, table=True):
    """Every transition of a referral, with its time and actor."""

    __tablename__ = "referral_event"
    __table_args__ = (one_of("from_state", ReferralState), one_of("to_state", ReferralState))

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    referral_id: uuid.UUID = Field(
        sa_column=Column(ForeignKey("referral.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    from_state: ReferralState | None = Field(default=None, sa_type=EnumText(ReferralState))
    to_state: ReferralState = Field(sa_type=EnumText(ReferralState))
    actor: str = Field(max_length=80)
    reason: str | None = Field(default=None, max_length=20)
    note: str | None = Field(default=None, max_length=1000)


class IdempotencyRecord(SQLModel, table=True):
    """The first answer to an `Idempotency-Key`, replayed for the same caller and body."""

    __tablename__ = "idempotency_record"
    __table_args__ = (one_of("state", IdempotencyState),)

    scope: str = Field(primary_key=True, max_length=100)
    key: str = Field(primary_key=True, max_length=200)
    request_hash: str = Field(max_length=64)
    state: IdempotencyState = Field(sa_type=EnumText(IdempotencyState))
    response_status: int | None = None
    response_body: dict[str, Any] | None = Field(default=None, sa_type=JSONType)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)


class AuditEntry(SQLModel, table=True):
    """Who read or changed personal information, and when (Law 25)."""

    __tablename__ = "audit_entry"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    actor: str = Field(max_length=80)
    action: str = Field(max_length=40)
    subject_type: str = Field(max_length=20)
    subject_id: uuid.UUID = Field(index=True)
    detail: str | None = Field(default=None, max_length=500)
