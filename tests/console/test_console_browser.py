"""The console in a real browser (Debian's chromium via playwright, the site's harness):
sign in with the e-mailed link from a real SMTP catcher, keyboard only, then every page in
both languages with axe-core, 320 px without horizontal scrolling, nothing refused by the
Content-Security-Policy and nothing loaded from another site."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from app.mail.demo_mailbox import MailCatcher
from app.main import create_app
from app.settings import Settings
from tests.helpers.browser import Visit, live_server
from tests.helpers.console import REQUEST

pytestmark = pytest.mark.slow

PAGES = {
    "fr": ["/admin", "/admin/file", "/admin/acheminements", "/admin/livraisons",
           "/admin/centres", "/admin/import", "/admin/cles", "/admin/vie-privee",
           "/admin/rapports", "/admin/rapports?par=reason", "/admin/securite"],
    "en": ["/en/admin", "/en/admin/queue", "/en/admin/referrals", "/en/admin/deliveries",
           "/en/admin/centres", "/en/admin/import", "/en/admin/keys", "/en/admin/privacy",
           "/en/admin/reports", "/en/admin/security"],
}  # fmt: skip


@pytest.fixture
def console_url(console_settings: Settings, staff_email: str) -> Iterator[str]:
    with live_server(create_app(console_settings, embedded_dispatcher=False)) as url:
        yield url


def _sign_in(visit: Visit, smtp: MailCatcher, email: str) -> None:
    page = visit.page
    page.goto(visit.base + "/admin")  # not signed in: the sign-in page
    assert page.url.endswith("/admin/connexion")
    visit.check_page()
    visit.type_into("#email", email)
    visit.press_on("button[type=submit]")
    assert "Consultez vos courriels" in page.content()
    [message] = smtp.wait_for(1)
    [link] = [u for u in message.links if "jeton=" in u]
    page.goto(visit.base + link.removeprefix("http://testserver"))
    visit.check_page()
    visit.press_on("main button[type=submit]")
    assert page.url.endswith("/admin")


def test_the_console_in_a_browser(
    chromium: Any,
    console_url: str,
    smtp_server: MailCatcher,
    staff_email: str,
) -> None:
    visit = Visit(chromium, console_url)
    _sign_in(visit, smtp_server, staff_email)
    page = visit.page
    # A request in the queue, so its page and the routing form are checked too.
    answer = page.request.post(console_url + "/v1/consultations", data=REQUEST,
                               headers={"Idempotency-Key": uuid.uuid4().hex})  # fmt: skip
    assert answer.status == 201
    for lang in ("fr", "en"):
        for path in PAGES[lang]:
            page.goto(console_url + path)
            assert page.locator("h1").count() == 1, path
            visit.check_page()
    page.goto(console_url + "/admin/centres")
    page.locator("tbody a").first.click()
    visit.check_page()
    page.goto(console_url + f"/admin/demandes/{answer.json()['id']}")
    visit.check_page()
    # Keyboard only: create a key, see it once.
    page.goto(console_url + "/admin/cles")
    visit.tab_to("#role")
    page.keyboard.press("ArrowDown")
    visit.press_on("main form[action='/admin/cles'] button[type=submit]")
    assert page.locator("code.new-key").inner_text().startswith("ttx_")
    visit.check_page()
    # Sign out from the header.
    visit.press_on("header button[type=submit]")
    assert "déconnecté" in page.content()
    page.goto(console_url + "/admin/file")
    assert page.url.endswith("/admin/connexion")
    visit.context.close()
