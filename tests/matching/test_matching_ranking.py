"""Soft criteria: each component moves the ranking the right way; the order is deterministic."""

import random
from dataclasses import replace

import pytest

from app.matching import POLICY, MatchIndex
from app.matching.synthetic import synthetic_profiles, synthetic_situations

TROIS_RIVIERES = (46.343, -72.543)
SHAWINIGAN = (46.566, -72.749)  # about 30 km from Trois-Rivières
LA_TUQUE = (47.436, -72.785)  # about 120 km, still region 04
GASPE = (48.831, -64.487)  # about 700 km


def refs(outcome):
    return [r.ref for r in outcome.results]


def test_needed_specialty_ranks_first(make_centre, make_situation):
    index = MatchIndex(
        [
            make_centre("search", specialties={"job_search"}),
            make_centre("cv", specialties={"resume_interview"}),
        ]
    )
    assert refs(index.rank(make_situation(needs={"resume_interview"})))[0] == "cv"
    assert refs(index.rank(make_situation(needs={"job_search"})))[0] == "search"


def test_free_text_need_ranks_the_matching_centre_first(make_centre, make_situation):
    index = MatchIndex(
        [
            make_centre("search", specialties={"job_search"}),
            make_centre("school", specialties={"return_to_school"}),
        ]
    )
    outcome = index.rank(make_situation(need_text="Je pense à un retour aux études"))
    assert refs(outcome)[0] == "school"
    assert outcome.results[0].components["specialty"] == pytest.approx(POLICY.text_need_factor)


def test_more_of_the_needs_covered_ranks_higher(make_centre, make_situation):
    index = MatchIndex(
        [
            make_centre("one", specialties={"job_search"}),
            make_centre("both", specialties={"job_search", "digital_skills"}),
        ]
    )
    outcome = index.rank(make_situation(needs={"job_search", "digital_skills"}))
    assert refs(outcome) == ["both", "one"]
    assert [r.components["specialty"] for r in outcome.results] == [1.0, 0.5]


def test_group_specialist_ranks_above_generalist_all_else_equal(make_centre, make_situation):
    index = MatchIndex(
        [
            make_centre("a-generalist", client_groups={"general"}),
            make_centre("b-specialist", client_groups={"general", "immigrants"}),
        ]
    )
    assert refs(index.rank(make_situation(client_groups={"immigrants"}))) == [
        "b-specialist",
        "a-generalist",
    ]
    # Without a group, the specialist has no edge: the tie goes to ref order.
    assert refs(index.rank(make_situation())) == ["a-generalist", "b-specialist"]


def test_closer_ranks_higher_and_far_centres_still_appear(make_centre, make_situation):
    index = MatchIndex(
        [
            make_centre("far", points=(LA_TUQUE,)),
            make_centre("near", points=(TROIS_RIVIERES,)),
            make_centre("mid", points=(SHAWINIGAN,)),
            make_centre("very-far", regions_served={"04", "11"}, points=(GASPE,)),
        ]
    )
    outcome = index.rank(make_situation())
    assert refs(outcome) == ["near", "mid", "far", "very-far"]
    scores = [r.components["distance"] for r in outcome.results]
    assert scores == sorted(scores, reverse=True) and scores[-1] > 0


def test_distance_decay_is_smooth_and_halves_at_the_scale(make_centre, make_situation):
    index = MatchIndex([make_centre("c")])
    s = make_situation()
    result = index.rank(s).results[0]
    assert result.distance_km == 0.0 and result.components["distance"] == 1.0
    # A centre 15 km away (scale) scores 0.5 for distance.
    km_per_degree_lat = 111.195
    moved = make_situation(lat=s.lat + POLICY.distance_scale_km / km_per_degree_lat)
    far = index.rank(moved).results[0]
    assert far.distance_km == pytest.approx(POLICY.distance_scale_km, abs=0.1)
    assert far.components["distance"] == pytest.approx(0.5, abs=0.002)


def test_nearest_location_of_a_multi_site_centre_counts(make_centre, make_situation):
    index = MatchIndex(
        [
            make_centre("multi", points=(LA_TUQUE, SHAWINIGAN)),
            make_centre("single", points=(LA_TUQUE,)),
        ]
    )
    outcome = index.rank(make_situation())
    assert refs(outcome) == ["multi", "single"]
    assert outcome.results[0].distance_km == pytest.approx(29.0, abs=1.5)


