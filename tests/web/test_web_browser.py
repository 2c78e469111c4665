"""The site in a real browser (Debian's chromium via playwright), keyboard only, in both
languages, with axe-core on every page, 320 px without horizontal scrolling, and nothing
loaded from another site or refused by the Content-Security-Policy."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import Session

from app.db import make_engine
from app.main import create_app
from app.models import Consultation
from app.settings import Settings
from app.web.pages import NOTICE_VERSION
from tests.helpers.browser import Visit, live_server

pytestmark = pytest.mark.slow


@pytest.fixture
def base_url(site_settings: Settings) -> Iterator[str]:
    with live_server(create_app(site_settings, embedded_dispatcher=False)) as url:
        yield url


def stored(settings: Settings) -> list[Consultation]:
    engine = make_engine(settings)
    with Session(engine) as session:
        rows = list(session.scalars(select(Consultation)).all())
    engine.dispose()
    return rows


PATHS = {
    "fr": {
        "home": "/", "query": "G9A 1A1", "results_h1": "Centres qui peuvent vous aider",
        "request_h1": "Demander l'aide d'un centre", "error_title": "Erreur : ",
        "check_h1": "Vérifiez votre demande", "done_h1": "Votre demande a été envoyée",
    },
    "en": {
        "home": "/en/", "query": "troa riviere", "results_h1": "Centres that can help you",
        "request_h1": "Ask a centre for help", "error_title": "Error: ",
        "check_h1": "Check your request", "done_h1": "Your request has been sent",
    },
}  # fmt: skip


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_whole_path_keyboard_only(
    chromium: Any, base_url: str, site_settings: Settings, lang: str
) -> None:
    words = PATHS[lang]
    visit = Visit(chromium, base_url)
    page = visit.page
    page.goto(base_url + words["home"])
    visit.check_page()
    # The first Tab reaches the skip link, which moves to the main content.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "contenu"

    visit.type_into("#q", words["query"])
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert words["results_h1"] in page.inner_text("h1")
    assert "Trois-Rivières" in page.inner_text("h1")
    assert re.search(r"/(en/)?(recherche|search)\?q=", page.url)  # a URL to bookmark
    visit.check_page()

    visit.press_on(".card h2 a")  # the best-ranked centre's page
    centre_name = page.inner_text("h1")
    visit.check_page()
    visit.press_on("a.button[href*='centre=']")
    assert words["request_h1"] in page.inner_text("h1")
    visit.check_page()

    # Sent empty: the error summary takes the focus and the title says so.
    visit.press_on("#continue")
    assert page.title().startswith(words["error_title"])
    assert page.evaluate("document.activeElement.classList.contains('error-summary')")
    visit.check_page()

    visit.type_into("#first_name", "Alex")
    visit.type_into("#last_name", "Exemple")
    visit.type_into("#email", f"alex.{lang}@example.org")
    visit.type_into("#phone", "819 555-0142")
    visit.tab_to("#consent")
    page.keyboard.press("Space")
    assert page.is_checked("#consent")
    visit.press_on("#continue")
    assert words["check_h1"] in page.inner_text("h1")
    assert centre_name in page.inner_text("main")
    visit.check_page()

    visit.press_on("#send")
    assert words["done_h1"] in page.inner_text("h1")
    visit.check_page()
    reference = page.inner_text(".reference").strip()
    [row] = stored(site_settings)
    assert reference == str(row.id)
    assert row.status == "routed" and row.consent["notice_version"] == NOTICE_VERSION
    assert row.consent["accepted"] is True and row.consent["purposes"] == ["referral"]
    visit.context.close()


@pytest.mark.parametrize(
    "path",
    [
        "/confidentialite", "/en/privacy", "/accessibilite", "/en/accessibility", "/a-propos",
        "/en/about", "/recherche?region=06", "/en/search?region=11", "/recherche?q=sainte-anne",
        "/en/search?q=Gasp%C3%A9&language=ht&modes=in_person", "/page-inconnue",
        "/en/no-such-page", "/demande?q=Montreal",
    ],
)  # fmt: skip
def test_every_other_page_passes_axe(chromium: Any, base_url: str, path: str) -> None:
    visit = Visit(chromium, base_url)
    visit.page.goto(base_url + path)
    visit.check_page()
    visit.context.close()


def test_the_language_switch_keeps_the_page(chromium: Any, base_url: str) -> None:
    visit = Visit(chromium, base_url)
    page = visit.page
    page.goto(base_url + "/recherche?q=G9A+1A1&needs=job_search")
    visit.press_on("a[hreflang=en]")
    assert page.url == base_url + "/en/search?q=G9A+1A1&needs=job_search"
    assert page.evaluate("document.documentElement.lang") == "en"
    visit.press_on("a[hreflang=fr]")
    assert page.url == base_url + "/recherche?q=G9A+1A1&needs=job_search"
    visit.context.close()


def test_the_explanation_pages_pass_axe(chromium: Any, base_url: str) -> None:
    visit = Visit(chromium, base_url)
    page = visit.page
    page.goto(base_url + "/recherche?q=Montreal")
    centre = re.search(r"centre=([0-9a-f-]+)", page.inner_html("main")).group(1)  # type: ignore[union-attr]
    page.goto(base_url + f"/demande?q=Gasp%C3%A9&modes=in_person&centre={centre}")
    for selector, text in (("#first_name", "Alex"), ("#last_name", "Exemple"),
                           ("#email", "alex@example.org")):  # fmt: skip
        page.fill(selector, text)
    page.check("#consent")
    with page.expect_navigation():
        page.click("#continue")
    assert "ne peut pas recevoir" in page.inner_text("h1")
    visit.check_page()
    # No centre at all: its own page, from which the request can still go to staff.
    page.goto(base_url + "/en/request?q=Gasp%C3%A9&language=ht&modes=in_person")
    for selector, text in (("#first_name", "Alex"), ("#last_name", "Exemple"),
                           ("#email", "alex@example.org")):  # fmt: skip
        page.fill(selector, text)
    page.check("#consent")
    with page.expect_navigation():
        page.click("#continue")
    assert "No centre fits" in page.inner_text("h1")
    visit.check_page()
    visit.context.close()
