"""The centres' web inbox (DESIGN §13): sign in without a password by a one-time link
e-mailed only to the centre's `notify_emails` (`app.services.signin`, kind "centre"), then
the centre's referrals by state with their deadline, accept and decline there, and the
centre's intake status and weekly capacity. Several people per centre: each address signs
in on its own, and the audit log names the address."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm.exc import StaleDataError

from app.deps import SessionDep
from app.errors import AppError, Conflict, InvalidInput, NotFound, Unavailable, field_error
from app.i18n import Lang, gettext
from app.mail import valid_address
from app.models import Centre, WebSession
from app.schemas.intake import IntakeUpdate
from app.services import centre_inbox, inbox, referral_answers, referrals, signin
from app.settings import Settings
from app.web import sessions, urls
from app.web.admin.access import FormDep, client_of, limit
from app.web.centre_answer import answered_page, closed_page, request_labels, single
from app.web.criteria import FieldError
from app.web.templating import render

router = APIRouter()
log = logging.getLogger("ttx")
urls.register_pages(
    {
        "inbox": ("/boite", "/en/inbox"),
        "inbox-signin": ("/boite/connexion", "/en/inbox/sign-in"),
        "inbox-link": ("/boite/lien", "/en/inbox/link"),
        "inbox-answer": ("/boite/reponse/{referral_id}", "/en/inbox/answer/{referral_id}"),
        "inbox-intake": ("/boite/accueil", "/en/inbox/intake"),
        "inbox-signout": ("/boite/deconnexion", "/en/inbox/sign-out"),
    }
)
LINKS_PER_ADDRESS = "3/15minutes"
LINKS_PER_CLIENT = "10/15minutes"
OPENS_PER_CLIENT = "20/15minutes"


class SignedOut(Exception):
    """No centre session: a GET goes to the sign-in page."""


@dataclass(frozen=True)
class Member:
    centre: Centre
    web_session: WebSession

    @property
    def actor(self) -> str:
        return referral_answers.actor_for(self.centre.id, "web")


def current_member(request: Request, session: SessionDep) -> Member:
    found = signin.current(session, kind="centre", token=sessions.cookie_of(request, "centre"))
    centre = centre_inbox.may_sign_in(session, found.subject_id, found.email) if found else None
    if found is None or centre is None:
        if request.method in ("GET", "HEAD"):
            raise SignedOut()
        from app.errors import Unauthorized

        raise Unauthorized("signin_required")
    return Member(centre, found)


MemberDep = Annotated[Member, Depends(current_member)]


def install(app: Any) -> None:
    async def to_signin(request: Request, exc: Exception) -> Response:
        lang = urls.lang_of_path(request.url.path)
        return RedirectResponse(urls.url("inbox-signin", lang), status_code=303)

    app.add_exception_handler(SignedOut, to_signin)


@urls.page(router, "inbox-signin")
def signin_form(request: Request) -> HTMLResponse:
    return render(
        request,
        "inbox_signin.html",
        {"email": "", "form_errors": [], "signed_out": request.query_params.get("fin") == "1"},
        private=True,
    )


@urls.page(router, "inbox-signin", methods=["POST"])
def ask_for_link(request: Request, session: SessionDep, form: FormDep) -> Response:
    """E-mail a sign-in link to the address if a centre lists it (the same answer for any)."""
    lang = urls.lang_of_request(request)
    raw = form.get("email")
    email = raw.strip()[:300] if isinstance(raw, str) else ""
    if not valid_address(email):
        error = FieldError("email", gettext("problems.inbox_email_invalid", lang))
        return render(
            request,
            "inbox_signin.html",
            {"email": email, "form_errors": [error], "signed_out": False},
            status=422,
            private=True,
        )
    limit(request, LINKS_PER_CLIENT, "inbox-link-client", client_of(request))
    limit(request, LINKS_PER_ADDRESS, "inbox-link-address", email.lower())
    for centre in centre_inbox.centres_for(session, email):
        token = signin.issue(session, kind="centre", subject_id=centre.id, email=email.lower())
        _send_link(request.app.state.settings, email.lower(), token, lang)
    return render(request, "inbox_link_sent.html", {"minutes": signin.LINK_MINUTES}, private=True)


def _send_link(settings: Settings, email: str, token: str, lang: Lang) -> None:
    from app.mail import MailError, compose, public_link, send_mail_sync

    path = urls.url("inbox-link", lang, {"jeton": token})
    message = compose(
        "signin", lang, {"link": public_link(settings, path), "minutes": signin.LINK_MINUTES}
    )
    try:
        send_mail_sync(settings, email, message.subject, message.text, message.html, lang=lang)
    except MailError as exc:
        log.warning("inbox sign-in link not sent: %s", type(exc).__name__)
        raise Unavailable("signin_mail_failed", retry_after=60) from None


@urls.page(router, "inbox-link")
def link_page(request: Request, session: SessionDep) -> HTMLResponse:
    """The page a sign-in link opens: checks it, changes nothing, shows the button."""
    token = str(request.query_params.get("jeton", ""))[:200]
    try:
        signin.check(session, kind="centre", token=token)
    except AppError as exc:
        return closed_page(request, exc)
    return render(
        request,
        "inbox_link.html",
        {"token": token},
        private=True,
        headers={"Referrer-Policy": "no-referrer"},
    )


@urls.page(router, "inbox-link", methods=["POST"])
def use_link(request: Request, session: SessionDep, form: FormDep) -> Response:
    """Sign in with the link, once."""
    limit(request, OPENS_PER_CLIENT, "inbox-open", client_of(request))
    token = form.get("jeton")
    try:
        link = signin.redeem(
            session, kind="centre", token=token if isinstance(token, str) else None
        )
        if centre_inbox.may_sign_in(session, link.subject_id, link.email) is None:
            raise NotFound("signin_link_unknown")
    except AppError as exc:
        return closed_page(request, exc)
    cookie = signin.open_session(
        session, kind="centre", subject_id=link.subject_id, email=link.email, verified=True
    )
    response = RedirectResponse(urls.url("inbox", urls.lang_of_request(request)), status_code=303)
    sessions.set_cookie(response, request, "centre", cookie)
    return response


@urls.page(router, "inbox")
def inbox_page(request: Request, session: SessionDep, member: MemberDep) -> HTMLResponse:
    """The centre's referrals by state, open ones by deadline; intake and capacity."""
    lang = urls.lang_of_request(request)
    groups = centre_inbox.listing(session, request.app.state.settings, member.centre, member.actor)
    shown = {
        name: [
            {
                **item,
                **request_labels(referral_answers.summary(session, item["referral"]), lang),
                "id": str(item["referral"].id),
            }
            for item in items
        ]
        for name, items in groups.items()
    }
    return render(
        request,
        "inbox.html",
        {
            "centre": member.centre,
            "groups": shown,
            "email": member.web_session.email,
            "saved": request.query_params.get("ok") == "1",
            "form_errors": [],
        },
        private=True,
    )


