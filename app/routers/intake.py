"""Matching and intake (public, or a partner acting for a candidate)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from fastapi.responses import JSONResponse, Response

from app.deps import (
    DirectoryDep,
    IdempotencyKeyDep,
    LimitedCallerDep,
    LoadDep,
    PartnerOrAdminDep,
    SessionDep,
    SettingsDep,
    get_directory,
    get_load,
)
from app.fastpath.json_body import JsonBodyRoute
from app.fastpath.match_answer import match_answer_json
from app.schemas.intake import (
    CONSULTATION_EXAMPLES,
    MATCH_EXAMPLES,
    ConsultationIn,
    ConsultationOut,
    MatchRequest,
    MatchResponse,
)
from app.services import consultations
from app.services.matching import locate, situation

router = APIRouter(tags=["matching and intake"])


async def match(
    request: Request, body: Annotated[MatchRequest, Body(openapi_examples=MATCH_EXAMPLES)]
) -> Any:
    """The eligible centres for this situation, best first, each with its score, distance and
    reasons in French and English. No personal data is needed.

    Les centres admissibles, du plus pertinent au moins pertinent, avec leurs raisons."""
    # Called here rather than as dependencies: a JsonBodyRoute takes (request, body) only.
    directory = await get_directory(request)
    load = await get_load(request, directory)
    place = locate(body.location)
    outcome = directory.match_index.rank(situation(body, place), load=load)
    return Response(match_answer_json(place, outcome), media_type="application/json")


router.add_api_route(
    "/v1/matches",
    match,
    methods=["POST"],
    response_model=MatchResponse,
    summary="Rank centres for a situation",
    route_class_override=JsonBodyRoute,  # see app.fastpath
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
    session: SessionDep,
    settings: SettingsDep,
    directory: DirectoryDep,
    load: LoadDep,
    caller: LimitedCallerDep,
    idempotency_key: IdempotencyKeyDep,
    body: Annotated[ConsultationIn, Body(openapi_examples=CONSULTATION_EXAMPLES)],
) -> Any:
    """Store the request with the person's consent and send it to one centre: the one chosen
    (`centre_id`, which must be eligible) or the best-ranked. With no eligible centre the
    request is kept as `unrouted` for staff. `Idempotency-Key` makes retries safe."""
    status, answer = consultations.receive(
        session, settings, directory, load, body, caller, idempotency_key=idempotency_key
    )
    return JSONResponse(answer, status_code=status)


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
