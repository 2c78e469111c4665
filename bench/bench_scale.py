"""The directory at 211 scale (issue 22): 100 / 1,000 / 10,000 / 100,000 centres.

For each size, a synthetic directory is written to a fresh, migrated SQLite database: invented
centres placed on the official municipalities of `data/municipalities.csv` (drawn by
population, a point near the municipality's), with the attributes' mix of a real directory
(regions served, languages, modes, specialties, client groups, ages, capacities, bilingual
descriptions, one in ten with a second service point). Then, each in a process of its own:

- a **replica** starts the real app (`create_app`, its lifespan: geography, directory
  snapshot, refresher) with `TTX_DIRECTORY_REFRESH_SECONDS=1`, and reports its start-up to
  ready and its RSS, less those of the same app on an empty directory (the baseline);
- the parent, as a **second replica** writing, edits one centre (`services.centres.
  update_centre`, committed): the replica reports when the edit became visible there (time
  to visible), and the CPU its refresher spent on it (thread CPU time), against the CPU of a
  full rebuild of the snapshot at the same size in the same process (what every edit cost
  before the change log);
- ranking latency in the replica (`Directory.match_index.rank` on the current snapshot with a
  load vector, as `POST /v1/matches` calls it, on synthetic situations), idle and while the
  parent commits a burst of 100 edits one after the other: p99 during the burst over idle p99
  is the ratio the target is judged on.

Targets at 100,000 centres: start-up ≤ 10 s, ≤ 3 KB per centre beyond the empty service, an
edit ≤ 50 ms CPU per replica and visible within the refresh interval + 1 s, ranking p50 ≤ 10
ms, p99 during the burst ≤ 2 × idle.

`TTX_BENCH_SCALE_MAX` caps the largest size (e.g. 10000 for a quick run).

    python -m bench bench_scale
"""

from __future__ import annotations

import csv
import gc
import multiprocessing
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from app.db import bulk_insert, make_engine, session_scope, utcnow
from app.models import Centre, CentreClientGroup, CentreRegion, CentreSpecialty, Location
from app.paths import data_dir
from app.settings import Settings
from app.taxonomy import CLIENT_GROUPS, SPECIALTIES
from bench.apps import migrate

SIZES = [100, 1_000, 10_000, 100_000]
MAX_SIZE = int(os.environ.get("TTX_BENCH_SCALE_MAX", str(max(SIZES))))
REFRESH_SECONDS = 1.0
BURST = 100
IDLE_RANKS = 400
TARGETS = {
    "startup_s": 10.0,
    "bytes_per_centre": 3 * 1024,
    "edit_cpu_ms": 50.0,
    "p50_ms": 10.0,
    "burst_p99_ratio": 2.0,
}
CHUNK = 5_000
_SPECIALTIES = [t.code for t in SPECIALTIES]
_GROUPS = [t.code for t in CLIENT_GROUPS]
_WORDS_FR = [
    "accompagnement",
    "emploi",
    "orientation",
    "recherche",
    "formation",
    "carrière",
    "entrevue",
    "curriculum vitæ",
    "retour aux études",
    "intégration",
    "jeunes",
    "personnes immigrantes",
    "travailleurs expérimentés",
    "région",
    "conseillers",
]
_WORDS_EN = ["support", "employment", "guidance", "job search", "training", "career",
             "interview", "résumé", "back to school", "integration", "youth", "newcomers",
             "experienced workers", "region", "counsellors"]  # fmt: skip


# --- the synthetic directory ----------------------------------------------------------------


def _municipalities() -> list[dict[str, str]]:
    with (data_dir() / "municipalities.csv").open(encoding="utf-8") as f:
        return [row for row in csv.DictReader(f) if row["lat"] and row["region_code"]]


def _sentence(rng: random.Random, words: list[str], n: int) -> str:
    return (" ".join(rng.choice(words) for _ in range(n)) + ".").capitalize()


