"""A person's rights (Law 25): find their requests by e-mail or phone, export everything held
(a JSON file), or erase it after a confirmation step. Contacts travel in POST bodies only."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from app.deps import SessionDep
from app.errors import InvalidInput
from app.models import Consultation
from app.services import privacy
from app.settings import Settings
from app.web import urls
from app.web.admin.access import FormDep, StaffDep, show
from app.web.criteria import FieldError

router = APIRouter()


def _contacts(form: FormData) -> tuple[str | None, str | None]:
    email = str(form.get("email", ""))[:254].strip() or None
    phone = str(form.get("phone", ""))[:40].strip() or None
    return email, phone


def _find(
    request: Request, session: SessionDep, form: FormData
) -> tuple[list[Consultation], str | None, str | None]:
    settings: Settings = request.app.state.settings
    email, phone = _contacts(form)
    return privacy.find(session, settings, email, phone), email, phone


@urls.page(router, "admin-privacy")
def privacy_form(request: Request, user: StaffDep) -> HTMLResponse:
    return show(
        request,
        "admin/privacy.html",
        user,
        {
            "section": "privacy",
            "found": None,
            "email": "",
            "phone": "",
            "form_errors": [],
            "erased": None,
        },
    )


@urls.page(router, "admin-privacy", methods=["POST"])
def search(request: Request, session: SessionDep, user: StaffDep, form: FormDep) -> HTMLResponse:
    """The requests made with this e-mail or phone, and what can be done with them."""
    lang = urls.lang_of_request(request)
    try:
        found, email, phone = _find(request, session, form)
    except InvalidInput as exc:
        return show(
            request,
            "admin/privacy.html",
            user,
            {
                "section": "privacy",
                "found": None,
                "email": "",
                "phone": "",
                "erased": None,
                "form_errors": [FieldError("email", exc.text(lang))],
            },
            status=422,
        )
    return show(
        request,
        "admin/privacy.html",
        user,
        {
            "section": "privacy",
            "found": found,
            "email": email or "",
            "phone": phone or "",
            "form_errors": [],
            "erased": None,
        },
    )


@urls.page(router, "admin-privacy-export", methods=["POST"], response_class=Response)  # a file
def export(request: Request, session: SessionDep, user: StaffDep, form: FormDep) -> Response:
    """Everything held about the person, as a JSON file (each read is audited)."""
    settings: Settings = request.app.state.settings
    found, _, _ = _find(request, session, form)
    document = privacy.export(session, settings, found, user.actor)
    body = json.dumps(document, ensure_ascii=False, indent=1, default=str)
    return Response(
        body,
        media_type="application/json; charset=utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="export-personne.json"',
            "Cache-Control": "no-store",
        },
    )


@urls.page(router, "admin-privacy-erase", methods=["POST"])
def erase(request: Request, session: SessionDep, user: StaffDep, form: FormDep) -> HTMLResponse:
    """Erase the person's requests: a confirmation page first, then the erasure."""
    settings: Settings = request.app.state.settings
    found, email, phone = _find(request, session, form)
    context = {"section": "privacy", "email": email or "", "phone": phone or "", "found": found}
    if form.get("confirm") != "yes":
        return show(request, "admin/confirm_erase.html", user, context)
    count = privacy.erase(session, settings, found, user.actor)
    return show(
        request,
        "admin/privacy.html",
        user,
        context | {"found": None, "erased": count, "form_errors": [], "email": "", "phone": ""},
    )
