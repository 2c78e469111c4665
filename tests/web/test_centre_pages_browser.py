"""The centres' and job seekers' pages in a real browser (the site's harness): a centre's
notice link, its answer page and the answer, the web inbox's sign-in from a real SMTP
catcher and the inbox, the job seeker's status page and a refused link; keyboard only where
a person acts, axe-core and 320 px on every page, in French and English."""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from app.db import make_engine
from app.dispatcher import Dispatcher
from app.mail.demo_mailbox import MailCatcher
from app.main import create_app
from app.settings import Settings
from tests.helpers.browser import Visit, live_server

pytestmark = pytest.mark.slow
PUBLIC = "http://127.0.0.1:8000"


@pytest.fixture
def mail_site(site_settings: Settings, smtp_server: MailCatcher) -> Iterator[tuple[str, Settings]]:
    settings = site_settings.model_copy(update={"smtp_url": SecretStr(smtp_server.url)})
    with live_server(create_app(settings, embedded_dispatcher=False)) as url:
        yield url, settings


def deliver(settings: Settings) -> None:
    """One dispatcher pass, in a thread of its own (playwright holds this one's event loop)."""

    def once() -> None:
        engine = make_engine(settings)
        Dispatcher.from_settings(settings, engine).run_once()
        engine.dispose()

    worker = threading.Thread(target=once)
    worker.start()
    worker.join(30)


def submit(base: str) -> tuple[str, str]:
    centres = httpx.get(base + "/v1/centres", params={"q": "demo-mau-01"}).json()["items"]
    centre = centres[0]
    body = {
        "person": {"first_name": "Camille", "last_name": "Exemple", "email": "camille@example.org",
                   "phone": "+1 819 555 0123", "preferred_contact": "email", "language": "fr"},
        "criteria": {"location": {"municipality": "Trois-Rivières"}, "needs": ["job_search"],
                     "language": "fr"},
        "centre_id": centre["id"],
        "consent": {"notice_version": "2026-01", "purposes": ["referral"], "accepted": True},
    }  # fmt: skip
    answer = httpx.post(base + "/v1/consultations", json=body,
                        headers={"Idempotency-Key": uuid.uuid4().hex})  # fmt: skip
    assert answer.status_code == 201, answer.text
    return answer.json()["id"], centre["email"]


def link(smtp: MailCatcher, to: str, pattern: str, base: str) -> str:
    for message in reversed(smtp.messages):
        if message.recipients == (to,):
            for url in message.links:
                if re.search(pattern, url):
                    return base + url.removeprefix(PUBLIC)
    raise AssertionError(f"no link {pattern} to {to}")


def test_a_centre_answers_from_its_notice_in_a_browser(
    chromium: Any,
    mail_site: tuple[str, Settings],
    smtp_server: MailCatcher,
) -> None:
    base, settings = mail_site
    _, centre_email = submit(base)
    deliver(settings)
    smtp_server.wait_for(2)
    visit = Visit(chromium, base)
    page = visit.page
    answer_page = link(smtp_server, centre_email, r"/boite/demande/", base)
    page.goto(answer_page.replace("/boite/demande/", "/en/inbox/request/"))
    visit.check_page()
    page.goto(answer_page)
    visit.check_page()
    assert "Camille" not in page.content()
    visit.press_on("main button[type=submit]")  # the first button: accept
    assert "Camille" in page.content() and "camille@example.org" in page.content()
    visit.check_page()
    page.goto(answer_page)  # answered: the link says so
    assert "Ce lien ne peut plus servir" in page.content()
    visit.check_page()
    status_page = link(smtp_server, "camille@example.org", r"/demande/suivi/", base)
    page.goto(status_page)
    visit.check_page()
    page.goto(status_page.replace("/demande/suivi/", "/en/request/status/"))
    visit.check_page()
    visit.context.close()


def test_a_centre_signs_in_to_its_inbox_in_a_browser(
    chromium: Any,
    mail_site: tuple[str, Settings],
    smtp_server: MailCatcher,
) -> None:
    base, settings = mail_site
    consultation_id, centre_email = submit(base)
    visit = Visit(chromium, base)
    page = visit.page
    for lang, start in (("en", "/en/inbox"), ("fr", "/boite")):
        page.goto(base + start)
        assert page.url.endswith("/boite/connexion" if lang == "fr" else "/en/inbox/sign-in")
        visit.check_page()
    visit.type_into("#email", centre_email)
    visit.press_on("main form button[type=submit]")
    assert "Vérifiez vos courriels" in page.content()
    visit.check_page()
    smtp_server.wait_for(1)
    page.goto(link(smtp_server, centre_email, r"/boite/lien\?jeton=", base))
    visit.check_page()
    visit.press_on("main form button[type=submit]")
    assert page.url.endswith("/boite")
    assert consultation_id in page.content()
    visit.check_page()
    page.goto(base + "/en/inbox")
    visit.check_page()
    page.goto(base + "/boite")
    visit.tab_to("#intake-open")  # a radio group: the arrow keys choose
    page.keyboard.press("ArrowDown")
    visit.tab_to("#weekly_capacity")
    page.keyboard.press("Control+A")
    page.keyboard.type("12")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Modifications enregistrées" in page.content()
    visit.check_page()
    visit.context.close()
