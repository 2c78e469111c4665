"""Hostile input (issue 6): each is refused with a 4xx problem document or stored verbatim as
data, never a 5xx; nothing is written by a refused request; the service keeps answering.

Run with `-s` for the table of what was tried and what the API answered."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import text
from sqlalchemy.engine import Engine

from app.main import create_app
from app.settings import Settings
from tests.helpers.db import both_backends, make_key
from tests.helpers.factories import DEMO_SECRET, centre_record

PROBLEM, JSON = "application/problem+json", "application/json"
TABLES = ("centre", "consultation", "referral", "api_key", "outbox_event", "idempotency_record")
SQL, SQL_OR = "'; DROP TABLE centre; --", "' OR '1'='1"
HTML, JS = "<script>alert(1)</script>", "javascript:alert(document.cookie)"
INJECTIONS = (SQL, SQL_OR, HTML, '"><img src=x onerror=alert(1)>', JS, "{{7*7}}${7*7}")
SEEN: dict[tuple[str, str], set[int]] = {}


@pytest.fixture(scope="module", autouse=True)
def summary() -> Iterator[None]:
    yield
    by_input: dict[str, tuple[set[str], set[int]]] = {}
    for (what, route), statuses in SEEN.items():
        routes, seen = by_input.setdefault(what, (set(), set()))
        routes.add(route)
        seen |= statuses
    print(f"\nhostile input: {len(by_input)} inputs over {len(SEEN)} (input, route) pairs")
    print(f"{'input':<62} {'routes':>6}  statuses")
    for what, (routes, seen) in sorted(by_input.items()):
        print(f"{what[:62]:<62} {len(routes):>6}  {', '.join(map(str, sorted(seen)))}")


def refused(what: str, route: str, response: Response, *statuses: int) -> dict[str, Any]:
    """Assert a 4xx problem document (one of `statuses` if given); note it for the table."""
    SEEN.setdefault((what, route), set()).add(response.status_code)
    assert 400 <= response.status_code < 500, (what, route, response.status_code, response.text)
    if statuses:
        assert response.status_code in statuses, (what, route, response.text)
    assert response.headers["content-type"] == PROBLEM, (what, route)
    problem: dict[str, Any] = response.json()
    assert problem["status"] == response.status_code and problem["type"] and problem["title"]
    return problem


def accepted(what: str, route: str, response: Response) -> Any:
    SEEN.setdefault((what, route), set()).add(response.status_code)
    assert response.status_code in (200, 201), (what, route, response.text)
    return response.json()


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}


def still_answers(client: TestClient) -> None:
    assert client.get("/healthz").status_code == 200
    assert client.get("/v1/centres?limit=1").json()["total"] >= 2


def consultation(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "person": {"first_name": "Alex", "last_name": "Fictif", "email": "alex@example.org",
                   "phone": "+1 819 555 0111", "preferred_contact": "email", "language": "fr"},
        "criteria": {"location": {"municipality": "Trois-Rivières"}, "need_text": "un emploi"},
        "message": "Bonjour.",
        "consent": {"notice_version": "2026-01", "purposes": ["referral"], "accepted": True},
    }  # fmt: skip
    body.update(over)
    return body


def put(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of `body` with the field at a dotted path (`locations.0.address`) set."""
    out = copy.deepcopy(body)
    *parents, last = path.split(".")
    node: Any = out
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    node[int(last) if last.isdigit() else last] = value
    return out


