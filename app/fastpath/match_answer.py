"""The `POST /v1/matches` answer, serialised straight from the ranking.

The plain way returns the document and lets FastAPI check it against `MatchResponse`
(`response_model`) before serialising it: the ranking's values are typed already, so that
second validation only costs. Here the document is serialised once by pydantic-core and
sent as bytes; the route still declares `response_model=MatchResponse` for its OpenAPI
document, and tests/fastpath/test_match_answer.py checks, on many random queries, that the
bytes are the model's own serialisation.

Figures, CPU per request: `python -m bench bench_fastpath` (the bench_api_matches mix on an
APIRoute, in process) 288 us sending these bytes, 334 us with the document checked against
the response model (+16 %); on the service itself (middleware included, the route switched to
the plain way for the measurement) 347-367 us against 432-499 us (+25-35 %). Assembling the
answer from per-centre and per-reason fragments kept serialised was not measurably faster
(253-339 us per request, against 275-331 us with to_json), so no fragment is kept.
"""

from __future__ import annotations

from typing import Any

from pydantic_core import to_json

from app.geo import Place
from app.matching import MatchOutcome


def match_answer(place: Place, outcome: MatchOutcome) -> dict[str, Any]:
    """The DESIGN §6 document: policy version, the needs read from the text, results (rank,
    score, distance, centre, components, reasons), eligible count, exclusions, location."""
    return {
        "policy_version": outcome.policy_version,
        "needs_detected": [need.to_dict() for need in outcome.needs_detected],
        "results": [result.to_dict() for result in outcome.results],
        "eligible_count": outcome.eligible_count,
        "excluded": outcome.excluded,
        "location": {
            "label": place.label,
            "region_code": place.region_code,
            "lat": place.lat,
            "lon": place.lon,
        },
    }


def match_answer_json(place: Place, outcome: MatchOutcome) -> bytes:
    """`match_answer` serialised as compact UTF-8 JSON."""
    return to_json(match_answer(place, outcome))
