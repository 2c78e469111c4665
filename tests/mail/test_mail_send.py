"""Sending through a real SMTP server on 127.0.0.1: plain, STARTTLS, implicit TLS, with
credentials; and what the caller is told when the server is down or refuses."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Coroutine
from typing import Any

import pytest

from app.mail import (
    MailError,
    MailNotConfigured,
    compose,
    parse_smtp_url,
    send_mail,
    send_mail_sync,
)
from app.mail.smtp import smtp_url_problem
from app.settings import Settings
from tests.helpers.smtp import MailCatcher, accept_login, tls_pair


async def settled(sending: Coroutine[Any, Any, str]) -> str:
    """Send, then give a TLS connection's closing handshake a moment to finish before the
    test's event loop closes (a worker's loop keeps running; a test's ends at once)."""
    try:
        return await sending
    finally:
        await asyncio.sleep(0.1)


def settings_for(url: str | None, **extra: object) -> Settings:
    return Settings(database_url="sqlite://", smtp_url=url, **extra)  # type: ignore[arg-type]


def test_a_message_arrives_with_text_and_html_alternatives(smtp_server: MailCatcher) -> None:
    settings = settings_for(smtp_server.url, mail_from="Trouve ton X <envoi@example.org>")
    msg = compose("signin", "fr", {"link": "http://127.0.0.1:8000/x?t=abc", "minutes": 15})
    message_id = send_mail_sync(
        settings, "accueil@example.org", msg.subject, msg.text, msg.html, lang="fr"
    )
    [caught] = smtp_server.wait_for(1)
    assert caught.recipients == ("accueil@example.org",)
    assert caught.sender == "envoi@example.org"
    parsed = caught.message
    assert parsed["Message-ID"] == message_id
    assert parsed["Subject"] == "Votre lien de connexion à Trouve ton X"
    assert parsed.get_content_type() == "multipart/alternative"
    assert parsed["Content-Language"] == "fr"
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert "valable 15 minutes" in caught.text
    assert caught.links == ["http://127.0.0.1:8000/x?t=abc"]
    assert 'href="http://127.0.0.1:8000/x?t=abc"' in caught.html
    assert '<html lang="fr">' in caught.html


def test_english_messages_come_from_the_english_catalogue(smtp_server: MailCatcher) -> None:
    msg = compose("signin", "en", {"link": "http://127.0.0.1:8000/en/x", "minutes": 10})
    assert msg.subject == "Your Trouve ton X sign-in link"
    assert "valid for 10 minutes" in msg.text and "valable" not in msg.text
    assert '<html lang="en">' in msg.html


def test_html_escapes_what_it_is_given() -> None:
    msg = compose("signin", "fr", {"link": 'http://x.example.org/"><script>', "minutes": 1})
    assert "<script>" not in msg.html and "&lt;script&gt;" in msg.html


def test_credentials_are_sent_over_starttls() -> None:
    server_tls, client_tls = tls_pair()
    with MailCatcher(
        tls_context=server_tls, require_starttls=True,
        authenticator=accept_login("ttx", "p@ss word"), auth_require_tls=True,
    ) as catcher:  # fmt: skip
        url = f"smtp+starttls://ttx:p%40ss%20word@127.0.0.1:{catcher.port}"
        settings = settings_for(url)
        asyncio.run(settled(send_mail(settings, "a@example.org", "s", "t", tls_context=client_tls)))
        assert len(catcher.wait_for(1)) == 1
        bad = settings_for(f"smtp+starttls://ttx:wrong@127.0.0.1:{catcher.port}")
        with pytest.raises(MailError) as refused:
            asyncio.run(settled(send_mail(bad, "a@example.org", "s", "t", tls_context=client_tls)))
        assert refused.value.code == 535 and not refused.value.transient