class World:
    """Two centres in Trois-Rivières, a key per role (two partners), one routed request."""

    def __init__(self, client: TestClient, engine: Engine, admin: dict[str, str]) -> None:
        doc = {"centres": [centre_record("tr-1"), centre_record("tr-2")]}
        assert client.post("/v1/admin/centres/import", json=doc, headers=admin).status_code == 200
        self.client, self.engine, self.admin = client, engine, admin
        self.partner, self.other_partner = make_key(engine, "partner"), make_key(engine, "partner")
        answer = client.post("/v1/consultations", json=consultation(), headers=self.partner)
        assert answer.status_code == 201, answer.text
        self.consultation_id = answer.json()["id"]
        self.referral_id = answer.json()["referral"]["id"]
        self.owner_ref = answer.json()["referral"]["centre"]["ref"]
        self.owner = make_key(engine, "centre", self.owner_ref)
        self.stranger = make_key(engine, "centre", "tr-2" if self.owner_ref == "tr-1" else "tr-1")
        listed = client.get("/v1/admin/centres", headers=admin).json()["items"]
        self.centre_id = next(c["id"] for c in listed if c["ref"] == "tr-1")

    def headers(self, path: str) -> dict[str, str]:
        if path.startswith("/v1/admin"):
            return self.admin
        return self.owner if path.startswith("/v1/inbox") else {}

    def url(self, template: str) -> str:
        return template.format(centre=self.centre_id, referral=self.referral_id)


@pytest.fixture
def world(client: TestClient, engine: Engine, admin_headers: dict[str, str]) -> World:
    return World(client, engine, admin_headers)


INBOX = {"url": "https://inbox.example.org/ttx", "secret": DEMO_SECRET}
# Every text field of every body, with a valid body to put it in.
TEXT_FIELDS: list[tuple[str, str, Callable[[], dict[str, Any]], list[str]]] = [
    ("POST", "/v1/consultations", consultation,
     ["person.first_name", "person.last_name", "person.email", "person.phone", "person.language",
      "criteria.location.municipality", "criteria.need_text", "message",
      "consent.notice_version", "website"]),
    ("POST", "/v1/matches", lambda: {"location": {"postal_code": "G9A 1A1"}, "need_text": "x"},
     ["location.postal_code", "need_text"]),
    ("POST", "/v1/admin/centres", lambda: centre_record("new-1", inbox=INBOX),
     ["ref", "name", "email", "phone", "website", "description_fr", "description_en",
      "locations.0.address", "locations.0.municipality", "locations.0.postal_code", "inbox.url",
      "languages.0"]),
    ("PATCH", "/v1/admin/centres/{centre}", lambda: {"name": "x", "description_en": "x"},
     ["name", "description_en"]),
    ("POST", "/v1/admin/keys", lambda: {"role": "centre", "centre_ref": "tr-1", "label": "x"},
     ["centre_ref", "label"]),
    ("POST", "/v1/inbox/referrals/{referral}/decline", lambda: {"reason": "other", "note": "x"},
     ["note"]),
    ("POST", "/v1/admin/referrals/{referral}/cancel", lambda: {"note": "x"}, ["note"]),
    ("POST", "/v1/admin/privacy/export", lambda: {"email": "x@example.org", "phone": "5550100"},
     ["email", "phone"]),
]  # fmt: skip
QUERY_TEXT = ["/v1/centres?q={}", "/v1/locations/resolve?q={}", "/v1/regions/{}"]


@both_backends
def test_nul_and_lone_surrogates_in_every_text_field(world: World) -> None:
    before = counts(world.engine)
    for method, template, make, fields in TEXT_FIELDS:
        route = f"{method} {template}"
        for field in fields:
            for label, bad in (("NUL", "a\x00b"), ("lone surrogate", "a\ud800b")):
                # Escaped as JSON allows (\\u0000, \\ud800): httpx would not encode a surrogate.
                raw = json.dumps(put(make(), field, bad)).encode()
                answer = send_raw(world, route, raw)
                refused(f"{label} in {field}", route, answer, 422)
    for template in QUERY_TEXT:
        answer = world.client.get(template.format("a%00b"))
        refused("NUL in query or path", template, answer, 400)
    answer = world.client.post("/v1/consultations", json=consultation(),
                               headers={"Idempotency-Key": "a\x00b"})  # fmt: skip
    refused("NUL in Idempotency-Key", "POST /v1/consultations", answer, 422)
    assert counts(world.engine) == before
    still_answers(world.client)


