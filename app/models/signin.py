"""Signing in to the web pages without a password: e-mailed one-time links and the sessions
they open (`app.services.signin`), and the staff accounts of the console.

A link or a session belongs to a `kind` of account ("staff": a `staff_member`; "centre": a
centre, for its web inbox) and to the address it was sent to (several people per centre).
Only the SHA-256 of a link's token or a session's cookie is stored."""

import uuid
from datetime import datetime

from sqlalchemy import Column, String
from sqlmodel import Field, SQLModel

from app.db import UTCDateTime, utcnow


class SigninLink(SQLModel, table=True):
    """A one-time sign-in link: short-lived, used once."""

    __tablename__ = "signin_link"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    kind: str = Field(max_length=10)
    subject_id: uuid.UUID = Field(index=True)
    email: str = Field(max_length=254)
    token_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class WebSession(SQLModel, table=True):
    """A signed-in browser. `verified_at` is set once the second factor (if any) is passed:
    until then the session only reaches the second-factor pages."""

    __tablename__ = "web_session"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    kind: str = Field(max_length=10)
    subject_id: uuid.UUID = Field(index=True)
    email: str = Field(max_length=254)
    token_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    verified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    failed_checks: int = Field(default=0)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class StaffMember(SQLModel, table=True):
    """An AXTRA staff member who may sign in to the console (`ttx staff add EMAIL`).

    The TOTP secret is encrypted with `TTX_SECRET_KEY`; `totp_last_step` is the time step of
    the last code accepted, so a code is never accepted twice."""

    __tablename__ = "staff_member"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    email: str = Field(sa_column=Column(String(254), nullable=False, unique=True))
    name: str | None = Field(default=None, max_length=120)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    removed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_signin_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    totp_secret: str | None = Field(default=None, max_length=500)
    totp_enabled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    totp_last_step: int | None = None
