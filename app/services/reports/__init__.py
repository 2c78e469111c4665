"""Outcome reports (DESIGN §14): what happened to the requests, by region, centre, month or
decline reason, for staff; and the same figures made safe to publish (`/v1/stats`).

- `rollup`: the figures of each day, measured from the history rows and kept per closed day;
- `figures`: a report for a period, from the kept days and the live history of the others;
- `disclosure`: small-cell suppression and rounding for anything published;
- `tables`: the CSV form."""

from app.services.reports.disclosure import publishable
from app.services.reports.figures import BY_VALUES, By, Period, Report, build_report, period_of
from app.services.reports.rollup import catch_up
from app.services.reports.tables import to_csv

__all__ = [
    "BY_VALUES",
    "By",
    "Period",
    "Report",
    "build_report",
    "catch_up",
    "period_of",
    "publishable",
    "to_csv",
]
