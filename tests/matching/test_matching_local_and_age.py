"""Policy 2026.3: age-defined groups admit people by age, local fits come first, and the
reasons say so (invented centres around Trois-Rivières, region 04)."""

from dataclasses import replace

from app.matching import POLICY, POLICY_2026_2, MatchIndex
from app.matching.eligibility import admitted_by_age
from tests.helpers.matching import GASPE, SHAWINIGAN

QUEBEC_CITY = (46.81, -71.21)  # region 03


def codes(result):
    return [reason.code for reason in result.reasons]


# --- Age-defined groups ---------------------------------------------------------------------


def test_a_youth_centre_takes_a_17_year_old_who_did_not_tick_youth(make_centre, make_situation):
    youth = make_centre("youth", client_groups={"youth"}, age_min=16, age_max=35,
                        specialties={"return_to_school"})  # fmt: skip
    index = MatchIndex([youth, make_centre("general", points=(SHAWINIGAN,))])
    outcome = index.rank(make_situation(age=17, needs={"return_to_school"}))
    assert [r.ref for r in outcome.results] == ["youth", "general"]
    reasons = {r.code: r for r in outcome.results[0].reasons}
    assert reasons["age_group_eligible"].fr == (
        "Accueille les jeunes de 16 à 35 ans : votre âge vous y donne accès"
    )
    assert (
        reasons["age_group_eligible"].en
        == "Serves youth aged 16 to 35: your age makes you eligible"
    )
    assert "group_specialist" not in reasons  # not ticked: not counted as a specialist
    assert outcome.results[0].components.get("client_group") is None


def test_the_previous_policy_refused_them(make_centre, make_situation):
    youth = make_centre("youth", client_groups={"youth"}, age_min=16, age_max=35)
    index = MatchIndex([youth], POLICY_2026_2)
    s = make_situation(age=17)
    assert index.rank(s).results == []
    assert [r.code for r in index.explain_ineligible("id-youth", s)] == ["client_group_restricted"]


def test_age_outside_the_limits_or_unknown_is_still_refused(make_centre, make_situation):
    youth = make_centre("youth", client_groups={"youth"}, age_min=16, age_max=30)
    index = MatchIndex([youth])
    for age in (15, 31, 52, None):
        s = make_situation(age=age)
        assert index.rank(s).results == [], age
        broken = [r.code for r in index.explain_ineligible("id-youth", s)]
        assert "client_group_restricted" in broken, age


def test_the_centre_limits_decide_when_it_has_some(make_centre, make_situation):
    # A youth centre up to 40 takes a 38-year-old: its own limits, not DESIGN's 16-35.
    wide = make_centre("wide", client_groups={"youth"}, age_min=16, age_max=40)
    assert [r.ref for r in MatchIndex([wide]).rank(make_situation(age=38)).results] == ["wide"]
    assert admitted_by_age(wide, make_situation(age=38)) == {"youth"}


def test_without_limits_the_design_bounds_apply(make_centre, make_situation):
    youth = make_centre("youth", client_groups={"youth", "indigenous"})
    fifty = make_centre("fifty", client_groups={"experienced_workers"})
    index = MatchIndex([youth, fifty])
    assert [r.ref for r in index.rank(make_situation(age=35)).results] == ["youth"]
    assert [r.ref for r in index.rank(make_situation(age=36)).results] == []
    assert [r.ref for r in index.rank(make_situation(age=50)).results] == ["fifty"]
    reason = next(r for r in index.rank(make_situation(age=50)).results[0].reasons
                  if r.code == "age_group_eligible")  # fmt: skip
    assert reason.fr.startswith("Accueille les travailleurs expérimentés (50 ans et plus)")


def test_vector_and_scalar_rules_agree_on_age_groups(make_centre, make_situation):
    centres = [
        make_centre("y", client_groups={"youth"}, age_min=16, age_max=35),
        make_centre("y-open", client_groups={"youth"}),
        make_centre("w", client_groups={"experienced_workers"}, age_min=50),
        make_centre("w-open", client_groups={"experienced_workers", "women"}),
        make_centre("i", client_groups={"immigrants"}),
    ]
    index = MatchIndex(centres)
    for age in (None, 15, 16, 17, 35, 36, 49, 50, 80):
        for groups in (set(), {"youth"}, {"women"}, {"immigrants"}):
            s = make_situation(age=age, client_groups=groups)
            ranked = {r.centre_id for r in index.rank(replace(s, limit=10)).results}
            assert ranked == {p.id for p in centres if index.is_eligible(p.id, s)}, (age, groups)


