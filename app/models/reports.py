"""Daily outcome figures, rolled up from the history rows (consultations, referrals, their
events) once a day is over. They hold no personal data, and they stay when the requests
they count are anonymised or erased: the reports read them for every closed day."""

import uuid
from datetime import date

from sqlalchemy import Column, Date, Index, SmallInteger
from sqlmodel import Field, SQLModel

# The counters of one (day, region, centre) cell: `app.services.reports.rollup` fills them.
COUNTERS = (
    "requests", "routed_at_once", "received", "accepted",
    "declined_no_capacity", "declined_out_of_area", "declined_not_eligible",
    "declined_unreachable", "declined_duplicate", "declined_other",
    "expired", "cancelled", "unrouted",
    "accepted_at_1", "accepted_at_2", "accepted_at_3_or_more", "answers",
)  # fmt: skip


class ReportDay(SQLModel, table=True):
    """Events of one local day (America/Toronto) for one region and one centre.

    `centre_id` is null for what concerns the request alone (it arrived; no centre could
    take it at once). The region is the person's region, null when it was not known."""

    __tablename__ = "report_day"
    __table_args__ = (Index("ix_report_day_day_region_code", "day", "region_code"),)

    id: int | None = Field(default=None, primary_key=True)
    day: date = Field(sa_column=Column(Date, nullable=False))
    month: str = Field(max_length=7)  # "2026-11": grouping by month without date functions
    region_code: str | None = Field(default=None, max_length=2)
    centre_id: uuid.UUID | None = Field(default=None)
    requests: int = 0
    routed_at_once: int = 0
    received: int = 0
    accepted: int = 0
    declined_no_capacity: int = 0
    declined_out_of_area: int = 0
    declined_not_eligible: int = 0
    declined_unreachable: int = 0
    declined_duplicate: int = 0
    declined_other: int = 0
    expired: int = 0
    cancelled: int = 0
    unrouted: int = 0
    accepted_at_1: int = 0
    accepted_at_2: int = 0
    accepted_at_3_or_more: int = 0
    answers: int = 0


class ReportAnswerTime(SQLModel, table=True):
    """How long centres took to answer (accept or decline), as counts per time bin, so that
    medians and 90th percentiles come from the rolled-up days too."""

    __tablename__ = "report_answer_time"
    __table_args__ = (Index("ix_report_answer_time_day_region_code", "day", "region_code"),)

    id: int | None = Field(default=None, primary_key=True)
    day: date = Field(sa_column=Column(Date, nullable=False))
    month: str = Field(max_length=7)
    region_code: str | None = Field(default=None, max_length=2)
    centre_id: uuid.UUID | None = Field(default=None)
    bin: int = Field(sa_column=Column(SmallInteger, nullable=False))
    n: int


class ReportRollup(SQLModel, table=True):
    """How far the rollup has gone: every day up to `through` is in `report_day`."""

    __tablename__ = "report_rollup"

    id: int = Field(default=1, primary_key=True)
    through: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
