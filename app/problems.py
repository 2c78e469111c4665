"""RFC 9457 problem documents for every error, validation included."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from app.errors import (
    PROBLEM_BASE,
    AppError,
    Conflict,
    PayloadTooLarge,
    pydantic_errors,
    render_errors,
)
from app.i18n import Lang, gettext, lang_of, negotiate

log = logging.getLogger("ttx")
PROBLEM_JSON = "application/problem+json"
TOO_LARGE = "The body is larger than allowed (`TTX_MAX_BODY_BYTES`), announced or streamed"

PROBLEM_SCHEMA: dict[str, Any] = {
    "description": "An error, as an RFC 9457 problem document",
    "content": {
        PROBLEM_JSON: {
            "schema": {
                "type": "object",
                "properties": {
                    "type": {"type": "string"},
                    "title": {"type": "string"},
                    "status": {"type": "integer"},
                    "detail": {"type": "string"},
                    "code": {
                        "type": "string",
                        "description": "A stable identifier of the error: read it, not the text",
                    },
                    "errors": {"type": "array", "items": {"type": "object"}},
                },
                "required": ["type", "title", "status", "detail"],
            }
        }
    },
}


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_JSON

    def render(self, content: Any) -> bytes:
        try:
            return super().render(content)
        except UnicodeEncodeError:
            # A problem may quote what the client sent; text that UTF-8 cannot encode (a lone
            # surrogate) is escaped instead of failing the error response itself.
            return json.dumps(content, ensure_ascii=True, separators=(",", ":")).encode()


def problem_response(
    body: dict[str, Any], headers: dict[str, str] | None = None, lang: Lang | None = None
) -> JSONResponse:
    headers = dict(headers or {})
    if lang:
        headers |= {"Content-Language": lang, "Vary": "Accept-Language"}
    return ProblemResponse(body, status_code=body["status"], headers=headers)


def request_lang(request: Request) -> Lang:
    """The reader's language: `?lang=` when given, else `Accept-Language`, else French."""
    asked = request.query_params.get("lang")
    if asked:
        return lang_of(asked[:10])
    return negotiate(request.headers.get("accept-language"))


def install(app: FastAPI) -> None:
    """Register the handlers that turn every exception into a problem document, and say so in
    the OpenAPI document."""
    document(app)

    @app.exception_handler(AppError)
    async def app_error(request: Request, exc: AppError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        if "retry_after" in exc.extra:
            headers = {"Retry-After": str(exc.extra["retry_after"])}
        lang = request_lang(request)
        return problem_response(exc.to_problem(request.url.path, lang), headers, lang)

    @app.exception_handler(StaleDataError)
    async def stale(request: Request, exc: StaleDataError) -> JSONResponse:
        # Someone else changed the same referral meanwhile: nothing of this request was kept.
        lang = request_lang(request)
        conflict = Conflict("changed_meanwhile")
        return problem_response(conflict.to_problem(request.url.path, lang), None, lang)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        lang = request_lang(request)
        errors = pydantic_errors(list(exc.errors()))
        malformed = any(e["type"] == "json_invalid" for e in errors)
        code = "malformed_json" if malformed else "invalid_input"
        return problem_response(
            {
                "type": PROBLEM_BASE + ("malformed-json" if malformed else "invalid-input"),
                "title": gettext(f"problems.title.{code}", lang),
                "status": 400 if malformed else 422,
                "detail": gettext(f"problems.{code}", lang),
                "code": code,
                "instance": request.url.path,
                "errors": render_errors(errors, lang),
            },
            None,
            lang,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        lang = request_lang(request)
        if exc.status_code == 413:  # a streamed body over the limit (app.middleware.RequestGuard)
            # RequestGuard puts the limit in the detail (FastAPI passes HTTPExceptions through).
            limit = str(exc.detail)
            too_large = PayloadTooLarge(
                "body_too_large", limit=int(limit) if limit.isdigit() else "?"
            )
            return problem_response(too_large.to_problem(request.url.path, lang), None, lang)
        headers = dict(exc.headers) if exc.headers else None
        allowed = _allowed_methods(app, request.url.path) if exc.status_code == 405 else []
        if allowed:  # the documentation pages are not in the document: their own Allow stands
            headers = {"Allow": ", ".join(allowed)}
        return problem_response(
            {
                "type": PROBLEM_BASE + f"http-{exc.status_code}",
                "title": _title(exc.status_code, lang),
                "status": exc.status_code,
                "detail": _http_detail(exc, lang),
                "code": f"http_{exc.status_code}",
                "instance": request.url.path,
            },
            headers,
            lang,
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        lang = request_lang(request)
        return problem_response(
            {
                "type": PROBLEM_BASE + "internal",
                "title": gettext("problems.title.internal", lang),
                "status": 500,
                "detail": gettext("problems.internal", lang),
                "code": "internal",
            },
            None,
            lang,
        )


def _allowed_methods(app: FastAPI, path: str) -> list[str]:
    """Every method some route takes at this path. The router's own `Allow` names only the
    methods of the first route whose path matched, which misleads when several share a path."""
    methods: set[str] = set()
    for template, operations in app.openapi().get("paths", {}).items():
        if compile_path(template)[0].match(path):
            methods |= {method.upper() for method in operations}
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)


def document(app: FastAPI) -> None:
    """Make the OpenAPI document say that every error response is a problem document."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        schema = build()
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                if "requestBody" in operation:
                    operation["responses"].setdefault("413", {"description": TOO_LARGE})
                for status, response in operation.get("responses", {}).items():
                    if status.startswith("4") and "content" not in response:
                        response["content"] = PROBLEM_SCHEMA["content"]
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _title(status: int, lang: Lang) -> str:
    from http import HTTPStatus

    from app.i18n import catalogue

    key = f"problems.title.http_{status}"
    if key in catalogue(lang):
        return gettext(key, lang)
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return gettext("problems.title.bad_request", lang)


def _http_detail(exc: StarletteHTTPException, lang: Lang) -> str:
    """Starlette's own errors (no route, wrong method) in the reader's language."""
    from app.i18n import catalogue

    key = f"problems.http_{exc.status_code}"
    return gettext(key, lang) if key in catalogue(lang) else str(exc.detail)