@both_backends
def test_injection_strings_are_refused_or_kept_verbatim(world: World) -> None:
    for payload in INJECTIONS:
        route = "POST /v1/consultations"
        person = {"first_name": payload, "last_name": payload}
        body = consultation(message=payload, criteria={"location": {"postal_code": "G9A 1A1"},
                                                        "need_text": payload})  # fmt: skip
        answer = world.client.post("/v1/consultations", json=put(body, "person", {
            **body["person"], **person}))  # fmt: skip
        if "<" in payload:  # names refuse markup; the free text keeps it
            refused(f"{payload} in names", route, answer, 422)
            answer = world.client.post("/v1/consultations", json=body)
        created = accepted(f"{payload} in message, need_text, names", route, answer)
        owner = make_key(world.engine, "centre", created["referral"]["centre"]["ref"])
        inbox = world.client.get("/v1/inbox/referrals", headers=owner)
        assert inbox.headers["content-type"] == JSON
        assert inbox.headers["x-content-type-options"] == "nosniff"
        item = next(i for i in inbox.json()["items"] if i["consultation_id"] == created["id"])
        assert item["message"] == payload and item["criteria"]["need_text"] == payload
        if "<" not in payload:
            assert item["person"]["first_name"] == payload

        record = centre_record(f"inj-{uuid.uuid4().hex[:8]}", name=payload, description_fr=payload)
        made = world.client.post("/v1/admin/centres", json=record, headers=world.admin)
        made_id = accepted(f"{payload} in centre name", "POST /v1/admin/centres", made)["id"]
        shown = world.client.get(f"/v1/centres/{made_id}").json()
        assert shown["name"] == payload and shown["description_fr"] == payload
        search = world.client.get("/v1/centres", params={"q": payload})
        accepted(f"{payload} in q", "GET /v1/centres", search)
        resolve = world.client.get("/v1/locations/resolve", params={"q": payload})
        refused(f"{payload} in q", "GET /v1/locations/resolve", resolve, 422)
    # A quote in an email must not widen the lookup to every person.
    lookup = {"email": "x'OR'1'='1@example.org"}
    found = world.client.post("/v1/admin/privacy/export", json=lookup, headers=world.admin)
    assert (
        accepted(f"{SQL_OR} in email", "POST /v1/admin/privacy/export", found)["consultations"]
        == []
    )
    assert counts(world.engine)["centre"] == 2 + len(INJECTIONS)  # every table is still there
    still_answers(world.client)


def test_oversized_bodies(world: World, settings: Settings) -> None:
    before = counts(world.engine)
    big = {**consultation(), "message": "x" * 300_000}
    for path in ("/v1/consultations", "/v1/matches", "/v1/inbox/centre"):
        method = "PATCH" if path == "/v1/inbox/centre" else "POST"
        declared = world.client.request(method, path, json=big, headers=world.headers(path))
        refused("300 kB body, Content-Length declared", f"{method} {path}", declared, 413)
        streamed = world.client.request(
            method, path, content=(b"x" * 65_536 for _ in range(5)),
            headers={**world.headers(path), "content-type": JSON},
        )  # fmt: skip
        assert "content-length" not in streamed.request.headers
        refused("320 kB body, streamed without length", f"{method} {path}", streamed, 413)
    lying = world.client.post(
        "/v1/matches", content=b"{}", headers={"content-length": "1e9", "content-type": JSON}
    )
    refused("Content-Length not a number", "POST /v1/matches", lying, 413)
    small = settings.model_copy(update={"max_import_bytes": 4096})
    with TestClient(create_app(small, embedded_dispatcher=False)) as client:
        doc = {"centres": [centre_record(f"big-{i}") for i in range(10)]}
        answer = client.post("/v1/admin/centres/import", json=doc, headers=world.admin)
        refused("import over TTX_MAX_IMPORT_BYTES", "POST /v1/admin/centres/import", answer, 413)
    long_text = consultation(message="x" * 2001)
    refused("message of 2001 characters", "POST /v1/consultations",
            world.client.post("/v1/consultations", json=long_text), 422)  # fmt: skip
    long_list = {"location": {"postal_code": "G9A 1A1"}, "needs": ["job_search"] * 10_000}
    refused("list of 10 000 needs", "POST /v1/matches",
            world.client.post("/v1/matches", json=long_list), 422)  # fmt: skip
    assert counts(world.engine) == before
    still_answers(world.client)