def test_preferred_mode_ranks_higher(make_centre, make_situation):
    index = MatchIndex(
        [
            make_centre("a-in-person", modes={"in_person"}),
            make_centre("b-group", modes={"in_person", "group"}),
        ]
    )
    assert refs(index.rank(make_situation(modes={"group"}))) == ["b-group", "a-in-person"]


def test_remote_only_person_is_not_penalised_for_distance(make_centre, make_situation):
    index = MatchIndex(
        [
            make_centre("near-in-person", modes={"in_person"}),
            make_centre("far-remote", modes={"remote"}, points=(GASPE,), regions_served={"11"}),
        ]
    )
    outcome = index.rank(make_situation(modes={"remote"}))
    assert refs(outcome) == ["far-remote", "near-in-person"]
    assert outcome.results[0].components["distance"] == 1.0


def test_newcomer_wanting_remote_help_gets_a_remote_specialist(make_centre, make_situation):
    index = MatchIndex(
        [
            make_centre("local", specialties={"job_search"}),
            make_centre(
                "remote-newcomers",
                regions_served={"06"},
                modes={"in_person", "remote"},
                specialties={"newcomer_integration", "skills_recognition"},
                client_groups={"immigrants"},
                points=((45.50, -73.57),),
            ),
        ]
    )
    situation = make_situation(
        client_groups={"immigrants"}, modes={"remote"}, need_text="immigrant récent"
    )
    assert refs(index.rank(situation)) == ["remote-newcomers", "local"]


def test_busy_centre_gives_way_to_an_equally_good_one(make_centre, make_situation):
    index = MatchIndex([make_centre("a"), make_centre("b")])
    s = make_situation()
    assert refs(index.rank(s)) == ["a", "b"]  # a tie, broken by ref
    assert refs(index.rank(s, load={"id-a": 8, "id-b": 2})) == ["b", "a"]
    assert refs(index.rank(s, load={"id-a": 1, "id-b": 2})) == ["a", "b"]


def test_load_is_capped_at_full_and_zero_capacity_means_full(make_centre, make_situation):
    index = MatchIndex([make_centre("a", weekly_capacity=0), make_centre("b")])
    outcome = index.rank(make_situation(), load={"id-b": 50})
    assert {r.ref: r.components["load"] for r in outcome.results} == {"a": 0.0, "b": 0.0}


def test_load_vector_gives_the_same_answer_as_a_mapping(make_centre, make_situation):
    index = MatchIndex([make_centre("a"), make_centre("b"), make_centre("c")])
    load = {"id-a": 9, "id-c": 3}
    s = make_situation()
    assert index.rank(s, load=index.load_vector(load)) == index.rank(s, load=load)
    other = MatchIndex([make_centre("a")])
    with pytest.raises(ValueError, match="another index"):
        index.rank(s, load=other.load_vector(load))


def test_a_changed_count_updates_the_vector_as_a_rebuild_would(make_centre):
    index = MatchIndex(
        [make_centre("a", weekly_capacity=7), make_centre("b", weekly_capacity=0), make_centre("c")]
    )
    before = {"id-a": 2}
    vector = index.load_vector(before)
    for centre_id, count in (("id-a", 3), ("id-b", 1), ("id-c", 40), ("id-c", 1)):
        after = {**before, centre_id: count}
        changed = index.count_changed(vector, centre_id, after)
        rebuilt = index.load_vector(after)
        assert changed.ratio.tolist() == rebuilt.ratio.tolist()
        assert changed.room.tolist() == rebuilt.room.tolist()
        assert vector.ratio.tolist() == index.load_vector(before).ratio.tolist()  # not changed
        vector, before = changed, after
    assert index.count_changed(vector, "id-unknown", before) is vector
    with pytest.raises(ValueError, match="another index"):
        MatchIndex([make_centre("a")]).count_changed(vector, "id-a", before)


def test_empty_criteria_rank_by_location_alone(make_centre, make_situation):
    index = MatchIndex(
        [
            make_centre("mid", points=(SHAWINIGAN,), specialties={"career_change"}),
            make_centre("near", points=(TROIS_RIVIERES,)),
            make_centre("far", points=(LA_TUQUE,), client_groups={"general", "youth"}),
        ]
    )
    outcome = index.rank(make_situation())
    assert refs(outcome) == ["near", "mid", "far"]
    assert all(set(r.components) == {"distance"} for r in outcome.results)
    assert [r.score for r in outcome.results] == [r.components["distance"] for r in outcome.results]


