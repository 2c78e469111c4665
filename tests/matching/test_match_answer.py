"""The `POST /v1/matches` answer is assembled from serialised fragments: it must be the same
document as the plain one built from the outcome's own `to_dict`, for every kind of result."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from pydantic_core import to_json

from app.geo import Place, get_resolver
from app.matching import MatchIndex, MatchOutcome
from app.services.matching import match_answer_json
from bench.evaluation.harness import CASES, directory, situation


def match_answer(place: Place, outcome: MatchOutcome) -> dict[str, Any]:
    """The DESIGN §6 document, plainly."""
    return {
        "policy_version": outcome.policy_version,
        "needs_detected": [need.to_dict() for need in outcome.needs_detected],
        "results": [result.to_dict() for result in outcome.results],
        "eligible_count": outcome.eligible_count,
        "excluded": outcome.excluded,
        "location": {"label": place.label, "region_code": place.region_code,
                     "lat": place.lat, "lon": place.lon},
    }  # fmt: skip


@pytest.mark.parametrize("case", CASES[::4], ids=lambda c: c.name)
def test_fragments_make_the_same_document(case: object) -> None:
    index = MatchIndex(directory())
    load = index.load_vector({p.id: n % 7 for n, p in enumerate(directory())})
    place = get_resolver().place(**case.where)  # type: ignore[attr-defined]
    for limit in (1, 5, 50):
        outcome = index.rank(replace(situation(case), limit=limit), load=load)  # type: ignore[arg-type]
        expected = json.loads(to_json(match_answer(place, outcome)))
        assert json.loads(match_answer_json(place, outcome)) == expected


def test_no_result_is_still_a_whole_document() -> None:
    index = MatchIndex(directory())
    place = get_resolver().place(municipality="Gaspé")
    outcome = index.rank(replace(situation(CASES[0]), age=100, language="en", limit=5))
    assert outcome.results == [] and outcome.excluded
    expected = json.loads(to_json(match_answer(place, outcome)))
    assert json.loads(match_answer_json(place, outcome)) == expected