def test_smtps_wraps_the_connection_in_tls_from_the_start() -> None:
    server_tls, client_tls = tls_pair()
    with MailCatcher(tls=server_tls) as catcher:
        settings = settings_for(f"smtps://127.0.0.1:{catcher.port}")
        asyncio.run(settled(send_mail(settings, "a@example.org", "s", "t", tls_context=client_tls)))
        assert catcher.wait_for(1)[0].recipients == ("a@example.org",)


def test_a_server_that_is_down_is_a_transient_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    with pytest.raises(MailError) as down:
        send_mail_sync(settings_for(f"smtp://127.0.0.1:{port}"), "a@example.org", "s", "t")
    assert down.value.transient and down.value.code is None


def test_replies_4xx_are_transient_and_5xx_permanent(smtp_server: MailCatcher) -> None:
    settings = settings_for(smtp_server.url)
    smtp_server.fail_next("451 4.3.0 Try again later")
    with pytest.raises(MailError) as later:
        send_mail_sync(settings, "a@example.org", "s", "t")
    assert later.value.transient and later.value.code == 451
    smtp_server.refuse("nobody@example.org")
    with pytest.raises(MailError) as never:
        send_mail_sync(settings, "nobody@example.org", "s", "t")
    assert not never.value.transient and never.value.code == 550
    assert smtp_server.messages == []


def test_nothing_is_sent_without_a_server_or_to_a_bad_address(smtp_server: MailCatcher) -> None:
    with pytest.raises(MailNotConfigured):
        send_mail_sync(settings_for(None), "a@example.org", "s", "t")
    for bad in ["", "no-at-sign", "a@b", "a@example.org\r\nBcc: x@example.org", "<a@example.org>"]:
        with pytest.raises(MailError):
            send_mail_sync(settings_for(smtp_server.url), bad, "s", "t")
    assert smtp_server.messages == []


def test_a_subject_cannot_add_headers(smtp_server: MailCatcher) -> None:
    send_mail_sync(settings_for(smtp_server.url), "a@example.org", "hi\r\nBcc: x@example.org", "t")
    [caught] = smtp_server.wait_for(1)
    assert caught.message["Bcc"] is None and caught.recipients == ("a@example.org",)


@pytest.mark.parametrize(
    "url",
    ["http://x.example.org", "smtp://", "smtp://h.example.org/path", "smtp://h.example.org:0",
     "smtp://h.example.org:99999", "smtp://h.example.org?x=1", "smtp://h.exa mple.org",
     "smtp://hé.example.org"],
)  # fmt: skip
def test_bad_smtp_urls_are_refused_at_start(url: str) -> None:
    assert smtp_url_problem(url)
    with pytest.raises(ValueError, match="TTX_SMTP_URL"):
        settings_for(url)


def test_smtp_urls_name_their_server() -> None:
    assert parse_smtp_url("smtp://127.0.0.1").port == 25
    starttls = parse_smtp_url("smtp+starttls://u%40x:p%3Aw@mail.example.org")
    assert (starttls.port, starttls.security) == (587, "starttls")
    assert (starttls.username, starttls.password) == ("u@x", "p:w")
    assert parse_smtp_url("smtps://mail.example.org").port == 465
    assert parse_smtp_url("SMTPS://mail.example.org:2465").origin == "smtps://mail.example.org:2465"
    assert "p:w" not in repr(starttls)


def test_production_links_must_be_https() -> None:
    strong = "k" + "Zq8vR2mX7pL4nT9wB3cY6dF1gH5jA0sE"
    with pytest.raises(ValueError, match="TTX_PUBLIC_URL"):
        Settings(env="production", secret_key=strong, smtp_url="smtp://127.0.0.1")
    ok = Settings(env="production", secret_key=strong, smtp_url="smtp://127.0.0.1",
                  public_url="https://trouvetonx.example.org/")  # fmt: skip
    assert ok.public_url == "https://trouvetonx.example.org"
    with pytest.raises(ValueError, match="TTX_MAIL_FROM"):
        Settings(mail_from="Trouve ton X")
