"""Signing in to the console: ask for a link, open it, pass the second factor, sign out.

The link's page (GET) only checks the link and shows a button; the button's POST signs in.
The answer to "send me a link" is the same for every address, known or not."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.deps import SessionDep
from app.errors import AppError, InvalidInput, Unavailable
from app.i18n import Lang
from app.services import audit, signin, staff_members
from app.settings import Settings
from app.web import sessions, urls
from app.web.admin.access import FormDep, PendingDep, StaffDep, client_of, limit, show
from app.web.criteria import FieldError
from app.web.templating import render

router = APIRouter()
log = logging.getLogger("ttx")
# Sign-in attempts: links asked per address and per client, links opened, codes typed.
LINKS_PER_ADDRESS = "3/15minutes"
LINKS_PER_CLIENT = "10/15minutes"
OPENS_PER_CLIENT = "20/15minutes"
CODES_PER_CLIENT = "20/15minutes"


def _text(key: str, lang: Lang, **params: object) -> str:
    from app.i18n import gettext

    return gettext(key, lang, **params)


@urls.page(router, "admin-signin")
def signin_form(request: Request) -> HTMLResponse:
    signed_out = request.query_params.get("fin") == "1"
    return render(
        request, "admin/signin.html", {"email": "", "signed_out": signed_out}, private=True
    )


@urls.page(router, "admin-signin", methods=["POST"])
def ask_for_link(request: Request, session: SessionDep, form: FormDep) -> Response:
    """E-mail a sign-in link to an active staff address (and say the same to any other)."""
    lang = urls.lang_of_request(request)
    raw = form.get("email")
    email = raw.strip()[:300] if isinstance(raw, str) else ""
    try:
        address = staff_members.normalise_email(email)
    except InvalidInput:
        error = FieldError("email", _text("problems.staff_email_invalid", lang))
        return render(
            request,
            "admin/signin.html",
            {"email": email, "form_errors": [error]},
            status=422,
            private=True,
        )
    limit(request, LINKS_PER_CLIENT, "link-client", client_of(request))
    limit(request, LINKS_PER_ADDRESS, "link-address", address)
    member = staff_members.find_active(session, address)
    if member is not None:
        token = signin.issue(session, kind="staff", subject_id=member.id, email=member.email)
        _send_link(request.app.state.settings, member.email, token, lang)
    return render(request, "admin/link_sent.html", {"minutes": signin.LINK_MINUTES}, private=True)


def _send_link(settings: Settings, email: str, token: str, lang: Lang) -> None:
    from app.mail import MailError, compose, public_link, send_mail_sync

    path = urls.url("admin-link", lang, {"jeton": token})
    message = compose(
        "signin", lang, {"link": public_link(settings, path), "minutes": signin.LINK_MINUTES}
    )
    try:
        send_mail_sync(settings, email, message.subject, message.text, message.html, lang=lang)
    except MailError as exc:
        log.warning("console sign-in link not sent: %s", type(exc).__name__)
        raise Unavailable("signin_mail_failed", retry_after=60) from None


@urls.page(router, "admin-link")
def link_page(request: Request, session: SessionDep) -> HTMLResponse:
    """The page a link opens: checks it, changes nothing, shows the sign-in button."""
    token = str(request.query_params.get("jeton", ""))[:200]
    try:
        signin.check(session, kind="staff", token=token)
    except AppError as exc:
        return _refused(request, exc)
    return render(
        request,
        "admin/link.html",
        {"token": token},
        private=True,
        headers={"Referrer-Policy": "no-referrer"},
    )


@urls.page(router, "admin-link", methods=["POST"])
def use_link(request: Request, session: SessionDep, form: FormDep) -> Response:
    """Sign in with the link (once), then pass or set up the second factor if due."""
    limit(request, OPENS_PER_CLIENT, "open", client_of(request))
    token = form.get("jeton")
    try:
        link = signin.redeem(session, kind="staff", token=token if isinstance(token, str) else None)
    except AppError as exc:
        return _refused(request, exc)
    member = staff_members.get_active(session, link.subject_id)
    if member is None:
        from app.errors import NotFound

        return _refused(request, NotFound("signin_link_unknown"))
    settings: Settings = request.app.state.settings
    second = staff_members.totp_required(settings, member)
    cookie = signin.open_session(
        session, kind="staff", subject_id=member.id, email=member.email, verified=not second
    )
    if not second:
        _signed_in(session, member)
    lang = urls.lang_of_request(request)
    page = (
        "admin"
        if not second
        else ("admin-code" if staff_members.has_totp(member) else "admin-security")
    )
    response = RedirectResponse(urls.url(page, lang), status_code=303)
    sessions.set_cookie(response, request, "staff", cookie)
    return response


def _signed_in(session: SessionDep, member: Any) -> None:
    staff_members.signed_in(session, member)
    audit.record(session, staff_members.actor(member), "sign_in", "staff", member.id)


def _refused(request: Request, exc: AppError) -> HTMLResponse:
    lang = urls.lang_of_request(request)
    return render(
        request, "admin/refused.html", {"message": exc.text(lang)}, status=exc.status, private=True
    )


@urls.page(router, "admin-code")
def code_form(request: Request, staff: PendingDep) -> Response:
    if staff.web_session.verified_at is not None:
        return RedirectResponse(urls.url("admin", urls.lang_of_request(request)), status_code=303)
    return show(request, "admin/code.html", staff)


@urls.page(router, "admin-code", methods=["POST"])
def check_code(request: Request, session: SessionDep, staff: PendingDep, form: FormDep) -> Response:
    """The TOTP code of a member who set it up; five wrong ones end the session."""
    lang = urls.lang_of_request(request)
    limit(request, CODES_PER_CLIENT, "code", client_of(request))
    settings: Settings = request.app.state.settings
    code = form.get("code")
    code = code[:20] if isinstance(code, str) else ""
    if staff_members.check_code(session, settings, staff.member, code):
        signin.verify(session, staff.web_session)
        _signed_in(session, staff.member)
        return RedirectResponse(urls.url("admin", lang), status_code=303)
    if signin.failed_check(session, staff.web_session):
        response = _refused(request, InvalidInput("totp_too_many"))
        sessions.clear_cookie(response, request, "staff")
        return response
    error = FieldError("code", _text("problems.totp_wrong", lang))
    return show(request, "admin/code.html", staff, {"form_errors": [error]}, status=422)


@urls.page(router, "admin-security")
def security(request: Request, session: SessionDep, staff: PendingDep) -> HTMLResponse:
    """The second factor: set it up (the secret and its otpauth URI), or see that it is on."""
    return _security_page(request, session, staff, [])


def _security_page(
    request: Request, session: SessionDep, staff: Any, errors: list[FieldError]
) -> HTMLResponse:
    settings: Settings = request.app.state.settings
    member = staff.member
    context: dict[str, Any] = {
        "enabled": staff_members.has_totp(member),
        "form_errors": errors,
        "required": staff_members.totp_required(settings, member),
        "pending": staff.web_session.verified_at is None,
    }
    if not context["enabled"]:
        secret = staff_members.pending_secret(session, settings, member)
        grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
        uri = staff_members.otpauth_uri(secret, member)
        context |= {"secret": secret, "uri": uri, "grouped": grouped}
    elif staff.web_session.verified_at is None:
        raise _pending_elsewhere(request)
    return show(request, "admin/security.html", staff, context, status=422 if errors else 200)


def _pending_elsewhere(request: Request) -> Exception:
    from app.web.admin.access import Elsewhere

    return Elsewhere(urls.url("admin-code", urls.lang_of_request(request)))


@urls.page(router, "admin-security", methods=["POST"])
def enrol(request: Request, session: SessionDep, staff: PendingDep, form: FormDep) -> Response:
    """Turn TOTP on with a first code from the authenticator."""
    lang = urls.lang_of_request(request)
    limit(request, CODES_PER_CLIENT, "code", client_of(request))
    settings: Settings = request.app.state.settings
    code = form.get("code")
    code = code[:20] if isinstance(code, str) else ""
    if staff_members.has_totp(staff.member):
        return RedirectResponse(urls.url("admin-security", lang), status_code=303)
    if not staff_members.confirm_enrolment(session, settings, staff.member, code):
        error = FieldError("code", _text("problems.totp_wrong", lang))
        return _security_page(request, session, staff, [error])
    audit.record(session, staff.actor, "totp_on", "staff", staff.member.id)
    if staff.web_session.verified_at is None:
        signin.verify(session, staff.web_session)
        _signed_in(session, staff.member)
    return RedirectResponse(urls.url("admin-security", lang), status_code=303)


@urls.page(router, "admin-signout", methods=["POST"])
def sign_out(request: Request, session: SessionDep, staff: PendingDep, form: FormDep) -> Response:
    signin.end(session, staff.web_session)
    audit.record(session, staff.actor, "sign_out", "staff", staff.member.id)
    lang = urls.lang_of_request(request)
    response = RedirectResponse(urls.url("admin-signin", lang, {"fin": "1"}), status_code=303)
    sessions.clear_cookie(response, request, "staff")
    return response


__all__ = ["router", "StaffDep"]
