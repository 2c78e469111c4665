"""Signing in to the console with a real SMTP server: the e-mailed link, its page, the button,
the session cookie; refused links; TOTP with a frozen clock; sign-out; rate limits."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from app.mail.demo_mailbox import MailCatcher
from app.main import create_app
from app.models import AuditEntry, WebSession
from app.services import staff_members
from app.settings import Settings
from tests.helpers.console import ask_link, open_link
from tests.helpers.pages import HTML, csrf_of

T0 = datetime(2026, 12, 4, 15, 0, 0, tzinfo=UTC)


def _sessions(engine: Engine) -> list[WebSession]:
    with Session(engine) as s:
        return list(s.scalars(select(WebSession)).all())


def test_a_link_signs_in_once(
    console: TestClient, smtp_server: MailCatcher, staff_email: str, console_engine: Engine
) -> None:
    path = ask_link(console, smtp_server, staff_email)
    assert path.startswith("/admin/connexion/lien?jeton=")
    [message] = smtp_server.messages
    assert "15 minutes" in message.text and message.subject
    assert console.get("/admin", follow_redirects=False).status_code == 303
    # Opening the link changes nothing: no session until the button is pressed.
    assert console.get(path).status_code == 200 and _sessions(console_engine) == []
    open_link(console, path)
    cookie = console.cookies.get("ttx_staff")
    assert cookie and all(cookie not in s.token_hash for s in _sessions(console_engine))
    home = console.get("/admin")
    assert home.status_code == 200 and "Console du personnel" in home.text
    assert staff_email in home.text
    # The same link again: refused, and the page says so, in French.
    again = console.get(path)
    assert again.status_code == 410 and "déjà servi" in again.text
    with Session(console_engine) as s:
        actions = [a.action for a in s.scalars(select(AuditEntry))]
    assert "sign_in" in actions


def test_the_session_cookie_is_httponly_strict_and_secure_in_production(
    demo_url: str, smtp_server: MailCatcher
) -> None:
    settings = Settings(
        database_url=demo_url, env="production", embedded_dispatcher=False,
        secret_key="Qm3vX8-pL2rT7wZ9kB4nH6yJ1cF5dG0s", smtp_url=smtp_server.url,
        public_url="https://console.example.org", rate_limit_public="100000/minute",
    )  # fmt: skip
    from app.db import make_engine, session_scope

    engine = make_engine(settings)
    with session_scope(engine) as session:
        staff_members.add(session, "prod@example.org")
    app = create_app(settings, embedded_dispatcher=False)
    with TestClient(app, base_url="https://testserver", headers=HTML) as client:
        path = ask_link(client, smtp_server, "prod@example.org")
        assert smtp_server.messages[-1].links[0].startswith("https://console.example.org/admin/")
        page = client.get(path)
        answer = client.post("/admin/connexion/lien", data={
            "jeton": re.search(r'name="jeton" value="([^"]+)"', page.text).group(1),
            "csrf_token": csrf_of(page.text)}, follow_redirects=False)  # fmt: skip
        assert answer.status_code == 303
        # Production: the second factor is set up before anything else.
        assert answer.headers["location"] == "/admin/securite"
        header = answer.headers["set-cookie"].lower()
        assert "ttx_staff=" in header and "httponly" in header and "secure" in header
        assert "samesite=strict" in header
        assert client.get("/admin", follow_redirects=False).headers["location"] == "/admin/securite"
        assert client.get("/admin/file", follow_redirects=False).status_code == 303
    engine.dispose()


@pytest.mark.parametrize("token", ["", "abc", "x" * 43, "x" * 5000, "%00" * 30, "' OR 1=1 --" * 3])
def test_forged_links_get_a_page_and_no_session(
    console: TestClient, staff_email: str, console_engine: Engine, token: str
) -> None:
    page = console.get(f"/admin/connexion/lien?jeton={token}")
    if "%00" in token:  # a NUL anywhere in a request is refused before any page
        assert page.status_code == 400
    else:
        assert page.status_code == 404 and "pas valide" in page.text
    posted = console.post("/admin/connexion/lien", data={"jeton": token,
                          "csrf_token": csrf_of(console.get("/admin/connexion").text)})  # fmt: skip
    assert posted.status_code == 404 and "ttx_staff" not in console.cookies
    assert _sessions(console_engine) == []


def test_an_expired_link_is_refused(
    console: TestClient, smtp_server: MailCatcher, staff_email: str, console_engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    path = ask_link(console, smtp_server, staff_email)
    from app.services import signin

    monkeypatch.setattr(signin, "utcnow", lambda: datetime.now(UTC) + timedelta(minutes=16))
    page = console.get(path)
    assert page.status_code == 410 and "expiré" in page.text
    assert _sessions(console_engine) == []


def test_unknown_addresses_get_the_same_answer_and_no_mail(
    console: TestClient, smtp_server: MailCatcher, staff_email: str
) -> None:
    page = console.get("/admin/connexion")
    answer = console.post("/admin/connexion", data={"email": "nobody@example.org",
                          "csrf_token": csrf_of(page.text)})  # fmt: skip
    assert answer.status_code == 200 and "Consultez vos courriels" in answer.text
    bad = console.post("/admin/connexion", data={"email": "not an address",
                       "csrf_token": csrf_of(page.text)})  # fmt: skip
    assert bad.status_code == 422 and "Erreur" in bad.text and "adresse courriel valide" in bad.text
    assert smtp_server.messages == []


def test_posts_without_csrf_are_refused(console: TestClient, staff_email: str) -> None:
    console.get("/admin/connexion")
    answer = console.post("/admin/connexion", data={"email": staff_email})
    assert answer.status_code == 403
    forged = console.post("/admin/connexion", data={"email": staff_email, "csrf_token": "x" * 64})
    assert forged.status_code == 403


def test_too_many_links_for_one_address_get_429(
    console: TestClient, smtp_server: MailCatcher, staff_email: str
) -> None:
    for _ in range(3):
        ask_link(console, smtp_server, staff_email)
    page = console.get("/admin/connexion")
    answer = console.post("/admin/connexion", data={"email": staff_email,
                          "csrf_token": csrf_of(page.text)})  # fmt: skip
    assert answer.status_code == 429 and answer.headers.get("retry-after")
    assert len(smtp_server.messages) == 3


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[datetime]]:
    """The second factor's clock, frozen (moved by the test)."""
    now = [T0]
    monkeypatch.setattr(staff_members, "utcnow", lambda: now[0])
    yield now


