"""Plain data in and out of matching: a centre's profile, a person's situation, ranked results.

Everything here is immutable and free of any framework so that the ranking can be tested,
benchmarked and replayed (Law 25 explanations) from the values alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.matching.needs import DetectedNeed


class UnknownCentre(KeyError):
    """Raised when a centre id is not in the index the question was asked of."""


@dataclass(frozen=True, slots=True)
class CentreProfile:
    """What matching needs to know about one centre, flattened from the directory."""

    id: str
    ref: str
    name: str
    active: bool
    intake_open: bool
    regions_served: frozenset[str]
    languages: frozenset[str]
    modes: frozenset[str]
    specialties: frozenset[str]
    client_groups: frozenset[str]
    age_min: int | None
    age_max: int | None
    points: tuple[tuple[float, float], ...]  # (lat, lon) of each location
    weekly_capacity: int

    @property
    def serves_everyone(self) -> bool:
        """True when the centre takes anyone: it lists `general`, or no client group at all."""
        return not self.client_groups or "general" in self.client_groups


@dataclass(frozen=True, slots=True)
class Situation:
    """A person's resolved location and criteria. Empty sets mean "no preference"."""

    lat: float
    lon: float
    region_code: str
    client_groups: frozenset[str] = frozenset()
    needs: frozenset[str] = frozenset()
    need_text: str | None = None
    language: str | None = None
    modes: frozenset[str] = frozenset()
    age: int | None = None
    limit: int = 5

    @property
    def accepts_remote(self) -> bool:
        """True when remote services are acceptable (no mode given means any mode)."""
        return not self.modes or "remote" in self.modes

    @property
    def remote_only(self) -> bool:
        """True when the person wants remote help and no mode that needs travelling."""
        return "remote" in self.modes and not (self.modes - {"remote"})

    @property
    def specific_groups(self) -> frozenset[str]:
        """The person's client groups other than `general`, the ones a centre can specialise in."""
        return self.client_groups - {"general"}


@dataclass(frozen=True, slots=True)
class Reason:
    """One readable reason, in French and English, with a stable code for machines."""

    code: str
    fr: str
    en: str

    def to_dict(self) -> dict[str, str]:
        """The JSON form used by the API and kept with each referral."""
        return {"code": self.code, "fr": self.fr, "en": self.en}


@dataclass(frozen=True, slots=True)
class RankedCentre:
    """One eligible centre in a ranking, with what made its score."""

    rank: int
    centre_id: str
    ref: str
    name: str
    score: float  # 0..1, rounded to 4 decimals
    distance_km: float | None  # nearest location, 1 decimal; None when the centre has none
    components: dict[str, float]  # only the components that applied to this situation
    reasons: list[Reason]

    @property
    def centre(self) -> dict[str, str]:
        """The centre as the answer names it (DESIGN §6)."""
        return {"id": self.centre_id, "ref": self.ref, "name": self.name}

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of DESIGN §6 (`centre` nested), plus the score components."""
        return {
            "rank": self.rank,
            "score": self.score,
            "distance_km": self.distance_km,
            "centre": self.centre,
            "components": dict(self.components),
            "reasons": [reason.to_dict() for reason in self.reasons],
        }


@dataclass(frozen=True, slots=True)
class MatchOutcome:
    """A ranking and, for staff, how many centres were left out and why."""

    policy_version: str
    results: list[RankedCentre]
    eligible_count: int
    total_centres: int
    # Each excluded centre is counted once, under the first rule it fails (see RULE_ORDER).
    excluded: dict[str, int] = field(default_factory=dict)
    # The needs read from the person's own words, with the words that said each one.
    needs_detected: tuple[DetectedNeed, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: policy version, needs read from the text, results, and the
        staff-facing exclusion counts."""
        return {
            "policy_version": self.policy_version,
            "needs_detected": [need.to_dict() for need in self.needs_detected],
            "results": [result.to_dict() for result in self.results],
            "eligible_count": self.eligible_count,
            "total_centres": self.total_centres,
            "excluded": dict(self.excluded),
        }
