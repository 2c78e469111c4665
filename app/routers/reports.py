"""Outcome reports: exact figures for staff, and the same made safe to publish."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response

from app.deps import AdminDep, SessionDep
from app.schemas.responses import OutcomeReport
from app.services import reports

router = APIRouter(tags=["reports"])
CSV = "text/csv"
By = Literal["region", "centre", "month", "reason"]
PublicBy = Literal["region", "month", "reason"]
FromQuery = Annotated[
    date | None, Query(alias="from", description="First day (YYYY-MM-DD, Québec time)")
]
ToQuery = Annotated[date | None, Query(description="Last day, included (default: today)")]
FormatQuery = Annotated[
    Literal["json", "csv"] | None, Query(description="Overrides `Accept` (for links)")
]
CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/json": {}, CSV: {"schema": {"type": "string"}}}}
}


def _wants_csv(request: Request, fmt: str | None) -> bool:
    if fmt is not None:
        return fmt == "csv"
    return CSV in request.headers.get("accept", "").lower()


def _answer(report: reports.Report, request: Request, fmt: str | None, name: str) -> Any:
    if _wants_csv(request, fmt):
        filename = f"{name}-{report.by}-{report.period.first}-{report.period.last}.csv"
        return Response(
            reports.to_csv(report),
            media_type=f"{CSV}; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
    return report.to_dict()


@router.get(
    "/v1/admin/reports/referrals",
    summary="Outcome report (staff, exact figures)",
    response_model=OutcomeReport,
    responses=CSV_RESPONSE,
)
def referrals_report(
    _: AdminDep,
    session: SessionDep,
    request: Request,
    from_: FromQuery = None,
    to: ToQuery = None,
    by: By = "region",
    publish: Annotated[bool, Query(description="Apply the /v1/stats suppression")] = False,
    format: FormatQuery = None,
) -> Any:
    """What happened to the requests of a period, by region (of the person), centre, month or
    decline reason: requests, routed at once, referrals sent, accepted, declined by reason,
    expired, cancelled, sent to the staff queue, centres tried before acceptance, and median
    and 90th-percentile hours from a referral to its centre's answer. Each event counts on
    its own day (Québec time). JSON, or CSV with `Accept: text/csv`; `publish=true` gives the
    suppressed figures of `/v1/stats`.

    Le bilan des demandes d'une période, par région, centre, mois ou motif de refus."""
    report = reports.build_report(session, reports.period_of(from_, to), by)
    if publish:
        report = reports.publishable(report)
    return _answer(report, request, format, "rapport")


@router.get(
    "/v1/stats",
    summary="Outcome statistics, safe to publish",
    response_model=OutcomeReport,
    responses=CSV_RESPONSE,
)
def stats(
    session: SessionDep,
    request: Request,
    response: Response,
    from_: FromQuery = None,
    to: ToQuery = None,
    by: PublicBy = "region",
    format: FormatQuery = None,
) -> Any:
    """The figures of the staff report, by region, month or decline reason, made safe to
    publish: counts of 1 to 9 withheld (`null`, the row `"suppressed": true`), a second cell
    withheld where a total would reveal the first, counts rounded to 5, medians only from 20
    answers or more.

    Statistiques publiables : petits nombres masqués, comptes arrondis à 5."""
    report = reports.publishable(reports.build_report(session, reports.period_of(from_, to), by))
    answer = _answer(report, request, format, "statistiques")
    headers = {"Cache-Control": "public, max-age=300"}
    if isinstance(answer, Response):
        answer.headers.update(headers)
        return answer
    response.headers.update(headers)
    return answer
