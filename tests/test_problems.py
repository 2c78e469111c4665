"""Problem documents: a stable code, French first, English by Accept-Language or `?lang=`,
and no error raised in `app/` with a sentence instead of a catalogued code."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from fastapi.testclient import TestClient

from app import errors as app_errors
from app.errors import AppError, InvalidInput, NotFound, field_error
from app.geo import places
from app.i18n import LANGS, catalogue
from app.middleware import BadEncoding

APP = Path(__file__).resolve().parents[1] / "app"
ERROR_CLASSES = {
    cls.__name__
    for cls in [*vars(app_errors).values(), *vars(places).values(), BadEncoding]
    if isinstance(cls, type) and issubclass(cls, AppError)
}
RAISE = re.compile(r"\b(" + "|".join(sorted(ERROR_CLASSES)) + r")\(\s*(f?)([\"'])(.*?)\3", re.S)


def test_every_error_raised_in_app_names_a_catalogued_code() -> None:
    wrong = []
    for path in APP.rglob("*.py"):
        for cls, fmt, _, code in RAISE.findall(path.read_text(encoding="utf-8")):
            if fmt or f"problems.{code}" not in catalogue("fr"):
                wrong.append(f"{path.relative_to(APP)}: {cls}({fmt}{code!r})")
    assert wrong == []


def test_every_error_class_has_a_title_and_a_default_detail_in_both_languages() -> None:
    classes = [c for c in vars(app_errors).values() if isinstance(c, type)]
    classes += [c for c in vars(places).values() if isinstance(c, type)] + [BadEncoding]
    for cls in classes:
        if issubclass(cls, AppError):
            for lang in LANGS:
                assert f"problems.title.{cls.slug.replace('-', '_')}" in catalogue(lang), cls
                assert f"problems.{cls.code}" in catalogue(lang), cls


def test_a_problem_renders_in_each_language_with_its_members() -> None:
    error = NotFound("centre_not_found", centre_id=uuid.UUID(int=7))
    fr, en = error.to_problem("/x", "fr"), error.to_problem("/x", "en")
    assert fr["code"] == en["code"] == "centre_not_found"
    assert fr["title"] == "Introuvable" and en["title"] == "Not found"
    assert fr["detail"].startswith("Aucun centre") and en["detail"].startswith("No centre")
    assert fr["centre_id"] == str(uuid.UUID(int=7))
    assert str(uuid.UUID(int=7)) in fr["detail"]


def test_field_errors_render_in_the_reader_language() -> None:
    error = InvalidInput("invalid_input", errors=[field_error(["body", "ref"], "missing")])
    assert error.to_problem(lang="fr")["errors"] == [
        {"loc": ["body", "ref"], "type": "missing", "msg": "Ce champ est obligatoire."}
    ]
    assert error.to_problem(lang="en")["errors"][0]["msg"] == "This field is required."


def test_a_sentence_instead_of_a_code_is_still_shown() -> None:
    legacy = AppError("something went wrong")
    assert legacy.code == "bad_request" and legacy.to_problem()["detail"] == "something went wrong"


def test_api_errors_follow_accept_language_and_lang(client: TestClient) -> None:
    path = f"/v1/centres/{uuid.uuid4()}"
    fr = client.get(path)
    en = client.get(path, headers={"accept-language": "en-CA,en;q=0.9"})
    by_query = client.get(path + "?lang=en", headers={"accept-language": "fr"})
    assert fr.status_code == en.status_code == 404
    assert fr.json()["code"] == en.json()["code"] == "centre_not_found"
    assert fr.json()["title"] == "Introuvable" and fr.headers["content-language"] == "fr"
    assert en.json()["title"] == "Not found" and en.headers["content-language"] == "en"
    assert by_query.json()["title"] == "Not found"
    assert "accept-language" in fr.headers["vary"].lower()


def test_validation_messages_are_french_without_library_prefixes(client: TestClient) -> None:
    body = {"location": {"postal_code": "G9A 1A1", "lat": 46.0}, "limit": "many"}
    fr = client.post("/v1/matches", json=body)
    en = client.post("/v1/matches", json=body, headers={"accept-language": "en"})
    assert fr.status_code == 422 and fr.json()["code"] == "invalid_input"
    assert fr.json()["title"] == "Données invalides" and en.json()["title"] == "Invalid input"
    messages = [e["msg"] for e in fr.json()["errors"]]
    assert messages and not any("Value error" in m or "^" in m for m in messages), messages
    assert {e["type"] for e in fr.json()["errors"]} == {e["type"] for e in en.json()["errors"]}
    assert fr.json()["errors"] != en.json()["errors"]


def test_routes_and_methods_unknown_are_french_too(client: TestClient) -> None:
    missing = client.get("/v1/no-such-thing")
    assert missing.status_code == 404 and missing.json()["code"] == "http_404"
    assert missing.json()["detail"] == "Aucune ressource à cette adresse."
    wrong = client.delete("/v1/regions", headers={"accept-language": "en"})
    assert wrong.status_code == 405 and wrong.json()["title"] == "Method not allowed"


def test_refusals_before_any_route_are_french_too(client: TestClient) -> None:
    nul = client.get("/v1/centres?q=%00")
    assert nul.status_code == 400 and nul.json()["code"] == "nul_query"
    assert "NUL" in nul.json()["detail"] and nul.json()["title"] == "Encodage invalide"
    big = client.post(
        "/v1/matches",
        content=b"{" + b" " * 300_000 + b"}",
        headers={"content-type": "application/json", "accept-language": "en"},
    )
    assert big.status_code == 413 and big.json()["code"] == "body_too_large"
    assert big.json()["title"] == "Payload too large" and "bytes" in big.json()["detail"]


def test_a_text_naming_a_value_not_given_still_renders() -> None:
    error = NotFound("centre_not_found")  # the text names {centre_id}
    assert error.to_problem()["detail"].startswith("Aucun centre")
