"""JsonBodyRoute: the fast path answers what FastAPI's own handler answers, body for body."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.testclient import TestClient
from pydantic import BaseModel

from app.fastpath.json_body import JsonBodyRoute
from app.main import create_app
from app.schemas.intake import MatchRequest
from app.settings import Settings
from tests.helpers.intake import request_body, three_centres

JSON = "application/json"
# FastAPI's own handler takes these: JSON under another media type.
STANDARD = "application/vnd.example+json"

BODIES: list[bytes] = [
    b'{"location": {"postal_code": "G9A 1X3"}}',
    b'{"location": {"municipality": "Trois-Rivieres"}, "needs": ["job_search"], "age": 34}',
    b'{"location": {"lat": 46.35, "lon": -72.55}, "modes": ["remote", "in_person"], "limit": 3}',
    b'{"location": {"municipality": "Laval"}, "age": 34.0}',
    b'{"location": {"municipality": "Laval"}, "age": "34"}',
    b'{"location": {"municipality": "Laval"}, "age": true}',
    b'{"location": {"municipality": "Laval"}, "age": 1e400}',
    b'{"location": {"municipality": "Laval"}, "age": 99999999999999999999999999}',
    b'{"location": {"lat": NaN, "lon": -72.5}}',
    b'{"location": {"lat": Infinity, "lon": -72.5}}',
    b'{"location": {"municipality": "Laval"}, "needs": ["welding"]}',
    b'{"location": {"municipality": "Laval"}, "limit": 51}',
    b'{"location": {"municipality": "Laval"}, "surprise": 1}',
    b'{"location": {"municipality": "Laval"}, "need_text": "a\\u0000b"}',
    b'{"location": {"municipality": "Laval"}, "need_text": "\\ud800"}',
    b'{"location": {"municipality": "Laval", "municipality": "Gatineau"}}',
    b'{"location": {"municipality": "  Laval  "}}',
    b'{"location": {"municipality": "Nowhere at all"}}',
    b'{"location": {"postal_code": "G9A 1X3", "municipality": "Laval"}}',
    b'{"location": {}}',
    b"{}",
    b"[]",
    b"null",
    b'"text"',
    b"",
    b"{",
    b'{"location": {"municipality": "Laval"}',
    b"\xff\xfe",
    b'{"location": {"municipality": "Laval\xe9"}}',
    b"[" * 5000 + b"]" * 5000,
]


@pytest.fixture
def seeded(client: TestClient, admin_headers: dict[str, str]) -> TestClient:
    answer = client.post("/v1/admin/centres/import", json=three_centres(), headers=admin_headers)
    assert answer.status_code == 200, answer.text
    return client


class Body(BaseModel):
    n: int


def _post(client: TestClient, body: bytes, content_type: str) -> tuple[int, Any]:
    answer = client.post("/v1/matches", content=body, headers={"content-type": content_type})
    return answer.status_code, answer.json()


@pytest.mark.parametrize("body", BODIES, ids=range(len(BODIES)))
def test_the_fast_path_answers_as_fastapi_does(seeded: TestClient, body: bytes) -> None:
    fast, standard = _post(seeded, body, JSON), _post(seeded, body, STANDARD)
    assert fast == standard
    assert fast[0] < 500


def test_a_valid_body_is_ranked_on_the_fast_path(seeded: TestClient) -> None:
    criteria = MatchRequest.model_validate(request_body()["criteria"])
    status, answer = _post(seeded, criteria.model_dump_json().encode(), JSON)
    assert status == 200 and [r["centre"]["ref"] for r in answer["results"]][:1] == ["tr-a"]


def _app(endpoint: Any) -> FastAPI:
    router = APIRouter()
    router.add_api_route("/x", endpoint, methods=["POST"], route_class_override=JsonBodyRoute)
    app = FastAPI()
    app.include_router(router)
    return app


def test_only_request_and_body_endpoints_are_accepted() -> None:
    async def with_query(request: Request, body: MatchRequest, page: int = 1) -> Response:
        return Response()

    async def without_request(body: MatchRequest) -> Response:
        return Response()

    async def with_response(request: Request, body: MatchRequest, response: Response) -> Response:
        return Response()

    for endpoint in (with_query, without_request, with_response):
        with pytest.raises(TypeError, match="needs"):
            _app(endpoint)


def test_an_endpoint_must_answer_with_a_response() -> None:
    async def returns_a_dict(request: Request, body: MatchRequest) -> Any:
        return {"ok": True}

    client = TestClient(_app(returns_a_dict), raise_server_exceptions=True)
    with pytest.raises(TypeError, match="returns a Response"):
        client.post("/x", json={"location": {"municipality": "Laval"}})


def test_json_bodies_take_the_fast_path_and_others_fastapis(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[bytes] = []
    validate = Body.model_validate_json

    def counted(data: bytes) -> Body:
        calls.append(data)
        return validate(data)

    monkeypatch.setattr(Body, "model_validate_json", counted)

    async def endpoint(request: Request, body: Body) -> Response:
        return Response(str(body.n * 2))

    client = TestClient(_app(endpoint))
    assert client.post("/x", content=b'{"n": 21}', headers={"content-type": JSON}).text == "42"
    assert calls == [b'{"n": 21}']
    assert client.post("/x", content=b'{"n": 4}', headers={"content-type": STANDARD}).text == "8"
    assert (
        client.post("/x", content=b'{"n": "x"}', headers={"content-type": JSON}).status_code == 422
    )
    assert len(calls) == 2  # the invalid body tried once, then answered by FastAPI's handler
    with_charset = {"content-type": "Application/JSON; charset=utf-8"}
    assert client.post("/x", content=b'{"n": 5}', headers=with_charset).text == "10"
    assert calls[-1] == b'{"n": 5}'  # parameters and case do not matter


def _disconnecting(app: Any, content_type: bytes) -> list[dict[str, Any]]:
    """Send part of a body, then the client goes away; return what the app sent back."""
    messages = iter(
        [
            {"type": "http.request", "body": b'{"location": {"munic', "more_body": True},
            {"type": "http.disconnect"},
        ]
    )
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return next(messages)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
        "scheme": "http", "path": "/v1/matches", "raw_path": b"/v1/matches",
        "query_string": b"", "root_path": "", "client": ("127.0.0.1", 5555),
        "server": ("127.0.0.1", 80),
        "headers": [(b"host", b"t"), (b"content-type", content_type),
                    (b"content-length", b"100")],
    }  # fmt: skip
    asyncio.run(app(scope, receive, send))
    return sent


def test_a_client_gone_mid_body_is_answered_as_fastapi_does(settings: Settings) -> None:
    app = create_app(settings, embedded_dispatcher=False)
    fast = _disconnecting(app, JSON.encode())
    standard = _disconnecting(app, STANDARD.encode())
    assert fast[0]["status"] == standard[0]["status"] == 400
    assert fast[1]["body"] == standard[1]["body"]
