"""Open referrals per centre, as the ranking's load component reads them."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from app.matching import MatchIndex
from app.matching.synthetic import synthetic_profiles
from app.services.matching import LoadTracker


def test_added_referrals_move_the_load_vector_as_a_rebuild_would(engine: Engine) -> None:
    index = MatchIndex(synthetic_profiles(50, seed=3))
    tracker = LoadTracker(engine, ttl=3600)
    counts = tracker.get()
    assert counts == {}
    tracker.vector(index, counts)
    ids = [p.id for p in index.profiles]
    for centre_id in (ids[0], ids[7], ids[0], ids[49]):
        tracker.add(centre_id)
    counts = tracker.peek()
    assert counts == {ids[0]: 2, ids[7]: 1, ids[49]: 1}
    kept = tracker.vector(index, counts)
    rebuilt = index.load_vector(counts)
    assert kept.ratio.tolist() == rebuilt.ratio.tolist()
    assert kept.room.tolist() == rebuilt.room.tolist()
    assert tracker.vector(index, counts) is kept  # the same counts: no rebuild


def test_a_new_index_gets_its_own_vector(engine: Engine) -> None:
    tracker = LoadTracker(engine, ttl=3600)
    first, second = (MatchIndex(synthetic_profiles(20, seed=s)) for s in (1, 2))
    counts = tracker.get()
    tracker.vector(first, counts)
    tracker.add(first.profiles[0].id)
    counts = tracker.peek()
    assert counts is not None
    vector = tracker.vector(second, counts)
    assert vector.index_id == id(second)
    assert vector.ratio.tolist() == second.load_vector(counts).ratio.tolist()
