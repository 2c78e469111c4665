"""Run evaluation cases over the demo directory and score the rankings.

Each case is run over data/demo_centres.json, built into profiles here, with locations
resolved by the real resolver (no database needed), by any of:
- a policy (the current one, or an earlier version kept in app.matching.POLICIES);
- "nearest eligible": the current hard rules, then distance alone;
- "nearest listed": every active centre by distance, rules ignored (what most directories do).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from app.geo import get_resolver
from app.matching import COMPONENTS, POLICY, CentreProfile, MatchIndex, Policy, Situation
from app.matching.geometry import haversine_km
from bench.evaluation.cases import CASES as CASES_2026_2
from bench.evaluation.cases import Case
from bench.evaluation.cases_2026_3 import CASES_2026_3

DIRECTORY = Path(__file__).resolve().parents[2] / "data" / "demo_centres.json"
CASES: tuple[Case, ...] = CASES_2026_2 + CASES_2026_3
# Distance alone: every other weight at zero, so the hard rules still apply.
NEAREST_ELIGIBLE = replace(
    POLICY,
    version="nearest-eligible",
    local_first=False,
    **{f"{name}_weight": 0.0 for name in COMPONENTS if name != "distance"},
)

Ranker = Callable[[Case], list[str]]


@cache
def directory() -> tuple[CentreProfile, ...]:
    """The demo directory as matching profiles; the ref stands in for the database id."""
    records = json.loads(DIRECTORY.read_text(encoding="utf-8"))["centres"]
    return tuple(
        CentreProfile(
            id=r["ref"],
            ref=r["ref"],
            name=r["name"],
            active=True,
            intake_open=r["intake_status"] == "open",
            regions_served=frozenset(r["regions_served"]),
            languages=frozenset(r["languages"]),
            modes=frozenset(r["modes"]),
            specialties=frozenset(r["specialties"]),
            client_groups=frozenset(r["client_groups"]),
            age_min=r["age_min"],
            age_max=r["age_max"],
            points=tuple((loc["lat"], loc["lon"]) for loc in r["locations"]),
            weekly_capacity=r["weekly_capacity"],
        )
        for r in records
    )


def profiles_for(case: Case) -> tuple[CentreProfile, ...]:
    """The directory, with the case's variant applied (paused regions, inactive centres)."""
    if not (case.paused_regions or case.inactive):
        return directory()
    return tuple(
        replace(
            p,
            active=p.active and p.ref not in case.inactive,
            intake_open=p.intake_open and not (p.regions_served & case.paused_regions),
        )
        for p in directory()
    )


@cache
def index(profiles: tuple[CentreProfile, ...], policy: Policy) -> MatchIndex:
    return MatchIndex(profiles, policy)


def situation(case: Case) -> Situation:
    place = get_resolver().place(**case.where)
    return Situation(
        lat=place.lat, lon=place.lon, region_code=place.region_code, limit=len(directory()),
        **case.criteria,
    )  # fmt: skip


def ranked_by(policy: Policy) -> Ranker:
    """The refs `policy` offers for a case, best first, every eligible centre included."""

    def rank(case: Case) -> list[str]:
        load = dict(case.load) or None
        outcome = index(profiles_for(case), policy).rank(situation(case), load, case.exclude)
        return [r.ref for r in outcome.results]

    return rank


def nearest_listed(case: Case) -> list[str]:
    """Every active centre by distance from the person, then ref; no rule applied."""
    s = situation(case)
    listed = [p for p in profiles_for(case) if p.active and p.ref not in case.exclude]
    lats, lons = zip(*(p.points[0] for p in listed), strict=True)
    km = haversine_km(s.lat, s.lon, lats, lons)
    return [
        p.ref
        for _, p in sorted(zip(km.tolist(), listed, strict=True), key=lambda t: (t[0], t[1].ref))
    ]


def hit_at_1(case: Case, refs: Sequence[str]) -> float:
    """1 when the first result is acceptable (or, when nothing should be offered, nothing is)."""
    if not case.first:
        return float(not refs)
    return float(bool(refs) and refs[0] in case.first)


def ndcg_at_3(case: Case, refs: Sequence[str]) -> float:
    """Normalised discounted gain of the top three, with the grades of Case.grade."""
    if not case.first:
        return float(not refs)
    gains = [case.grade(ref) for ref in refs[:3]]
    ideal = sorted((case.grade(ref) for ref in case.first | case.good), reverse=True)[:3]
    dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains))
    return dcg / sum(g / math.log2(i + 2) for i, g in enumerate(ideal))


@dataclass(frozen=True)
class Figures:
    cases: int
    hit_at_1: float
    ndcg_at_3: float
    forbidden_shown: int  # cases where a `never` centre is in the top three
    misses: tuple[str, ...]


def evaluate(ranker: Ranker, cases: Iterable[Case] = CASES) -> Figures:
    """hit@1 and NDCG@3 of `ranker`, averaged over `cases`, with the cases it misses."""
    hits, gains, forbidden, misses = [], [], 0, []
    for case in cases:
        refs = ranker(case)
        hits.append(hit_at_1(case, refs))
        gains.append(ndcg_at_3(case, refs))
        forbidden += bool(case.never & set(refs[:3]))
        if not hits[-1]:
            misses.append(f"{case.name}: {refs[:3]}")
    n = max(len(hits), 1)
    return Figures(len(hits), sum(hits) / n, sum(gains) / n, forbidden, tuple(misses))
