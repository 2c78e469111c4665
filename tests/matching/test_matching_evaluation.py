"""The matching evaluation: the policy against what people expect, the previous policy and
two baselines.

Runs every case of bench/evaluation (the 2026.2 set and the cases added for 2026.3) over the
demo directory with bench.evaluation.harness: the policy (POLICY), the previous one
(POLICY_2026_2), "nearest eligible" (the same hard rules, then distance alone) and "nearest
listed" (every active centre by distance, rules ignored). Hard rules are asserted case by
case; hit@1 and NDCG@3 are printed (`pytest -s` or `-rA`, or `python -m bench
bench_matching_quality`) and the policy must reach hit@1 >= 0.9 and beat the others.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from app.matching import (
    COMPONENTS,
    POLICY,
    POLICY_2026_2,
    RULE_ORDER,
    MatchIndex,
    interpret_need_text,
)
from bench.evaluation.cases import AWKWARD, RELEVANCE, RULES
from bench.evaluation.cases_2026_3 import ADDED, CASES_2026_3
from bench.evaluation.harness import (
    CASES,
    NEAREST_ELIGIBLE,
    Figures,
    Ranker,
    directory,
    evaluate,
    nearest_listed,
    ranked_by,
)

MIN_HIT_AT_1 = 0.9

POLICY_NAME = f"policy {POLICY.version}"
PREVIOUS_NAME = f"policy {POLICY_2026_2.version}"
RANKERS: dict[str, Ranker] = {
    POLICY_NAME: ranked_by(POLICY),
    PREVIOUS_NAME: ranked_by(POLICY_2026_2),
    "nearest eligible": ranked_by(NEAREST_ELIGIBLE),
    "nearest listed": nearest_listed,
}
# The policy with one component switched off: each must earn its place on the set.
ABLATIONS: dict[str, Ranker] = {
    f"without {name}": ranked_by(replace(POLICY, **{f"{name}_weight": 0.0})) for name in COMPONENTS
} | {"without local first": ranked_by(replace(POLICY, local_first=False))}


@pytest.fixture(scope="module")
def figures() -> dict[str, Figures]:
    return {name: evaluate(ranker) for name, ranker in (RANKERS | ABLATIONS).items()}


def _report(figures: dict[str, Figures]) -> None:
    print(f"\nMatching evaluation: {len(CASES)} cases over the demo directory")
    print(f"{'ranking':<24}{'hit@1':>8}{'NDCG@3':>9}{'forbidden in top 3':>20}")
    for name, f in figures.items():
        print(f"{name:<24}{f.hit_at_1:>8.3f}{f.ndcg_at_3:>9.3f}{f.forbidden_shown:>20}")
    for miss in figures[POLICY_NAME].misses:
        print(f"  policy miss: {miss}")


def test_the_set_is_large_and_covers_every_rule_component_and_awkward_case():
    assert len(CASES) >= 130 and len(CASES_2026_3) >= 60
    assert len({c.name for c in CASES}) == len(CASES)
    covered = set().union(*(c.covers for c in CASES))
    assert set(RULES) == set(RULE_ORDER)
    assert set(RULES) | set(RELEVANCE) | set(AWKWARD) | set(ADDED) == covered
    assert set(COMPONENTS) <= set(RELEVANCE)


def test_every_expected_ref_is_in_the_directory():
    refs = {p.ref for p in directory()}
    for case in CASES:
        named = case.first | case.good | case.never | case.present | case.exclude | case.inactive
        assert named <= refs, (case.name, named - refs)
        assert not (case.first | case.good | case.present) & case.never, case.name


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_hard_rules_hold(case):
    refs = RANKERS[POLICY_NAME](case)
    assert not case.never & set(refs), f"{case.why} Shown: {sorted(case.never & set(refs))}"
    assert case.present <= set(refs), case.why
    assert case.first | case.good <= set(refs), "an expected centre is not even eligible"
    if not case.first:
        assert refs == [], case.why


def test_policy_beats_both_baselines(figures):
    _report(figures)
    policy = figures[POLICY_NAME]
    assert policy.forbidden_shown == 0
    assert policy.hit_at_1 >= MIN_HIT_AT_1
    for name in RANKERS:
        if name != POLICY_NAME:
            assert policy.hit_at_1 > figures[name].hit_at_1, name
            assert policy.ndcg_at_3 > figures[name].ndcg_at_3, name


def test_every_component_earns_its_place(figures):
    policy = figures[POLICY_NAME]
    for name in ABLATIONS:
        assert figures[name].ndcg_at_3 < policy.ndcg_at_3, name


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("faire reconnaître mes diplômes", {"skills_recognition"}),
        ("reconnaissance de mes diplômes", {"skills_recognition"}),
        ("je serais reconnaissant de votre aide", set()),
    ],
)
def test_credential_recognition_is_read_from_the_words_people_use(text, expected):
    assert set(interpret_need_text(text)) == expected


# --- The 2026.2 preferences in isolation (invented centres around Trois-Rivières) ----------

QUEBEC_CITY = (46.81, -71.21)  # region 03, about 120 km from Trois-Rivières


def test_own_region_beats_a_remote_group_specialist_that_fits_alike(make_centre, make_situation):
    index = MatchIndex(
        [
            make_centre("local", points=((46.42, -72.60),)),
            make_centre(
                "remote-specialist",
                regions_served={"03"},
                modes={"in_person", "remote"},
                client_groups={"immigrants"},
                points=(QUEBEC_CITY,),
            ),
        ]
    )
    s = make_situation(client_groups={"immigrants"}, needs={"job_search"})
    outcome = index.rank(s)
    assert [r.ref for r in outcome.results] == ["local", "remote-specialist"]
    assert [r.components["region"] for r in outcome.results] == [1.0, 0.0]
    assert [r.reasons[0].code for r in outcome.results] == ["serves_region", "outside_region"]


def test_a_remote_centre_offering_the_need_beats_a_local_one_that_does_not(
    make_centre, make_situation
):
    index = MatchIndex(
        [
            make_centre("local", specialties={"job_search"}),
            make_centre(
                "remote-fit",
                regions_served={"03"},
                modes={"remote"},
                specialties={"skills_recognition"},
                points=(QUEBEC_CITY,),
            ),
        ]
    )
    outcome = index.rank(make_situation(needs={"skills_recognition"}))
    assert [r.ref for r in outcome.results] == ["remote-fit", "local"]


def test_region_component_is_left_out_when_every_eligible_centre_serves_the_region(
    make_centre, make_situation
):
    remote_elsewhere = make_centre("b", regions_served={"03"}, modes={"remote"})
    index = MatchIndex([make_centre("a"), remote_elsewhere])
    in_person = index.rank(make_situation(modes={"in_person"}))
    assert [r.ref for r in in_person.results] == ["a"]
    assert "region" not in in_person.results[0].components
    assert "region" in index.rank(make_situation()).results[0].components