def write_directory(url: str, size: int, seed: int = 22) -> list[uuid.UUID]:
    """`size` invented centres in `url` (already migrated); their ids."""
    rng = random.Random(seed)  # noqa: S311  # nosec B311  # reproducible bench data
    towns = _municipalities()
    weights = [max(1, int(t["population"] or 1)) for t in towns]
    regions = sorted({t["region_code"] for t in towns})
    now = utcnow()
    ids: list[uuid.UUID] = []
    engine = make_engine(Settings(database_url=url))
    try:
        for start in range(0, size, CHUNK):
            rows: dict[Any, list[dict[str, Any]]] = {
                Centre: [], Location: [], CentreRegion: [], CentreSpecialty: [],
                CentreClientGroup: [],
            }  # fmt: skip
            for n in range(start, min(size, start + CHUNK)):
                centre_id = uuid.UUID(int=rng.getrandbits(128), version=4)
                ids.append(centre_id)
                places = rng.choices(towns, weights, k=1 if rng.random() < 0.9 else 2)
                youth = rng.random() < 0.1
                languages = ["fr"] + (["en"] if rng.random() < 0.4 else [])
                rows[Centre].append({
                    "id": centre_id, "ref": f"cce-scale-{n:06d}",
                    "name": f"Centre {places[0]['name']} {n}",
                    "email": f"accueil{n}@example.org", "phone": f"+1 819 555 {n % 10000:04d}",
                    "website": f"https://centre{n}.example.org",
                    "description_fr": _sentence(rng, _WORDS_FR, rng.randint(12, 30)),
                    "description_en": _sentence(rng, _WORDS_EN, rng.randint(12, 30))
                    if rng.random() < 0.5 else None,
                    "languages": languages,
                    "modes": ["in_person"] + (["remote"] if rng.random() < 0.5 else []),
                    "intake_status": "paused" if rng.random() < 0.05 else "open",
                    "weekly_capacity": rng.randint(2, 40),
                    "age_min": 16 if youth else None, "age_max": 35 if youth else None,
                    "notify_emails": [], "active": True, "created_at": now, "updated_at": now,
                })  # fmt: skip
                for position, town in enumerate(places):
                    rows[Location].append({
                        "id": uuid.UUID(int=rng.getrandbits(128), version=4),
                        "centre_id": centre_id, "position": position,
                        "address": f"{rng.randint(1, 9999)} rue Principale",
                        "municipality": town["name"], "municipality_code": town["code"],
                        "postal_code": None,
                        "lat": round(float(town["lat"]) + rng.gauss(0, 0.01), 5),
                        "lon": round(float(town["lon"]) + rng.gauss(0, 0.01), 5),
                        "region_code": town["region_code"],
                    })  # fmt: skip
                served = {places[0]["region_code"], *rng.sample(regions, rng.choice((0, 0, 1)))}
                rows[CentreRegion] += [{"centre_id": centre_id, "region_code": r} for r in served]
                rows[CentreSpecialty] += [
                    {"centre_id": centre_id, "specialty_code": s}
                    for s in rng.sample(_SPECIALTIES, rng.randint(2, 5))
                ]
                groups = ["youth"] if youth else rng.sample(_GROUPS, rng.randint(1, 2))
                rows[CentreClientGroup] += [
                    {"centre_id": centre_id, "client_group_code": g} for g in groups
                ]
            with session_scope(engine) as session:
                for model, batch in rows.items():
                    bulk_insert(session, model, batch)
    finally:
        engine.dispose()
    return ids


