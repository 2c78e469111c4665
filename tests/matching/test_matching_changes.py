"""An index patched by `MatchIndex.changed` ranks as one built whole from the same centres."""

import random
from dataclasses import replace

import numpy as np
import pytest

from app.matching import MatchIndex
from app.matching.model import CentreProfile
from app.matching.synthetic import synthetic_profiles, synthetic_situations

SITUATIONS = synthetic_situations(60, seed=5)


def rankings(index: MatchIndex) -> list[object]:
    load = {p.id: i % 7 for i, p in enumerate(sorted(index.profiles, key=lambda p: p.id))}
    return [index.rank(s, load=load).to_dict() for s in SITUATIONS]


def edited(rng: random.Random, profile: CentreProfile, n: int) -> CentreProfile:
    """A random edit: a rename, a move, other codes, a pause, several places or none."""
    choice = rng.randrange(6)
    if choice == 0:
        return replace(profile, name=f"Centre renommé {n}", ref=f"zz-{n}-{profile.ref}")
    if choice == 1:
        return replace(profile, intake_open=not profile.intake_open)
    if choice == 2:
        return replace(profile, points=((46.0 + n / 100, -72.0), (45.5, -73.6)))
    if choice == 3:
        return replace(profile, points=())
    if choice == 4:
        return replace(
            profile, languages=frozenset({"fr", f"x{n % 3}"}), regions_served=frozenset({"99"})
        )
    return replace(profile, specialties=frozenset({"job_search"}), age_min=16, age_max=30)


@pytest.mark.parametrize("seed", range(6))
def test_changes_rank_as_a_whole_build(seed: int) -> None:
    rng = random.Random(seed)
    profiles = {p.id: p for p in synthetic_profiles(300, seed=seed)}
    index = MatchIndex(profiles.values())
    spare = iter(synthetic_profiles(200, seed=100 + seed))
    for step in range(25):
        put: list[CentreProfile] = []
        for _ in range(rng.randint(0, 4)):  # edits of centres already there
            victim = rng.choice(sorted(profiles))
            put.append(edited(rng, profiles[victim], step))
        for _ in range(rng.randint(0, 3)):  # new centres, with refs anywhere in the order
            new = next(spare)
            put.append(
                replace(
                    new,
                    id=f"new-{seed}-{step}-{new.id}",
                    ref=rng.choice(
                        [f"aaa-{step}", new.ref, f"cce-{rng.random():.6f}", f"zzz-{step}"]
                    ),
                )
            )
        gone = rng.sample(sorted(profiles), rng.randint(0, 3))
        gone.append("not-in-the-index")
        index = index.changed(put, gone)
        for profile in put:
            profiles[profile.id] = profile
        for centre_id in gone:
            if centre_id not in {p.id for p in put}:
                profiles.pop(centre_id, None)
        whole = MatchIndex(profiles.values())
        assert len(index) == len(whole)
        assert sorted(index.profiles, key=lambda p: p.id) == sorted(
            profiles.values(), key=lambda p: p.id
        )
        assert rankings(index) == rankings(whole)
    # The tie-break order is the (ref, id) order, whatever the ranks' values.
    order = np.argsort(index._cols.ref_rank, kind="stable")
    keys = [(index.profiles[i].ref, index.profiles[i].id) for i in order]
    assert keys == sorted(keys)


def test_many_centres_put_in_one_gap_renumber_the_ranks() -> None:
    """Floats run out after about 50 halvings between two neighbours: then every rank is
    renumbered and the order still holds."""
    base = synthetic_profiles(3, seed=1)
    index = MatchIndex([replace(base[0], ref="a"), replace(base[1], ref="c")])
    for n in range(80):  # each new ref falls just after "b", before the previous one
        index = index.changed([replace(base[2], id=f"b{n}", ref="b" + "\x01" * (80 - n))])
    order = np.argsort(index._cols.ref_rank, kind="stable")
    refs = [index.profiles[i].ref for i in order]
    assert refs == sorted(refs)
    assert rankings(index) == rankings(MatchIndex(index.profiles))


def test_a_large_change_builds_the_index_whole() -> None:
    profiles = synthetic_profiles(100, seed=2)
    index = MatchIndex(profiles[:10]).changed(profiles[10:], [profiles[0].id])
    assert rankings(index) == rankings(MatchIndex(profiles[1:]))


def test_an_emptied_index_still_ranks() -> None:
    profiles = synthetic_profiles(5, seed=3)
    index = MatchIndex(profiles).changed([], [p.id for p in profiles])
    assert len(index) == 0
    assert index.rank(SITUATIONS[0]).results == []
    again = index.changed(profiles[:2])
    assert rankings(again) == rankings(MatchIndex(profiles[:2]))