DEEP = {
    "100 000 nested arrays": b"[" * 100_000 + b"]" * 100_000,
    "20 000 nested objects": b'{"a":' * 20_000 + b"1" + b"}" * 20_000,
    "900 nested arrays in a field": b'{"message":' + b"[" * 900 + b"]" * 900 + b"}",
}
BODY_ROUTES = ["POST /v1/matches", "POST /v1/consultations", "POST /v1/admin/centres",
               "POST /v1/admin/centres/import", "PATCH /v1/admin/centres/{centre}",
               "POST /v1/admin/keys", "POST /v1/inbox/referrals/{referral}/decline"]  # fmt: skip


def send_raw(world: World, route: str, raw: bytes) -> Response:
    method, template = route.split(" ")
    url = world.url(template)
    headers = {**world.headers(url), "content-type": JSON}
    return world.client.request(method, url, content=raw, headers=headers)


def test_deeply_nested_json_and_invalid_utf8(world: World) -> None:
    before = counts(world.engine)
    for route in BODY_ROUTES:
        for label, raw in DEEP.items():
            refused(label, route, send_raw(world, route, raw), 400, 422)
        refused("invalid UTF-8 in a JSON body", route,
                send_raw(world, route, b'{"name": "caf\xe9 \xff"}'), 400, 422)  # fmt: skip
        refused("lone surrogate as an object key", route,
                send_raw(world, route, b'{"\\udc00": 1}'), 422)  # fmt: skip
    for url in ("/v1/centres?q=caf%E9", "/v1/locations/resolve?q=%FF%FE", "/v1/regions/%C3%28",
                "/v1/centres/%FF", "/v1/inbox/referrals?state=%80"):  # fmt: skip
        answer = world.client.get(url, headers=world.headers(url))
        refused("invalid UTF-8 in URL", url.split("?")[0], answer, 400)
    assert counts(world.engine) == before
    still_answers(world.client)


HUGE = {"1e309": b"1e309", "-1e309": b"-1e309", "NaN": b"NaN", "Infinity": b"Infinity",
        "10**100": b"1" + b"0" * 100, "-10**100": b"-1" + b"0" * 100,
        "a 5000-digit integer": b"9" * 5000}  # fmt: skip
NUMBER_FIELDS = [
    ("POST /v1/matches", b'{"location": {"lat": %s, "lon": -72.5}}'),
    ("POST /v1/matches", b'{"location": {"municipality": "Laval"}, "age": %s}'),
    ("POST /v1/matches", b'{"location": {"municipality": "Laval"}, "limit": %s}'),
    ("PATCH /v1/inbox/centre", b'{"weekly_capacity": %s}'),
    ("PATCH /v1/admin/centres/{centre}", b'{"age_min": %s}'),
    ("PATCH /v1/admin/centres/{centre}", b'{"locations": [{"lat": 46, "lon": %s}]}'),
]


def test_huge_numbers(world: World) -> None:
    before = counts(world.engine)
    for route, template in NUMBER_FIELDS:
        field = template.split(b":")[-2].split(b'"')[-2].decode()
        for label, number in HUGE.items():
            refused(
                f"{label} as {field}", route, send_raw(world, route, template % number), 400, 422
            )
    for query in ("lat=1e309&lon=-72", "lat=nan&lon=nan", "lat=46&lon=-inf"):
        refused(
            query, "GET /v1/regions/lookup", world.client.get(f"/v1/regions/lookup?{query}"), 422
        )
    assert counts(world.engine) == before
    still_answers(world.client)


LISTS = ["/v1/centres", "/v1/admin/centres", "/v1/admin/consultations",
         "/v1/admin/deliveries/failed", "/v1/inbox/referrals"]  # fmt: skip
PAGES = ["limit=-1", "limit=0", "limit=1000000", f"limit={10**100}", "limit=1.5", "limit=ten",
         "offset=-1", "offset=1000001", f"offset={10**100}"]  # fmt: skip


