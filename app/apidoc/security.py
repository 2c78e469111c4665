"""Who may call each operation, and every error it can answer, in the document.

Each route's role comes from the dependency that checks it (`app.deps.require`, or a
dependency declared with `app.deps.roles_of`): the document then lists the bearer scheme of
each role the route takes (`security: []` for public routes, with `{}` first when a key is
optional). Errors are all RFC 9457 problem documents, one `Problem` schema."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from app.deps import ROLE_CHECKS, get_session
from app.problems import PROBLEM_JSON

SCHEMES: dict[str, dict[str, Any]] = {
    f"{role}Key": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "ttx_…",
        "description": text,
    }
    for role, text in (
        ("admin", "An AXTRA staff key (`ttx keys create --role admin`)."),
        (
            "centre",
            "A centre's key, bound to that centre (`ttx keys create --role centre "
            "--centre REF`): it sees only its own referrals.",
        ),
        (
            "partner",
            "A partner platform's key (`ttx keys create --role partner`): it submits "
            "requests for candidates and reads the status of its own.",
        ),
    )
}
PROBLEM: dict[str, Any] = {
    "type": "object",
    "description": "An RFC 9457 problem document; extension members may follow.",
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string", "description": "In French, or English by Accept-Language"},
        "code": {"type": "string", "description": "A stable identifier of the error: read it"},
        "instance": {"type": "string"},
        "errors": {"type": "array", "items": {"$ref": "#/components/schemas/ProblemError"}},
    },
    "required": ["type", "title", "status", "detail"],
    "additionalProperties": True,
}
PROBLEM_ERROR: dict[str, Any] = {
    "type": "object",
    "description": "One thing wrong with the request: where (`loc`) and what (`msg`).",
    "properties": {
        "loc": {"type": "array", "items": {"type": ["string", "integer"]}},
        "msg": {"type": "string"},
        "type": {"type": "string"},
    },
    "additionalProperties": True,
}
ERRORS = {
    "401": "No key, or a key that is unknown or revoked",
    "403": "The key's role may not call this",
    "404": "No such record (or not one this key may see)",
    "422": "The request is not valid: every error is listed in `errors`",
    "503": "The database is busy or unreachable: try again (`Retry-After`)",
}


def document(app: FastAPI, doc: dict[str, Any]) -> None:
    components = doc.setdefault("components", {})
    components.setdefault("securitySchemes", {}).update(SCHEMES)
    schemas = components.setdefault("schemas", {})
    schemas["Problem"], schemas["ProblemError"] = PROBLEM, PROBLEM_ERROR
    for route in _routes(app):
        path = doc["paths"].get(route.path_format, {})
        for method in route.methods or ():
            operation = path.get(method.lower())
            if operation is not None:
                _complete(route, operation)
    for operations in doc["paths"].values():
        for operation in operations.values():
            _problems_by_reference(operation)


def _routes(app: FastAPI) -> Iterator[APIRoute]:
    def walk(routes: list[Any]) -> Iterator[APIRoute]:
        for route in routes:
            if isinstance(route, APIRoute) and route.include_in_schema:
                yield route
            elif hasattr(route, "original_router"):
                yield from walk(route.original_router.routes)

    yield from walk(app.routes)


def _calls(dependant: Dependant) -> Iterator[Any]:
    for dep in dependant.dependencies:
        yield dep.call
        yield from _calls(dep)


def _complete(route: APIRoute, operation: dict[str, Any]) -> None:
    calls = list(_calls(route.dependant))
    checks = [ROLE_CHECKS[c] for c in calls if c in ROLE_CHECKS]
    responses = operation.setdefault("responses", {})
    if checks:
        roles, optional = checks[0]
        keyed: list[dict[str, list[str]]] = [{f"{role}Key": []} for role in roles]
        operation["security"] = ([{}] if optional else []) + keyed
        who = " or ".join(roles)
        note = f"**Key**: {who}{' (optional)' if optional else ''}."
        operation["description"] = f"{operation.get('description', '')}\n\n{note}".strip()
        if not optional:
            responses.setdefault("401", {"description": ERRORS["401"]})
        responses.setdefault("403", {"description": ERRORS["403"]})
    else:
        operation["security"] = []
    if route.dependant.path_params:
        responses.setdefault("404", {"description": ERRORS["404"]})
    if operation.get("parameters") or operation.get("requestBody"):
        responses.setdefault("422", {"description": ERRORS["422"]})
    if get_session in calls:
        responses.setdefault("503", {"description": ERRORS["503"]})


def _problems_by_reference(operation: dict[str, Any]) -> None:
    problem = {"schema": {"$ref": "#/components/schemas/Problem"}}
    for status, response in operation.get("responses", {}).items():
        if status.startswith("4") or (status == "503" and "content" not in response):
            response["content"] = {PROBLEM_JSON: problem}