@urls.page(router, "inbox-answer", methods=["POST"])
def answer(
    request: Request, session: SessionDep, member: MemberDep, form: FormDep, referral_id: str
) -> HTMLResponse:
    """Accept or decline one of the centre's referrals (the inbox API's transitions)."""
    settings: Settings = request.app.state.settings
    action = single(form, "action")
    try:
        try:
            wanted = uuid.UUID(referral_id)
        except ValueError:
            raise NotFound("inbox_referral_not_found", referral_id=referral_id[:40]) from None
        referral = referrals.centre_referral(session, member.centre.id, wanted)
        if action == "accept":
            done = referral_answers.accept(session, settings, referral, member.actor)
        elif action == "decline":
            reason, note = single(form, "reason"), single(form, "note")
            done = referral_answers.decline(session, settings, referral, member.actor, reason, note)
        else:
            raise Conflict("referral_action_unknown")
        session.flush()
    except StaleDataError:
        return closed_page(request, Conflict("referral_changed"))
    except AppError as error:
        return closed_page(request, error)
    return answered_page(request, session, done, str(action))


@urls.page(router, "inbox-intake", methods=["POST"])
def intake(request: Request, session: SessionDep, member: MemberDep, form: FormDep) -> Response:
    """The centre's intake status (open, paused) and weekly capacity."""
    lang = urls.lang_of_request(request)
    capacity = single(form, "weekly_capacity")
    try:
        data = IntakeUpdate.model_validate(
            {
                "intake_status": single(form, "intake_status"),
                "weekly_capacity": capacity.strip() if isinstance(capacity, str) else capacity,
            }
        )
    except ValidationError as exc:
        errors = [field_error([str(p) for p in e["loc"]], e["type"]) for e in exc.errors()]
        problem = InvalidInput("invalid_input", errors=errors)
        return closed_page(request, problem)
    inbox.update_intake(session, member.centre.id, data)
    return RedirectResponse(urls.url("inbox", lang, {"ok": "1"}), status_code=303)


@urls.page(router, "inbox-signout", methods=["POST"])
def sign_out(request: Request, session: SessionDep, member: MemberDep, form: FormDep) -> Response:
    signin.end(session, member.web_session)
    lang = urls.lang_of_request(request)
    response = RedirectResponse(urls.url("inbox-signin", lang, {"fin": "1"}), status_code=303)
    sessions.clear_cookie(response, request, "centre")
    return response


__all__ = ["install", "router"]
