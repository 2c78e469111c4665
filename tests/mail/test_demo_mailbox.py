"""`ttx demo-mailbox`: what a newcomer sees when a message arrives."""

from __future__ import annotations

import io

from app.mail import compose, send_mail_sync
from app.mail.demo_mailbox import MailCatcher
from app.settings import Settings


def test_the_demo_mailbox_prints_each_message_and_its_links() -> None:
    out = io.StringIO()
    with MailCatcher("127.0.0.1", 0, out=out) as catcher:
        settings = Settings(database_url="sqlite://", smtp_url=catcher.url)
        msg = compose(
            "signin", "fr", {"link": "http://127.0.0.1:8000/connexion?t=1", "minutes": 15}
        )
        send_mail_sync(settings, "accueil@example.org", msg.subject, msg.text, msg.html)
        catcher.wait_for(1)
    printed = out.getvalue()
    assert "To:      accueil@example.org" in printed
    assert "Subject: Votre lien de connexion à Trouve ton X" in printed
    assert "→ http://127.0.0.1:8000/connexion?t=1" in printed


def test_the_demo_mailbox_keeps_escape_sequences_off_the_terminal() -> None:
    out = io.StringIO()
    with MailCatcher("127.0.0.1", 0, out=out) as catcher:
        settings = Settings(database_url="sqlite://", smtp_url=catcher.url)
        send_mail_sync(settings, "a@example.org", "hello", "bad \x1b[31m red")
        catcher.wait_for(1)
    assert "\x1b" not in out.getvalue()
