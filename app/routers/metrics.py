"""Prometheus metrics (DESIGN §16)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from app.errors import NotFound, Unauthorized
from app.ops.metrics import CONTENT_TYPE, exposition, token_matches

router = APIRouter(tags=["operations"])


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE: {"schema": {"type": "string"}}}}},
)
def metrics(request: Request) -> Response:
    """The Prometheus text format: requests by route template, the embedded dispatcher's
    attempts, and the backlog read from the database. With `TTX_METRICS_TOKEN` set it needs
    `Authorization: Bearer <token>`; in production without a token it is off (404)."""
    settings = request.app.state.settings
    token = settings.metrics_token
    if token is None and settings.env == "production":
        raise NotFound("metrics_off")
    if token is not None and not token_matches(request.headers.get("authorization"), token):
        raise Unauthorized("metrics_token")
    body = exposition(*request.app.state.metric_registries)
    return Response(body, media_type=CONTENT_TYPE)
