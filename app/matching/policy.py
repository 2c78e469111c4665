"""The relevance policy: weights and shapes of the score, under a version every answer carries.

A referral keeps the version it was ranked under, so that "why this centre?" can be answered
later even after the weights change. Any change to a value below needs a new version.
"""

from __future__ import annotations

from dataclasses import dataclass

COMPONENTS = ("specialty", "client_group", "distance", "mode", "load")


@dataclass(frozen=True, slots=True)
class Policy:
    """Weights of the soft criteria and the constants that shape them."""

    version: str
    specialty_weight: float
    client_group_weight: float
    distance_weight: float
    mode_weight: float
    load_weight: float
    # Distance score is 1 / (1 + d / scale): halves at `scale`, never reaches 0 (no radius).
    distance_scale_km: float
    # A need read from free text counts this much against one the person ticked.
    text_need_factor: float
    # Below this distance the reason says "nearby"; beyond, it only states the distance.
    nearby_km: float
    # Load ratio (open referrals / weekly capacity) under which we say the centre has room.
    room_below_load: float

    def weight(self, component: str) -> float:
        """The weight of a named component (one of COMPONENTS)."""
        if component not in COMPONENTS:
            raise KeyError(component)
        value: float = getattr(self, f"{component}_weight")
        return value


POLICY = Policy(
    version="2026.1",
    specialty_weight=0.40,
    client_group_weight=0.15,
    distance_weight=0.25,
    mode_weight=0.10,
    load_weight=0.10,
    distance_scale_km=15.0,
    text_need_factor=0.8,
    nearby_km=25.0,
    room_below_load=0.5,
)
