"""The site's frame: both languages, the layout's landmarks, headers, errors as pages."""

from __future__ import annotations

import re

import pytest
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, PlainTextResponse
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from app.web import security
from app.web.security import CSP

HTML = {"Accept": "text/html,application/xhtml+xml"}


@pytest.mark.parametrize(("path", "lang", "switch"), [("/", "fr", "/en/"), ("/en/", "en", "/")])
def test_home_in_each_language(client: TestClient, path: str, lang: str, switch: str) -> None:
    response = client.get(path, headers=HTML)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-language"] == lang
    body = response.text
    assert f'<html lang="{lang}">' in body
    assert 'href="#contenu"' in body and 'id="contenu"' in body  # the skip link and its target
    assert re.search(rf'<a href="{re.escape(switch)}" lang="(en|fr)"', body)
    for landmark in ("<header", "<main", "<footer", "<nav"):
        assert landmark in body


def test_pages_carry_a_strict_policy(client: TestClient) -> None:
    response = client.get("/", headers=HTML)
    assert response.headers["content-security-policy"] == CSP
    assert "'unsafe-inline'" not in CSP and "default-src 'none'" in CSP
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"


def test_the_stylesheet_is_served_versioned_and_cached(client: TestClient) -> None:
    page = client.get("/", headers=HTML).text
    href = re.search(r'<link rel="stylesheet" href="([^"]+)"', page)
    assert href and href.group(1).startswith("/static/site.css?v=")
    css = client.get(href.group(1))
    assert css.status_code == 200 and "text/css" in css.headers["content-type"]
    assert "immutable" in css.headers["cache-control"]
    assert "http" not in css.text  # nothing fetched from another site


@pytest.mark.parametrize(
    ("path", "title"),
    [("/nulle-part", "Page introuvable"), ("/en/nowhere", "Page not found")],
)
def test_unknown_pages_are_pages_in_the_sites_language(
    client: TestClient, path: str, title: str
) -> None:
    response = client.get(path, headers=HTML)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert f"<h1>{title}</h1>" in response.text


def test_api_clients_keep_their_problem_documents(client: TestClient) -> None:
    api = client.get("/v1/centres/not-a-uuid", headers=HTML)
    assert api.headers["content-type"] == "application/problem+json"
    plain = client.get("/nulle-part")  # no Accept: text/html
    assert plain.status_code == 404
    assert plain.headers["content-type"] == "application/problem+json"


def test_pages_are_not_in_the_api_document(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "/" not in paths and "/en/" not in paths


def test_a_form_post_needs_its_csrf_token(settings: Settings) -> None:
    router = APIRouter()

    @router.get("/essai-formulaire")
    async def show(request: Request) -> HTMLResponse:
        csrf = security.Csrf(request)
        response = HTMLResponse(f'<input name="csrf_token" value="{csrf.token()}">')
        csrf.set_cookie(response)
        return response

    @router.post("/essai-formulaire")
    async def echo(request: Request) -> PlainTextResponse:
        form = await security.form_of(request)
        return PlainTextResponse(str(form.get("word")))

    app = create_app(settings, embedded_dispatcher=False)
    app.router.routes[:0] = router.routes
    with TestClient(app, raise_server_exceptions=False) as web:
        page = web.get("/essai-formulaire", headers=HTML)
        token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text)
        assert token and security.CSRF_COOKIE in page.cookies
        ok = web.post("/essai-formulaire", data={"csrf_token": token.group(1), "word": "oui"})
        assert ok.status_code == 200 and ok.text == "oui"
        forged = web.post("/essai-formulaire", data={"csrf_token": "0" * 64}, headers=HTML)
        assert forged.status_code == 403 and "<h1>Le formulaire a expiré</h1>" in forged.text
        foreign = web.post(
            "/essai-formulaire",
            data={"csrf_token": token.group(1), "word": "x"},
            headers={"Origin": "https://evil.example.org"},
        )
        assert foreign.status_code == 403
        web.cookies.clear()
        bare = web.post("/essai-formulaire", data={"csrf_token": token.group(1)})
        assert bare.status_code == 403


@pytest.mark.parametrize(
    ("path", "heading"),
    [
        ("/confidentialite", "Avis de confidentialité"), ("/en/privacy", "Privacy notice"),
        ("/accessibilite", "Déclaration d'accessibilité"),
        ("/en/accessibility", "Accessibility statement"), ("/a-propos", "À propos"),
        ("/en/about", "About"),
    ],
)  # fmt: skip
def test_the_information_pages(client: TestClient, path: str, heading: str) -> None:
    import html

    page = client.get(path, headers=HTML)
    assert page.status_code == 200
    assert f"<h1>{heading}</h1>" in html.unescape(page.text)


def test_the_privacy_notice_shows_the_version_consents_record(client: TestClient) -> None:
    from app.web.pages import NOTICE_VERSION

    for path in ("/confidentialite", "/en/privacy"):
        assert f"{NOTICE_VERSION}" in client.get(path, headers=HTML).text
