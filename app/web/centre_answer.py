"""The page a centre's e-mail notice links to (DESIGN §13): the request without contact
details and three buttons, accept, decline (with a reason) and "ask AXTRA". Opening the link
(GET) changes nothing, since mail scanners open every link; each button is a POST with the
CSRF token. On acceptance the page shows the person's contact details (their reading is
audited). A forged, expired or answered link gets a page that says so, with a 4xx status."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm.exc import StaleDataError

from app.deps import SessionDep
from app.errors import AppError, Conflict
from app.i18n import Lang
from app.services import notices, referral_answers, referral_links
from app.services.referral_answers import Answered
from app.settings import Settings
from app.web import urls, vocabulary
from app.web.security import form_of
from app.web.templating import render

router = APIRouter()
urls.register_pages({"referral_answer": ("/boite/demande/{token}", "/en/inbox/request/{token}")})
DECLINE_REASONS = (
    "no_capacity",
    "out_of_area",
    "not_eligible",
    "unreachable",
    "duplicate",
    "other",
)


@urls.page(router, "referral_answer")
def answer_page(request: Request, session: SessionDep, token: str) -> HTMLResponse:
    """The request and the three answers. Reading it changes nothing."""
    settings: Settings = request.app.state.settings
    try:
        referral = referral_links.referral_of(session, settings, token)
    except AppError as error:
        return closed_page(request, error)
    return _form(request, referral_answers.summary(session, referral), token)


@urls.page(router, "referral_answer", methods=["POST"])
async def answer(request: Request, session: SessionDep, token: str) -> HTMLResponse:
    """Accept, decline or ask AXTRA (the button's `action`), as the inbox API would."""
    form = await form_of(request)
    settings: Settings = request.app.state.settings
    action = single(form, "action")
    try:
        referral = referral_links.referral_of(
            session, settings, token, usable=action not in ("accept", "decline")
        )
        actor = referral_answers.actor_for(referral.centre_id, "email")
        if action == "accept":
            done = referral_answers.accept(session, settings, referral, actor)
        elif action == "decline":
            done = referral_answers.decline(
                session, settings, referral, actor, single(form, "reason"), single(form, "note")
            )
        elif action == "ask":
            done = referral_answers.ask_axtra(session, referral, actor, single(form, "note"))
        else:
            raise Conflict("referral_action_unknown")
        session.flush()
    except StaleDataError:
        return closed_page(request, Conflict("referral_changed"))
    except AppError as error:
        if error.status == 422 and action == "decline":
            view = referral_answers.summary(session, referral)
            return _form(request, view, token, error=error, status=422)
        return closed_page(request, error)
    return answered_page(request, session, done, str(action))


def closed_page(request: Request, error: AppError) -> HTMLResponse:
    """A link that cannot be used: why, in words, with the error's status."""
    lang = urls.lang_of_request(request)
    return render(
        request,
        "centre_closed.html",
        {
            "reason": error.text(lang),
            "status": error.status,
        },
        status=error.status,
        private=True,
    )


def _form(
    request: Request,
    view: dict[str, Any],
    token: str,
    *,
    error: AppError | None = None,
    status: int = 200,
) -> HTMLResponse:
    lang = urls.lang_of_request(request)
    errors = [{"field": "reason", "text": error.text(lang)}] if error else []
    return render(
        request,
        "centre_answer.html",
        {
            **request_labels(view, lang),
            "token": token,
            "reasons": DECLINE_REASONS,
            "form_errors": errors,
            "action_url": urls.url("referral_answer", lang, token=token),
        },
        status=status,
        private=True,
    )


def answered_page(
    request: Request, session: SessionDep, done: Answered, action: str
) -> HTMLResponse:
    lang = urls.lang_of_request(request)
    view = referral_answers.summary(session, done.referral)
    return render(
        request,
        "centre_answered.html",
        {
            **request_labels(view, lang),
            "action": action,
            "person": done.person,
            "message": done.message,
            "replayed": done.replayed,
            "need_text": view["criteria"].get("need_text") if done.person else None,
        },
        private=True,
    )


def request_labels(view: dict[str, Any], lang: Lang) -> dict[str, Any]:
    criteria = view["criteria"]
    location = criteria.get("location") or {}
    return {
        "reference": view["reference"],
        "state": view["state"],
        "centre_name": view["centre_name"],
        "deadline": notices.when(view["expires_at"], lang),
        "place": _no_postal_code(location.get("label"))
        or vocabulary.region_name(str(location.get("region_code") or ""), lang),
        "needs": [vocabulary.label("specialties", c, lang) for c in criteria.get("needs") or []],
        "groups": [
            vocabulary.label("client_groups", c, lang) for c in criteria.get("client_groups") or []
        ],
        "language": vocabulary.label("languages", criteria["language"], lang)
        if criteria.get("language")
        else None,
        "modes": [vocabulary.label("modes", c, lang) for c in criteria.get("modes") or []],
        "age": criteria.get("age"),
        "why": [r.get(lang) or r.get("code") for r in view["reasons"] if isinstance(r, dict)],
    }


_POSTAL_CODE = re.compile(r"\b[A-Za-z]\d[A-Za-z] ?\d[A-Za-z]\d\b,?\s*")


def _no_postal_code(label: object) -> str:
    """The place without the person's postal code (a municipality is enough to answer)."""
    return _POSTAL_CODE.sub("", str(label or "")).strip(" ,")


_MANY = object()  # a field sent more than once: no answer may be read from it


def single(form: Any, name: str) -> object:
    """The one value of a form field; a field sent twice gives a value every check refuses."""
    values = form.getlist(name)
    if len(values) > 1:
        return _MANY
    return values[0] if values else None
