"""Daily outcome figures, rolled up from the history rows (consultations, referrals, their
events) once a day is over. They hold no personal data, and they stay when the requests
they count are anonymised or erased: the reports read them for every closed day.

`report_day` has two kinds of rows per day: one per region (the person's region; `centre_id`
null), which count everything, and one per centre (`region_code` null), which count what
happened to the referrals that centre received. A report by region, month or reason sums the
first kind, a report by centre the second: a year is a few thousand rows, not the history."""

from datetime import date

from sqlalchemy import Column, Date, Index, Integer, String, Table, Uuid
from sqlmodel import Field, SQLModel

from app.db import metadata

# The counters of one row: `app.services.reports.rollup` fills them.
COUNTERS = (
    "requests", "routed_at_once", "received", "accepted",
    "declined_no_capacity", "declined_out_of_area", "declined_not_eligible",
    "declined_unreachable", "declined_duplicate", "declined_other",
    "expired", "cancelled", "unrouted",
    "accepted_at_1", "accepted_at_2", "accepted_at_3_or_more",
)  # fmt: skip
# Answer times in bins (see `rollup.BIN_EDGES`): answers_00 … answers_31.
ANSWER_BINS = 32
BIN_COLUMNS = tuple(f"answers_{b:02d}" for b in range(ANSWER_BINS))

report_day = Table(
    "report_day",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("day", Date, nullable=False),
    Column("month", String(7), nullable=False),  # "2026-11": grouping without date functions
    Column("region_code", String(2), nullable=True),
    Column("centre_id", Uuid, nullable=True),
    *(Column(name, Integer, nullable=False, default=0) for name in COUNTERS + BIN_COLUMNS),
    Index("ix_report_day_day_centre_id", "day", "centre_id"),
)


class ReportRollup(SQLModel, table=True):
    """How far the rollup has gone: every day up to `through` is in `report_day`."""

    __tablename__ = "report_rollup"

    id: int = Field(default=1, primary_key=True)
    through: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
