"""The relevance policy: weights and shapes of the score, under a version every answer carries.

A referral keeps the version it was ranked under, so that "why this centre?" can be answered
later even after the weights change. Any change to a value below, or to the vocabulary that
reads needs from free text, needs a new version.

2026.2 adds the region component and sets the weights from what a demanding user expects,
checked on the evaluation set (tests/matching/evaluation_cases.py), in this order:
1. a centre that offers what was asked for beats one that does not, even one of the person's
   region nearby: specialty > region + distance;
2. among centres that fit alike, one that serves the person's region beats one that would
   help remotely from elsewhere, even if that one specialises in the person's group:
   region >= client group (2026.1 sent an immigrant in Trois-Rivières looking for a job to
   a Québec City centre 112 km away, ahead of two that fit 9 and 12 km away);
3. someone who only wants remote help is better served remotely from elsewhere than in
   person at home: mode > region;
4. then specialisation in the person's group, distance, and load, which only shares the
   work between equals: load < client group.
Moving one weight at a time, the set keeps its best hit@1 for specialty 0.2-0.6, client
group 0.05-0.15, region 0.15-0.4 (NDCG@3 falls above 0.15), distance 0.15-0.4, mode from
0.1 and load 0.05-0.1; each weight below sits inside its range, and setting any of them to
zero loses cases (the suite prints these figures).
"""

from __future__ import annotations

from dataclasses import dataclass

COMPONENTS = ("specialty", "client_group", "region", "distance", "mode", "load")


@dataclass(frozen=True, slots=True)
class Policy:
    """Weights of the soft criteria and the constants that shape them."""

    version: str
    specialty_weight: float
    client_group_weight: float
    # Serving the person's region, against helping remotely from another one.
    region_weight: float
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
    version="2026.2",
    specialty_weight=0.40,
    client_group_weight=0.15,
    region_weight=0.15,
    distance_weight=0.20,
    mode_weight=0.20,
    load_weight=0.10,
    distance_scale_km=15.0,
    text_need_factor=0.8,
    nearby_km=25.0,
    room_below_load=0.5,
)
