"""The cookie of a signed-in browser (`app.services.signin` holds the rules).

One cookie per kind of account, HttpOnly, `Secure` in production (and on any https request),
`SameSite=Strict` for staff (no other site can start a console request that carries it) and
`Lax` for centres (a link in a centre's e-mail reaches its signed-in inbox). Its value is the
session's token; the database keeps only its hash.

    token = sessions.cookie_of(request, "centre")
    current = signin.current(session, kind="centre", token=token)
    ...
    sessions.set_cookie(response, request, "centre", new_token)   # after signin.open_session
    sessions.clear_cookie(response, request, "centre")            # after signin.end
"""

from __future__ import annotations

from typing import Final, Literal

from fastapi import Request
from starlette.responses import Response

from app.services.signin import SESSION_HOURS, Kind
from app.settings import Settings

COOKIES: Final[dict[Kind, str]] = {"staff": "ttx_staff", "centre": "ttx_centre"}
SAME_SITE: Final[dict[Kind, Literal["strict", "lax"]]] = {"staff": "strict", "centre": "lax"}


def cookie_of(request: Request, kind: Kind) -> str | None:
    return request.cookies.get(COOKIES[kind])


def _secure(request: Request) -> bool:
    settings: Settings = request.app.state.settings
    return settings.env == "production" or request.url.scheme == "https"


def set_cookie(
    response: Response, request: Request, kind: Kind, token: str, *, hours: int = SESSION_HOURS
) -> None:
    response.set_cookie(
        COOKIES[kind],
        token,
        max_age=hours * 3600,
        path="/",
        httponly=True,
        secure=_secure(request),
        samesite=SAME_SITE[kind],
    )


def clear_cookie(response: Response, request: Request, kind: Kind) -> None:
    response.delete_cookie(
        COOKIES[kind],
        path="/",
        httponly=True,
        secure=_secure(request),
        samesite=SAME_SITE[kind],
    )