def test_ties_break_by_distance_then_ref(make_centre, make_situation):
    index = MatchIndex(
        [
            make_centre("c", points=(SHAWINIGAN,), specialties={"job_search"}),
            make_centre("b", specialties={"job_search"}),
            make_centre("a", specialties={"job_search"}),
        ]
    )
    assert refs(index.rank(make_situation(needs={"job_search"}))) == ["a", "b", "c"]


def test_order_does_not_depend_on_profile_order():
    profiles = synthetic_profiles(600, seed=3)
    shuffled = list(profiles)
    random.Random(5).shuffle(shuffled)
    first, second = MatchIndex(profiles), MatchIndex(shuffled)
    for situation in synthetic_situations(40, seed=9):
        assert first.rank(situation) == second.rank(situation)


def test_scores_are_bounded_rounded_and_descending():
    index = MatchIndex(synthetic_profiles(500, seed=1))
    for situation in synthetic_situations(40, seed=2):
        outcome = index.rank(situation)
        scores = [r.score for r in outcome.results]
        local = [r.score for r in outcome.results if _local_fit(r)]
        others = [r.score for r in outcome.results if not _local_fit(r)]
        assert scores == local + others  # local fits first (policy.local_first)
        assert local == sorted(local, reverse=True) and others == sorted(others, reverse=True)
        assert all(0.0 <= s <= 1.0 and round(s, 4) == s for s in scores)
        assert [r.rank for r in outcome.results] == list(range(1, len(scores) + 1))
        assert len(scores) == min(situation.limit, outcome.eligible_count)
        assert outcome.policy_version == POLICY.version


def test_ranking_matches_a_full_sort_of_all_eligible_centres():
    index = MatchIndex(synthetic_profiles(800, seed=4))
    for situation in synthetic_situations(30, seed=6):
        top = index.rank(situation)
        every = index.rank(
            type(situation)(**{**_fields(situation), "limit": max(1, top.eligible_count)})
        )
        assert top.results == every.results[: len(top.results)]
        keys = [(not _local_fit(r), -r.score, r.distance_km, r.ref) for r in every.results]
        assert keys == sorted(keys)


def _local_fit(result):
    return any(reason.code == "local_first" for reason in result.reasons)


def test_limit_must_be_positive(make_centre, make_situation):
    with pytest.raises(ValueError, match="limit"):
        MatchIndex([make_centre("a")]).rank(make_situation(limit=0))


def test_centre_without_location_ranks_after_located_ones(make_centre, make_situation):
    index = MatchIndex(
        [
            make_centre("a-nowhere", points=(), modes={"remote"}),
            make_centre("z-far", points=(LA_TUQUE,)),
        ]
    )
    outcome = index.rank(make_situation())
    assert refs(outcome) == ["z-far", "a-nowhere"]
    assert outcome.results[1].distance_km is None
    assert "nearby" not in {r.code for r in outcome.results[1].reasons}


def test_policy_is_injectable_and_its_version_is_reported(make_centre, make_situation):
    distance_only = replace(
        POLICY,
        version="distance-only",
        specialty_weight=0.0,
        client_group_weight=0.0,
        mode_weight=0.0,
        load_weight=0.0,
    )
    profiles = [
        make_centre("far-fit", points=(LA_TUQUE,), specialties={"career_change"}),
        make_centre("near", specialties={"job_search"}),
    ]
    s = make_situation(needs={"career_change"})
    assert refs(MatchIndex(profiles).rank(s)) == ["far-fit", "near"]
    outcome = MatchIndex(profiles, policy=distance_only).rank(s)
    assert refs(outcome) == ["near", "far-fit"] and outcome.policy_version == "distance-only"


def test_index_keeps_the_profiles_as_given():
    profiles = synthetic_profiles(50, seed=8)
    index = MatchIndex(iter(profiles))
    assert index.profiles == tuple(profiles) and len(index) == 50
    assert profiles[3].id in index and index.profile(profiles[3].id) == profiles[3]


def test_empty_index_ranks_nothing(make_situation):
    outcome = MatchIndex([]).rank(make_situation())
    assert outcome.results == [] and outcome.total_centres == 0


def _fields(situation):
    return {name: getattr(situation, name) for name in situation.__dataclass_fields__}
