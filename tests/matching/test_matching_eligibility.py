"""Hard rules: each one excludes, is counted for staff, and is explained in both languages."""

import random

import pytest

from app.matching import RULE_ORDER, MatchIndex, UnknownCentre
from app.matching.synthetic import synthetic_profiles, synthetic_situation

NICOLET = (46.225, -72.614)  # region 17, across the river from Trois-Rivières (04)


def ranked_refs(index, situation, **kwargs):
    return [r.ref for r in index.rank(situation, **kwargs).results]


def test_inactive_and_paused_centres_never_appear(make_centre, make_situation):
    index = MatchIndex(
        [
            make_centre("open"),
            make_centre("paused", intake_open=False),
            make_centre("closed", active=False),
        ]
    )
    outcome = index.rank(make_situation(limit=10))
    assert [r.ref for r in outcome.results] == ["open"]
    assert outcome.excluded == {"inactive": 1, "intake_paused": 1}
    assert outcome.eligible_count == 1 and outcome.total_centres == 3


def test_region_border_centre_is_excluded_unless_it_serves_the_region(make_centre, make_situation):
    index = MatchIndex(
        [
            make_centre("nicolet-17", regions_served={"17"}, points=(NICOLET,)),
            make_centre("nicolet-both", regions_served={"17", "04"}, points=(NICOLET,)),
        ]
    )
    outcome = index.rank(make_situation())
    assert [r.ref for r in outcome.results] == ["nicolet-both"]
    assert outcome.excluded == {"out_of_region": 1}


def test_remote_centre_outside_region_needs_the_person_to_accept_remote(
    make_centre, make_situation
):
    index = MatchIndex(
        [make_centre("remote-17", regions_served={"17"}, modes={"in_person", "remote"})]
    )
    assert ranked_refs(index, make_situation()) == ["remote-17"]  # no mode given: any mode
    assert ranked_refs(index, make_situation(modes={"remote"})) == ["remote-17"]
    assert ranked_refs(index, make_situation(modes={"in_person"})) == []


def test_language_must_be_offered(make_centre, make_situation):
    index = MatchIndex([make_centre("fr"), make_centre("fr-en", languages={"fr", "en"})])
    assert ranked_refs(index, make_situation(language="en")) == ["fr-en"]
    assert index.rank(make_situation(language="en")).excluded == {"language_not_offered": 1}
    assert sorted(ranked_refs(index, make_situation(language="fr"))) == ["fr", "fr-en"]


@pytest.mark.parametrize(
    ("age", "expected"),
    [
        (15, ["any-age"]),
        (16, ["any-age", "youth"]),
        (17, ["any-age", "youth"]),
        (35, ["adults", "any-age", "youth"]),
        (36, ["adults", "any-age"]),
    ],
)
def test_age_must_be_within_limits(make_centre, make_situation, age, expected):
    index = MatchIndex(
        [
            make_centre("youth", age_min=16, age_max=35),
            make_centre("adults", age_min=18),
            make_centre("any-age"),
        ]
    )
    assert sorted(ranked_refs(index, make_situation(age=age, limit=10))) == expected


def test_seventeen_year_old_is_refused_by_an_adults_only_centre(make_centre, make_situation):
    index = MatchIndex([make_centre("adults", age_min=18), make_centre("youth", age_min=16)])
    outcome = index.rank(make_situation(age=17))
    assert [r.ref for r in outcome.results] == ["youth"]
    assert outcome.excluded == {"age_out_of_range": 1}


def test_no_age_given_ignores_age_limits(make_centre, make_situation):
    index = MatchIndex([make_centre("adults", age_min=18, age_max=64)])
    assert ranked_refs(index, make_situation()) == ["adults"]


def test_group_only_centre_is_offered_only_to_its_groups(make_centre, make_situation):
    index = MatchIndex(
        [
            make_centre("women-only", client_groups={"women"}),
            make_centre("everyone", client_groups={"general", "immigrants"}),
            make_centre("unlisted", client_groups=set()),  # lists nobody: serves everyone
        ]
    )
    assert sorted(ranked_refs(index, make_situation())) == ["everyone", "unlisted"]
    assert sorted(ranked_refs(index, make_situation(client_groups={"women"}))) == [
        "everyone",
        "unlisted",
        "women-only",
    ]
    assert index.rank(make_situation(client_groups={"youth"})).excluded == {
        "client_group_restricted": 1
    }


def test_excluded_ids_are_skipped_and_counted(make_centre, make_situation):
    index = MatchIndex([make_centre("a"), make_centre("b")])
    outcome = index.rank(make_situation(), exclude={"id-a", "id-unknown"})
    assert [r.ref for r in outcome.results] == ["b"]
    assert outcome.excluded == {"already_referred": 1}


