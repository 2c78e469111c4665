"""The console's home: the work waiting, and where to find each task."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.deps import SessionDep
from app.services import console
from app.web import urls
from app.web.admin.access import StaffDep
from app.web.templating import render

router = APIRouter()


@urls.page(router, "admin")
def home(request: Request, session: SessionDep, staff: StaffDep) -> HTMLResponse:
    return render(
        request,
        "admin/home.html",
        {"staff": staff, "counts": console.overview(session)},
        private=True,
    )
