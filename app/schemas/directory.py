"""Centre bodies: import/create input, partial update, public and staff views."""

from __future__ import annotations

import base64
import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)
from pydantic_core import PydanticCustomError

from app.dispatcher.signing import PUBLISHED_SECRETS
from app.dispatcher.urls import MAX_URL_CHARS, url_syntax_problem
from app.mail import valid_address
from app.schemas.common import (
    ClientGroupCodes,
    IntakeStatus,
    LanguageCodes,
    ModeCodes,
    RegionCodes,
    SpecialtyCodes,
    Strict,
)
from app.textsafe import invisible_problem


def _lower(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


# Refs are case-insensitive (DESIGN §5): stored, compared and looked up in lower case.
Ref = Annotated[
    str, BeforeValidator(_lower), StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{1,79}$")
]


def visible_name(value: str) -> str:
    if invisible_problem(value):
        found = next(c for c in value if invisible_problem(c))
        raise PydanticCustomError(
            "text_invisible", "an invisible character", {"char": f"U+{ord(found):04X}"}
        )
    return value


Text200 = Annotated[str, StringConstraints(min_length=1, max_length=200)]
# A name as people see it: no direction override, no zero-width character.
Name200 = Annotated[Text200, AfterValidator(visible_name)]
Email = Annotated[
    str, StringConstraints(pattern=r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$", max_length=254)
]
Phone = Annotated[str, StringConstraints(pattern=r"^\+?[0-9 ().-]{7,30}$")]


def _deliverable(value: str) -> str:
    if not valid_address(value):
        raise PydanticCustomError("email_undeliverable", "not an address mail can be sent to")
    return value


def _distinct(value: list[str]) -> list[str]:
    return list(dict.fromkeys(v.lower() for v in value))


# The addresses that receive a centre's e-mail notices and sign-in links (DESIGN §13).
NotifyEmails = Annotated[
    list[Annotated[str, StringConstraints(max_length=254), AfterValidator(_deliverable)]],
    Field(max_length=10),
    AfterValidator(_distinct),
]
Url = Annotated[str, StringConstraints(pattern=r"^https?://[^\s]+$", max_length=500)]
Description = Annotated[str, StringConstraints(max_length=4000)]
PostalCode = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z]\d[A-Za-z][ -]?\d[A-Za-z]\d$|^[A-Za-z]\d[A-Za-z]$")
]
Age = Annotated[int, Field(ge=14, le=120)]


def _check_secret(value: str) -> str:
    if not value.startswith("whsec_"):
        raise PydanticCustomError("inbox_secret_format", "inbox secret must look like whsec_…")
    try:
        raw = base64.b64decode(value.removeprefix("whsec_"), validate=True)
    except ValueError as exc:
        raise PydanticCustomError(
            "inbox_secret_format", "inbox secret must look like whsec_…"
        ) from exc
    if not 24 <= len(raw) <= 64:
        raise PydanticCustomError("inbox_secret_length", "inbox secret must hold 24 to 64 bytes")
    if value in PUBLISHED_SECRETS:
        raise PydanticCustomError("inbox_secret_published", "a published example secret")
    return value


class LocationIn(Strict):
    address: Annotated[str, StringConstraints(max_length=300)] | None = None
    municipality: Annotated[str, StringConstraints(max_length=120)] | None = None
    postal_code: PostalCode | None = None
    lat: Annotated[float, Field(ge=-90, le=90)] | None = None
    lon: Annotated[float, Field(ge=-180, le=180)] | None = None

    @model_validator(mode="after")
    def _somewhere(self) -> LocationIn:
        if (self.lat is None) != (self.lon is None):
            raise PydanticCustomError("lat_lon_pair", "give both lat and lon, or neither")
        if self.lat is None and not (self.municipality or self.postal_code):
            raise PydanticCustomError("location_required", "a location needs a place")
        return self


def _check_inbox_url(value: str) -> str:
    problem = url_syntax_problem(value)
    if problem:
        raise ValueError(f"inbox URL refused: {problem}")
    return value


class InboxIn(Strict):
    # One check for every way in (API, import, a centre's own PATCH); the production rules
    # (https, public addresses) are the service's, which knows the environment.
    url: Annotated[
        str, StringConstraints(max_length=MAX_URL_CHARS), AfterValidator(_check_inbox_url)
    ]
    secret: Annotated[str, AfterValidator(_check_secret), Field(repr=False)]


