"""The `POST /v1/matches` answer is serialised without the response model: it must be the
document the response model gives (what FastAPI would send), for every kind of result."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from typing import Any

import pytest

from app.fastpath.match_answer import match_answer_json
from app.geo import Place, get_resolver
from app.matching import MatchIndex, MatchOutcome
from app.matching.synthetic import synthetic_profiles, synthetic_situations
from app.schemas.intake import MatchResponse
from bench.evaluation.harness import CASES, directory, situation


def match_answer(place: Place, outcome: MatchOutcome) -> dict[str, Any]:
    """The DESIGN §6 document, the plain way."""
    document = {
        "policy_version": outcome.policy_version,
        "needs_detected": [need.to_dict() for need in outcome.needs_detected],
        "results": [result.to_dict() for result in outcome.results],
        "eligible_count": outcome.eligible_count,
        "excluded": outcome.excluded,
        "location": {"label": place.label, "region_code": place.region_code,
                     "lat": place.lat, "lon": place.lon},
    }  # fmt: skip
    # What FastAPI sends for a route with response_model=MatchResponse.
    return MatchResponse.model_validate(document).model_dump(mode="json")


@pytest.mark.parametrize("case", CASES[::4], ids=lambda c: c.name)
def test_fragments_make_the_same_document(case: object) -> None:
    index = MatchIndex(directory())
    load = index.load_vector({p.id: n % 7 for n, p in enumerate(directory())})
    place = get_resolver().place(**case.where)  # type: ignore[attr-defined]
    for limit in (1, 5, 50):
        outcome = index.rank(replace(situation(case), limit=limit), load=load)  # type: ignore[arg-type]
        assert json.loads(match_answer_json(place, outcome)) == match_answer(place, outcome)


def test_no_result_is_still_a_whole_document() -> None:
    index = MatchIndex(directory())
    place = get_resolver().place(municipality="Gaspé")
    outcome = index.rank(replace(situation(CASES[0]), age=100, language="en", limit=5))
    assert outcome.results == [] and outcome.excluded
    assert json.loads(match_answer_json(place, outcome)) == match_answer(place, outcome)


PLACES = [{"municipality": m} for m in ("Laval", "Gaspé", "Sherbrooke", "Rimouski", "Val-d'Or")]


def test_random_queries_give_the_response_models_document() -> None:
    profiles = synthetic_profiles(2000, seed=11)
    index = MatchIndex(profiles)
    load = index.load_vector({p.id: n % 11 for n, p in enumerate(profiles) if n % 4 == 0})
    rng = random.Random(3)
    places = [get_resolver().place(**where) for where in PLACES]
    for n, s in enumerate(synthetic_situations(400, seed=12)):
        place = places[n % len(places)]
        limit = rng.choice((1, 3, 5, 10, 50))
        outcome = index.rank(replace(s, limit=limit), load=load if n % 2 else None)
        assert json.loads(match_answer_json(place, outcome)) == match_answer(place, outcome)
