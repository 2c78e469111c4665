"""Matching and intake (public, or a partner acting for a candidate)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from app.deps import (
    DirectoryDep,
    PartnerOrAdminDep,
    SessionDep,
    SettingsDep,
    get_directory,
    roles_of,
)
from app.errors import Forbidden
from app.matching import LoadVector
from app.ratelimit import RateLimiter, client_key
from app.routing import JsonBodyRoute
from app.schemas.intake import (
    CONSULTATION_EXAMPLES,
    MATCH_EXAMPLES,
    ConsultationIn,
    ConsultationOut,
    MatchRequest,
    MatchResponse,
)
from app.services import consultations, idempotency
from app.services.keys import Principal, authenticate_key
from app.services.matching import LoadTracker, locate, match_answer_json, situation

router = APIRouter(tags=["matching and intake"])
# Printable ASCII, as a UUID or any client-made token is; the key is stored and compared.
IDEMPOTENCY_KEY = r"^[\x21-\x7e]{1,200}$"


@roles_of("partner", "admin", optional=True)
async def optional_caller(
    request: Request,
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Principal | None:
    """The public needs no key; a partner may present one (a bad key is still refused)."""
    if not authorization:
        return None
    caller = await run_in_threadpool(authenticate_key, request.app.state.engine, authorization)
    if caller.role == "centre":
        raise Forbidden("centre_key_cannot_submit")
    return caller


CallerDep = Annotated[Principal | None, Depends(optional_caller)]


async def rate_limited(request: Request, caller: CallerDep) -> Principal | None:
    """Partners are counted per key, everyone else per client address."""
    limiter: RateLimiter = request.app.state.limiter
    if caller is not None:
        rate, who = limiter.partner, ("key", str(caller.key_id))
    else:
        rate, who = (
            limiter.public,
            ("ip", client_key(request.client.host if request.client else None)),
        )
    if limiter.shared:  # a Redis round trip: off the event loop
        await run_in_threadpool(limiter.check, rate, *who)
    else:
        limiter.check(rate, *who)
    return caller


LimitedCallerDep = Annotated[Principal | None, Depends(rate_limited)]


async def get_load(request: Request, directory: DirectoryDep) -> LoadVector:
    """Open referrals per centre, as load ratios aligned with the directory's ranking index:
    the counts at once when fresh, else read in a worker thread."""
    tracker: LoadTracker = request.app.state.load
    counts = tracker.peek()
    if counts is None:
        counts = await run_in_threadpool(tracker.get)
    return tracker.vector(directory.match_index, counts)


LoadDep = Annotated[LoadVector, Depends(get_load)]


async def match(
    request: Request, body: Annotated[MatchRequest, Body(openapi_examples=MATCH_EXAMPLES)]
) -> Any:
    """The eligible centres for this situation, best first, each with its score, distance and
    reasons in French and English. No personal data is needed.

    Les centres admissibles, du plus pertinent au moins pertinent, avec leurs raisons."""
    # get_directory and get_load called here rather than as dependencies: FastAPI solves each
    # dependency per request (parameters, headers, cookies), a tenth of this route's cost.
    directory = await get_directory(request)
    load = await get_load(request, directory)
    place = locate(body.location)
    outcome = directory.match_index.rank(situation(body, place), load=load)
    # Built from typed values already: serialised once rather than validated again.
    return Response(match_answer_json(place, outcome), media_type="application/json")


router.add_api_route(
    "/v1/matches",
    match,
    methods=["POST"],
    response_model=MatchResponse,
    summary="Rank centres for a situation",
    route_class_override=JsonBodyRoute,  # validated from the bytes: see app.routing
)


@router.post(
    "/v1/consultations",
    status_code=201,
    response_model=ConsultationOut,
    summary="Submit a consultation request",
    responses={
        409: {"description": "Same Idempotency-Key still in progress"},
        429: {
            "description": "Too many requests from this address, or with this partner key",
            "headers": {"Retry-After": {"description": "Seconds", "schema": {"type": "integer"}}},
        },
    },
)
def submit(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    directory: DirectoryDep,
    load: LoadDep,
    caller: LimitedCallerDep,
    body: Annotated[ConsultationIn, Body(openapi_examples=CONSULTATION_EXAMPLES)],
    idempotency_key: Annotated[str | None, Header(pattern=IDEMPOTENCY_KEY)] = None,
) -> Any:
    """Store the request with the person's consent and send it to one centre: the one chosen
    (`centre_id`, which must be eligible) or the best-ranked. With no eligible centre the
    request is kept as `unrouted` for staff. `Idempotency-Key` makes retries safe."""
    if body.website:  # the honeypot: accept, store nothing
        return JSONResponse(_decoy(), status_code=201)
    scope = (
        f"key:{caller.key_id}"
        if caller
        else f"ip:{client_key(request.client.host if request.client else None)}"
    )
    replay = None
    if idempotency_key is not None:
        digest = idempotency.body_hash(body.model_dump_json().encode())
        replay = idempotency.begin(request.app.state.engine, scope, idempotency_key, digest)
        if replay is not None:
            return JSONResponse(replay.body, status_code=replay.status)
    answer = consultations.submit_answered(
        session, settings, directory, load, body, caller,
        engine=request.app.state.engine, tracker=request.app.state.load,
        idempotency_key=(scope, idempotency_key) if idempotency_key is not None else None,
    )  # fmt: skip
    return JSONResponse(answer, status_code=201)


def _decoy() -> dict[str, Any]:
    from app.db import utcnow

    # The shape of a real answer (a request no centre could take), so a robot learns nothing.
    return {"id": str(uuid.uuid4()), "status": "unrouted", "created_at": utcnow().isoformat(),
            "referral": None}  # fmt: skip


@router.get(
    "/v1/consultations/{consultation_id}",
    response_model=ConsultationOut,
    summary="A consultation this partner submitted",
)
def get_consultation(
    consultation_id: uuid.UUID, session: SessionDep, caller: PartnerOrAdminDep
) -> Any:
    """Status of a consultation: a partner sees only those it submitted."""
    consultation = consultations.get_for(session, consultation_id, caller)
    return consultations.summary(session, consultation)
