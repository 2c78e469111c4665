"""The answers of the routes that build their JSON by hand: what each one holds, for the
OpenAPI document and for FastAPI, which serialises every answer through its model.

Timestamps stay the ISO 8601 text the services write (`Timestamp`); the stored JSON
documents (criteria, consent, ranking, person) are objects whose fields the import and
match schemas describe."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.schemas.common import Page
from app.schemas.directory import CentreAdmin, CentrePublic
from app.schemas.intake import ReasonOut

Timestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"})]
Json = dict[str, Any]


class CentresPublic(Page[CentrePublic]):
    """A page of the public directory."""


class CentresAdmin(Page[CentreAdmin]):
    """A page of the staff's view of the directory."""


class Liveness(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ready", "migrations_pending", "unavailable"]
    database: Literal["ok", "unreachable"]
    revision: str | None = None
    head: str | None = None
    error: str | None = None


class RegionCount(BaseModel):
    code: str
    name_fr: str
    name_en: str
    centre_count: int


class RegionList(BaseModel):
    items: list[RegionCount]
    total: int


class Label(BaseModel):
    code: str
    fr: str
    en: str


class TaxonomyOut(BaseModel):
    specialties: list[Label]
    client_groups: list[Label]
    languages: list[Label]
    modes: list[Label]
    intake_statuses: list[str]
    decline_reasons: list[str]


class Person(BaseModel):
    """The job seeker's contact details (shown to the centre taking them on, and to staff)."""

    model_config = ConfigDict(extra="allow")

    first_name: str
    last_name: str
    email: str | None = None
    phone: str | None = None
    preferred_contact: str
    language: str


class MatchKept(BaseModel):
    """Why this centre: its rank, score and reasons in the original ranking."""

    rank: int | None
    score: float | None
    reasons: list[ReasonOut]


class InboxReferral(BaseModel):
    id: str
    consultation_id: str
    state: str
    attempt: int
    created_at: Timestamp
    expires_at: Timestamp
    person: Person | None = Field(description="Only while this centre has or had the person")
    message: str | None
    criteria: Json
    consent: Json
    match: MatchKept


class InboxReferralPage(Page[InboxReferral]):
    """A page of this centre's referrals."""


class ReferralState(BaseModel):
    id: str
    state: str


class OwnInbox(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    url: str
    enabled: bool


class CentreIntake(BaseModel):
    model_config = ConfigDict(from_attributes=True)  # read from a `Centre`

    id: uuid.UUID
    ref: str
    intake_status: Literal["open", "paused"]
    weekly_capacity: int
    inbox: OwnInbox | None = Field(description="The webhook endpoint, or null (pull)")


class ConsultationBrief(BaseModel):
    """A request without personal data."""

    id: str
    status: str
    channel: str
    region_code: str | None
    created_at: Timestamp
    criteria: Json
    policy_version: str


class ConsultationBriefPage(Page[ConsultationBrief]):
    """A page of requests."""


class HistoryEntry(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    at: Timestamp
    from_state: str | None = Field(alias="from")
    to: str
    actor: str
    reason: str | None
    note: str | None


class CentreRef(BaseModel):
    id: str
    ref: str | None


class StaffReferral(BaseModel):
    id: str
    attempt: int
    state: str
    centre: CentreRef
    rank: int | None
    score: float | None
    reasons: list[ReasonOut]
    decline_reason: str | None
    decline_note: str | None
    history: list[HistoryEntry]


class ConsultationDetail(ConsultationBrief):
    """Everything about one request: the answer to a Law 25 request for explanation."""

    person: Person | None
    message: str | None
    consent: Json
    ranking: list[Json]
    anonymized_at: Timestamp | None
    referrals: list[StaffReferral]


class RoutedReferral(BaseModel):
    id: str
    state: str
    attempt: int
    centre: CentreRef
    rank: int | None
    score: float | None
    reasons: list[ReasonOut]
    created_at: Timestamp
    expires_at: Timestamp


class FailedDelivery(BaseModel):
    id: str
    webhook_id: str
    event_type: str
    # webhook | email
    channel: str
    # None for an e-mail to a job seeker about a request no centre has.
    centre_id: str | None
    referral_id: str | None
    attempts: int
    last_error: str | None
    created_at: Timestamp


class FailedDeliveryPage(Page[FailedDelivery]):
    """A page of failed deliveries."""


class Replayed(BaseModel):
    id: str
    status: str
    webhook_id: str


class InboxEnabled(BaseModel):
    centre_id: str
    enabled: bool


class Read(BaseModel):
    at: Timestamp
    actor: str
    action: str


class ConsultationExport(ConsultationDetail):
    reads: list[Read]


class PrivacyExport(BaseModel):
    exported_at: Timestamp
    consultations: list[ConsultationExport]


class Erased(BaseModel):
    erased: int


class OutcomeReport(BaseModel):
    """A report of a period (`GET /v1/admin/reports/referrals`, `GET /v1/stats`). Its rows
    and total keep the columns the grouping gives (`by=reason` has `declined` only; a
    published report marks withheld rows `"suppressed": true`)."""

    from_: str = Field(alias="from", json_schema_extra={"format": "date"})
    to: str = Field(json_schema_extra={"format": "date"})
    by: Literal["region", "centre", "month", "reason"]
    timezone: str = Field(description="Days are counted in this time zone")
    rows: list[Json] = Field(description="One per region, centre, month or decline reason")
    total: Json
