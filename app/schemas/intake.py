"""Match and consultation bodies (DESIGN §6)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, StringConstraints, model_validator
from pydantic_core import PydanticCustomError

from app.schemas.common import (
    ClientGroupCodes,
    LanguageCode,
    ModeCodes,
    SpecialtyCodes,
    Strict,
)
from app.schemas.directory import Email, InboxIn, Phone, visible_name

Name = Annotated[
    str,
    StringConstraints(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f<>]+$"),
    AfterValidator(visible_name),
]
FreeText = Annotated[str, StringConstraints(max_length=2000)]


class LocationQuery(Strict):
    """Where the person is: a postal code, a municipality (name or code), or a point."""

    postal_code: Annotated[str, StringConstraints(max_length=10)] | None = None
    municipality: Annotated[str, StringConstraints(min_length=1, max_length=120)] | None = None
    lat: Annotated[float, Field(ge=-90, le=90)] | None = None
    lon: Annotated[float, Field(ge=-180, le=180)] | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> LocationQuery:
        given = [self.postal_code is not None, self.municipality is not None]
        point = (self.lat is not None, self.lon is not None)
        if point[0] != point[1]:
            raise PydanticCustomError("lat_lon_pair", "give both lat and lon")
        if sum(given) + point[0] != 1:
            raise PydanticCustomError(
                "location_one_of", "give exactly one of postal_code, municipality, or lat and lon"
            )
        return self


class MatchRequest(Strict):
    """A situation to rank centres for. No personal data is needed."""

    location: LocationQuery
    client_groups: ClientGroupCodes = []
    needs: SpecialtyCodes = []
    need_text: Annotated[str, StringConstraints(max_length=500)] | None = None
    language: LanguageCode | None = None
    modes: ModeCodes = []
    age: Annotated[int, Field(ge=15, le=100)] | None = None
    limit: Annotated[int, Field(ge=1, le=50)] = 5


MATCH_EXAMPLES: dict[str, Any] = {
    "fr": {
        "summary": "Une personne immigrante à Trois-Rivières",
        "value": {
            "location": {"postal_code": "G8T 2A1"}, "client_groups": ["immigrants"],
            "needs": ["job_search"], "need_text": "je cherche un emploi en soudure",
            "language": "fr", "modes": ["in_person", "remote"], "age": 34, "limit": 5,
        },
    },
    "en": {
        "summary": "A young English speaker in Gaspé, remote accepted",
        "value": {
            "location": {"municipality": "Gaspé"}, "client_groups": ["youth"],
            "need_text": "help with my resume and interviews", "language": "en",
            "modes": ["remote"], "age": 19,
        },
    },
}  # fmt: skip


class MatchPlace(BaseModel):
    label: str
    region_code: str
    lat: float
    lon: float


class MatchCentre(BaseModel):
    id: str
    ref: str
    name: str


class ReasonOut(BaseModel):
    code: str
    fr: str
    en: str


class MatchResult(BaseModel):
    rank: int
    score: float
    distance_km: float | None
    centre: MatchCentre
    components: dict[str, float]
    reasons: list[ReasonOut]


class NeedDetected(BaseModel):
    """A need read from `need_text`, with the words that said it."""

    code: str
    fr: str
    en: str
    strength: float
    words: list[str]


class MatchResponse(BaseModel):
    policy_version: str
    needs_detected: list[NeedDetected]
    location: MatchPlace
    results: list[MatchResult]
    eligible_count: int
    excluded: dict[str, int]


class PersonIn(Strict):
    first_name: Name
    last_name: Name
    email: Email | None = None
    phone: Phone | None = None
    preferred_contact: Literal["email", "phone"] = "email"
    language: LanguageCode = "fr"

    @model_validator(mode="after")
    def _reachable(self) -> PersonIn:
        if self.email is None and self.phone is None:
            raise PydanticCustomError("contact_required", "give an email or a phone number")
        if getattr(self, self.preferred_contact) is None:
            raise PydanticCustomError(
                "preferred_contact_missing",
                "preferred_contact is {contact} but none was given",
                {"contact": self.preferred_contact},
            )
        return self


class ConsentIn(Strict):
    notice_version: Annotated[str, StringConstraints(min_length=1, max_length=20)]
    purposes: Annotated[list[Literal["referral", "statistics"]], Field(min_length=1, max_length=2)]
    # Consent is a JSON `true`, not a value that happens to read as one ("yes", 1).
    accepted: Annotated[bool, Field(strict=True)]

    @model_validator(mode="after")
    def _given(self) -> ConsentIn:
        if not self.accepted:
            raise PydanticCustomError("consent_not_accepted", "consent must be accepted")
        if "referral" not in self.purposes:
            raise PydanticCustomError("consent_referral_missing", "the referral purpose is needed")
        return self


class ConsultationIn(Strict):
    person: PersonIn
    criteria: MatchRequest
    message: FreeText | None = None
    centre_id: uuid.UUID | None = None
    consent: ConsentIn
    # Honeypot: humans never see this field on the public form; robots fill it in.
    website: Annotated[str, StringConstraints(max_length=200)] | None = None


CONSULTATION_EXAMPLES: dict[str, Any] = {
    "fr": {
        "summary": "Formulaire public",
        "value": {
            "person": {"first_name": "Marie", "last_name": "Tremblay",
                       "email": "marie@example.org", "phone": "+1 819 555 0199",
                       "preferred_contact": "email", "language": "fr"},
            "criteria": {"location": {"postal_code": "G8T 2A1"}, "client_groups": ["immigrants"],
                         "needs": ["job_search"], "language": "fr"},
            "message": "Je cherche un emploi en soudure.",
            "centre_id": None,
            "consent": {"notice_version": "2026-01", "purposes": ["referral"], "accepted": True},
        },
    },
    "en": {
        "summary": "A partner referral",
        "value": {
            "person": {"first_name": "Sam", "last_name": "Example", "phone": "+1 514 555 0142",
                       "preferred_contact": "phone", "language": "en"},
            "criteria": {"location": {"municipality": "Montréal"}, "needs": ["career_change"],
                         "language": "en", "age": 52},
            "consent": {"notice_version": "2026-01", "purposes": ["referral"], "accepted": True},
        },
    },
}  # fmt: skip


class ReferralSummary(BaseModel):
    id: uuid.UUID
    state: str
    attempt: int
    centre: MatchCentre
    rank: int | None
    score: float | None
    reasons: list[ReasonOut]
    created_at: datetime
    expires_at: datetime


class ConsultationOut(BaseModel):
    id: uuid.UUID
    status: str
    created_at: datetime
    referral: ReferralSummary | None


class DeclineIn(Strict):
    reason: Literal[
        "no_capacity", "out_of_area", "not_eligible", "unreachable", "duplicate", "other"
    ]
    note: Annotated[str, StringConstraints(max_length=1000)] | None = None


class IntakeUpdate(Strict):
    """What a centre changes itself: intake, capacity, and its webhook endpoint (`inbox`;
    `null` removes it, and the centre reads its referrals through the inbox API)."""

    intake_status: Literal["open", "paused"] | None = None
    weekly_capacity: Annotated[int, Field(ge=0, le=10_000)] | None = None
    inbox: InboxIn | None = None
