"""Errors on page paths, for browsers: an HTML page in the page's language, same status.

The problem-document handlers of `app.problems` stay the source of the status and headers;
each is wrapped so that a browser (`Accept: text/html`) on a page path gets a page instead.
API paths and API clients keep their RFC 9457 documents."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Final

from fastapi import FastAPI, Request
from starlette.responses import Response

from app.web import urls

# Paths that are the API (or tooling), never pages.
API_PREFIXES: Final = (
    "/v1/", "/hsds", "/healthz", "/readyz", "/metrics", "/openapi.json", "/docs", "/redoc",
    "/static/",
)  # fmt: skip
Handler = Callable[[Request, Exception], Awaitable[Response]]
# Statuses that have their own sentence; the others use the closest family.
KNOWN: Final = frozenset({400, 401, 403, 404, 405, 409, 410, 413, 422, 429, 500, 503})


def wants_page(request: Request) -> bool:
    path = request.url.path
    if path == "/v1" or path.startswith(API_PREFIXES):
        return False
    return "text/html" in request.headers.get("accept", "")


def install(app: FastAPI) -> None:
    for exc_class, handler in list(app.exception_handlers.items()):
        app.exception_handlers[exc_class] = _for_pages(handler)  # type: ignore[arg-type]


def _for_pages(handler: Handler) -> Handler:
    async def handle(request: Request, exc: Exception) -> Response:
        response = await handler(request, exc)
        if not wants_page(request):
            return response
        return error_page(request, response.status_code, response.headers.get("retry-after"))

    return handle


def error_page(request: Request, status: int, retry_after: str | None = None) -> Response:
    from app.web.templating import render

    code = status if status in KNOWN else (500 if status >= 500 else 400)
    headers = {"Retry-After": retry_after} if retry_after else None
    return render(
        request,
        "error.html",
        {"status": status, "code": code, "retry_after": retry_after},
        status=status,
        lang=urls.lang_of_path(request.url.path),
        headers=headers,
        private=True,
    )
