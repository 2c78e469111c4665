"""The request: form, check your answers, send, confirmation; and the pages that explain why
a chosen centre cannot take it or why no centre can (the request may still go to staff).

Each step carries the answers in the form itself (no server-side session): every step checks
everything again, the last one with the same service as `POST /v1/consultations`, under the
same rate limit, honeypot and idempotency (a double click sends once)."""

from __future__ import annotations

import secrets
import uuid
from datetime import date
from typing import Any

from babel.dates import format_date
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from app.deps import SessionDep, get_directory, get_load
from app.errors import InvalidInput
from app.i18n import Lang
from app.ratelimit import RateLimiter
from app.services.consultations import RANKING_DEPTH
from app.services.matching import situation
from app.web import submission, urls, vocabulary
from app.web.contact import Contact, check_contact
from app.web.criteria import Checked, Criteria, MultiMapping, check
from app.web.pages import NOTICE_VERSION
from app.web.search import directory_languages, public_centre
from app.web.security import form_of, sign, signed
from app.web.templating import render

router = APIRouter()


@urls.page(router, "request")
async def request_form(request: Request) -> HTMLResponse:
    """The empty form, with the situation of the search (and the chosen centre) filled in."""
    lang = urls.lang_of_request(request)
    data = request.query_params
    return await _form_page(
        request, lang, Criteria.read(data), Contact(contact_language=lang), _centre_id(data), []
    )


@urls.page(router, "request", methods=["POST"])
async def request_form_again(request: Request) -> HTMLResponse:
    """The form with the answers given, to change them (the "Change" buttons)."""
    lang = urls.lang_of_request(request)
    data = await form_of(request)
    return await _form_page(
        request, lang, Criteria.read(data), Contact.read(data, lang), _centre_id(data), []
    )


@urls.page(router, "check", methods=["POST"])
async def check_answers(request: Request) -> Response:
    """Check the answers: the form again with its errors, an explanation when the chosen
    centre cannot take the request or no centre can, else the answers to confirm."""
    lang = urls.lang_of_request(request)
    data = await form_of(request)
    step = await _read(request, data, lang)
    if step.decoy:
        return _decoy(request, lang)
    if step.errors:
        return await _form_page(
            request,
            lang,
            step.criteria,
            step.contact,
            step.centre_id,
            step.errors,
            candidates=step.checked.candidates,
        )
    explained = _explanation(request, step, data, lang)
    if explained is not None:
        return explained
    return render(
        request,
        "check.html",
        step.context(lang)
        | {
            "token": secrets.token_urlsafe(24),
            "destination": step.destination,
        },
        private=True,
    )


@urls.page(router, "send", methods=["POST"])
async def send(request: Request, session: SessionDep) -> Response:
    """Store and route the request (as `POST /v1/consultations`), then show its confirmation."""
    lang = urls.lang_of_request(request)
    data = await form_of(request)
    await _rate_limit(request)
    step = await _read(request, data, lang)
    if step.decoy:
        return _decoy(request, lang)
    if step.errors:
        return await _form_page(
            request,
            lang,
            step.criteria,
            step.contact,
            step.centre_id,
            step.errors,
            candidates=step.checked.candidates,
        )
    token = data.get("token")
    key = token if isinstance(token, str) and 10 <= len(token) <= 100 else None
    try:
        answer = await submission.submit(request, session, step, key, NOTICE_VERSION)
    except InvalidInput as exc:
        if step.centre_id and any(e.get("loc", [])[-1:] == ["centre_id"] for e in exc.errors or []):
            explained = _explanation(request, step, data, lang, force=True)
            if explained is not None:
                return explained
        raise
    return _to_confirmation(request, lang, answer)


@urls.page(router, "confirmation")
async def confirmation(request: Request) -> HTMLResponse:
    """The request's reference and what happens next. The link is signed: it says only what
    the submission answered (no personal data), and cannot be edited into another one."""
    lang = urls.lang_of_request(request)
    q = request.query_params
    parts = [str(q.get(k, ""))[:64] for k in ("id", "status", "centre", "by")]
    if not signed(request.app.state.settings, str(q.get("sig", ""))[:64], *parts):
        from app.errors import NotFound

        raise NotFound("confirmation_not_found")
    directory = await get_directory(request)
    centre = public_centre(directory, parts[2])
    return render(
        request,
        "confirmation.html",
        {
            "reference": parts[0],
            "routed": parts[1] == "routed",
            "centre": centre,
            "by": _long_date(parts[3], lang),
        },
        private=True,
    )


def _long_date(value: str, lang: Lang) -> str:
    try:
        return format_date(date.fromisoformat(value), format="long", locale=lang)
    except ValueError:
        return ""


