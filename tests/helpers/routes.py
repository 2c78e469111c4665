"""Every API route of the app, however the framework nests included routers."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute


def api_routes(app: FastAPI) -> Iterator[tuple[str, APIRoute]]:
    """(full path, route) for each `APIRoute`, included routers' prefixes applied."""
    yield from _walk(app.routes, "")


def _walk(routes: Sequence[Any], prefix: str) -> Iterator[tuple[str, APIRoute]]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path, route
        elif hasattr(route, "original_router"):  # an included router, resolved lazily
            yield from _walk(route.original_router.routes, prefix + route.include_context.prefix)
