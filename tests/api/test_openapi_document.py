"""The OpenAPI document tells the whole truth: every operation documents its answers, its
errors and who may call it; schema names are clean; the webhooks are described; public
operations have French and English examples; and real answers match what it says."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from app.main import create_app
from app.settings import Settings
from tests.helpers.access import ADMIN, CENTRE, OPTIONAL_KEY, PARTNER, PUBLIC, RULES
from tests.helpers.factories import DEMO_SECRET

DOC: dict[str, Any] = create_app(
    Settings(database_url="sqlite://"), embedded_dispatcher=False
).openapi()
OPERATIONS = [
    (method, path, op)
    for path, ops in DOC["paths"].items()
    for method, op in ops.items()
]  # fmt: skip
SECURITY = {
    PUBLIC: [],
    ADMIN: [{"adminKey": []}],
    CENTRE: [{"centreKey": []}],
    PARTNER: [{"partnerKey": []}, {"adminKey": []}],
    OPTIONAL_KEY: [{}, {"partnerKey": []}, {"adminKey": []}],
}


def ids(ops: list[tuple[str, str, Any]]) -> list[str]:
    return [f"{m.upper()} {p}" for m, p, _ in ops]


@pytest.mark.parametrize(("method", "path", "op"), OPERATIONS, ids=ids(OPERATIONS))
def test_every_operation_documents_its_answer(method: str, path: str, op: dict) -> None:
    success = {k: v for k, v in op["responses"].items() if k.startswith("2")}
    assert success, "no success answer"
    for status, answer in success.items():
        media = answer.get("content", {})
        assert media, f"{status} has no content"
        for kind, body in media.items():
            schema = body.get("schema", {})
            assert schema not in ({}, {"type": "object"}), f"{status} {kind}: no schema"
            assert (
                "additionalProperties" not in schema or "$ref" in schema or schema.get("properties")
            ), f"{status} {kind}: a bare object"


@pytest.mark.parametrize(("method", "path", "op"), OPERATIONS, ids=ids(OPERATIONS))
def test_every_error_is_a_problem_document(method: str, path: str, op: dict) -> None:
    errors = {k: v for k, v in op["responses"].items() if k.startswith("4")}
    assert "422" in errors or not (op.get("parameters") or op.get("requestBody"))
    for status, answer in errors.items():
        assert answer["content"] == {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
        }, status


@pytest.mark.parametrize(("method", "path", "op"), OPERATIONS, ids=ids(OPERATIONS))
def test_every_operation_says_who_may_call_it(method: str, path: str, op: dict) -> None:
    rule = RULES[(method.upper(), path)]
    assert op["security"] == SECURITY[rule]
    if rule in (ADMIN, CENTRE, PARTNER):
        assert {"401", "403"} <= set(op["responses"])


def test_the_security_schemes_are_bearer_keys() -> None:
    schemes = DOC["components"]["securitySchemes"]
    assert set(schemes) == {"adminKey", "centreKey", "partnerKey"}
    assert all(s["type"] == "http" and s["scheme"] == "bearer" for s in schemes.values())


def test_schema_names_are_clean() -> None:
    names = sorted(DOC["components"]["schemas"])
    assert [n for n in names if not re.fullmatch(r"[A-Z][A-Za-z0-9]+", n)] == []
    used = re.findall(r'"#/components/schemas/([^"]+)"', str(DOC).replace("'", '"'))
    assert set(used) <= set(names)


@pytest.mark.parametrize(
    ("method", "path", "op"),
    [o for o in OPERATIONS if o[2]["security"] == []],
    ids=ids([o for o in OPERATIONS if o[2]["security"] == []]),
)
def test_public_operations_have_french_and_english_examples(
    method: str, path: str, op: dict
) -> None:
    from app.apidoc.examples import has_both

    assert has_both(op)


def test_the_webhooks_are_documented_with_their_headers() -> None:
    hooks = DOC["webhooks"]
    assert set(hooks) == {"referral.created", "referral.cancelled"}
    for name, item in hooks.items():
        post = item["post"]
        headers = {p["name"] for p in post["parameters"] if p["in"] == "header"}
        assert headers == {"webhook-id", "webhook-timestamp", "webhook-signature"}, name
        assert {"2XX", "410"} <= set(post["responses"])
        ref = post["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        schema = DOC["components"]["schemas"][ref.rsplit("/", 1)[1]]
        assert schema["properties"]["type"]["const"] == name


def validator_for(schema: dict[str, Any]) -> Draft202012Validator:
    """A validator for a schema of the document, its `$ref`s resolved within it."""
    resource = Resource.from_contents(DOC, default_specification=DRAFT202012)
    registry = Registry().with_resource("urn:doc", resource)
    return Draft202012Validator({"$ref": "urn:doc#" + pointer(schema)}, registry=registry)


def pointer(schema: dict[str, Any]) -> str:
    ref: str = schema["$ref"]
    return ref.removeprefix("#")


def documented(method: str, path: str, status: int, media: str = "application/json") -> dict:
    responses = DOC["paths"][path][method]["responses"]
    answer = responses.get(str(status)) or responses[f"{str(status)[0]}XX"]
    schema: dict[str, Any] = answer["content"][media]["schema"]
    return schema


def check(answer: Any, method: str, path: str) -> None:
    """The answer's body validates against what the document says of its status."""
    media = answer.headers["content-type"].split(";")[0]
    schema = documented(method, path, answer.status_code, media)
    if "$ref" not in schema:
        schema = {"$ref": "#/components/schemas/__inline__"}
        DOC["components"]["schemas"]["__inline__"] = documented(
            method, path, answer.status_code, media
        )
    errors = [e.message for e in validator_for(schema).iter_errors(answer.json())]
    DOC["components"]["schemas"].pop("__inline__", None)
    assert errors == [], f"{method.upper()} {path} {answer.status_code}"


