"""Directory import throughput (`ttx import`'s path: read, validate, place, compare, write) on
SQLite and PostgreSQL, against a plain bulk INSERT of the same rows (centres, locations and
links, precomputed, one executemany per table) into the same kind of database, in the same run.

The file is a `;`-separated CSV as French Excel writes it, with French headers, of invented
centres spread over Québec municipalities; half give a point, half only the municipality.
Each side starts from a freshly migrated, empty database and ends with one commit.

Target (issue 19): at least 2,000 centres/s for a 50,000-centre file, on both backends.
`TTX_BENCH_IMPORT_ROWS` sets the file's size (default 50,000).

    python -m bench bench_import
"""

from __future__ import annotations

import os
import random
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from app.db import insert_rows, make_engine, session_scope, utcnow
from app.geo import get_resolver
from app.models import Centre, CentreClientGroup, CentreRegion, CentreSpecialty, Location
from app.services import importer
from app.services.centres import Rules
from app.settings import Settings
from bench.apps import migrate, scratch_postgres

TARGET_ROWS_PER_S = 2000.0
ROWS = int(os.environ.get("TTX_BENCH_IMPORT_ROWS", "50000"))
HEADER = ["Référence", "Nom", "Courriel", "Téléphone", "Langues", "Modes de service",
          "Régions desservies", "Spécialités", "Clientèles", "Capacité hebdomadaire",
          "Adresse", "Municipalité", "Latitude", "Longitude"]  # fmt: skip
TOWNS = ["Trois-Rivières", "Montréal", "Québec", "Laval", "Gatineau", "Sherbrooke", "Saguenay",
         "Lévis", "Longueuil", "Rimouski", "Drummondville", "Granby", "Saint-Jérôme",
         "Rouyn-Noranda", "Sept-Îles", "Gaspé", "Joliette", "Victoriaville", "Shawinigan",
         "Alma"]  # fmt: skip
SPECIALTIES = ["job_search", "career_guidance", "career_change", "return_to_school",
               "resume_interview", "newcomer_integration"]  # fmt: skip
GROUPS = ["general", "youth", "immigrants", "experienced_workers", "women"]


def centres_csv(n: int, seed: int = 19) -> bytes:
    """An invented directory of `n` centres as a French-Excel CSV (UTF-8 with BOM)."""
    rng = random.Random(seed)
    resolver = get_resolver()
    places = [resolver.place(municipality=t, postal_code=None) for t in TOWNS]
    lines = [";".join(HEADER)]
    for i in range(n):
        town, place = TOWNS[i % len(TOWNS)], places[i % len(TOWNS)]
        point = [f"{place.lat:.5f}", f"{place.lon:.5f}"] if i % 2 else ["", ""]
        cells = [
            f"CCE-Bench-{i:06d}", f"Centre fictif {i}", f"accueil{i}@example.org",
            f"+1 819 555 {i % 10000:04d}", "fr, en" if i % 3 else "fr", "in_person, remote",
            str(int(place.region_code)), ", ".join(rng.sample(SPECIALTIES, 2)),
            ", ".join(rng.sample(GROUPS, 2)), str(5 + i % 40), f"{i} rue Exemple", town, *point,
        ]  # fmt: skip
        lines.append(";".join(cells))
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def import_once(url: str, raw: bytes) -> float:
    """Seconds for the whole import of `raw` into `url` (parse to commit)."""
    engine = make_engine(Settings(database_url=url))
    try:
        started = time.perf_counter()
        loaded = importer.load(raw, filename="centres.csv", max_records=None)
        with session_scope(engine) as session:
            report = importer.import_records(session, loaded)
        elapsed = time.perf_counter() - started
        assert report.created == ROWS, report.created
    finally:
        engine.dispose()
    return elapsed