# --- the replica process ----------------------------------------------------------------------


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def replica(url: str, pipe: Connection) -> None:
    """Start the app on `url`, report, then answer the parent's commands until `stop`."""
    from fastapi.testclient import TestClient

    from app.main import create_app
    from app.matching.synthetic import synthetic_situations
    from app.services.directory_index import Directory, DirectoryIndex
    from app.services.directory_rows import load_centres, state_version
    from app.services.matching import LoadTracker

    settings = Settings(database_url=url, embedded_dispatcher=False, env="development",
                        directory_refresh_seconds=REFRESH_SECONDS)  # fmt: skip
    app = create_app(settings, embedded_dispatcher=False)
    gc.collect()
    started = time.perf_counter()
    with TestClient(app):
        ready = time.perf_counter() - started
        gc.collect()
        index: DirectoryIndex = app.state.directory
        tracker: LoadTracker = app.state.load
        costs: list[tuple[int, float]] = []
        real_refresh = index.refresh

        def timed_refresh() -> Directory:
            before = index.peek()
            cpu = time.thread_time()
            snap = real_refresh()
            if snap is not before:
                costs.append((snap.version, time.thread_time() - cpu))
            return snap

        index.refresh = timed_refresh  # type: ignore[method-assign]
        pipe.send({"startup_s": ready, "rss": _rss_bytes()})
        situations = synthetic_situations(200, seed=22)

        def rank_once(i: int) -> float:
            snap = index.get()
            counts = tracker.peek() or tracker.get()
            t = time.perf_counter()
            snap.match_index.rank(situations[i % len(situations)],
                                  load=tracker.vector(snap.match_index, counts))  # fmt: skip
            return time.perf_counter() - t

        while True:
            command, arg = pipe.recv()
            if command == "stop":
                return
            if command == "wait":  # until version `arg` is visible: when, and its cost
                snap = index.wait_for(arg, timeout=120)
                seen = time.time()
                cost = next((c for v, c in costs if v >= arg), None)
                pipe.send({"seen_at": seen, "visible": snap is not None, "cpu_s": cost})
            elif command == "idle":
                pipe.send([rank_once(i) for i in range(IDLE_RANKS)])
            elif command == "burst":  # rank until told the burst's last version, then seen
                latencies, target, i = [], None, 0
                first = index.peek().version  # type: ignore[union-attr]
                while target is None or index.peek().version < target:  # type: ignore[union-attr]
                    latencies.append(rank_once(i))
                    i += 1
                    if target is None and pipe.poll():
                        target = pipe.recv()
                burst_costs = [c for v, c in costs if v > first]
                pipe.send({"latencies": latencies, "costs": burst_costs})
            elif command == "full":  # what a full rebuild costs here
                cpu = time.process_time()
                with index_session(app) as s:
                    Directory.build(state_version(s), load_centres(s))
                pipe.send(time.process_time() - cpu)


def index_session(app: Any) -> Any:
    from sqlmodel import Session

    return Session(app.state.engine)


class Replica:
    """A replica process, driven through a pipe."""

    def __init__(self, url: str) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.pipe, child = ctx.Pipe()
        self.process = ctx.Process(target=replica, args=(url, child), daemon=True)
        self.process.start()
        self.started: dict[str, Any] = self.pipe.recv()

    def ask(self, command: str, arg: Any = None) -> Any:
        self.pipe.send((command, arg))
        return self.pipe.recv()

    def close(self) -> None:
        self.pipe.send(("stop", None))
        self.process.join(60)


# --- the writer (this process) --------------------------------------------------------------


def _editor(url: str, ids: list[uuid.UUID]) -> Callable[[int], int]:
    """A function making edit number `n` (a rename, a pause or a reopening): the version."""
    from app.schemas.directory import CentreUpdate
    from app.services import centres
    from app.services.directory_rows import state_version

    engine = make_engine(Settings(database_url=url))
    rng = random.Random(7)  # noqa: S311  # nosec B311

    def edit(n: int) -> int:
        change = rng.choice([
            {"name": f"Centre renommé {n}"}, {"intake_status": "paused"},
            {"intake_status": "open"}, {"weekly_capacity": n % 30 + 1},
        ])  # fmt: skip
        with session_scope(engine) as session:
            centres.update_centre(session, rng.choice(ids), CentreUpdate.model_validate(change))
        with session_scope(engine) as session:
            return state_version(session)

    return edit