class Step:
    """One step's answers, read and checked, with what the ranking says about them."""

    def __init__(self, criteria: Criteria, contact: Contact, centre_id: str, ack: str) -> None:
        self.criteria, self.contact, self.centre_id, self.ack = criteria, contact, centre_id, ack
        self.checked = Checked()
        self.errors: list[Any] = []
        self.decoy = bool(contact.website)
        self.person: Any = None
        self.ineligible: list[Any] = []
        self.destination: dict[str, Any] | None = None
        self.eligible = 0
        self.options: dict[str, Any] = {}

    def hidden(self) -> dict[str, Any]:
        return (
            self.criteria.query()
            | self.contact.fields()
            | {
                "centre": self.centre_id,
                "ack": self.ack,
            }
        )

    def context(self, lang: Lang) -> dict[str, Any]:
        return {
            "criteria": self.criteria,
            "contact": self.contact,
            "hidden": self.hidden(),
            "labels": _answer_labels(self.criteria, lang),
            "place": self.checked.place,
            "notice_version": NOTICE_VERSION,
            "query": self.criteria.query(),
        }


async def _read(request: Request, data: MultiMapping, lang: Lang) -> Step:
    step = Step(
        Criteria.read(data),
        Contact.read(data, lang),
        _centre_id(data),
        "staff" if data.get("ack") == "staff" else "",
    )
    step.checked = check(step.criteria, lang, limit=RANKING_DEPTH)
    checked_contact = check_contact(step.contact, lang)
    step.errors = step.checked.errors + checked_contact.errors
    step.person = checked_contact.person
    if step.errors or step.decoy or step.checked.request is None or step.checked.place is None:
        return step
    directory = await get_directory(request)
    wanted = situation(step.checked.request, step.checked.place)
    outcome = directory.match_index.rank(wanted, load=await get_load(request, directory))
    step.eligible = outcome.eligible_count
    if step.centre_id:
        if step.centre_id not in directory.by_id:
            step.ineligible = ["gone"]
        else:
            step.ineligible = directory.match_index.explain_ineligible(step.centre_id, wanted)
        step.destination = public_centre(directory, step.centre_id)
    elif outcome.results:
        step.destination = public_centre(directory, outcome.results[0].centre_id)
    return step


def _explanation(
    request: Request, step: Step, data: MultiMapping, lang: Lang, *, force: bool = False
) -> HTMLResponse | None:
    """The ineligible page (the chosen centre cannot take it) or the no-centre page."""
    context = step.context(lang)
    if step.centre_id and (step.ineligible or force):
        reasons = [
            r if isinstance(r, str) else (r.en if lang == "en" else r.fr) for r in step.ineligible
        ]
        return render(
            request,
            "ineligible.html",
            context
            | {
                "centre": step.destination,
                "reasons": reasons,
                "others": step.eligible,
                "hidden_best": {**step.hidden(), "centre": ""},
            },
            private=True,
        )
    if not step.eligible and step.ack != "staff":
        return render(
            request,
            "nocentre.html",
            context
            | {
                "hidden_staff": {**step.hidden(), "ack": "staff"},
            },
            private=True,
        )
    return None


async def _form_page(
    request: Request,
    lang: Lang,
    criteria: Criteria,
    contact: Contact,
    centre_id: str,
    errors: list[Any],
    *,
    candidates: list[dict[str, str]] | None = None,
) -> HTMLResponse:
    directory = await get_directory(request)
    return render(
        request,
        "request.html",
        {
            "criteria": criteria,
            "contact": contact,
            "centre_id": centre_id,
            "centre": public_centre(directory, centre_id),
            "query": criteria.query(),
            "form_errors": errors,
            "errors_by_field": {e.field: e.text for e in errors},
            "candidates": candidates or [],
            "notice_version": NOTICE_VERSION,
            "options": vocabulary.options(lang, languages=directory_languages(directory)),
        },
        status=422 if errors else 200,
        private=True,
    )


def _answer_labels(criteria: Criteria, lang: Lang) -> dict[str, Any]:
    return {
        "needs": [vocabulary.label("specialties", c, lang) for c in criteria.needs],
        "groups": [vocabulary.label("client_groups", c, lang) for c in criteria.groups],
        "modes": [vocabulary.label("modes", c, lang) for c in criteria.modes],
        "language": vocabulary.label("languages", criteria.language, lang)
        if criteria.language
        else "",
    }


async def _rate_limit(request: Request) -> None:
    """The public intake's limit, per client address (shared with `POST /v1/consultations`)."""
    limiter: RateLimiter = request.app.state.limiter
    who = ("ip", request.client.host if request.client else "-")
    if limiter.shared:
        await run_in_threadpool(limiter.check, limiter.public, *who)
    else:
        limiter.check(limiter.public, *who)


def _to_confirmation(request: Request, lang: Lang, answer: dict[str, Any]) -> Response:
    referral = answer.get("referral") or {}
    parts = [
        str(answer["id"]),
        str(answer["status"]),
        str((referral.get("centre") or {}).get("id", "")),
        str(referral.get("expires_at", ""))[:10],
    ]
    query = dict(zip(("id", "status", "centre", "by"), parts, strict=True))
    query["sig"] = sign(request.app.state.settings, *parts)
    return RedirectResponse(urls.url("confirmation", lang, query), status_code=303)


def _decoy(request: Request, lang: Lang) -> Response:
    # A robot filled the hidden field: it sees a confirmation like any other; nothing is stored.
    return _to_confirmation(request, lang, {"id": str(uuid.uuid4()), "status": "unrouted"})


def _centre_id(data: MultiMapping) -> str:
    value = data.get("centre")
    try:
        return str(uuid.UUID(value)) if isinstance(value, str) and value else ""
    except ValueError:
        return ""
