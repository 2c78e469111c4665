"""The directory's change log and its replicas: every directory write logs the centres it
changed in its own transaction; a second replica (its own engine, its own refresher) follows
the log; a refresh never holds up a request; applying the log gives what a full rebuild
gives; a replica the pruned log no longer reaches rebuilds in full."""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.db import make_engine, session_scope, utcnow
from app.main import create_app
from app.matching import Situation
from app.models import DirectoryChange
from app.schemas.directory import CentreCreate, CentreUpdate
from app.services import centres
from app.services import directory_index as directory_module
from app.services.directory_index import Directory, DirectoryIndex
from app.services.directory_rows import (
    iter_active_centres,
    load_centres,
    prune_changes,
    state_version,
)
from app.settings import Settings
from tests.helpers.db import both_backends, make_key
from tests.helpers.factories import centre_record
from tests.helpers.intake import TR_POINT, three_centres


def _log(engine: Engine) -> list[tuple[int, str, str]]:
    with Session(engine) as s:
        rows = s.execute(
            select(
                DirectoryChange.version, DirectoryChange.centre_id, DirectoryChange.kind
            ).order_by(DirectoryChange.id)  # type: ignore[arg-type]
        ).all()
    return [(v, str(c), k) for v, c, k in rows]


@both_backends
def test_every_directory_writer_logs_its_centres(client: TestClient, engine: Engine) -> None:
    admin = make_key(engine, "admin")
    made = client.post("/v1/admin/centres", json=centre_record(), headers=admin)
    assert made.status_code == 201, made.text
    one = made.json()["id"]
    assert client.patch(f"/v1/admin/centres/{one}", json={"name": "Renommé"},
                        headers=admin).status_code == 200  # fmt: skip
    centre_key = make_key(engine, "centre", "test-centre-1")
    paused = client.patch("/v1/inbox/centre", json={"intake_status": "paused"}, headers=centre_key)
    assert paused.status_code == 200, paused.text
    imported = client.post("/v1/admin/centres/import", json=three_centres(), headers=admin)
    assert imported.status_code == 200, imported.text
    assert client.delete(f"/v1/admin/centres/{one}", headers=admin).status_code == 200
    log = _log(engine)
    assert log[:3] == [(1, one, "upsert"), (2, one, "upsert"), (3, one, "upsert")]
    assert [(v, k) for v, _, k in log[3:7]] == [(4, "upsert")] * 4 and len(log) == 8
    assert log[7] == (5, one, "remove")
    with Session(engine) as s:
        assert state_version(s) == 5
    # Read-your-writes: this process's snapshot followed each write before it answered.
    snapshot = client.app.state.directory.peek()  # type: ignore[attr-defined]
    assert snapshot.version == 5 and one not in snapshot.by_id and len(snapshot.entries) == 4
    assert client.get(f"/v1/centres/{one}").status_code == 404


def test_a_write_that_changes_nothing_logs_nothing(client: TestClient, engine: Engine) -> None:
    admin = make_key(engine, "admin")
    assert client.post("/v1/admin/centres/import", json=three_centres(),
                       headers=admin).status_code == 200  # fmt: skip
    before = _log(engine)
    again = client.post("/v1/admin/centres/import", json=three_centres(), headers=admin)
    assert again.status_code == 200 and again.json()["unchanged"] == 4
    assert _log(engine) == before


@pytest.fixture
def replica(settings: Settings) -> Iterator[TestClient]:
    """A second replica of the service: its own app, engine and refresher, same database."""
    other = create_app(settings.model_copy(update={"directory_refresh_seconds": 0.1}),
                       embedded_dispatcher=False)  # fmt: skip
    with TestClient(other, raise_server_exceptions=False) as client:
        yield client


@both_backends
def test_a_second_replica_sees_an_edit_within_its_refresh(
    client: TestClient, replica: TestClient, engine: Engine
) -> None:
    admin = make_key(engine, "admin")
    assert client.post("/v1/admin/centres/import", json=three_centres(),
                       headers=admin).status_code == 200  # fmt: skip
    first: DirectoryIndex = client.app.state.directory  # type: ignore[attr-defined]
    second: DirectoryIndex = replica.app.state.directory  # type: ignore[attr-defined]
    assert second.wait_for(first.get().version, timeout=30) is not None
    centre_id = first.get().by_ref["tr-b"].id
    renamed = client.patch(f"/v1/admin/centres/{centre_id}", json={"name": "Centre B renommé"},
                           headers=admin)  # fmt: skip
    assert renamed.status_code == 200
    seen = second.wait_for(first.get().version, timeout=30)
    assert seen is not None and seen.by_id[centre_id].name == "Centre B renommé"
    assert replica.get(f"/v1/centres/{centre_id}").json()["name"] == "Centre B renommé"
    # Only the edited centre was read again: the others are the very same entries.
    for ref in ("tr-a", "tr-c"):
        assert seen.by_ref[ref] is second.wait_for(0, 0).by_ref[ref]  # type: ignore[union-attr]


def test_a_refresh_in_progress_holds_up_no_request(
    client: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = make_key(engine, "admin")
    assert client.post("/v1/admin/centres/import", json=three_centres(),
                       headers=admin).status_code == 200  # fmt: skip
    index: DirectoryIndex = client.app.state.directory  # type: ignore[attr-defined]
    before = index.get()
    entered, release = threading.Event(), threading.Event()
    real = directory_module.load_centres

    def slow_load(session: Session, ids: Any = None) -> Any:
        entered.set()
        assert release.wait(30)
        return real(session, ids)

    monkeypatch.setattr(directory_module, "load_centres", slow_load)
    with session_scope(engine) as s:  # another replica's write
        centre_id = uuid.UUID(before.by_ref["tr-a"].id)
        centres.update_centre(s, centre_id, CentreUpdate(name="Ailleurs"))
    refresher = threading.Thread(target=index.refresh)
    refresher.start()
    try:
        assert entered.wait(30)
        # The refresh is stuck inside its read: requests still answer, from the old snapshot.
        listed = client.get("/v1/centres")
        assert listed.status_code == 200 and "Ailleurs" not in listed.text
        assert client.post("/v1/matches", json={"location": TR_POINT}).status_code == 200
        assert index.peek() is before
    finally:
        release.set()
        refresher.join(30)
    assert index.peek() is not before and "Ailleurs" in client.get("/v1/centres").text


def _situations() -> list[Situation]:
    return [
        Situation(lat=46.34, lon=-72.54, region_code="04", limit=50),
        Situation(lat=45.50, lon=-73.57, region_code="06", language="en", limit=50),
        Situation(
            lat=46.81,
            lon=-71.21,
            region_code="03",
            client_groups=frozenset({"youth"}),
            age=20,
            needs=frozenset({"job_search"}),
            limit=50,
        ),  # fmt: skip
    ]


def _same(incremental: Directory, full: Directory) -> None:
    assert incremental.version == full.version
    assert list(incremental.entries) == list(full.entries)
    assert incremental.region_counts == full.region_counts
    assert incremental.by_ref.keys() == full.by_ref.keys()
    assert sorted(incremental.match_index.profiles, key=lambda p: p.id) == sorted(
        full.match_index.profiles, key=lambda p: p.id
    )
    for wanted in _situations():
        a, b = incremental.match_index.rank(wanted), full.match_index.rank(wanted)
        assert (a.eligible_count, a.excluded) == (b.eligible_count, b.excluded)
        assert [(r.centre_id, r.score, r.distance_km) for r in a.results] == [
            (r.centre_id, r.score, r.distance_km) for r in b.results
        ]


PLACES = [
    {"municipality": "Trois-Rivières", "lat": 46.343, "lon": -72.543},
    {"municipality": "Montréal", "lat": 45.50, "lon": -73.57},
    {"municipality": "Québec", "lat": 46.81, "lon": -71.21},
]


def _random_update(rng: random.Random) -> dict[str, Any]:
    change: dict[str, Any] = {}
    for _ in range(rng.randint(1, 3)):
        match rng.randrange(7):
            case 0:
                change["name"] = rng.choice(["Alpha", "beta", "Gamma", "Zèbre", "Ômega"])
            case 1:
                change["intake_status"] = rng.choice(["open", "paused"])
            case 2:
                change["regions_served"] = rng.sample(["03", "04", "06", "16"], rng.randint(1, 3))
            case 3:
                change["languages"] = rng.sample(["fr", "en", "es"], rng.randint(1, 2))
            case 4:
                change["locations"] = [dict(p) for p in rng.sample(PLACES, rng.randint(1, 2))]
            case 5:
                change["active"] = rng.random() < 0.7
            case _:
                change["client_groups"] = rng.sample(["youth", "immigrants"], rng.randint(1, 2))
    return change


@both_backends
@pytest.mark.parametrize("seed", [1, 2])
def test_following_the_log_gives_what_a_full_rebuild_gives(engine: Engine, seed: int) -> None:
    rng = random.Random(seed)
    index = DirectoryIndex(engine, 3600)
    index.get()
    ids: list[uuid.UUID] = []
    for n in range(12):
        with session_scope(engine) as s:
            record = centre_record(f"c-{n:02d}", locations=[dict(rng.choice(PLACES))])
            ids.append(centres.create_centre(s, CentreCreate.model_validate(record)).id)
    for _ in range(6):
        with session_scope(engine) as s:  # a few edits per transaction, as an import makes
            for centre_id in rng.sample(ids, rng.randint(1, 3)):
                if rng.random() < 0.15:
                    centres.deactivate_centre(s, centre_id)
                else:
                    update_body = CentreUpdate.model_validate(_random_update(rng))
                    centres.update_centre(s, centre_id, update_body)
        incremental = index.refresh()
        with Session(engine) as s:
            _same(incremental, Directory.build(state_version(s), load_centres(s)))
            # A full build reads the centres a range of ids at a time: the same records.
            whole = sorted(load_centres(s), key=lambda c: str(c.id))
            for size in (1, 5):
                chunked = [c for chunk in iter_active_centres(s, size) for c in chunk]
                assert sorted(chunked, key=lambda c: str(c.id)) == whole


@both_backends
def test_a_replica_behind_the_pruned_log_rebuilds_in_full(engine: Engine) -> None:
    index = DirectoryIndex(engine, 3600)
    with session_scope(engine) as s:
        first = centres.create_centre(s, CentreCreate.model_validate(centre_record("p-1")))
    assert len(index.get().entries) == 1
    for ref in ("p-2", "p-3"):
        with session_scope(engine) as s:
            centres.create_centre(s, CentreCreate.model_validate(centre_record(ref)))
    with session_scope(engine) as s:
        centres.deactivate_centre(s, first.id)
    with session_scope(engine) as s:
        s.execute(update(DirectoryChange).values(at=utcnow() - timedelta(days=2)))
        assert prune_changes(s, utcnow()) == 3  # the last version's row stays
    assert [v for v, _, _ in _log(engine)] == [4]
    behind = index.get()
    refreshed = index.refresh()
    assert refreshed is not behind and sorted(e.ref for e in refreshed.entries) == ["p-2", "p-3"]


def test_a_replica_on_a_replaced_database_rebuilds_in_full(
    engine: Engine, settings: Settings
) -> None:
    index = DirectoryIndex(engine, 3600)
    for ref in ("r-1", "r-2"):
        with session_scope(engine) as s:
            centres.create_centre(s, CentreCreate.model_validate(centre_record(ref)))
    assert index.get().version == 2
    with engine.begin() as conn:  # a restored backup: the version went back
        conn.execute(text("DELETE FROM directory_change"))
        conn.execute(text("DELETE FROM centre WHERE ref = 'r-2'"))
        conn.execute(text("UPDATE directory_state SET version = 1"))
    other = make_engine(settings)
    try:
        assert [e.ref for e in DirectoryIndex(other, 3600).get().entries] == ["r-1"]
    finally:
        other.dispose()
    assert [e.ref for e in index.refresh().entries] == ["r-1"]
