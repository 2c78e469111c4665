"""Reports in the console: the figures of `GET /v1/admin/reports/referrals`, a chart drawn on
the server (SVG), and the CSV download; from the same service (`app.services.reports`)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from app.deps import SessionDep
from app.errors import InvalidInput, field_error
from app.i18n import Lang, gettext
from app.services import audit, reports
from app.web import urls
from app.web.admin.access import StaffDep, show
from app.web.admin.charts import bar_chart

router = APIRouter()


def _period(request: Request) -> tuple[reports.Period, reports.By]:
    q = request.query_params
    by = q.get("par", "region")
    if by not in reports.BY_VALUES:
        raise InvalidInput("invalid_input", errors=[field_error(["query", "par"], "invalid_input")])
    days = []
    for name in ("du", "au"):
        raw = q.get(name, "")[:20]
        try:
            days.append(date.fromisoformat(raw) if raw else None)
        except ValueError:
            raise InvalidInput(
                "invalid_input", errors=[field_error(["query", name], "date_from_datetime_parsing")]
            ) from None
    return reports.period_of(days[0], days[1]), by


@urls.page(router, "admin-reports")
def report_page(request: Request, session: SessionDep, user: StaffDep) -> HTMLResponse:
    """The outcome report of a period, by region, centre, month or decline reason."""
    lang = urls.lang_of_request(request)
    period, by = _period(request)
    report = reports.build_report(session, period, by)
    query = {"du": period.first.isoformat(), "au": period.last.isoformat(), "par": by}
    return show(
        request,
        "admin/reports.html",
        user,
        {
            "section": "reports",
            "report": report,
            "by": by,
            "query": query,
            "by_values": reports.BY_VALUES,
            "chart": _chart(report, lang),
        },
    )


def _chart(report: reports.Report, lang: Lang) -> Any:
    if report.by == "reason":
        rows = [(r["label"][lang], [r["declined"]]) for r in report.rows]
        series = [gettext("admin.reports.declined", lang)]
    else:
        rows = [(r["label"][lang], [r["received"], r["accepted"]]) for r in report.rows]
        series = [gettext("admin.reports.received", lang), gettext("admin.reports.accepted", lang)]
    title = gettext(
        "admin.reports.chart_title", lang, by=gettext(f"admin.reports.by.{report.by}", lang)
    )
    return {"svg": bar_chart(title, rows, series), "series": series}


@urls.page(router, "admin-reports-csv", response_class=Response)  # a CSV file
def report_csv(request: Request, session: SessionDep, user: StaffDep) -> Response:
    """The same report as CSV (UTF-8 with a byte-order mark, formulas made inert)."""
    period, by = _period(request)
    report = reports.build_report(session, period, by)
    audit.record(session, user.actor, "report_csv", "staff", user.member.id, by)
    name = f"rapport-{by}-{period.first}-{period.last}.csv"
    return Response(
        reports.to_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )
