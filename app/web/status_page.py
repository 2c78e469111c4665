"""The page a job seeker's e-mails link to: the request's status, and a button to withdraw
it (a POST with the CSRF token; opening the link changes nothing). It also says how to ask
for one's data or its erasure (Law 25)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.deps import SessionDep
from app.errors import AppError
from app.services import notices, request_status, status_links
from app.settings import Settings
from app.web import urls
from app.web.centre_answer import closed_page
from app.web.security import form_of
from app.web.templating import render

router = APIRouter()
urls.register_pages({"status": ("/demande/suivi/{token}", "/en/request/status/{token}")})


@urls.page(router, "status")
def status(request: Request, session: SessionDep, token: str) -> HTMLResponse:
    settings: Settings = request.app.state.settings
    lang = urls.lang_of_request(request)
    try:
        consultation = status_links.consultation_of(session, settings, token)
    except AppError as error:
        return closed_page(request, error)
    view = request_status.view(session, consultation)
    deadline = notices.when(view["expires_at"], lang) if view["expires_at"] else None
    return render(
        request,
        "status.html",
        {
            **view,
            "deadline": deadline,
            "token": token,
            "withdrawn": request.query_params.get("retiree") == "1",
        },
        private=True,
        headers={"Referrer-Policy": "no-referrer"},
    )


@urls.page(router, "status", methods=["POST"])
async def withdraw(request: Request, session: SessionDep, token: str) -> Response:
    await form_of(request)
    settings: Settings = request.app.state.settings
    lang = urls.lang_of_request(request)
    try:
        consultation = status_links.consultation_of(session, settings, token)
        request_status.withdraw(session, settings, consultation)
    except AppError as error:
        return closed_page(request, error)
    return RedirectResponse(urls.url("status", lang, {"retiree": "1"}, token=token), 303)
