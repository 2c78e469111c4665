"""Every route says what it answers: a `response_model` for JSON, or a response class that is
not JSON (a page, a file, GeoJSON, the metrics text), documented in the OpenAPI document when
the route is in it."""

from __future__ import annotations

from typing import Any, get_args, get_origin

from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel

from app.main import create_app
from app.settings import Settings
from tests.helpers.routes import api_routes

APP = create_app(Settings(database_url="sqlite://"), embedded_dispatcher=False)
DOC = APP.openapi()


def response_class(route: APIRoute) -> type[Any]:
    declared = route.response_class
    return getattr(declared, "value", declared)  # unwrap FastAPI's default placeholder


def is_model(declared: Any) -> bool:
    """A pydantic model, or a list of one: not `Any` or `dict` read from a return annotation."""
    if get_origin(declared) is list:
        (declared,) = get_args(declared)
    return isinstance(declared, type) and issubclass(declared, BaseModel)


def test_every_route_has_a_response_model_or_a_non_json_response_class() -> None:
    routes = list(api_routes(APP))
    assert len(routes) > 100  # pages and API: the walk reached the included routers
    untyped = [
        f"{sorted(route.methods)} {path}"
        for path, route in routes
        if issubclass(response_class(route), JSONResponse)
        and (route.response_model is None or not is_model(route.response_model))
    ]
    assert untyped == []


def test_a_documented_route_without_a_model_documents_its_media_type() -> None:
    for path, route in api_routes(APP):
        if route.response_model is not None or not route.include_in_schema:
            continue
        for method in route.methods:
            answers = DOC["paths"][path][method.lower()]["responses"]
            ok = next(answers[code] for code in ("200", "201") if code in answers)
            assert set(ok.get("content", {})) - {"application/json"}, f"{method} {path}"


def test_json_routes_document_their_schema() -> None:
    for path, route in api_routes(APP):
        if route.response_model is None or not route.include_in_schema:
            continue
        for method in route.methods:
            answers = DOC["paths"][path][method.lower()]["responses"]
            code = str(route.status_code or 200)
            content = answers[code].get("content", {})
            assert "schema" in content.get("application/json", {}), f"{method} {path}"