def test_real_answers_match_the_document(
    client: TestClient, admin_headers: dict[str, str], engine: Any, settings: Settings
) -> None:
    from tests.helpers.db import make_key
    from tests.helpers.intake import request_body, three_centres

    def call(method: str, template: str, url: str | None = None, **kw: Any) -> Any:
        answer = client.request(method, url or template, **kw)
        assert answer.status_code < 500, answer.text
        check(answer, method.lower(), template)
        return answer

    doc = three_centres()
    doc["centres"][0]["inbox"] = {"url": "http://127.0.0.1:9/inbox", "secret": DEMO_SECRET}
    call("POST", "/v1/admin/centres/import", json=doc, headers=admin_headers)
    first = call("POST", "/v1/consultations", json=request_body()).json()
    second = call("POST", "/v1/consultations", json=request_body()).json()
    refs = {first["referral"]["centre"]["ref"], second["referral"]["centre"]["ref"]}
    centre = make_key(engine, "centre", sorted(refs)[0])
    inbox = call("GET", "/v1/inbox/referrals", headers=centre).json()
    assert inbox["items"] and inbox["items"][0]["person"]["first_name"] == "Marie"
    mine = inbox["items"][0]["id"]
    call("POST", "/v1/inbox/referrals/{referral_id}/accept",
         f"/v1/inbox/referrals/{mine}/accept", headers=centre)  # fmt: skip
    call("PATCH", "/v1/inbox/centre", json={"intake_status": "paused"}, headers=centre)
    queue = call("GET", "/v1/admin/consultations", headers=admin_headers).json()
    for item in queue["items"]:
        call("GET", "/v1/admin/consultations/{consultation_id}",
             f"/v1/admin/consultations/{item['id']}", headers=admin_headers)  # fmt: skip
    other = next(c for c in (first, second) if c["referral"]["id"] != mine)
    call("POST", "/v1/admin/referrals/{referral_id}/cancel",
         f"/v1/admin/referrals/{other['referral']['id']}/cancel", json={"note": "test"},
         headers=admin_headers)  # fmt: skip
    routed = call(
        "POST",
        "/v1/admin/consultations/{consultation_id}/route",
        f"/v1/admin/consultations/{other['id']}/route",
        json={"centre_id": other["referral"]["centre"]["id"]},
        headers=admin_headers,
    )
    assert routed.status_code in (201, 409)  # fmt: skip
    call("GET", "/v1/admin/deliveries/failed", headers=admin_headers)
    lookup = {"email": "marie@example.org"}
    exported = call("POST", "/v1/admin/privacy/export", json=lookup, headers=admin_headers)
    assert len(exported.json()["consultations"]) == 2
    call("POST", "/v1/admin/privacy/erase", json={**lookup, "confirm": True},
         headers=admin_headers)  # fmt: skip
    for path in (
        "/healthz",
        "/readyz",
        "/v1/regions",
        "/v1/taxonomy",
        "/v1/centres",
        "/hsds/",
        "/hsds/services",
        "/hsds/organizations",
        "/hsds/taxonomies",
    ):
        call("GET", path)  # fmt: skip
    centre_id = first["referral"]["centre"]["id"]
    call("GET", "/v1/centres/{centre_id}", f"/v1/centres/{centre_id}")
    call("GET", "/v1/centres/{centre_id}", f"/v1/centres/{'0' * 8}-0000-0000-0000-{'0' * 12}")
    call("GET", "/v1/centres", params={"region": "99"})  # a 422 problem document
    call("GET", "/v1/admin/consultations")  # a 401 problem document
    call("GET", "/v1/admin/consultations", headers=centre)  # a 403 problem document


def test_the_webhook_bodies_match_the_document(
    client: TestClient, admin_headers: dict[str, str], engine: Any, settings: Settings
) -> None:
    import json

    from sqlmodel import Session, select

    from app.dispatcher.outbox import encode_body
    from app.models import OutboxEvent
    from tests.helpers.db import make_key
    from tests.helpers.intake import request_body, three_centres

    doc = three_centres()
    for record in doc["centres"]:
        record["inbox"] = {"url": "http://127.0.0.1:9/inbox", "secret": DEMO_SECRET}
    client.post("/v1/admin/centres/import", json=doc, headers=admin_headers)
    made = client.post("/v1/consultations", json=request_body()).json()
    centre = make_key(engine, "centre", made["referral"]["centre"]["ref"])
    assert client.get("/v1/inbox/referrals", headers=centre).status_code == 200  # delivered
    cancelled = client.post(
        f"/v1/admin/referrals/{made['referral']['id']}/cancel",
        json={"note": "withdrawn"},
        headers=admin_headers,
    )
    assert cancelled.status_code == 200, cancelled.text  # fmt: skip
    with Session(engine) as session:
        events = session.exec(select(OutboxEvent)).all()
        bodies = [json.loads(encode_body(e.payload, settings.secret_key)) for e in events]
    kinds = {b["type"] for b in bodies}
    assert kinds == {"referral.created", "referral.cancelled"}
    for body in bodies:
        post = DOC["webhooks"][body["type"]]["post"]
        schema = post["requestBody"]["content"]["application/json"]["schema"]
        errors = [e.message for e in validator_for(schema).iter_errors(body)]
        assert errors == [], body["type"]