# --- Local first ----------------------------------------------------------------------------


def test_a_local_centre_with_a_related_service_beats_a_remote_one_with_the_need(
    make_centre, make_situation
):
    index = MatchIndex(
        [
            make_centre("local", specialties={"career_guidance"}, points=(SHAWINIGAN,)),
            make_centre(
                "remote",
                regions_served={"03"},
                modes={"in_person", "remote"},
                specialties={"career_change"},
                client_groups={"experienced_workers"},
                points=(QUEBEC_CITY,),
            ),  # fmt: skip
        ]
    )
    s = make_situation(age=55, needs={"career_change"}, modes={"in_person", "remote"})
    outcome = index.rank(s)
    assert [r.ref for r in outcome.results] == ["local", "remote"]
    assert outcome.results[0].score < outcome.results[1].score  # the rule, not the score
    local = codes(outcome.results[0])
    assert local[:2] == ["serves_region", "local_first"] and "related_service" in local
    assert codes(outcome.results[1])[0] == "remote_available"
    # Without the rule (2026.2) the remote centre came first.
    before = MatchIndex(index.profiles, replace(POLICY, local_first=False)).rank(s)
    assert [r.ref for r in before.results] == ["remote", "local"]


def test_a_remote_centre_comes_first_when_no_local_one_offers_anything_asked(
    make_centre, make_situation
):
    index = MatchIndex(
        [
            make_centre("local", specialties={"job_search"}),
            make_centre(
                "remote",
                regions_served={"03"},
                modes={"remote"},
                specialties={"self_employment"},
                points=(QUEBEC_CITY,),
            ),  # fmt: skip
        ]
    )
    outcome = index.rank(make_situation(needs={"self_employment"}))
    assert [r.ref for r in outcome.results] == ["remote", "local"]
    assert all("local_first" not in codes(r) for r in outcome.results)


def test_a_local_centre_must_offer_a_mode_the_person_accepts(make_centre, make_situation):
    index = MatchIndex(
        [
            make_centre("local", specialties={"career_change"}),  # in person only
            make_centre(
                "remote",
                regions_served={"03"},
                modes={"remote"},
                specialties={"career_change"},
                points=(QUEBEC_CITY,),
            ),  # fmt: skip
        ]
    )
    outcome = index.rank(make_situation(needs={"career_change"}, modes={"remote"}))
    assert [r.ref for r in outcome.results] == ["remote", "local"]


def test_without_needs_every_centre_of_the_region_comes_first(make_centre, make_situation):
    index = MatchIndex(
        [
            make_centre("far-local", points=(GASPE,)),  # serves 04, located far away
            make_centre(
                "near-remote", regions_served={"17"}, modes={"remote"}, points=((46.30, -72.50),)
            ),  # fmt: skip
        ]
    )
    outcome = index.rank(make_situation())
    assert [r.ref for r in outcome.results] == ["far-local", "near-remote"]


def test_the_limit_keeps_the_local_fits(make_centre, make_situation):
    remote = [make_centre(f"r{i}", regions_served={"03"}, modes={"remote"},
                          specialties={"career_change"}, points=(QUEBEC_CITY,))
              for i in range(5)]  # fmt: skip
    local = make_centre("local", specialties={"career_guidance"}, points=(GASPE,))
    outcome = MatchIndex([*remote, local]).rank(make_situation(needs={"career_change"}, limit=1))
    assert [r.ref for r in outcome.results] == ["local"]


# --- Reasons --------------------------------------------------------------------------------


def test_under_one_km_reads_well_in_both_languages(make_centre, make_situation):
    result = MatchIndex([make_centre("here")]).rank(make_situation()).results[0]
    reason = next(r for r in result.reasons if r.code == "nearby")
    assert result.distance_km == 0.0
    assert (reason.fr, reason.en) == ("À moins de 1 km de chez vous", "Under 1 km from you")


def test_mode_reasons_name_the_mode_asked_for(make_centre, make_situation):
    index = MatchIndex([make_centre("c", modes={"in_person", "remote"})])
    result = index.rank(make_situation(modes={"remote"})).results[0]
    reason = next(r for r in result.reasons if r.code == "mode_match")
    assert (reason.fr, reason.en) == (
        "Offre le mode souhaité : à distance",
        "Offers the mode you asked for: remote",
    )
