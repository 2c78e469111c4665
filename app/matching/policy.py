"""The relevance policy: weights and shapes of the score, under a version every answer carries.

A referral keeps the version it was ranked under, so that "why this centre?" can be answered
later even after the weights change. Any change to a value below, or to the vocabulary that
reads needs from free text (needs_lexicon.json), needs a new version; earlier versions stay
in POLICIES so they can be replayed and compared.

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

2026.3 (issue 14) reads needs with a stemmed bilingual lexicon (app/matching/needs.py and
needs_lexicon.json: "changer de carrière", "going back to college", "c.v.", "DES"), admits a
person to a centre restricted to an age-defined group their age puts them in (youth 16-35,
experienced workers 50+) without the group ticked, and ranks local fits first: a centre of
the person's region offering a need or a related service (RELATED) and a mode they accept
comes before every other centre, so a remote centre from elsewhere comes first only when no
centre of the region offers anything asked for. With that rule, region mostly breaks ties
among the others: at 0.15 it no longer earned its place on the 138 cases (NDCG@3 0.964 with
it, 0.966 without); at 0.10, with distance at 0.20, hit@1 is 1.000 and NDCG@3 0.967, and
removing any component, or the local-first rule, loses NDCG@3 (the suite prints these
figures; `python -m bench bench_matching_quality` compares both versions in one run).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

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
    # How free text is read: the taxonomy's synonyms by similarity (app.matching.text), or
    # the stemmed bilingual lexicon (app.matching.needs).
    need_reader: Literal["taxonomy", "lexicon"] = "lexicon"
    # A person whose age is within an age-defined group (AGE_DEFINED_GROUPS) may be served by
    # a centre restricted to it, even without ticking the group.
    age_defines_groups: bool = True
    # Centres of the person's region that offer a need or a related service (RELATED) come
    # before every centre from elsewhere, eligible only through remote help.
    local_first: bool = True

    def weight(self, component: str) -> float:
        """The weight of a named component (one of COMPONENTS)."""
        if component not in COMPONENTS:
            raise KeyError(component)
        value: float = getattr(self, f"{component}_weight")
        return value


# Services close enough to a need that a centre of the person's region offering one is
# preferred to a remote centre from elsewhere offering the need itself (issue 14).
RELATED: dict[str, frozenset[str]] = {
    "career_change": frozenset({"career_guidance"}),
    "career_guidance": frozenset({"career_change", "return_to_school"}),
    "return_to_school": frozenset({"career_guidance"}),
    "skills_recognition": frozenset({"newcomer_integration"}),
    **{
        need: frozenset({"job_search"})
        for need in (
            "resume_interview",
            "job_retention",
            "work_placement",
            "newcomer_integration",
            "digital_skills",
            "group_workshops",
        )
    },
    "job_search": frozenset({"resume_interview", "group_workshops"}),
}

POLICY_2026_2 = Policy(
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
    need_reader="taxonomy",
    age_defines_groups=False,
    local_first=False,
)
# 2026.3: needs read with the stemmed lexicon, age-defined groups, local centres first.
POLICY = replace(
    POLICY_2026_2,
    version="2026.3",
    need_reader="lexicon",
    age_defines_groups=True,
    local_first=True,
    region_weight=0.10,
)
# Every version still known, to replay a ranking and compare policies on the evaluation set.
POLICIES: dict[str, Policy] = {p.version: p for p in (POLICY_2026_2, POLICY)}
