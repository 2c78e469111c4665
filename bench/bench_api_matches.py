"""`POST /v1/matches` end to end on the real service (SQLite, demo directory) against a bare
FastAPI POST endpoint that validates a similar pydantic body and returns a real answer of the
service (so the JSON has the same size), under the same server settings, in the same run.

The mix: postal codes, FSAs, municipality names with typos and without accents, points;
various needs, client groups, languages, modes, ages and free-text needs.

Target (issue 4): the service serves at least 50 % of the bare endpoint's requests/s.

    python -m bench bench_api_matches
"""

from __future__ import annotations

import functools
import itertools
import statistics
import tempfile
from pathlib import Path
from typing import Any

import httpx

from bench.apps import bare_match_app, demo_database, service_app
from bench.http import Call, Load, alternate, cpu_note, server
from bench.report import compare, print_table

TARGET = 0.5
SECONDS = 4.0
ROUNDS = 2
CONCURRENCY = 16
PATH = "/v1/matches"

LOCATIONS: list[dict[str, Any]] = [
    {"postal_code": "G9A 1X3"}, {"postal_code": "h2x1y4"}, {"postal_code": "J7Y 2N8"},
    {"postal_code": "G1R 4E9"}, {"postal_code": "J1H 5N4"}, {"postal_code": "G5L"},
    {"postal_code": "H7N 5H9"}, {"postal_code": "J8X 3X7"}, {"postal_code": "G4R 6C9"},
    {"municipality": "Trois-Rivieres"}, {"municipality": "Montreal"},
    {"municipality": "St-Jerome"}, {"municipality": "Sherbroke"}, {"municipality": "Rimouski"},
    {"municipality": "Gaspé"}, {"municipality": "Saguenay"}, {"municipality": "Levis"},
    {"municipality": "Rouyn Noranda"}, {"municipality": "Drummonville"},
    {"municipality": "Ste-Julie"}, {"municipality": "Gatineau"},
    {"lat": 45.5017, "lon": -73.5673}, {"lat": 46.8139, "lon": -71.2080},
    {"lat": 48.4284, "lon": -71.0685}, {"lat": 45.4042, "lon": -71.8929},
    {"lat": 46.3432, "lon": -72.5477}, {"lat": 50.2169, "lon": -66.3810},
]  # fmt: skip
NEEDS = [["job_search"], ["career_change", "return_to_school"], [], ["resume_interview"],
         ["newcomer_integration", "skills_recognition"], ["self_employment"]]  # fmt: skip
GROUPS = [[], ["immigrants"], ["youth"], ["experienced_workers"], ["women", "immigrants"]]
TEXTS = [None, "je cherche un emploi en soudure", "help with my resume", None,
         "retour aux etudes en informatique"]  # fmt: skip
LANGUAGES = [None, "fr", "en", "fr"]
MODES = [[], ["in_person", "remote"], ["remote"]]
AGES = [None, 22, 34, 57]


def situations() -> list[dict[str, Any]]:
    """Match requests cycling each facet independently over the locations (deterministic)."""
    facets = zip(
        itertools.cycle(NEEDS), itertools.cycle(GROUPS), itertools.cycle(TEXTS),
        itertools.cycle(LANGUAGES), itertools.cycle(MODES), itertools.cycle(AGES),
    )  # fmt: skip
    bodies = []
    for location, (needs, groups, need_text, language, modes, age) in zip(
        LOCATIONS * 3, facets, strict=False
    ):
        body: dict[str, Any] = {"location": location, "needs": needs, "client_groups": groups,
                                "modes": modes, "limit": 5}  # fmt: skip
        for key, value in (("need_text", need_text), ("language", language), ("age", age)):
            if value is not None:
                body[key] = value
        bodies.append(body)
    return bodies


def _answers(base: str, bodies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The service's answer to each request; every one must succeed for the mix to be valid."""
    answers = []
    with httpx.Client(base_url=base, timeout=10) as client:
        for body in bodies:
            answer = client.post(PATH, json=body)
            if answer.status_code != 200:
                raise RuntimeError(f"{body['location']}: {answer.status_code} {answer.text}")
            answers.append(answer.json())
    return answers


def _measure(bases: dict[str, str], calls: list[Call]) -> dict[str, Load]:
    return alternate(bases, calls, rounds=ROUNDS, seconds=SECONDS, concurrency=CONCURRENCY)


def main() -> dict[str, Any]:
    """Measure the service against the bare endpoint, print a table, return the figures."""
    bodies = situations()
    calls = [Call("POST", PATH, body) for body in bodies]
    with tempfile.TemporaryDirectory() as folder:
        url = demo_database(f"sqlite:///{Path(folder) / 'bench.db'}")
        with server(functools.partial(service_app, url)) as service:
            answers = _answers(service, bodies)
            with server(functools.partial(bare_match_app, answers)) as bare:
                loads = _measure({"service": service, "bare": bare}, calls)
    sizes = [len(httpx.Response(200, json=a).content) for a in answers]
    results = [len(a["results"]) for a in answers]
    row = compare(f"POST {PATH}", loads["service"], loads["bare"], TARGET)
    print(f"{cpu_note()}; concurrency {CONCURRENCY}, best of {ROUNDS} x {SECONDS:.0f} s")
    print(
        f"{len(bodies)} situations over the demo directory; answers {min(sizes)}-{max(sizes)} "
        f"bytes (median {statistics.median(sizes):.0f}), {statistics.mean(results):.1f} results"
    )
    print_table([row])
    return {
        "concurrency": CONCURRENCY,
        "seconds": SECONDS,
        "rounds": ROUNDS,
        "load_generator": loads["service"].tool,
        "situations": len(bodies),
        "answer_bytes_median": statistics.median(sizes),
        "rows": [row],
    }


if __name__ == "__main__":
    main()
