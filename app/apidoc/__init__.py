"""The OpenAPI document, complete: who may call each operation (bearer security schemes per
role), every error it can answer (problem documents), the webhooks we send (Standard
Webhooks), examples in French and English, and `/docs` and `/redoc` served from this host."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from app.apidoc import examples, pages, security, webhooks

__all__ = ["install"]


def install(app: FastAPI, *, docs: bool) -> None:
    """Add the webhooks, the documentation pages when `docs` (TTX_PUBLIC_DOCS), and complete
    the document once built. Called by the app factory after the routers are included and
    `problems.install` ran."""
    if docs:
        pages.install(app)
    webhooks.install(app)
    build = app.openapi
    done: dict[str, Any] = {}

    def openapi() -> dict[str, Any]:
        if "doc" not in done:
            doc = build()
            security.document(app, doc)
            examples.document(doc)
            webhooks.document(doc)
            done["doc"] = doc
        result: dict[str, Any] = done["doc"]
        return result

    app.openapi = openapi  # type: ignore[method-assign]
