"""Glue between the directory, geography and the pure matching package."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from app.geo import Place, get_resolver
from app.matching import CentreProfile, LoadVector, MatchIndex, Situation
from app.models import Centre, Referral
from app.models.states import OPEN_REFERRAL
from app.schemas.intake import LocationQuery, MatchRequest


def profile_of(centre: Centre) -> CentreProfile:
    """Flatten a loaded centre into what matching needs."""
    return CentreProfile(
        id=str(centre.id),
        ref=centre.ref,
        name=centre.name,
        active=centre.active,
        intake_open=centre.intake_status == "open",
        regions_served=frozenset(centre.regions_served),
        languages=frozenset(centre.languages),
        modes=frozenset(centre.modes),
        specialties=frozenset(centre.specialties),
        client_groups=frozenset(centre.client_groups),
        age_min=centre.age_min,
        age_max=centre.age_max,
        points=tuple((loc.lat, loc.lon) for loc in centre.locations),
        weekly_capacity=centre.weekly_capacity,
    )


def build_index(centres: list[Centre]) -> MatchIndex:
    return MatchIndex([profile_of(c) for c in centres])


def locate(query: LocationQuery) -> Place:
    """Resolve the person's location, or raise a 422 with candidates."""
    return get_resolver().place(
        postal_code=query.postal_code, municipality=query.municipality, lat=query.lat, lon=query.lon
    )


def situation(request: MatchRequest, place: Place, *, limit: int | None = None) -> Situation:
    return Situation(
        lat=place.lat,
        lon=place.lon,
        region_code=place.region_code,
        client_groups=frozenset(request.client_groups),
        needs=frozenset(request.needs),
        need_text=request.need_text,
        language=request.language,
        modes=frozenset(request.modes),
        age=request.age,
        limit=limit or request.limit,
    )


class LoadTracker:
    """Open referrals per centre, read at most every `ttl` seconds (not per request)."""

    def __init__(self, engine: Engine, ttl: float = 2.0) -> None:
        self._engine = engine
        self._ttl = ttl
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}
        self._read_at = -1e9
        self._vector: tuple[MatchIndex, Mapping[str, int], LoadVector] | None = None

    def add(self, centre_id: str) -> None:
        """Count a referral just made here; the next read corrects any drift.

        The load vector of the last index follows (one centre changed), rather than being
        rebuilt from every count by the next request: submissions add one each."""
        before = self._counts
        counts = {**before, centre_id: before.get(centre_id, 0) + 1}
        last = self._vector
        if last is not None and last[1] is before:
            index = last[0]
            self._vector = (index, counts, index.count_changed(last[2], centre_id, counts))
        self._counts = counts

    def peek(self) -> Mapping[str, int] | None:
        """The counts when fresh, else None; never blocks (for the event loop)."""
        return self._counts if time.monotonic() - self._read_at <= self._ttl else None

    def vector(self, index: MatchIndex, counts: Mapping[str, int]) -> LoadVector:
        """`counts` (as returned here) as load ratios aligned with `index`.

        Built once per index and counts rather than per request: both are replaced, never
        changed in place, so the same two objects always give the same vector. The slot holds
        them, so their ids cannot be reused by other objects while it does."""
        last = self._vector
        if last is None or last[0] is not index or last[1] is not counts:
            last = (index, counts, index.load_vector(counts))
            self._vector = last
        return last[2]

    def get(self) -> Mapping[str, int]:
        fresh = self.peek()
        if fresh is not None:
            return fresh
        with self._lock:
            if time.monotonic() - self._read_at > self._ttl:
                with Session(self._engine) as session:
                    self._counts = open_referrals(session)
                self._read_at = time.monotonic()
        return self._counts


def open_referrals(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(col(Referral.centre_id), func.count())
        .where(col(Referral.state).in_(OPEN_REFERRAL))
        .group_by(col(Referral.centre_id))
    ).all()
    return {str(centre_id): int(n) for centre_id, n in rows}
