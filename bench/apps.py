"""App factories for the HTTP benchmarks: the real service, and bare FastAPI baselines.

Every factory is a top-level function (bind its arguments with functools.partial) because
`bench.http.server` starts it in a spawned child process. A bare baseline is what a plain
FastAPI endpoint costs for the same request and answer sizes: a pydantic body in, a dict
serialised by FastAPI out, and for writes one INSERT through the same engine and session
pattern as the service.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import uuid
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from pydantic import BaseModel
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool
from sqlmodel import Session

from app.db import make_engine, session_scope
from app.models import Consultation
from app.paths import data_dir
from app.services import importer
from app.services.health import upgrade_to_head
from app.settings import Settings

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
# A one-second window keeps the moving-window counter as short as a real client's.
UNREACHABLE_RATE = "1000000/second"


# --- databases -----------------------------------------------------------------------------


def migrate(url: str) -> None:
    """Build the schema with the real migrations, as `ttx migrate` does."""
    engine = make_engine(Settings(database_url=url))
    upgrade_to_head(engine)
    engine.dispose()


def load_demo(url: str) -> int:
    """Import data/demo_centres.json through the importer, as `ttx seed-demo` does."""
    records = importer.parse_file((data_dir() / "demo_centres.json").read_bytes())
    engine = make_engine(Settings(database_url=url))
    try:
        with session_scope(engine) as session:
            report = importer.import_records(session, records)
    finally:
        engine.dispose()
    return len(report.refs)


def demo_database(url: str) -> str:
    """Migrate `url` and load the demo directory into it; return the URL."""
    migrate(url)
    load_demo(url)
    return url


def postgres_admin_url() -> str:
    return os.environ.get("TTX_BENCH_POSTGRES_URL") or DEFAULT_POSTGRES


@contextlib.contextmanager
def scratch_postgres() -> Iterator[str | None]:
    """A throwaway PostgreSQL database (dropped afterwards), or None if none is reachable."""
    admin_url = make_url(postgres_admin_url())
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    name = f"ttx_bench_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError:
        admin.dispose()
        yield None
        return
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# --- the real service ----------------------------------------------------------------------


def service_app(url: str) -> FastAPI:
    """The real application on `url`, without the embedded dispatcher (it would compete with
    the server for the same cores and measure deliveries, not requests).

    The abuse limits stay on (each request is still counted) but are raised out of reach:
    the load generator is one client address sending thousands of requests a second."""
    from app.main import create_app

    settings = Settings(
        database_url=url,
        env="development",
        embedded_dispatcher=False,
        rate_limit_public=UNREACHABLE_RATE,
        rate_limit_partner=UNREACHABLE_RATE,
    )
    return create_app(settings, embedded_dispatcher=False)


# --- bare baselines ------------------------------------------------------------------------


class BareLocation(BaseModel):
    postal_code: str | None = None
    municipality: str | None = None
    lat: float | None = None
    lon: float | None = None


class BareMatch(BaseModel):
    location: BareLocation
    client_groups: list[str] = []
    needs: list[str] = []
    need_text: str | None = None
    language: str | None = None
    modes: list[str] = []
    age: int | None = None
    limit: int = 5


class BarePerson(BaseModel):
    first_name: str
    last_name: str
    email: str | None = None
    phone: str | None = None
    preferred_contact: str = "email"
    language: str = "fr"


class BareConsent(BaseModel):
    notice_version: str
    purposes: list[str]
    accepted: bool


class BareConsultation(BaseModel):
    person: BarePerson
    criteria: BareMatch
    message: str | None = None
    centre_id: uuid.UUID | None = None
    consent: BareConsent


def bare_session(request: Request) -> Iterator[Session]:
    """A plain FastAPI request session: commit when the endpoint returns, roll back on error
    (the service's is the same, behind its SessionGate)."""
    with session_scope(request.app.state.engine) as session:
        yield session


BareSessionDep = Annotated[Session, Depends(bare_session, scope="function")]


def _bare() -> FastAPI:
    app = FastAPI()

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def bare_directory_app(listing: dict[str, Any], centres: dict[str, dict[str, Any]]) -> FastAPI:
    """`GET /v1/centres` and `GET /v1/centres/{id}` returning precomputed dicts of the real
    answers' shape, serialised per request by FastAPI."""
    app = _bare()

    @app.get("/v1/centres")
    async def search(region: str | None = None) -> dict[str, Any]:
        return listing

    @app.get("/v1/centres/{centre_id}")
    async def one(centre_id: uuid.UUID) -> dict[str, Any]:
        return centres[str(centre_id)]

    return app


def bare_match_app(answers: list[dict[str, Any]]) -> FastAPI:
    """`POST /v1/matches` validating a pydantic body and returning one of `answers` (real
    answers of the service, so sizes match) in turn."""
    app = _bare()
    turn = itertools.cycle(answers)

    @app.post("/v1/matches")
    async def match(body: BareMatch) -> dict[str, Any]:
        return next(turn)

    return app


def bare_insert_app(url: str) -> FastAPI:
    """`POST /v1/consultations` storing the body as one consultation row: one INSERT, in a
    sync endpoint with a request session committed by its dependency, like the service."""
    app = _bare()
    app.state.engine = make_engine(Settings(database_url=url))

    @app.post("/v1/consultations", status_code=201)
    def submit(body: BareConsultation, session: BareSessionDep) -> dict[str, Any]:
        row = Consultation(
            status="unrouted", channel="public", criteria=body.criteria.model_dump(),
            ranking=[], policy_version="bare", consent=body.consent.model_dump(),
            person_enc=json.dumps(body.person.model_dump()), message_enc=body.message,
        )  # fmt: skip
        session.add(row)
        session.flush()
        return {"id": str(row.id), "status": row.status, "created_at": row.created_at}

    return app
