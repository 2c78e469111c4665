"""The states a consultation, a referral, an outbox event and an idempotency claim move
through, as `StrEnum`s.

A member is its text (`ReferralState.PENDING == "pending"`), which is what the database
holds, the JSON says and the templates show. Each column is an `EnumText` (app.db): written
from a member or its text, read back as a member. The table carries a CHECK constraint from
`one_of`, so a row in a state the code does not know is refused by the database itself."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import CheckConstraint


class ConsultationStatus(StrEnum):
    """Where a request stands as a whole."""

    ROUTED = "routed"  # a centre has it and has not answered yet
    UNROUTED = "unrouted"  # no centre could take it: the staff queue
    ACCEPTED = "accepted"
    CANCELLED = "cancelled"  # withdrawn by the person or by staff


class ReferralState(StrEnum):
    """One request sent to one centre."""

    PENDING = "pending"  # waiting for its webhook or for the centre to read its inbox
    DELIVERED = "delivered"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"  # no answer within the acceptance delay
    CANCELLED = "cancelled"


OPEN_REFERRAL = (ReferralState.PENDING, ReferralState.DELIVERED)
ANSWERED_REFERRAL = (
    ReferralState.ACCEPTED,
    ReferralState.DECLINED,
    ReferralState.EXPIRED,
    ReferralState.CANCELLED,
)


class OutboxStatus(StrEnum):
    """One webhook or e-mail waiting in the outbox."""

    PENDING = "pending"  # due at `next_attempt_at`
    DELIVERED = "delivered"
    FAILED = "failed"  # retries exhausted, or parked after crashes: staff may replay it
    PULL = "pull"  # the centre has no webhook endpoint: it reads its inbox instead
    CANCELLED = "cancelled"  # what it was about was withdrawn before it went out


class Channel(StrEnum):
    """How an outbox event travels."""

    WEBHOOK = "webhook"  # POST to the centre's inbox endpoint
    EMAIL = "email"  # one message to one address


class AttemptOutcome(StrEnum):
    """What one delivery attempt came to."""

    SUCCESS = "success"  # 2xx, or the SMTP server took the message
    FAILURE = "failure"
    GONE = "gone"  # 410: the endpoint is disabled


class IdempotencyState(StrEnum):
    """An `Idempotency-Key` claimed by a request."""

    IN_FLIGHT = "in_flight"  # its request is at work (or died: the claim is taken over)
    DONE = "done"  # answered: a retry gets the same answer


def one_of(column: str, states: type[StrEnum]) -> CheckConstraint:
    """`column IN (…every state…)`, named `ck_<table>_<column>` by the metadata's convention.
    A NULL passes, as in any CHECK: nullability is the column's own business."""
    listed = ", ".join(f"'{state.value}'" for state in states)
    return CheckConstraint(f"{column} IN ({listed})", name=column)
