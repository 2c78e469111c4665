"""What the resolver answers (places, results) and how it says no (errors with candidates)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from app.errors import InvalidInput

PlaceKind = Literal["postal_code", "fsa", "municipality", "locality", "point"]
Status = Literal["ok", "ambiguous"]


@dataclass(frozen=True, slots=True)
class Place:
    """A resolved location: a point and its region, plus the municipality when known.

    `regions` lists every region the place touches (an FSA can span several); it always
    starts with `region_code` when the place is not ambiguous.
    """

    label: str
    lat: float
    lon: float
    region_code: str
    municipality: str | None
    municipality_code: str | None
    kind: str
    confidence: float = 1.0
    regions: tuple[str, ...] = ()
    label_en: str | None = None  # when the English label differs (postal areas)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the API's `best` and `candidates` entries)."""
        data = asdict(self)
        data["regions"] = list(self.regions)
        data["confidence"] = round(self.confidence, 3)
        data["label_en"] = self.label_en or self.label
        return data


@dataclass(frozen=True, slots=True)
class ResolveResult:
    """The answer to a free-text query: one best place, or several candidates to choose from.

    `best` is None exactly when `status` is "ambiguous"; `candidates` then holds the choices.
    When `status` is "ok", `candidates` holds the next-best alternatives (possibly none).
    """

    query: str
    best: Place | None
    candidates: list[Place] = field(default_factory=list)
    status: Status = "ok"

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "status": self.status,
            "best": self.best.to_dict() if self.best else None,
            "candidates": [c.to_dict() for c in self.candidates],
        }


class GeoError(InvalidInput):
    """A location that cannot be used as given. Rendered as a 422 problem document whose
    `candidates` member lists the places the client may choose from (possibly none)."""

    slug = "location-invalid"
    code = "location_invalid"

    def __init__(self, code: str, *, candidates: list[Place] | None = None, **extra: Any):
        self.candidates: list[Place] = list(candidates or [])
        super().__init__(code, candidates=[c.to_dict() for c in self.candidates], **extra)


class OutsideQuebec(GeoError):
    """The postal code or point is real but not in Québec."""

    slug = "location-outside-quebec"
    code = "location_outside_quebec"


class Ambiguous(GeoError):
    """Several places fit (homonyms in different regions, an FSA spanning regions), or a
    name is known only close in letters."""

    slug = "location-ambiguous"
    code = "location_ambiguous"


class NotResolved(GeoError):
    """Nothing in Québec's reference geography matches the input."""

    slug = "location-not-found"
    code = "location_not_found"
