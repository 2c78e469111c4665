"""The app factory: the only place that imports routers."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from app import __version__, apidoc, problems, web
from app.db import make_engine
from app.deps import SessionGate
from app.dispatcher import metrics as dispatch_metrics
from app.dispatcher import start_embedded
from app.geo import get_resolver
from app.middleware import RequestGuard
from app.ops.metrics import HttpMetrics, backlog_registry
from app.ops.middleware import RequestContext
from app.problems import PROBLEM_SCHEMA
from app.ratelimit import RateLimiter
from app.routers import (
    admin,
    directory,
    geo,
    health,
    hsds,
    inbox,
    intake,
    metrics,
    privacy,
    reports,
    staff,
)
from app.security import CORSPolicy, cors_origins, default_headers
from app.services.directory_index import DirectoryIndex
from app.services.matching import LoadTracker
from app.services.sweeper import Sweeper, install_hooks
from app.settings import Settings, get_settings

DESCRIPTION = """
**Trouve ton X** matches job seekers in Québec with AXTRA's employment counselling centres
("centres-conseils en emploi"), sends each request to one centre and makes sure it is answered.

*Trouve ton X* oriente les chercheurs d'emploi du Québec vers les centres-conseils en emploi
membres d'AXTRA, transmet chaque demande à un centre et s'assure qu'elle reçoive une réponse.

Errors are RFC 9457 problem documents (`application/problem+json`). Keys go in
`Authorization: Bearer <key>`.
"""


_NO_TELEMETRY = TelemetryConfig(tracing=False, metrics=False, logs=False)


def create_app(
    settings: Settings | None = None, *, embedded_dispatcher: bool | None = None
) -> FastAPI:
    """Build the application. `embedded_dispatcher` overrides the setting (tests turn it off)."""
    settings = settings or get_settings()
    engine = make_engine(settings)
    run_dispatcher = (
        settings.embedded_dispatcher if embedded_dispatcher is None else embedded_dispatcher
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        install_hooks()
        app.state.session_gate = SessionGate(settings.db_sessions)
        get_resolver()  # load the geography now, not on the first request
        _warm_directory(app)
        # What start-up loaded lives as long as the process: keep it out of every GC pass.
        gc.collect()
        gc.freeze()
        workers = _start_background(settings, engine) if run_dispatcher else []
        if workers:
            app.state.dispatcher = workers[0]
        try:
            yield
        finally:
            for worker in workers:
                worker.stop()
            app.state.directory.stop()
            engine.dispose()

    app = FastAPI(
        title="Trouve ton X",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        responses={"4XX": PROBLEM_SCHEMA},
        # Our own /docs and /redoc (app.apidoc): FastAPI's load their files from a CDN.
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json" if settings.docs_enabled else None,
        # Off: no signal at all, and no per-request look-up of the providers either.
        telemetry=None if settings.telemetry else _NO_TELEMETRY,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.dispatcher = None  # the embedded dispatcher, once started (GET /readyz)
    app.state.directory = DirectoryIndex(engine, settings.directory_refresh_seconds)
    app.state.load = LoadTracker(engine)
    app.state.limiter = RateLimiter(settings)
    problems.install(app)
    app.add_middleware(
        RequestGuard,
        default=settings.max_body_bytes,
        overrides={
            "/v1/admin/centres/import": settings.max_import_bytes,
            **dict.fromkeys(web.UPLOAD_PATHS, web.UPLOAD_BYTES),
        },
        headers=default_headers(settings),
    )
    if cors_origins(settings):
        app.add_middleware(CORSPolicy, settings=settings)
    http_metrics = HttpMetrics()
    app.state.metric_registries = [http_metrics.registry, backlog_registry(engine)]
    if run_dispatcher:
        app.state.metric_registries.append(dispatch_metrics.REGISTRY)
    # Outermost: the request id is set before anything logs, and the timing covers it all.
    app.add_middleware(RequestContext, metrics=http_metrics)
    # The router tries each included router in turn: the busiest routes (matching, intake)
    # come first so their requests skip matching the others' paths. No two routers share a path.
    for module in (
        intake,
        health,
        directory,
        geo,
        inbox,
        admin,
        staff,
        privacy,
        hsds,
        reports,
        metrics,
    ):
        app.include_router(module.router)
    apidoc.install(app, docs=settings.docs_enabled)
    web.install(app)  # the public site (after the API routes and the problem handlers)
    return app


def _warm_directory(app: FastAPI) -> None:
    """Build the directory snapshot and its ranking index before the first request, then
    keep it up to date in the background; a database not migrated yet is left for /readyz to
    report (the first request builds the snapshot then)."""
    index: DirectoryIndex = app.state.directory
    try:
        index.get()
    except SQLAlchemyError:
        logging.getLogger("ttx").warning("directory not loaded at start-up: is it migrated?")
    index.start()


def _start_background(settings: Settings, engine: Engine) -> list[Any]:
    """The embedded shape: deliveries and expiries run inside the API process."""
    return [start_embedded(settings, engine), Sweeper(engine, settings).start()]