def test_every_centre_paused_gives_an_empty_ranking_with_counts(make_centre, make_situation):
    index = MatchIndex([make_centre(f"c{i}", intake_open=False) for i in range(4)])
    outcome = index.rank(make_situation())
    assert outcome.results == [] and outcome.eligible_count == 0
    assert outcome.excluded == {"intake_paused": 4}


def test_a_centre_is_counted_once_under_its_first_failed_rule(make_centre, make_situation):
    index = MatchIndex(
        [
            make_centre("everything-wrong", intake_open=False, regions_served={"17"}, age_min=50),
            make_centre("far-and-old", regions_served={"17"}, age_min=50),
            make_centre("old", age_min=50),
        ]
    )
    outcome = index.rank(make_situation(age=20))
    assert outcome.excluded == {"intake_paused": 1, "out_of_region": 1, "age_out_of_range": 1}
    assert list(outcome.excluded) == [rule for rule in RULE_ORDER if rule in outcome.excluded]


def test_explain_ineligible_lists_every_broken_rule_in_both_languages(make_centre, make_situation):
    index = MatchIndex(
        [
            make_centre(
                "strict",
                intake_open=False,
                regions_served={"17"},
                languages={"fr"},
                age_min=16,
                age_max=35,
                client_groups={"youth"},
            )
        ]
    )
    situation = make_situation(language="en", age=52, modes={"in_person"})
    found = index.explain_ineligible("id-strict", situation, exclude=["id-strict"])
    assert [r.code for r in found] == [
        "intake_paused",
        "already_referred",
        "out_of_region",
        "language_not_offered",
        "age_out_of_range",
        "client_group_restricted",
    ]
    for reason in found:
        assert reason.fr and reason.en and reason.fr != reason.en
    by_code = {r.code: r for r in found}
    assert "Mauricie" in by_code["out_of_region"].fr
    assert "16" in by_code["age_out_of_range"].en and "35" in by_code["age_out_of_range"].en
    assert "anglais" in by_code["language_not_offered"].fr
    assert "English" in by_code["language_not_offered"].en


def test_explain_ineligible_is_empty_for_an_eligible_centre(make_centre, make_situation):
    index = MatchIndex([make_centre("fine")])
    assert index.explain_ineligible("id-fine", make_situation()) == []
    assert index.is_eligible("id-fine", make_situation())


def test_unknown_centre_raises(make_centre, make_situation):
    index = MatchIndex([make_centre("a")])
    with pytest.raises(UnknownCentre):
        index.explain_ineligible("nope", make_situation())


def test_duplicate_ids_are_refused(make_centre):
    with pytest.raises(ValueError, match="duplicate"):
        MatchIndex([make_centre("a"), make_centre("a")])


def test_vectorised_rules_agree_with_the_per_centre_explanation():
    profiles = synthetic_profiles(400, seed=7)
    index = MatchIndex(profiles)
    rng = random.Random(11)
    for _ in range(60):
        situation = synthetic_situation(rng)
        # Without exclusions the masks kept per facet are used (from the second time on).
        for exclude in ({p.id for p in rng.sample(profiles, 5)}, set(), set()):
            outcome = index.rank(situation, exclude=exclude)
            explained = {
                p.id: index.explain_ineligible(p.id, situation, exclude=exclude) for p in profiles
            }
            eligible = [pid for pid, why in explained.items() if not why]
            assert outcome.eligible_count == len(eligible)
            first_rules: dict[str, int] = {}
            for why in explained.values():
                if why:
                    first_rules[why[0].code] = first_rules.get(why[0].code, 0) + 1
            assert outcome.excluded == first_rules
            assert all(not explained[r.centre_id] for r in outcome.results)


def test_masks_kept_per_facet_stay_bounded_and_change_no_answer(make_situation):
    index = MatchIndex(synthetic_profiles(300, seed=5))
    situations = [
        make_situation(age=age, region_code=region, language=language)
        for age in range(15, 101)
        for region in ("04", "06", "11")
        for language in (None, "fr", "en")
    ]
    first = [index.rank(s) for s in situations]
    again = [index.rank(s) for s in situations]
    fresh = [MatchIndex(index.profiles).rank(s) for s in situations[::97]]
    assert first == again and fresh == first[::97]
    sizes = []
    for age in range(5000):  # more facets than are kept: the memo starts over
        index.rank(make_situation(age=age))
        sizes.append(len(index._cols.memo))
    assert max(sizes) == 4096 and sizes[-1] < 4096
    assert [index.rank(s) for s in situations[::97]] == fresh
