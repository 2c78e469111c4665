"""`/docs` (Swagger UI) and `/redoc` from this host only: their scripts and styles come from
the installed `fastapi-offline` package, the page's own start-up script from this package,
and a Content-Security-Policy forbids anything from elsewhere."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Final

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

VENDOR: Final = Path(fastapi_offline.__file__).parent / "static"
OWN: Final = Path(__file__).parent / "static"
STATIC_URL: Final = "/docs/static"
# Swagger UI and ReDoc set inline styles and ReDoc starts a worker from a blob: both allowed,
# nothing else. Images may be data: URIs (the UIs' icons).
CSP: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; worker-src blob:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
HEADERS: Final = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
PAGE: Final = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" href="{static}/favicon.png">
{head}
</head>
<body data-openapi-url="{openapi}">
{body}
</body>
</html>
"""


def install(app: FastAPI) -> None:
    """Serve the two pages and their files. The app must be built with `docs_url=None` and
    `redoc_url=None` (FastAPI's own pages load their files from a CDN)."""
    app.mount(f"{STATIC_URL}/vendor", StaticFiles(directory=VENDOR), name="docs-vendor")
    app.mount(f"{STATIC_URL}/own", StaticFiles(directory=OWN), name="docs-own")
    title = html.escape(app.title)

    @app.get("/docs", include_in_schema=False, response_class=HTMLResponse)
    async def swagger_ui(request: Request) -> Response:
        root = request.scope.get("root_path", "")
        static = f"{root}{STATIC_URL}"
        return _page(
            title=f"{title} — API",
            static=f"{static}/vendor",
            openapi=f"{root}{app.openapi_url}",
            head=f'<link rel="stylesheet" href="{static}/vendor/swagger-ui.css">',
            body=f'<div id="swagger-ui"></div>\n'
            f'<script src="{static}/vendor/swagger-ui-bundle.js"></script>\n'
            f'<script src="{static}/own/swagger-init.js"></script>',
        )

    @app.get("/redoc", include_in_schema=False, response_class=HTMLResponse)
    async def redoc(request: Request) -> Response:
        root = request.scope.get("root_path", "")
        static = f"{root}{STATIC_URL}"
        return _page(
            title=f"{title} — ReDoc",
            static=f"{static}/vendor",
            openapi=f"{root}{app.openapi_url}",
            head="",
            body=f'<div id="redoc"></div>\n'
            f'<script src="{static}/vendor/redoc.standalone.js"></script>\n'
            f'<script src="{static}/own/redoc-init.js"></script>',
        )


def _page(*, title: str, static: str, openapi: str, head: str, body: str) -> Response:
    text = PAGE.format(
        title=title, static=static, openapi=html.escape(openapi), head=head, body=body
    )
    return HTMLResponse(text, headers=HEADERS)
