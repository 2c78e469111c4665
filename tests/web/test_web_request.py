"""The request, from the search to the confirmation, over HTTP: what is stored, with its
consent; validation as an error summary; the explanation pages; honeypot; double clicks."""

from __future__ import annotations

import re
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlmodel import Session

from app.crypto import decrypt_json
from app.db import make_engine
from app.models import Consultation, Referral
from app.settings import Settings
from app.web.pages import NOTICE_VERSION
from tests.helpers.pages import HTML, form_fields

PERSON = {
    "first_name": "Marie", "last_name": "Exemple", "email": "marie@example.org",
    "phone": "819 555-0199", "preferred_contact": "email", "contact_language": "fr",
    "message": "Je suis disponible le matin.", "consent": "yes",
}  # fmt: skip


def fill(fields: dict[str, list[str]], values: dict[str, str]) -> dict[str, list[str]]:
    return fields | {k: [v] for k, v in values.items()}


def stored(settings: Settings) -> list[Consultation]:
    engine = make_engine(settings)
    with Session(engine) as session:
        rows = list(session.scalars(select(Consultation)).all())
    engine.dispose()
    return rows


def referrals_count(settings: Settings) -> int:
    engine = make_engine(settings)
    with Session(engine) as session:
        n = session.scalar(select(func.count()).select_from(Referral)) or 0
    engine.dispose()
    return n


def first_centre_link(html: str) -> str:
    found = re.search(
        r'href="(/(?:en/)?demande\?[^"]*centre=[^"]+|/en/request\?[^"]*centre=[^"]+)"', html
    )
    assert found, "no ask-this-centre link"
    return found.group(1).replace("&amp;", "&")


def go_to_check(site: TestClient, start: str, person: dict[str, str], check: str) -> str:
    form = site.get(start)
    assert form.status_code == 200
    answers = site.post(check, data=fill(form_fields(form.text, check), person))
    assert answers.status_code == 200, answers.text[:500]
    return answers.text


@pytest.mark.parametrize(
    ("lang", "results", "check", "send", "title"),
    [
        ("fr", "/recherche?q=G9A+1A1&needs=job_search", "/demande/verifier", "/demande/envoyer",
         "Votre demande a été envoyée"),
        ("en", "/en/search?q=troa+riviere&needs=job_search", "/en/request/check",
         "/en/request/send", "Your request has been sent"),
    ],
)  # fmt: skip
def test_the_whole_path_stores_the_request_with_its_consent(
    site: TestClient, site_settings: Settings, lang: str, results: str, check: str, send: str,
    title: str,
) -> None:  # fmt: skip
    page = site.get(results)
    assert page.status_code == 200 and "Trois-Rivières" in page.text
    start = first_centre_link(page.text)
    chosen = re.search(r"centre=([0-9a-f-]+)", start).group(1)  # type: ignore[union-attr]
    answers = go_to_check(site, start, PERSON | {"contact_language": lang}, check)
    assert "marie@example.org" in answers
    done = site.post(send, data=form_fields(answers, send), follow_redirects=False)
    assert done.status_code == 303
    confirmation = site.get(done.headers["location"])
    assert confirmation.status_code == 200 and title in confirmation.text
    assert confirmation.headers["cache-control"] == "no-store"
    [row] = stored(site_settings)
    assert str(row.id) in confirmation.text  # the reference shown is the request's id
    assert row.status == "routed" and row.channel == "public"
    assert row.consent["notice_version"] == NOTICE_VERSION
    assert row.consent["purposes"] == ["referral"] and row.consent["accepted"] is True
    assert row.ranking[0]["centre_id"] == chosen
    assert row.criteria["needs"] == ["job_search"]
    person = decrypt_json(site_settings.secret_key, row.person_enc)
    assert person["email"] == "marie@example.org" and person["language"] == lang
    assert "marie" not in done.headers["location"]  # no personal data in the URL


def test_validation_errors_come_as_a_summary_with_the_page_title_marked(site: TestClient) -> None:
    form = site.get("/demande?q=G9A+1A1")
    bad = fill(form_fields(form.text, "/demande/verifier"),
               {"first_name": "", "email": "pas-un-courriel", "preferred_contact": "email",
                "age": "cent", "consent": ""})  # fmt: skip
    page = site.post("/demande/verifier", data=bad)
    assert page.status_code == 422
    assert "<title>Erreur : " in page.text
    summary = re.search(r'<div class="error-summary"[^>]*>(.*?)</div>', page.text, re.S)
    assert summary and "autofocus" in page.text
    links = re.findall(r'<a href="#([a-z_]+)">', summary.group(1))
    assert links == ["age", "first_name", "last_name", "email", "consent"]
    assert 'id="email" name="email" value="pas-un-courriel"' in page.text  # answers kept
    assert stored(Settings(database_url=site.app.state.settings.database_url)) == []  # type: ignore[attr-defined]


def test_an_ambiguous_or_unknown_place_is_a_field_error(site: TestClient) -> None:
    page = site.get("/recherche?q=sainte-anne")
    assert "Plusieurs municipalités correspondent" in page.text
    assert "Sainte-Anne-des-Monts" in page.text
    pick = re.search(r'href="(/recherche\?q=Sainte-Anne-des-Monts[^"]*)"', page.text)
    assert (
        pick
        and "Centres qui peuvent vous aider" in site.get(pick.group(1).replace("&amp;", "&")).text
    )
    unknown = site.get("/en/search?q=Zzyzxville")
    assert "We cannot find" in unknown.text and "<title>Error: " in unknown.text