def baseline_rows(raw: bytes) -> dict[str, list[dict[str, Any]]]:
    """The rows the import writes, precomputed from the same file (outside the timing)."""
    loaded = importer.load(raw, filename="centres.csv", max_records=None)
    rows: dict[str, list[dict[str, Any]]] = {k: [] for k in ("c", "l", "r", "s", "g")}
    now = utcnow()
    for record in loaded.records:
        importer.validate_record(record, Rules())  # the same values the import stores
        centre = record.centre
        assert centre is not None
        cid = uuid.uuid4()
        rows["c"].append(
            {
                "id": cid,
                "ref": centre.ref,
                "name": centre.name,
                "email": centre.email,
                "phone": centre.phone,
                "website": None,
                "description_fr": None,
                "description_en": None,
                "languages": centre.languages,
                "modes": centre.modes,
                "intake_status": centre.intake_status,
                "weekly_capacity": centre.weekly_capacity,
                "age_min": None,
                "age_max": None,
                "active": True,
                "created_at": now,
                "updated_at": now,
            }  # fmt: skip
        )
        for pos, loc in enumerate(record.locations):
            rows["l"].append({**loc, "id": uuid.uuid4(), "centre_id": cid, "position": pos})
        rows["r"] += [{"centre_id": cid, "region_code": c} for c in centre.regions_served]
        rows["s"] += [{"centre_id": cid, "specialty_code": c} for c in centre.specialties]
        rows["g"] += [{"centre_id": cid, "client_group_code": c} for c in centre.client_groups]
    return rows


def bulk_once(url: str, rows: dict[str, list[dict[str, Any]]]) -> float:
    """Seconds for plain executemany INSERTs of the same rows into `url`, one commit."""
    engine = make_engine(Settings(database_url=url))
    models = {"c": Centre, "l": Location, "r": CentreRegion, "s": CentreSpecialty,
              "g": CentreClientGroup}  # fmt: skip
    try:
        started = time.perf_counter()
        with session_scope(engine) as session:
            for key, model in models.items():
                for start in range(0, len(rows[key]), 1000):
                    insert_rows(session, model, *rows[key][start : start + 1000])
        return time.perf_counter() - started
    finally:
        engine.dispose()


def measure(
    label: str, fresh: Any, raw: bytes, rows: dict[str, list[dict[str, Any]]]
) -> dict[str, Any]:
    service = import_once(fresh(), raw)
    bare = bulk_once(fresh(), rows)
    service_rate, bare_rate = ROWS / service, ROWS / bare
    return {
        "backend": label,
        "rows": ROWS,
        "import_rows_per_s": round(service_rate, 1),
        "bulk_insert_rows_per_s": round(bare_rate, 1),
        "ratio": round(service_rate / bare_rate, 3),
        "target_rows_per_s": TARGET_ROWS_PER_S,
        "target_met": service_rate >= TARGET_ROWS_PER_S,
    }


def main() -> dict[str, Any]:
    raw = centres_csv(ROWS)
    rows = baseline_rows(raw)
    results = []
    with tempfile.TemporaryDirectory() as folder:
        counter = iter(range(10))

        def fresh_sqlite() -> str:
            url = f"sqlite:///{Path(folder) / f'import-{next(counter)}.db'}"
            migrate(url)
            return url

        results.append(measure("sqlite", fresh_sqlite, raw, rows))
    with scratch_postgres() as first, scratch_postgres() as second:
        if first is None or second is None:
            print("PostgreSQL unreachable: skipped (set TTX_BENCH_POSTGRES_URL)")
        else:
            urls = iter([first, second])

            def fresh_postgres() -> str:
                url = next(urls)
                migrate(url)
                return url

            results.append(measure("postgresql", fresh_postgres, raw, rows))
    print(f"{'backend':<11} {'rows':>7} {'import/s':>9} {'bulk/s':>9} {'ratio':>6} {'target':>7}")
    for r in results:
        met = "yes" if r["target_met"] else "NO"
        print(f"{r['backend']:<11} {r['rows']:>7} {r['import_rows_per_s']:>9.0f} "
              f"{r['bulk_insert_rows_per_s']:>9.0f} {r['ratio']:>6.2f} {met:>7}")  # fmt: skip
    print(f"target: >= {TARGET_ROWS_PER_S:.0f} centres/s imported; ratio = import/s over a plain")
    print("bulk INSERT of the same rows (no reading, validation, placing or comparison)")
    return {"results": results}
