"""The webhooks sent to centre inboxes (DESIGN §8), in the document's `webhooks` section.

These operations are documentation: the dispatcher sends them (`app.dispatcher`); nothing
here receives anything. Each carries the three Standard Webhooks headers."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import FastAPI, Header
from pydantic import BaseModel, Field

from app.schemas.responses import Json, Person, Timestamp

WEBHOOK_ID = Header(
    alias="webhook-id",
    description="The event's id, the same on every retry: the receiver's de-duplication key.",
    examples=["msg_2f0c3b0e6a7d4c1e9b8a5f6d7c8e9f0a"],
)
WEBHOOK_TIMESTAMP = Header(
    alias="webhook-timestamp",
    description="When this attempt was signed, in Unix seconds: refuse stale ones.",
    examples=["1796933700"],
)
WEBHOOK_SIGNATURE = Header(
    alias="webhook-signature",
    description='`v1,` and the base64 HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{body}" '
    "under the inbox secret (`whsec_<base64>`, the bytes after the prefix). Any Standard "
    "Webhooks library verifies it.",
    examples=["v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4="],
)
ANSWERS: dict[int | str, dict[str, Any]] = {
    "2XX": {"description": "Received. Anything else within the timeout is a failure."},
    "3XX": {"description": "A failure: redirects are not followed."},
    410: {"description": "Gone: the inbox endpoint is disabled until staff enable it again."},
    "5XX": {
        "description": "A failure: retried immediately, then after 5 s, 5 min, 30 min, 2 h, "
        "5 h, 10 h and 10 h (with jitter); then the delivery is `failed` for staff to replay."
    },
}


class MatchSent(BaseModel):
    rank: int | None
    score: float | None
    reasons: list[str] = Field(description="Reason codes; their labels are in `/v1/taxonomy`")


class ReferralCreatedData(BaseModel):
    referral_id: str
    consultation_id: str
    centre_ref: str
    person: Person | None
    criteria: Json = Field(description="The situation, as in a match request")
    message: str | None
    match: MatchSent
    expires_at: Timestamp = Field(description="Answer (accept or decline) before this time")


class ReferralCreated(BaseModel):
    """A new request for the centre: the person, their situation and why this centre."""

    type: Literal["referral.created"]
    timestamp: Timestamp
    data: ReferralCreatedData


class ReferralCancelledData(BaseModel):
    referral_id: str
    reason: str | None = Field(description="Staff's note, if any")


class ReferralCancelled(BaseModel):
    """A request the centre received was withdrawn (by staff, or the person's erasure)."""

    type: Literal["referral.cancelled"]
    timestamp: Timestamp
    data: ReferralCancelledData


def install(app: FastAPI) -> None:
    @app.webhooks.post("referral.created", summary="A referral for this centre", responses=ANSWERS)
    def referral_created(
        body: ReferralCreated,
        webhook_id: Annotated[str, WEBHOOK_ID],
        webhook_timestamp: Annotated[str, WEBHOOK_TIMESTAMP],
        webhook_signature: Annotated[str, WEBHOOK_SIGNATURE],
    ) -> None:
        """Sent to the centre's inbox URL when a request is routed to it. Delivery is at least
        once: de-duplicate on `webhook-id`. Answer (accept or decline) through the inbox API.

        Envoyé à la boîte de réception du centre quand une demande lui est acheminée."""

    @app.webhooks.post("referral.cancelled", summary="A referral withdrawn", responses=ANSWERS)
    def referral_cancelled(
        body: ReferralCancelled,
        webhook_id: Annotated[str, WEBHOOK_ID],
        webhook_timestamp: Annotated[str, WEBHOOK_TIMESTAMP],
        webhook_signature: Annotated[str, WEBHOOK_SIGNATURE],
    ) -> None:
        """Sent when a referral the centre may already have is withdrawn: drop the person's
        data. / Envoyé quand une demande déjà reçue est retirée."""


def document(doc: dict[str, Any]) -> None:
    """Only the answers that mean something to the dispatcher: FastAPI's default `200` and
    `422` (a validation error of ours) do not apply to a request we send."""
    for item in doc.get("webhooks", {}).values():
        for operation in item.values():
            operation["responses"].pop("200", None)
            operation["responses"].pop("422", None)
