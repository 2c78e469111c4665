"""Open referrals per centre, as the ranking's load component reads them."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine

from app.main import create_app
from app.matching import MatchIndex
from app.matching.synthetic import synthetic_profiles
from app.services.matching import LoadTracker
from app.settings import Settings
from tests.helpers.db import make_key
from tests.helpers.intake import request_body, three_centres


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


def test_a_referral_counts_in_the_load_once_its_request_committed(
    settings: Settings, engine: Engine
) -> None:
    app = create_app(settings.model_copy(update={"directory_refresh_seconds": 3600}),
                     embedded_dispatcher=False)  # fmt: skip
    with TestClient(app, raise_server_exceptions=False) as client:
        app.state.load = tracker = LoadTracker(engine, ttl=3600)
        admin = make_key(engine, "admin")
        assert client.post("/v1/admin/centres/import", json=three_centres(),
                           headers=admin).status_code == 200  # fmt: skip
        assert tracker.get() == {}
        sent = client.post("/v1/consultations", json=request_body())
        assert sent.status_code == 201, sent.text
        first = sent.json()["referral"]["centre"]["id"]
        assert tracker.peek() == {first: 1}
        with engine.begin() as conn:  # the next write fails: its referral is not counted
            conn.execute(text("DELETE FROM centre WHERE id = :id"), {"id": uuid.UUID(first).hex})
        assert client.post("/v1/consultations", json=request_body()).status_code == 500
        assert tracker.peek() == {first: 1}