def one_size(folder: Path, size: int, empty: dict[str, Any]) -> dict[str, Any]:
    url = f"sqlite:///{folder / f'scale-{size}.db'}"
    migrate(url)
    written = time.perf_counter()
    ids = write_directory(url, size)
    written = time.perf_counter() - written
    node = Replica(url)
    try:
        edit = _editor(url, ids)
        full_cpu = node.ask("full")
        version = edit(0)
        committed = time.time()
        seen = node.ask("wait", version)
        idle = node.ask("idle")
        node.pipe.send(("burst", None))
        last = version
        for n in range(1, BURST + 1):  # one after the other, each its own transaction
            last = edit(n)
        node.pipe.send(last)
        during = node.pipe.recv()
    finally:
        node.close()
    idle_p99 = _percentile(idle, 0.99)
    lat = during["latencies"]
    edit_cpu = [c for c in during["costs"]] or [seen["cpu_s"] or 0.0]
    row = {
        "centres": size,
        "write_s": round(written, 1),
        "startup_s": round(node.started["startup_s"] - empty["startup_s"], 2),
        "startup_total_s": round(node.started["startup_s"], 2),
        "rss_mb": round((node.started["rss"] - empty["rss"]) / 2**20, 1),
        "bytes_per_centre": round((node.started["rss"] - empty["rss"]) / size),
        "full_rebuild_cpu_ms": round(full_cpu * 1000, 1),
        "edit_cpu_ms": round((seen["cpu_s"] or 0.0) * 1000, 1),
        "burst_refresh_cpu_ms_mean": round(statistics.mean(edit_cpu) * 1000, 1),
        "edit_over_full_rebuild": round((seen["cpu_s"] or 0.0) / full_cpu, 4),
        "visible_s": round(seen["seen_at"] - committed, 2),
        "match_p50_ms": round(_percentile(idle, 0.5) * 1000, 2),
        "match_p99_ms": round(idle_p99 * 1000, 2),
        "burst_p50_ms": round(_percentile(lat, 0.5) * 1000, 2),
        "burst_p99_ms": round(_percentile(lat, 0.99) * 1000, 2),
        "burst_p99_ratio": round(_percentile(lat, 0.99) / idle_p99, 2),
        "burst_ranks": len(lat),
    }
    return row


COLUMNS = (
    ("centres", "centres", "{:,}"), ("start s", "startup_s", "{:.2f}"),
    ("RSS MB", "rss_mb", "{:.1f}"), ("B/centre", "bytes_per_centre", "{:,}"),
    ("full ms", "full_rebuild_cpu_ms", "{:.0f}"), ("edit ms", "edit_cpu_ms", "{:.1f}"),
    ("burst ms", "burst_refresh_cpu_ms_mean", "{:.1f}"), ("visible s", "visible_s", "{:.2f}"),
    ("p50 ms", "match_p50_ms", "{:.2f}"), ("p99 ms", "match_p99_ms", "{:.2f}"),
    ("burst p99", "burst_p99_ms", "{:.2f}"), ("ratio", "burst_p99_ratio", "{:.2f}"),
)  # fmt: skip


def print_rows(rows: list[dict[str, Any]]) -> None:
    print("  ".join(f"{title:>10}" for title, _, _ in COLUMNS))
    for row in rows:
        print("  ".join(f"{fmt.format(row[key]):>10}" for _, key, fmt in COLUMNS))


def main() -> dict[str, Any]:
    sizes = [s for s in SIZES if s <= MAX_SIZE]
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder) / "empty.db"
        migrate(f"sqlite:///{base}")
        empty_node = Replica(f"sqlite:///{base}")
        empty_node.close()
        empty = empty_node.started
        for size in sizes:
            rows.append(one_size(Path(folder), size, empty))
            print_rows(rows[-1:])
    print(f"\nempty service: ready in {empty['startup_s']:.2f} s, "
          f"RSS {empty['rss'] / 2**20:.0f} MB; refresh every {REFRESH_SECONDS:.0f} s; "
          f"{BURST} edits in the burst")  # fmt: skip
    print_rows(rows)
    return {"refresh_seconds": REFRESH_SECONDS, "burst": BURST, "targets": TARGETS,
            "empty": empty, "rows": rows}  # fmt: skip


if __name__ == "__main__":
    main()
