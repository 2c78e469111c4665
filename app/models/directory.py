"""The centre directory (DESIGN §3–5), modelled after Open Referral HSDS:
an organisation (centre) with service points (locations), service areas (regions served),
and taxonomy links (specialties, client groups)."""

import uuid
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, Integer, String, Uuid
from sqlmodel import Field, Relationship, SQLModel

from app.db import JSONType, UTCDateTime, utcnow


class Region(SQLModel, table=True):
    code: str = Field(primary_key=True, max_length=2)
    name_fr: str = Field(max_length=80)
    name_en: str = Field(max_length=80)


class Specialty(SQLModel, table=True):
    code: str = Field(primary_key=True, max_length=40)
    label_fr: str = Field(max_length=120)
    label_en: str = Field(max_length=120)


class ClientGroup(SQLModel, table=True):
    __tablename__ = "client_group"

    code: str = Field(primary_key=True, max_length=40)
    label_fr: str = Field(max_length=120)
    label_en: str = Field(max_length=120)


def _centre_fk() -> Any:
    return Column(ForeignKey("centre.id", ondelete="CASCADE"), primary_key=True)


class CentreRegion(SQLModel, table=True):
    __tablename__ = "centre_region"

    centre_id: uuid.UUID | None = Field(default=None, sa_column=_centre_fk())
    region_code: str = Field(foreign_key="region.code", primary_key=True, max_length=2)
    centre: "Centre" = Relationship(back_populates="region_links")


class CentreSpecialty(SQLModel, table=True):
    __tablename__ = "centre_specialty"

    centre_id: uuid.UUID | None = Field(default=None, sa_column=_centre_fk())
    specialty_code: str = Field(foreign_key="specialty.code", primary_key=True, max_length=40)
    centre: "Centre" = Relationship(back_populates="specialty_links")


class CentreClientGroup(SQLModel, table=True):
    __tablename__ = "centre_client_group"

    centre_id: uuid.UUID | None = Field(default=None, sa_column=_centre_fk())
    client_group_code: str = Field(foreign_key="client_group.code", primary_key=True, max_length=40)
    centre: "Centre" = Relationship(back_populates="client_group_links")


class Centre(SQLModel, table=True):
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    ref: str = Field(max_length=80, unique=True)
    name: str = Field(max_length=200)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=40)
    website: str | None = Field(default=None, max_length=500)
    description_fr: str | None = Field(default=None, max_length=4000)
    description_en: str | None = Field(default=None, max_length=4000)
    languages: list[str] = Field(default_factory=list, sa_type=JSONType)
    modes: list[str] = Field(default_factory=list, sa_type=JSONType)
    intake_status: str = Field(default="open", max_length=10)
    weekly_capacity: int = Field(default=10, ge=0)
    age_min: int | None = None
    age_max: int | None = None
    # Addresses for the centre's e-mail notices and web-inbox sign-in links (DESIGN §13).
    notify_emails: list[str] = Field(
        default_factory=list, sa_type=JSONType, sa_column_kwargs={"server_default": "[]"}
    )
    active: bool = Field(default=True, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    locations: list["Location"] = Relationship(
        back_populates="centre",
        sa_relationship_kwargs={"cascade": "all, delete-orphan", "order_by": "Location.position"},
    )
    region_links: list["CentreRegion"] = Relationship(
        back_populates="centre", sa_relationship_kwargs={"cascade": "all, delete-orphan"}
    )
    specialty_links: list["CentreSpecialty"] = Relationship(
        back_populates="centre", sa_relationship_kwargs={"cascade": "all, delete-orphan"}
    )
    client_group_links: list["CentreClientGroup"] = Relationship(
        back_populates="centre", sa_relationship_kwargs={"cascade": "all, delete-orphan"}
    )
    inbox: Optional["InboxEndpoint"] = Relationship(  # noqa: UP037, UP045
        back_populates="centre",
        sa_relationship_kwargs={"cascade": "all, delete-orphan", "uselist": False},
    )

    @property
    def regions_served(self) -> list[str]:
        return sorted(link.region_code for link in self.region_links)

    @property
    def specialties(self) -> list[str]:
        return sorted(link.specialty_code for link in self.specialty_links)

    @property
    def client_groups(self) -> list[str]:
        return sorted(link.client_group_code for link in self.client_group_links)


class Location(SQLModel, table=True):
    """A service point (HSDS `location`): where a person can meet the centre."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    centre_id: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(ForeignKey("centre.id", ondelete="CASCADE"), nullable=False, index=True),
    )
    position: int = Field(default=0)
    address: str | None = Field(default=None, max_length=300)
    municipality: str | None = Field(default=None, max_length=120)
    municipality_code: str | None = Field(default=None, max_length=5)
    postal_code: str | None = Field(default=None, max_length=7)
    lat: float
    lon: float
    region_code: str = Field(foreign_key="region.code", max_length=2)
    centre: "Centre" = Relationship(back_populates="locations")


class InboxEndpoint(SQLModel, table=True):
    """A centre's webhook receiver. Never exposed publicly."""

    __tablename__ = "inbox_endpoint"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    centre_id: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(ForeignKey("centre.id", ondelete="CASCADE"), nullable=False, unique=True),
    )
    url: str = Field(max_length=2000)
    secret: str = Field(max_length=200, repr=False)  # signs webhooks: kept out of reprs
    enabled: bool = Field(default=True)
    disabled_reason: str | None = Field(default=None, max_length=200)
    disabled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    consecutive_failures: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    centre: "Centre" = Relationship(back_populates="inbox")


class ApiKey(SQLModel, table=True):
    """An API key. Only the SHA-256 of the secret is stored; the key is shown once."""

    __tablename__ = "api_key"

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    prefix: str = Field(max_length=16, index=True)
    key_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    role: str = Field(max_length=10)
    centre_id: uuid.UUID | None = Field(
        default=None,
        sa_column=Column(ForeignKey("centre.id", ondelete="CASCADE"), nullable=True, index=True),
    )
    label: str | None = Field(default=None, max_length=120)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


class DirectoryState(SQLModel, table=True):
    """One row whose version grows at every directory change, so replicas refresh their index."""

    __tablename__ = "directory_state"

    id: int = Field(default=1, primary_key=True)
    version: int = Field(default=0)
    changed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


CHANGE_KINDS = ("upsert", "remove")


class DirectoryChange(SQLModel, table=True):
    """One centre changed by one directory transaction: the log replicas follow.

    Written with the `directory_state` bump, in the same transaction as the change
    (`services.centres.mark_directory_changed`); `version` is the state's version that
    transaction reached. Versions are contiguous: a replica at version v reads the rows above
    v, and when v + 1 is no longer there (pruned by the sweeper) it rebuilds in full. `kind`
    is `remove` when the centre left the public directory, `upsert` otherwise; a replica
    reads the centre again either way."""

    __tablename__ = "directory_change"
    __table_args__ = (
        CheckConstraint("kind IN ('upsert', 'remove')", name="kind"),
        Index("ix_directory_change_version", "version"),
    )

    id: int | None = Field(default=None, sa_column=Column(Integer, primary_key=True))
    version: int
    centre_id: uuid.UUID = Field(sa_column=Column(Uuid, nullable=False))
    kind: str = Field(max_length=10)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
