"""Liveness and readiness."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from app.schemas.responses import Liveness, Readiness
from app.services.health import readiness

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness", response_model=Liveness)
async def healthz() -> dict[str, str]:
    """The process answers. Says nothing about the database."""
    return {"status": "ok"}


READINESS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "status": {"enum": ["ready", "migrations_pending", "unavailable", "dispatcher_stopped"]},
        "database": {"enum": ["ok", "unreachable"]},
        "dispatcher": {"enum": ["running", "stopped", "off"]},
        "reason": {"type": "string"},
        "revision": {"type": ["string", "null"]},
        "head": {"type": ["string", "null"]},
        "error": {"type": "string"},
    },
    "required": ["status", "database"],
}


@router.get(
    "/readyz",
    summary="Readiness",
    response_model=Readiness,
    responses={
        200: {"content": {"application/json": {"schema": READINESS}}},
        503: {"description": "Not ready", "content": {"application/json": {"schema": READINESS}}},
    },
)
def readyz(request: Request) -> Any:
    """Ready when the database answers, its schema is at the latest migration and, when this
    process runs the embedded dispatcher, that dispatcher is running (`dispatcher`: `off`
    when deliveries are left to `ttx worker`). Otherwise 503 with the `reason`."""
    report = readiness(request.app.state.engine, request.app.state.dispatcher)
    return JSONResponse(report, status_code=200 if report["status"] == "ready" else 503)