def test_negative_and_huge_pagination(world: World) -> None:
    for path in LISTS:
        for page in PAGES:
            refused(
                page,
                f"GET {path}",
                world.client.get(f"{path}?{page}", headers=world.headers(path)),
                422,
            )
        edge = world.client.get(f"{path}?limit=1&offset=100000", headers=world.headers(path))
        assert accepted("limit=1&offset=100000", f"GET {path}", edge)["items"] == []
    still_answers(world.client)


def test_forged_and_revoked_keys(world: World) -> None:
    real = world.admin["Authorization"].removeprefix("Bearer ")
    forged = {
        "random ttx_ key": "Bearer ttx_" + "A" * 43,
        "real key, one character changed": "Bearer "
        + real[:-1]
        + ("A" if real[-1] != "A" else "B"),
        "real key, truncated": "Bearer " + real[:-4],
        "Basic scheme": "Basic YWRtaW46YWRtaW4=",
        "no scheme": real,
        "empty Bearer": "Bearer ",
        "100 kB key": "Bearer ttx_" + "A" * 100_000,
        "SQL in the key": f"Bearer ttx_{SQL}",
        "NUL in the key": "Bearer ttx_\x00",
    }
    for label, header in forged.items():
        for path in (
            "/v1/admin/keys",
            "/v1/inbox/referrals",
            f"/v1/consultations/{world.consultation_id}",
        ):
            refused(f"forged key: {label}", f"GET {path}",
                    world.client.get(path, headers={"Authorization": header}), 401)  # fmt: skip
        # A bad key on the public form is refused, not silently treated as anonymous.
        answer = world.client.post("/v1/consultations", json=consultation(),
                                   headers={"Authorization": header})  # fmt: skip
        refused(f"forged key: {label}", "POST /v1/consultations", answer, 401)
    for role, path in (("admin", "/v1/admin/keys"), ("centre", "/v1/inbox/referrals"),
                       ("partner", f"/v1/consultations/{world.consultation_id}")):  # fmt: skip
        wanted = {"role": role, "centre_ref": "tr-1" if role == "centre" else None}
        made = world.client.post("/v1/admin/keys", json=wanted, headers=world.admin)
        key = {"Authorization": f"Bearer {accepted('new key', 'POST /v1/admin/keys', made)['key']}"}
        assert world.client.get(path, headers=key).status_code in (200, 404)
        revoked = world.client.delete(f"/v1/admin/keys/{made.json()['id']}", headers=world.admin)
        assert accepted("revoke", "DELETE /v1/admin/keys/{key_id}", revoked)["revoked"] is True
        refused(
            f"revoked {role} key",
            f"GET {path.split('/')[2]}",
            world.client.get(path, headers=key),
            401,
        )
    still_answers(world.client)


def test_another_tenants_ids_answer_404(world: World) -> None:
    client, referral = world.client, world.referral_id
    unknown = uuid.uuid4()
    for action, body in (("accept", None), ("decline", {"reason": "other"})):
        theirs = client.post(f"/v1/inbox/referrals/{referral}/{action}", json=body,
                             headers=world.stranger)  # fmt: skip
        nobody = client.post(f"/v1/inbox/referrals/{unknown}/{action}", json=body,
                             headers=world.stranger)  # fmt: skip
        problem = refused("another centre's referral id", f"POST .../{action}", theirs, 404)
        # The same answer as for an id that does not exist: existence does not leak.
        assert problem["type"] == refused("unknown id", f"POST .../{action}", nobody, 404)["type"]
    listed = client.get("/v1/inbox/referrals", headers=world.stranger).json()
    assert all(item["id"] != referral for item in listed["items"])
    other = client.get(f"/v1/consultations/{world.consultation_id}", headers=world.other_partner)
    refused("another partner's consultation id", "GET /v1/consultations/{id}", other, 404)
    as_centre = client.get(f"/v1/consultations/{world.consultation_id}", headers=world.owner)
    refused("a centre key on a partner route", "GET /v1/consultations/{id}", as_centre, 403)
    mine = client.get(f"/v1/consultations/{world.consultation_id}", headers=world.partner)
    state = accepted("own consultation id", "GET /v1/consultations/{id}", mine)["referral"]["state"]
    assert state == "pending"  # the stranger's accept and decline changed nothing