def test_a_centre_that_cannot_take_the_request_gets_its_own_page(site: TestClient) -> None:
    # A centre of Montréal chosen by a person who lives in Gaspé and wants in-person help only.
    page = site.get("/recherche?q=Montreal")
    start = first_centre_link(page.text)
    centre = re.search(r"centre=([0-9a-f-]+)", start).group(1)  # type: ignore[union-attr]
    form = site.get(f"/demande?q=Gasp%C3%A9&modes=in_person&centre={centre}")
    page = site.post(
        "/demande/verifier", data=fill(form_fields(form.text, "/demande/verifier"), PERSON)
    )
    assert page.status_code == 200
    assert "Ce centre ne peut pas recevoir votre demande" in page.text
    assert "error-summary" not in page.text  # an explanation, not a validation error
    onward = site.post("/demande/verifier", data=form_fields(page.text, "/demande/verifier"))
    assert "Vérifiez votre demande" in onward.text


def test_no_centre_at_all_can_still_go_to_staff(site: TestClient, site_settings: Settings) -> None:
    form = site.get("/en/request?q=Gasp%C3%A9&language=ht&modes=in_person")
    page = site.post(
        "/en/request/check", data=fill(form_fields(form.text, "/en/request/check"), PERSON)
    )
    assert "No centre fits your situation" in page.text
    answers = site.post("/en/request/check", data=form_fields(page.text, "/en/request/check"))
    assert "the AXTRA team will receive your request" in answers.text
    done = site.post("/en/request/send", data=form_fields(answers.text, "/en/request/send"))
    assert done.status_code == 200 and "The AXTRA team has received your request" in done.text
    [row] = stored(site_settings)
    assert row.status == "unrouted"


def test_a_double_click_sends_once(site: TestClient, site_settings: Settings) -> None:
    answers = go_to_check(site, "/demande?q=G9A+1A1", PERSON, "/demande/verifier")
    fields = form_fields(answers, "/demande/envoyer")
    first = site.post("/demande/envoyer", data=fields, follow_redirects=False)
    second = site.post("/demande/envoyer", data=fields, follow_redirects=False)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    assert len(stored(site_settings)) == 1 and referrals_count(site_settings) == 1


def test_the_honeypot_stores_nothing_and_says_nothing(
    site: TestClient, site_settings: Settings
) -> None:
    answers = go_to_check(site, "/demande?q=G9A+1A1", PERSON, "/demande/verifier")
    fields = fill(form_fields(answers, "/demande/envoyer"), {"website": "https://spam.example.org"})
    done = site.post("/demande/envoyer", data=fields)
    assert done.status_code == 200 and "Votre demande a été envoyée" in done.text
    assert stored(site_settings) == []


def test_edited_fields_are_checked_again_at_the_last_step(
    site: TestClient, site_settings: Settings
) -> None:
    answers = go_to_check(site, "/demande?q=G9A+1A1", PERSON, "/demande/verifier")
    forged = fill(form_fields(answers, "/demande/envoyer"),
                  {"email": "<script>@x", "consent": "", "centre": str(uuid.uuid4())})  # fmt: skip
    page = site.post("/demande/envoyer", data=forged)
    assert page.status_code == 422 and "error-summary" in page.text
    assert "<script>@x" not in page.text  # escaped
    assert stored(site_settings) == []


def test_the_confirmation_link_cannot_be_edited(site: TestClient) -> None:
    answers = go_to_check(site, "/demande?q=G9A+1A1", PERSON, "/demande/verifier")
    done = site.post("/demande/envoyer", data=form_fields(answers, "/demande/envoyer"),
                     follow_redirects=False)  # fmt: skip
    location = done.headers["location"]
    other = re.sub(r"id=[0-9a-f-]+", f"id={uuid.uuid4()}", location)
    assert site.get(other).status_code == 404


def test_the_rate_limit_of_the_intake_applies(demo_url: str) -> None:
    from app.main import create_app

    settings = Settings(
        database_url=demo_url, embedded_dispatcher=False, rate_limit_public="2/minute"
    )
    with TestClient(create_app(settings, embedded_dispatcher=False), headers=HTML) as web:
        answers = go_to_check(web, "/demande?q=G9A+1A1", PERSON, "/demande/verifier")
        fields = form_fields(answers, "/demande/envoyer")
        codes = [web.post("/demande/envoyer", data=fields, follow_redirects=False).status_code
                 for _ in range(3)]  # fmt: skip
        assert codes[:2] == [303, 303] and codes[2] == 429
        page = web.post("/demande/envoyer", data=fields)
        assert "Trop de demandes" in page.text and page.headers["retry-after"]


def test_a_form_without_its_token_is_refused(site: TestClient, site_settings: Settings) -> None:
    answers = go_to_check(site, "/demande?q=G9A+1A1", PERSON, "/demande/verifier")
    fields = form_fields(answers, "/demande/envoyer")
    del fields["csrf_token"]
    page = site.post("/demande/envoyer", data=fields)
    assert page.status_code == 403 and "Le formulaire a expiré" in page.text
    assert stored(site_settings) == []


@pytest.mark.parametrize(
    "demo_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_the_request_is_stored_on_postgresql(site: TestClient, site_settings: Settings) -> None:
    answers = go_to_check(site, "/en/request?q=Gasp%C3%A9", PERSON, "/en/request/check")
    fields = form_fields(answers, "/en/request/send")
    first = site.post("/en/request/send", data=fields, follow_redirects=False)
    again = site.post("/en/request/send", data=fields, follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == again.headers["location"]
    [row] = stored(site_settings)
    assert row.consent["notice_version"] == NOTICE_VERSION and row.region_code == "11"
