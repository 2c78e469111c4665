"""`ttx doctor` (and the end of `ttx migrate`): what stored data the service would now refuse
or cannot deliver, said plainly for the people who run it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from app import dispatcher
from app.models.directory import Centre, InboxEndpoint
from app.models.outbox import OutboxEvent
from app.models.states import OutboxStatus
from app.services.health import readiness
from app.settings import Settings


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing found: `problem` needs someone to act, `notice` is worth knowing."""

    level: Literal["problem", "notice"]
    text: str


def refused_inbox_urls(session: Session, *, production: bool) -> list[Finding]:
    """Every registered inbox URL the rules in force refuse, with its centre and the reason."""
    found = dispatcher.refused_endpoints(session, production=production)
    refs = _refs(session, [endpoint.centre_id for endpoint, _ in found])
    return [
        Finding(
            "problem",
            f"centre {refs.get(endpoint.centre_id, endpoint.centre_id)}: inbox URL "
            f"{endpoint.url!r} is refused ({problem}); its deliveries fail until staff or the "
            "centre register a valid one",
        )
        for endpoint, problem in found
    ]


def diagnose(engine: Engine, settings: Settings) -> list[Finding]:
    """Readiness of the database, then what it holds that cannot be delivered."""
    ready = readiness(engine)
    if ready["status"] != "ready":
        return [Finding("problem", ready.get("reason", ready["status"]))]
    production = settings.env == "production"
    with Session(engine) as session:
        findings = refused_inbox_urls(session, production=production)
        findings += _disabled_endpoints(session)
        failed = session.exec(
            select(func.count())
            .select_from(OutboxEvent)
            .where(OutboxEvent.status == OutboxStatus.FAILED)
        ).one()
    if failed:
        findings.append(
            Finding(
                "notice",
                f"{failed} failed deliveries wait for staff "
                "(GET /v1/admin/deliveries/failed, then replay)",
            )
        )
    return findings


def _disabled_endpoints(session: Session) -> list[Finding]:
    rows = session.exec(select(InboxEndpoint).where(col(InboxEndpoint.enabled).is_(False))).all()
    refs = _refs(session, [row.centre_id for row in rows])
    return [
        Finding(
            "notice",
            f"centre {refs.get(row.centre_id, row.centre_id)}: inbox disabled "
            f"({row.disabled_reason}); re-enable it once the centre has fixed its receiver",
        )
        for row in rows
    ]


def _refs(session: Session, centre_ids: list[object]) -> dict[object, str]:
    if not centre_ids:
        return {}
    rows = session.exec(select(Centre.id, Centre.ref).where(col(Centre.id).in_(centre_ids))).all()
    return dict(rows)
