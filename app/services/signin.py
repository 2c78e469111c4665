"""Signing in without a password: an e-mailed one-time link opens a browser session.

Generic over the kind of account (`KINDS`): "staff" (the console, `app.web.admin`) and
"centre" (a centre's web inbox). The caller decides who may receive a link (an active staff
member, an address of the centre's `notify_emails`) and sends it; this module keeps the
rules every kind shares:

- a link's token and a session's cookie are 256-bit random values; only their SHA-256 is
  stored (like API keys: no dictionary to attack, so a fast hash is enough);
- a link lives `LINK_MINUTES` and works once: `redeem` marks it used in one conditional
  UPDATE, so two clicks (or two replicas) cannot both sign in with it;
- opening a link is never signing in: the page a link opens (GET) only checks it (`check`),
  and a button on that page POSTs it to `redeem` (mail scanners open every link);
- a session ends after `SESSION_HOURS`, after `IDLE_MINUTES` unused, on sign-out, or when
  its account is closed (`end_all`); a session that must pass a second factor is not
  `verified` until the caller says so, and ends after `MAX_FAILED_CHECKS` wrong codes.

    token = signin.issue(session, kind="centre", subject_id=centre.id, email=address)
    # e-mail f"{public_url}/boite/connexion?jeton={token}"; on the page's POST:
    link = signin.redeem(session, kind="centre", token=form_token)
    cookie = signin.open_session(session, kind="centre", subject_id=link.subject_id,
                                 email=link.email, verified=True)
    ...
    current = signin.current(session, kind="centre", token=request_cookie)  # None: signed out
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Final, Literal, TypeGuard

from sqlalchemy import delete, or_, select, update
from sqlmodel import Session, col

from app.db import utcnow
from app.errors import Gone, NotFound
from app.models import SigninLink, WebSession

Kind = Literal["staff", "centre"]
KINDS: Final[tuple[Kind, ...]] = ("staff", "centre")
LINK_MINUTES: Final = 15
SESSION_HOURS: Final = 12
IDLE_MINUTES: Final = 60
MAX_FAILED_CHECKS: Final = 5
# Tokens are this long in URLs and cookies (token_urlsafe(32) gives 43 characters).
TOKEN_MIN, TOKEN_MAX = 20, 100
# How often a session's last use is written (not at every request).
_SEEN_EVERY: Final = timedelta(minutes=1)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> str:
    return secrets.token_urlsafe(32)


def _plausible(token: str | None) -> TypeGuard[str]:
    return isinstance(token, str) and TOKEN_MIN <= len(token) <= TOKEN_MAX and token.isascii()


def issue(
    session: Session,
    *,
    kind: Kind,
    subject_id: uuid.UUID,
    email: str,
    minutes: int = LINK_MINUTES,
    now: datetime | None = None,
) -> str:
    """Store a new link for `email` (the address it is sent to) and return its token, which
    is never stored: put it in the e-mail and forget it."""
    now = now or utcnow()
    token = _new_token()
    session.add(
        SigninLink(
            kind=kind,
            subject_id=subject_id,
            email=email,
            token_hash=digest(token),
            created_at=now,
            expires_at=now + timedelta(minutes=minutes),
        )
    )
    session.flush()
    return token


def check(
    session: Session, *, kind: Kind, token: str | None, now: datetime | None = None
) -> SigninLink:
    """The link of `token` if it may still be used (404 unknown, 410 expired or used); for the
    page the link opens, which changes nothing."""
    now = now or utcnow()
    link = _find_link(session, kind, token)
    if link.used_at is not None:
        raise Gone("signin_link_used")
    if link.expires_at <= now:
        raise Gone("signin_link_expired")
    return link


def redeem(
    session: Session, *, kind: Kind, token: str | None, now: datetime | None = None
) -> SigninLink:
    """Use the link of `token` (once: a second redeem is 410, even at the same instant)."""
    now = now or utcnow()
    link = check(session, kind=kind, token=token, now=now)
    marked = session.execute(
        update(SigninLink)
        .where(col(SigninLink.id) == link.id, col(SigninLink.used_at).is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(marked, "rowcount", 0) != 1:
        raise Gone("signin_link_used")
    session.refresh(link)
    return link


def _find_link(session: Session, kind: Kind, token: str | None) -> SigninLink:
    if not _plausible(token):
        raise NotFound("signin_link_unknown")
    link = session.scalars(
        select(SigninLink).where(col(SigninLink.token_hash) == digest(token))
    ).one_or_none()
    if link is None or link.kind != kind:
        raise NotFound("signin_link_unknown")
    return link


def open_session(
    session: Session,
    *,
    kind: Kind,
    subject_id: uuid.UUID,
    email: str,
    verified: bool,
    hours: int = SESSION_HOURS,
    now: datetime | None = None,
) -> str:
    """Start a session and return its cookie value (never stored). `verified=False` when a
    second factor is still to pass (`verify`)."""
    now = now or utcnow()
    token = _new_token()
    session.add(
        WebSession(
            kind=kind,
            subject_id=subject_id,
            email=email,
            token_hash=digest(token),
            created_at=now,
            expires_at=now + timedelta(hours=hours),
            last_seen_at=now,
            verified_at=now if verified else None,
        )
    )
    session.flush()
    return token


def current(
    session: Session, *, kind: Kind, token: str | None, now: datetime | None = None
) -> WebSession | None:
    """The live session of this cookie value, verified or not, or None (signed out)."""
    if not _plausible(token):
        return None
    now = now or utcnow()
    found = session.scalars(
        select(WebSession).where(col(WebSession.token_hash) == digest(token))
    ).one_or_none()
    if found is None or found.kind != kind or found.ended_at is not None:
        return None
    if found.expires_at <= now or found.last_seen_at + timedelta(minutes=IDLE_MINUTES) <= now:
        return None
    if now - found.last_seen_at >= _SEEN_EVERY:
        found.last_seen_at = now
        session.add(found)
    return found


def verify(session: Session, web_session: WebSession, *, now: datetime | None = None) -> None:
    """The second factor was passed: the session now reaches everything."""
    web_session.verified_at = now or utcnow()
    web_session.failed_checks = 0
    session.add(web_session)
    session.flush()


def failed_check(session: Session, web_session: WebSession, *, now: datetime | None = None) -> bool:
    """Count a wrong second-factor code; True when that was one too many and the session
    is ended (the person asks for a new link)."""
    web_session.failed_checks += 1
    if web_session.failed_checks >= MAX_FAILED_CHECKS:
        web_session.ended_at = now or utcnow()
    session.add(web_session)
    session.flush()
    return web_session.ended_at is not None


def end(session: Session, web_session: WebSession, *, now: datetime | None = None) -> None:
    """Sign out."""
    web_session.ended_at = now or utcnow()
    session.add(web_session)
    session.flush()


def end_all(
    session: Session, *, kind: Kind, subject_id: uuid.UUID, email: str | None = None
) -> int:
    """End every live session of an account (or of one address of it), and make its unused
    links useless: for a removed staff member, a deactivated centre, a removed address."""
    now = utcnow()
    sessions = update(WebSession).where(
        col(WebSession.kind) == kind,
        col(WebSession.subject_id) == subject_id,
        col(WebSession.ended_at).is_(None),
    )
    links = update(SigninLink).where(
        col(SigninLink.kind) == kind,
        col(SigninLink.subject_id) == subject_id,
        col(SigninLink.used_at).is_(None),
    )
    if email is not None:
        sessions = sessions.where(col(WebSession.email) == email)
        links = links.where(col(SigninLink.email) == email)
    ended = session.execute(
        sessions.values(ended_at=now).execution_options(synchronize_session=False)
    )
    session.execute(links.values(used_at=now).execution_options(synchronize_session=False))
    return int(getattr(ended, "rowcount", 0))


def forget_old(session: Session, *, now: datetime | None = None, days: int = 30) -> None:
    """Delete links and sessions ended or expired more than `days` ago (housekeeping)."""
    horizon = (now or utcnow()) - timedelta(days=days)
    session.execute(delete(SigninLink).where(col(SigninLink.expires_at) < horizon))
    session.execute(
        delete(WebSession).where(
            or_(col(WebSession.expires_at) < horizon, col(WebSession.ended_at) < horizon)
        )
    )
