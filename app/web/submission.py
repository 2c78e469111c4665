"""The last step of the request: the consultation stored and routed by the intake service,
once per check-your-answers page (its token is the `Idempotency-Key`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import anyio
from fastapi import Request
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.deps import get_directory, get_load
from app.errors import Conflict
from app.schemas.intake import ConsultationIn
from app.services import consultations, idempotency
from app.web.contact import consent

if TYPE_CHECKING:
    from app.web.request_pages import Step

# A second click arrives while the first is being stored: wait for its answer this long.
WAIT_FOR_FIRST_SECONDS = 10.0


async def submit(
    request: Request, session: Session, step: Step, token: str | None, notice_version: str
) -> dict[str, Any]:
    """Store the request (or find the one this token already stored) and return the answer
    of `POST /v1/consultations` for it."""
    if step.checked.request is None or step.person is None:
        raise ValueError("submit() takes a step whose answers were checked")
    body = ConsultationIn(
        person=step.person,
        criteria=step.checked.request.model_copy(update={"limit": 5}),
        message=step.contact.message or None,
        centre_id=step.centre_id or None,
        consent=consent(notice_version),
    )
    scope = f"web:{request.client.host if request.client else '-'}"
    if token is not None:
        replay = await _claim(session, scope, token, body)
        if replay is not None:
            return replay
    directory = await get_directory(request)
    load = await get_load(request, directory)
    settings = request.app.state.settings

    def write() -> dict[str, Any]:
        return consultations.submit_answered(
            session,
            settings,
            directory,
            load,
            body,
            None,
            idempotency_key=(scope, token) if token is not None else None,
        )

    return await run_in_threadpool(write)


async def _claim(
    session: Session, scope: str, token: str, body: ConsultationIn
) -> dict[str, Any] | None:
    """The stored answer when this token was already answered; None when this request now
    holds the token. A duplicate still in flight is waited for (a double click)."""
    with anyio.move_on_after(WAIT_FOR_FIRST_SECONDS):
        while True:
            try:
                replay = await run_in_threadpool(idempotency.claim, session, scope, token, body)
            except Conflict:
                await anyio.sleep(0.2)
                continue
            return replay.body if replay is not None else None
    raise Conflict("request_still_sending")
