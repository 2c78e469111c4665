"""Reasons: present, coded, bilingual, and true to the figures shown."""

import pytest

from app.matching import MatchIndex

CAP_DE_LA_MADELEINE = (46.370, -72.500)  # about 4.5 km from Trois-Rivières
GASPE = (48.831, -64.487)


def codes(result):
    return [r.code for r in result.reasons]


def test_every_result_has_bilingual_reasons(make_centre, make_situation):
    index = MatchIndex(
        [
            make_centre(
                "full",
                specialties={"resume_interview", "job_search"},
                client_groups={"general", "immigrants"},
                modes={"in_person", "remote"},
                languages={"fr", "en"},
                age_min=16,
                age_max=35,
            )
        ]
    )
    situation = make_situation(
        needs={"job_search"},
        need_text="aide pour mon CV",
        client_groups={"immigrants"},
        modes={"remote"},
        language="en",
        age=30,
    )
    result = index.rank(situation, load={"id-full": 1}).results[0]
    assert codes(result) == [
        "serves_region",
        "specialty_match",
        "specialty_match",
        "group_specialist",
        "nearby",
        "mode_match",
        "speaks_language",
        "age_eligible",
        "capacity_available",
    ]
    for reason in result.reasons:
        assert reason.fr and reason.en and reason.fr != reason.en
        assert reason.to_dict() == {"code": reason.code, "fr": reason.fr, "en": reason.en}
    specialties = [r for r in result.reasons if r.code == "specialty_match"]
    # The ticked need comes before the one read from text (it weighs more).
    assert "Recherche d'emploi" in specialties[0].fr and "Job search" in specialties[0].en
    assert "CV" in specialties[1].fr and "interview" in specialties[1].en


def test_distance_reason_uses_the_shown_distance_in_each_language(make_centre, make_situation):
    index = MatchIndex([make_centre("c", points=(CAP_DE_LA_MADELEINE,))])
    result = index.rank(make_situation()).results[0]
    reason = next(r for r in result.reasons if r.code == "nearby")
    shown = f"{result.distance_km:.1f}"
    assert 4.0 < result.distance_km < 5.0
    assert shown in reason.en and shown.replace(".", ",") in reason.fr


def test_far_centre_states_distance_without_calling_it_nearby(make_centre, make_situation):
    index = MatchIndex([make_centre("far", points=(GASPE,))])
    result = index.rank(make_situation()).results[0]
    assert "nearby" not in codes(result) and "distance" in codes(result)
    assert result.distance_km is not None and result.distance_km > 500


def test_remote_centre_outside_region_says_so(make_centre, make_situation):
    index = MatchIndex([make_centre("r", regions_served={"11"}, modes={"remote"})])
    result = index.rank(make_situation(modes={"in_person", "remote"})).results[0]
    assert codes(result)[0] == "remote_available"
    assert "serves_region" not in codes(result)


def test_remote_help_is_no_reason_for_someone_who_did_not_accept_it(make_centre, make_situation):
    index = MatchIndex([make_centre("r", regions_served={"11"}, modes={"remote"})])
    result = index.rank(make_situation()).results[0]  # no mode given: any mode is eligible
    assert codes(result)[0] == "outside_region"
    assert "remote_available" not in codes(result) and "mode_match" not in codes(result)
    assert "hors de votre région" in result.reasons[0].fr


def test_serves_region_names_the_region(make_centre, make_situation):
    result = MatchIndex([make_centre("c")]).rank(make_situation()).results[0]
    assert "Mauricie" in result.reasons[0].fr and "Mauricie" in result.reasons[0].en


@pytest.mark.parametrize(("open_referrals", "has_room"), [(0, True), (4, True), (5, False)])
def test_capacity_reason_only_when_there_is_room(
    make_centre, make_situation, open_referrals, has_room
):
    index = MatchIndex([make_centre("c", weekly_capacity=10)])
    result = index.rank(make_situation(), load={"id-c": open_referrals}).results[0]
    assert ("capacity_available" in codes(result)) is has_room


def test_no_load_given_no_capacity_reason(make_centre, make_situation):
    result = MatchIndex([make_centre("c")]).rank(make_situation()).results[0]
    assert "capacity_available" not in codes(result) and "load" not in result.components


def test_outcome_to_dict_follows_the_public_shape(make_centre, make_situation):
    outcome = MatchIndex([make_centre("c"), make_centre("p", intake_open=False)]).rank(
        make_situation()
    )
    body = outcome.to_dict()
    assert body["policy_version"] == outcome.policy_version
    assert body["excluded"] == {"intake_paused": 1}
    first = body["results"][0]
    assert first["centre"] == {"id": "id-c", "ref": "c", "name": "Centre c"}
    assert set(first) == {"rank", "score", "distance_km", "centre", "components", "reasons"}
    assert first["reasons"][0]["code"] == "serves_region"