def test_totp_enrolment_then_a_code_at_each_sign_in(
    console: TestClient, smtp_server: MailCatcher, staff_email: str, frozen: list[datetime]
) -> None:
    open_link(console, ask_link(console, smtp_server, staff_email))
    page = console.get("/admin/securite")
    secret = re.search(r'data-secret="([A-Z2-7]+)"', page.text).group(1)
    assert "otpauth://totp/" in page.text
    totp = pyotp.TOTP(secret)
    wrong = console.post("/admin/securite", data={"code": "000000" if totp.at(T0) != "000000"
                         else "111111", "csrf_token": csrf_of(page.text)})  # fmt: skip
    assert wrong.status_code == 422 and "pas le bon" in wrong.text
    on = console.post(
        "/admin/securite", data={"code": totp.at(T0), "csrf_token": csrf_of(page.text)}
    )
    assert on.status_code == 200 and "est activée" in on.text
    # Sign out, sign in again: the link leads to the code, and nothing else opens before it.
    console.post("/admin/deconnexion", data={"csrf_token": csrf_of(on.text)})
    assert console.get("/admin", follow_redirects=False).status_code == 303
    path = ask_link(console, smtp_server, staff_email)
    page = console.get(path)
    answer = console.post("/admin/connexion/lien", data={
        "jeton": re.search(r'name="jeton" value="([^"]+)"', page.text).group(1),
        "csrf_token": csrf_of(page.text)}, follow_redirects=False)  # fmt: skip
    assert answer.headers["location"] == "/admin/connexion/code"
    assert console.get("/admin/file", follow_redirects=False).headers["location"] == (
        "/admin/connexion/code"
    )
    form = console.get("/admin/connexion/code")
    reused = console.post("/admin/connexion/code", data={"code": totp.at(T0),
                          "csrf_token": csrf_of(form.text)})  # fmt: skip
    assert reused.status_code == 422  # the enrolment's code was used already
    frozen[0] = T0 + timedelta(seconds=30)
    ok = console.post("/admin/connexion/code", data={"code": totp.at(frozen[0]),
                      "csrf_token": csrf_of(form.text)}, follow_redirects=False)  # fmt: skip
    assert ok.status_code == 303 and ok.headers["location"] == "/admin"
    assert console.get("/admin").status_code == 200


def test_five_wrong_codes_end_the_sign_in(
    console: TestClient, smtp_server: MailCatcher, staff_email: str, console_engine: Engine,
    frozen: list[datetime],
) -> None:  # fmt: skip
    from app.db import session_scope

    with session_scope(console_engine) as s:
        member = staff_members.find_active(s, staff_email)
        secret = staff_members.pending_secret(s, Settings(), member)  # type: ignore[arg-type]
        staff_members.confirm_enrolment(s, Settings(), member, pyotp.TOTP(secret).at(T0), now=T0)  # type: ignore[arg-type]
    open_link(console, ask_link(console, smtp_server, staff_email))
    form = console.get("/admin/connexion/code")
    good = pyotp.TOTP(secret).at(T0 + timedelta(seconds=60))
    bad = "123456" if good != "123456" else "654321"
    statuses = [console.post("/admin/connexion/code", data={"code": bad,
                "csrf_token": csrf_of(form.text)}).status_code for _ in range(5)]  # fmt: skip
    assert statuses == [422, 422, 422, 422, 422]
    assert "ttx_staff" not in console.cookies
    frozen[0] = T0 + timedelta(seconds=60)
    late = console.post("/admin/connexion/code", data={"code": good,
                        "csrf_token": csrf_of(form.text)}, follow_redirects=False)  # fmt: skip
    assert (
        late.status_code in (303, 401)
        and console.get("/admin", follow_redirects=False).status_code == 303
    )


def test_sign_out_ends_the_session(staff: TestClient, console_engine: Engine) -> None:
    cookie = staff.cookies.get("ttx_staff")
    page = staff.get("/admin")
    out = staff.post("/admin/deconnexion", data={"csrf_token": csrf_of(page.text)})
    assert out.status_code == 200 and "déconnecté" in out.text
    staff.cookies.set("ttx_staff", cookie)  # an old cookie kept by someone: dead
    assert staff.get("/admin", follow_redirects=False).status_code == 303
    assert all(s.ended_at is not None for s in _sessions(console_engine))


def test_english_pages(console: TestClient, smtp_server: MailCatcher, staff_email: str) -> None:
    path = ask_link(console, smtp_server, staff_email, lang="en")
    assert path.startswith("/en/admin/sign-in/link?jeton=")
    assert "Sign in" in console.get(path).text
    assert smtp_server.messages[-1].message["Content-Language"] in (None, "en")
