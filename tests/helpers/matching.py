"""Builders for matching tests: invented centres around Trois-Rivières (region 04)."""

from collections.abc import Callable
from typing import Any

from app.matching import CentreProfile, Situation

# Trois-Rivières (04, Mauricie) and nearby places, decimal degrees.
TROIS_RIVIERES = (46.343, -72.543)
SHAWINIGAN = (46.566, -72.749)  # about 30 km north, still 04
NICOLET = (46.225, -72.614)  # across the river, region 17
GASPE = (48.831, -64.487)  # region 11

CentreFactory = Callable[..., CentreProfile]
SituationFactory = Callable[..., Situation]


def profile(ref: str, **overrides: Any) -> CentreProfile:
    fields: dict[str, Any] = {
        "id": f"id-{ref}",
        "ref": ref,
        "name": f"Centre {ref}",
        "active": True,
        "intake_open": True,
        "regions_served": frozenset({"04"}),
        "languages": frozenset({"fr"}),
        "modes": frozenset({"in_person"}),
        "specialties": frozenset({"job_search"}),
        "client_groups": frozenset({"general"}),
        "age_min": None,
        "age_max": None,
        "points": (TROIS_RIVIERES,),
        "weekly_capacity": 10,
    }
    for key, value in overrides.items():
        fields[key] = frozenset(value) if isinstance(value, set) else value
    return CentreProfile(**fields)


def situation(**overrides: Any) -> Situation:
    fields: dict[str, Any] = {"lat": TROIS_RIVIERES[0], "lon": TROIS_RIVIERES[1]}
    fields["region_code"] = "04"
    for key, value in overrides.items():
        fields[key] = frozenset(value) if isinstance(value, set) else value
    return Situation(**fields)
