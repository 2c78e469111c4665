"""Who is using the console: the staff member of the session cookie, or a redirect to sign in.

Every console page but the sign-in ones depends on `StaffDep`: without a live, verified
session of an active staff member, a GET is sent to the sign-in page (303) and anything else
gets 401; a session still waiting for its second factor is sent to it; in production a member
without TOTP is sent to set it up first. POSTs also depend on `FormDep` (the CSRF check)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from limits import parse
from starlette.datastructures import FormData

from app.deps import SessionDep
from app.errors import Unauthorized
from app.models import StaffMember, WebSession
from app.ratelimit import RateLimiter, client_key
from app.services import signin, staff_members
from app.settings import Settings
from app.web import sessions, urls
from app.web.security import form_of
from app.web.templating import render


@dataclass(frozen=True)
class Staff:
    """The signed-in staff member, and how the audit log names them."""

    member: StaffMember
    web_session: WebSession

    @property
    def actor(self) -> str:
        return staff_members.actor(self.member)


class Elsewhere(Exception):
    """Send the browser to another console page (303) instead of this one."""

    def __init__(self, location: str) -> None:
        self.location = location


def _signed_in(request: Request, session: SessionDep) -> tuple[WebSession, StaffMember] | None:
    current = signin.current(session, kind="staff", token=sessions.cookie_of(request, "staff"))
    if current is None:
        return None
    member = staff_members.get_active(session, current.subject_id)
    return (current, member) if member is not None else None


def _away(request: Request, page: str) -> Exception:
    if request.method in ("GET", "HEAD"):
        return Elsewhere(urls.url(page, urls.lang_of_request(request)))
    return Unauthorized("signin_required")


def pending_staff(request: Request, session: SessionDep) -> Staff:
    """A signed-in member whose second factor may still be due (the second-factor pages)."""
    found = _signed_in(request, session)
    if found is None:
        raise _away(request, "admin-signin")
    return Staff(found[1], found[0])


def current_staff(request: Request, session: SessionDep) -> Staff:
    """A signed-in member who passed every factor this deployment requires."""
    staff = pending_staff(request, session)
    settings: Settings = request.app.state.settings
    if staff.web_session.verified_at is None:
        member = staff.member
        needed = "admin-code" if staff_members.has_totp(member) else "admin-security"
        if not staff_members.totp_required(settings, member):
            needed = "admin-signin"  # cannot happen: such a session is opened verified
        raise _away(request, needed)
    return staff


async def csrf_form(request: Request) -> FormData:
    return await form_of(request)


PendingDep = Annotated[Staff, Depends(pending_staff)]
StaffDep = Annotated[Staff, Depends(current_staff)]
FormDep = Annotated[FormData, Depends(csrf_form)]


def install(app: FastAPI) -> None:
    """Answer `Elsewhere` with its redirect (registered after the page error handlers)."""

    async def redirect(request: Request, exc: Exception) -> Response:
        return RedirectResponse(getattr(exc, "location", "/admin"), status_code=303)

    app.add_exception_handler(Elsewhere, redirect)


def limit(request: Request, rate: str, *identity: str) -> None:
    """Count one attempt against `rate` (429 past it): sign-in links, codes. Called from
    `def` routes (a worker thread: the shared limiter talks to Redis)."""
    limiter: RateLimiter = request.app.state.limiter
    limiter.check(parse(rate), "console", *identity)


def client_of(request: Request) -> str:
    return client_key(request.client.host if request.client else None)


def show(
    request: Request,
    template: str,
    staff: Staff | None,
    context: dict[str, Any] | None = None,
    *,
    status: int = 200,
) -> HTMLResponse:
    """Render a console page: never cached, with the signed-in member for the header."""
    return render(
        request, template, {"staff": staff, **(context or {})}, status=status, private=True
    )
