"""`POST /v1/consultations` throughput on SQLite and PostgreSQL, against a bare FastAPI endpoint
that stores the same body as one INSERT through the same engine and session pattern, on the
same database, under the same server settings, in the same run.

The service runs WITHOUT its embedded dispatcher: in the embedded shape the dispatcher would
deliver the queued webhooks inside the same process and compete for the same cores, so the
figure would mix intake with delivery (bench_dispatch measures delivery). Requests carry no
Idempotency-Key and each names a different (invented) person.

PostgreSQL: TTX_BENCH_POSTGRES_URL, or postgres@127.0.0.1:5432 by default; a throwaway
database is created, migrated, loaded and dropped. Skipped, with a note, when unreachable.

Target (issue 5): the service serves at least 40 % of the bare endpoint's requests/s.

    python -m bench bench_intake
"""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from app.models import Consultation
from bench.apps import (
    bare_insert_app,
    demo_database,
    postgres_admin_url,
    scratch_postgres,
    service_app,
)
from bench.bench_api_matches import situations
from bench.http import Call, Load, alternate, cpu_note, server
from bench.report import compare, print_table

TARGET = 0.4
SECONDS = 3.0
ROUNDS = 2
CONCURRENCY = 16
BODIES = 3000
PATH = "/v1/consultations"
FIRST = ["Alexis", "Camille", "Dominique", "Frédérique", "Jessie", "Maxime", "Noa", "Sacha"]
LAST = ["Exemple", "Fictif", "Modèle", "Démo", "Essai", "Témoin"]
MESSAGES = [None, "Je cherche un emploi près de chez moi.",
            "I would like help with my résumé and interviews.",
            "Je voudrais changer de carrière après vingt ans en usine."]  # fmt: skip
CONSENT = {"notice_version": "2026-01", "purposes": ["referral"], "accepted": True}


def people() -> Iterator[dict[str, Any]]:
    """Invented people, each with a different example.org address and a 555 number."""
    n = 0
    while True:
        contact = "phone" if n % 5 == 4 else "email"
        yield {
            "first_name": FIRST[n % len(FIRST)], "last_name": LAST[n % len(LAST)],
            "email": f"personne.{n}@example.org", "phone": f"+1 514 555 {n % 10_000:04d}",
            "preferred_contact": contact, "language": "en" if n % 4 == 2 else "fr",
        }  # fmt: skip
        n += 1


def bodies(count: int = BODIES) -> list[dict[str, Any]]:
    """`count` consultation requests: the match mix for criteria, a different person each."""
    criteria = situations()
    person = people()
    out = []
    for n in range(count):
        body: dict[str, Any] = {"person": next(person), "criteria": criteria[n % len(criteria)],
                                "consent": CONSENT}  # fmt: skip
        if MESSAGES[n % len(MESSAGES)]:
            body["message"] = MESSAGES[n % len(MESSAGES)]
        out.append(body)
    return out


def stored(url: str) -> int:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(Consultation)) or 0)
    finally:
        engine.dispose()


def one_backend(url: str, calls: list[Call]) -> dict[str, Load]:
    """The service and the bare endpoint on the same migrated, demo-loaded database."""
    demo_database(url)
    with (
        server(functools.partial(service_app, url)) as service,
        server(functools.partial(bare_insert_app, url)) as bare,
    ):
        return alternate(
            {"service": service, "bare": bare},
            calls,
            rounds=ROUNDS,
            seconds=SECONDS,
            concurrency=CONCURRENCY,
        )


def main() -> dict[str, Any]:
    """Measure on SQLite and PostgreSQL, print a table, return the figures."""
    calls = [Call("POST", PATH, body) for body in bodies()]
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        loads = one_backend(url, calls)
        rows.append(compare(f"POST {PATH} (SQLite)", loads["service"], loads["bare"], TARGET))
        count = {"sqlite": stored(url)}
    with scratch_postgres() as pg_url:
        if pg_url is not None:
            loads = one_backend(pg_url, calls)
            rows.append(
                compare(f"POST {PATH} (PostgreSQL)", loads["service"], loads["bare"], TARGET)
            )
            count["postgres"] = stored(pg_url)
    print(f"{cpu_note()}; concurrency {CONCURRENCY}, best of {ROUNDS} x {SECONDS:.0f} s")
    print("the service runs without its embedded dispatcher (it would compete for the cores);")
    print(f"{len(calls)} different requests, no Idempotency-Key; rows stored: {count}")
    if pg_url is None:
        where = make_url(postgres_admin_url()).render_as_string(hide_password=True)
        print(f"PostgreSQL skipped: cannot create a database through {where}")
    print_table(rows)
    return {
        "concurrency": CONCURRENCY,
        "seconds": SECONDS,
        "rounds": ROUNDS,
        "embedded_dispatcher": False,
        "postgres": pg_url is not None,
        "consultations_stored": count,
        "rows": rows,
    }


if __name__ == "__main__":
    main()
