"""The pages that only say things: privacy notice, accessibility statement, about."""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.web import urls
from app.web.templating import render

router = APIRouter()

# The privacy notice's version: the `notice_version` recorded with each consent given on the
# site. Change it (and the notice) together; earlier consents keep the version they were given.
NOTICE_VERSION: Final = "2026-01"


@urls.page(router, "privacy")
async def privacy(request: Request) -> HTMLResponse:
    return render(request, "privacy.html", {"notice_version": NOTICE_VERSION})


@urls.page(router, "accessibility")
async def accessibility(request: Request) -> HTMLResponse:
    return render(request, "accessibility.html")


@urls.page(router, "about")
async def about(request: Request) -> HTMLResponse:
    return render(request, "about.html")
