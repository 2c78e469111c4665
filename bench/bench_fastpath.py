"""Each trick of app.fastpath against the plain way, in process, per call (CPU time of one
thread, median of 5 runs).

- `POST /v1/matches` on three FastAPI apps with the same endpoint, called as ASGI apps (no
  network, no middleware): the fast path (JsonBodyRoute, answer serialised by
  match_answer_json), a plain APIRoute sending the same bytes, and the plain way (APIRoute,
  the document returned and checked against `response_model=MatchResponse`). The mix is
  bench_api_matches's over the evaluation directory.

- A region (`GET /v1/regions/{code}`): the plain way validates the document, geometry
  included, against the response model and serialises it; the fast path splices the geometry
  serialised once. Nord-du-Québec (10) is the heaviest shape, Laval (13) the lightest.
- The centres' map layer (`GET /v1/centres.geojson`): the plain way serialises every feature
  at every request; the directory snapshot keeps each centre's features serialised, and the
  fast path joins them once per snapshot (here: joined at every call, and kept).

    python -m bench bench_fastpath
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.routing import APIRoute

from app.fastpath.blobs import centres_geojson, feature_collection, region_document
from app.fastpath.json_body import JsonBodyRoute
from app.fastpath.match_answer import match_answer, match_answer_json
from app.geo import get_resolver
from app.matching import MatchIndex
from app.routers.geo import RegionOut
from app.schemas.intake import MatchRequest, MatchResponse
from app.services.matching import locate, situation
from bench.bench_api_matches import situations
from bench.evaluation.harness import directory

RUNS = 5


def _us(call: Callable[[], object], n: int) -> float:
    call()
    runs = []
    for _ in range(RUNS):
        started = time.thread_time()
        for _ in range(n):
            call()
        runs.append((time.thread_time() - started) / n * 1e6)
    return statistics.median(runs)


def _match_apps() -> dict[str, FastAPI]:
    index = MatchIndex(directory())

    async def fast(request: Request, body: MatchRequest) -> Response:
        place = locate(body.location)
        outcome = index.rank(situation(body, place))
        return Response(match_answer_json(place, outcome), media_type="application/json")

    async def plain(request: Request, body: MatchRequest) -> Any:
        place = locate(body.location)
        return match_answer(place, index.rank(situation(body, place)))

    apps = {}
    for name, endpoint, route in (
        ("fast path", fast, JsonBodyRoute),
        ("plain route, same bytes", fast, APIRoute),
        ("plain", plain, APIRoute),
    ):
        router = APIRouter(route_class=route)
        router.add_api_route(
            "/v1/matches", endpoint, methods=["POST"], response_model=MatchResponse
        )
        app = FastAPI()
        app.include_router(router)
        apps[name] = app
    return apps


def _post_us(app: FastAPI, bodies: list[bytes]) -> float:
    async def call(body: bytes) -> None:
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": "/v1/matches",
            "raw_path": b"/v1/matches",
            "root_path": "",
            "query_string": b"",
            "headers": headers,
            "client": ("127.0.0.1", 5000),
            "server": ("127.0.0.1", 80),
        }
        messages = [{"type": "http.request", "body": body, "more_body": False}]

        async def receive() -> dict[str, Any]:
            return messages.pop() if messages else {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start" and message["status"] != 200:
                raise RuntimeError(f"status {message['status']}")

        await app(scope, receive, send)

    async def every() -> None:
        for body in bodies:
            await call(body)

    return _us(lambda: asyncio.run(every()), 5) / len(bodies)


def _match_rows() -> list[dict[str, Any]]:
    bodies = [json.dumps(body).encode() for body in situations()]
    apps = _match_apps()
    plain = _post_us(apps["plain"], bodies)
    rows = []
    for name in ("fast path", "plain route, same bytes"):
        rows.append(
            {
                "document": f"POST /v1/matches, {name}",
                "plain_us": plain,
                "fast_us": _post_us(apps[name], bodies),
            }
        )
    return rows


def _region_rows() -> list[dict[str, Any]]:
    resolver = get_resolver()
    rows = []
    for code in ("10", "13"):
        region = resolver.regions[code]
        document = {
            "code": code,
            "name_fr": region.name_fr,
            "name_en": region.name_en,
            "centre_count": 3,
            "geometry": resolver.region_geometry(code),
        }
        plain = _us(lambda d=document: RegionOut.model_validate(d).model_dump_json(), 20)
        kept = _us(lambda c=code: region_document(c, {c: 3}), 2000)
        size = len(region_document(code, {}))
        rows.append({"document": f"region {code} ({size:,} B)", "plain_us": plain, "fast_us": kept})
    return rows


@dataclass(frozen=True)
class _Entry:
    feature_json: bytes


class _Snapshot:
    def __init__(self, entries: list[_Entry]) -> None:
        self.entries = entries


def _feature(n: int) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [-73.5 - n / 1e5, 45.5]},
        "properties": {
            "centre_id": f"00000000-0000-4000-8000-{n:012d}",
            "ref": f"c-{n}",
            "name": f"Centre d'emploi {n}",
            "municipality": "Montréal",
            "region_code": "06",
            "intake_status": "open",
        },
    }


def _layer_rows() -> list[dict[str, Any]]:
    rows = []
    for size in (1_000, 10_000):
        features = [_feature(n) for n in range(size)]
        entries = [_Entry(json.dumps(f, separators=(",", ":")).encode()) for f in features]
        collection = {"type": "FeatureCollection", "features": features}
        snapshot: Any = _Snapshot(entries)
        n = 20 if size == 1_000 else 3
        plain = _us(lambda c=collection: json.dumps(c, separators=(",", ":")).encode(), n)
        joined = _us(lambda s=snapshot: feature_collection(s.entries), n * 5)
        kept = _us(lambda s=snapshot: centres_geojson(s), 2000)
        rows.append(
            {
                "document": f"map layer, {size:,} centres",
                "plain_us": plain,
                "joined_us": joined,
                "fast_us": kept,
            }
        )
    return rows


def main() -> dict[str, Any]:
    rows = _match_rows() + _region_rows() + _layer_rows()
    print(f"{'call':<40} {'plain us':>10} {'joined us':>10} {'fast us':>10}")
    for r in rows:
        joined = f"{r['joined_us']:.0f}" if "joined_us" in r else "-"
        print(f"{r['document']:<40} {r['plain_us']:>10.0f} {joined:>10} {r['fast_us']:>10.1f}")
    return {
        "rows": [
            {k: round(v, 1) if isinstance(v, float) else v for k, v in r.items()} for r in rows
        ]
    }


if __name__ == "__main__":
    main()