class CentreBase(Strict):
    """A centre's fields as written, everything but its ref: `CentreCreate` adds the ref;
    `CentreUpdate` has the same fields, each optional; `CentrePublic` is what is read back."""

    name: Name200
    email: Email | None = None
    phone: Phone | None = None
    website: Url | None = None
    description_fr: Description | None = None
    description_en: Description | None = None
    languages: Annotated[LanguageCodes, Field(min_length=1)] = ["fr"]
    modes: Annotated[ModeCodes, Field(min_length=1)] = ["in_person"]
    intake_status: IntakeStatus = "open"
    weekly_capacity: Annotated[int, Field(ge=0, le=10_000)] = 10
    regions_served: Annotated[RegionCodes, Field(min_length=1)]
    specialties: SpecialtyCodes = []
    client_groups: Annotated[ClientGroupCodes, Field(min_length=1)] = ["general"]
    age_min: Age | None = None
    age_max: Age | None = None
    locations: Annotated[list[LocationIn], Field(min_length=1, max_length=50)]
    inbox: InboxIn | None = None
    # Not given: the centre's public `email` (none without one). `[]`: no e-mail notices.
    notify_emails: NotifyEmails | None = None

    @model_validator(mode="after")
    def _ages(self) -> CentreBase:
        if self.age_min is not None and self.age_max is not None and self.age_min > self.age_max:
            raise PydanticCustomError("age_range_inverted", "age_min is greater than age_max")
        if self.notify_emails is None:
            default = self.email.lower() if self.email else None
            self.notify_emails = [default] if default and valid_address(default) else []
        return self


class CentreCreate(CentreBase):
    """A centre as imported or created (DESIGN §5)."""

    ref: Ref


class CentreUpdate(Strict):
    """A partial update: only the fields given change. `inbox: null` removes the endpoint."""

    name: Name200 | None = None
    email: Email | None = None
    phone: Phone | None = None
    website: Url | None = None
    description_fr: Description | None = None
    description_en: Description | None = None
    languages: Annotated[LanguageCodes, Field(min_length=1)] | None = None
    modes: Annotated[ModeCodes, Field(min_length=1)] | None = None
    intake_status: IntakeStatus | None = None
    weekly_capacity: Annotated[int, Field(ge=0, le=10_000)] | None = None
    regions_served: Annotated[RegionCodes, Field(min_length=1)] | None = None
    specialties: SpecialtyCodes | None = None
    client_groups: Annotated[ClientGroupCodes, Field(min_length=1)] | None = None
    age_min: Age | None = None
    age_max: Age | None = None
    locations: Annotated[list[LocationIn], Field(min_length=1, max_length=50)] | None = None
    inbox: InboxIn | None = None
    notify_emails: NotifyEmails | None = None
    active: bool | None = None

    @model_validator(mode="after")
    def _no_null_for_required(self) -> CentreUpdate:
        nulled = sorted(f for f in self.model_fields_set & NOT_NULL if getattr(self, f) is None)
        if nulled:
            raise PydanticCustomError(
                "fields_not_nullable",
                "these fields cannot be null: {fields}",
                {"fields": ", ".join(nulled)},
            )
        return self


NOT_NULL = frozenset(
    {"name", "languages", "modes", "intake_status", "weekly_capacity", "regions_served",
     "specialties", "client_groups", "locations", "active", "notify_emails"}
)  # fmt: skip


class ImportFile(Strict):
    centres: Annotated[list[CentreCreate], Field(max_length=5000)]


class LocationPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    address: str | None
    municipality: str | None
    municipality_code: str | None
    postal_code: str | None
    lat: float
    lon: float
    region_code: str


class CentrePublic(BaseModel):
    """What anyone may see of a centre: never its inbox, capacity or load."""

    model_config = ConfigDict(from_attributes=True)  # read from the table models

    id: uuid.UUID
    ref: str
    name: str
    email: str | None
    phone: str | None
    website: str | None
    description_fr: str | None
    description_en: str | None
    languages: list[str]
    modes: list[str]
    intake_status: str
    regions_served: list[str]
    specialties: list[str]
    client_groups: list[str]
    age_min: int | None
    age_max: int | None
    locations: list[LocationPublic]


class InboxAdmin(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    url: str
    enabled: bool
    disabled_reason: str | None
    disabled_at: datetime | None


class CentreAdmin(CentrePublic):
    """Staff view: adds status, capacity and the inbox endpoint (never its secret)."""

    active: bool
    weekly_capacity: int
    inbox: InboxAdmin | None
    notify_emails: list[str]
    created_at: datetime
    updated_at: datetime


class ImportChange(BaseModel):
    """What an import does (or, in a dry run, would do) to one centre."""

    ref: str
    action: Literal["new", "updated", "unchanged", "deactivated"]
    fields: list[str] = Field(default=[], description="The fields that change (updates)")
    row: int | None = Field(default=None, description="Spreadsheet row or JSON record (from 1)")


class ImportFileInfo(BaseModel):
    kind: Literal["xlsx", "csv", "json"]
    encoding: str | None = None
    separator: str | None = None
    sheet: str | None = None
    records: int


class ImportReport(BaseModel):
    created: int
    updated: int
    unchanged: int = 0
    deactivated: int = 0
    dry_run: bool = False
    refs: list[str]
    changes: list[ImportChange] = []
    file: ImportFileInfo | None = None
    notes: list[str] = Field(default=[], description="What was detected, in the reader's language")
