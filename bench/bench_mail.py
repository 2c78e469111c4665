"""E-mail's cost, each figure against a baseline of the same run:

- `POST /v1/consultations` with e-mail on (a centre notice and the person's confirmation
  queued in the same transaction, the centre's `notify_emails` read once) against the same
  service with e-mail off, on SQLite;
- the dispatcher delivering queued e-mails to a local aiosmtpd server (claims, rendering,
  SMTP, recording) against a bare loop handing the same number of messages to the same
  server with `aiosmtplib`, as many at once as the dispatcher's per-origin slots.

    python -m bench bench_mail
"""

from __future__ import annotations

import asyncio
import functools
import tempfile
import time
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from sqlalchemy import func, select

from app.db import make_engine, session_scope
from app.dispatcher import Dispatcher
from app.mail import build_message, deliver, parse_smtp_url
from app.mail.demo_mailbox import MailCatcher
from app.models import OutboxEvent
from app.settings import Settings
from bench.apps import UNREACHABLE_RATE, demo_database
from bench.bench_intake import PATH, bodies
from bench.http import Call, alternate, cpu_note, server
from bench.report import compare, print_table

TARGET_INTAKE = 0.8
TARGET_DELIVERY = 0.5
MESSAGES = 300


def mail_app(url: str, smtp_url: str | None) -> FastAPI:
    from app.main import create_app

    settings = Settings(
        database_url=url, embedded_dispatcher=False, smtp_url=smtp_url,
        rate_limit_public=UNREACHABLE_RATE, rate_limit_partner=UNREACHABLE_RATE,
    )  # fmt: skip
    return create_app(settings, embedded_dispatcher=False)


def intake(folder: Path) -> dict[str, Any]:
    url = f"sqlite:///{folder / 'intake.db'}"
    demo_database(url)
    calls = [Call("POST", PATH, body) for body in bodies()]
    with (
        server(functools.partial(mail_app, url, "smtp://127.0.0.1:9")) as on,
        server(functools.partial(mail_app, url, None)) as off,
    ):
        loads = alternate({"on": on, "off": off}, calls, rounds=2, seconds=3.0, concurrency=16)
    return compare(f"POST {PATH}, e-mail on/off (SQLite)", loads["on"], loads["off"],
                   TARGET_INTAKE)  # fmt: skip


def delivery(folder: Path) -> dict[str, Any]:
    from app.dispatcher import enqueue
    from app.dispatcher.mailing import mail_data

    url = f"sqlite:///{folder / 'mail.db'}"
    demo_database(url)
    with MailCatcher() as catcher:
        settings = Settings(database_url=url, smtp_url=catcher.url)
        engine = make_engine(settings)
        context = {"reference": "00000000-0000-0000-0000-000000000000", "deadline_fr": "demain",
                   "deadline_en": "tomorrow", "link_fr": "http://127.0.0.1/x",
                   "link_en": "http://127.0.0.1/y"}  # fmt: skip
        with session_scope(engine) as session:
            for n in range(MESSAGES):
                enqueue(session, event_type="mail.referral_notice", centre_id=None,
                        subject_id=None, channel="email", seal_key=settings.secret_key,
                        data=mail_data(to=f"centre{n}@example.org", template="referral_notice",
                                       lang="fr", context=context))  # fmt: skip
        dispatcher = Dispatcher.from_settings(
            settings, engine, concurrency=settings.delivery_per_origin
        )
        started = time.perf_counter()
        while dispatcher.run_once():
            pass
        service_seconds = time.perf_counter() - started
        with session_scope(engine) as session:
            sent = session.scalar(select(func.count()).select_from(OutboxEvent)
                                  .where(OutboxEvent.status == "delivered"))  # fmt: skip
        started = time.perf_counter()
        asyncio.run(_bare(catcher.url, MESSAGES, settings.delivery_per_origin))
        bare_seconds = time.perf_counter() - started
        engine.dispose()
    service_rate, bare_rate = MESSAGES / service_seconds, MESSAGES / bare_seconds
    return {
        "endpoint": "e-mails delivered by the dispatcher / bare aiosmtplib",
        "service_rps": round(service_rate, 1), "bare_rps": round(bare_rate, 1),
        "ratio": round(service_rate / bare_rate, 3), "target_ratio": TARGET_DELIVERY,
        "target_met": service_rate / bare_rate >= TARGET_DELIVERY, "delivered": sent,
    }  # fmt: skip


def catcher_count(catcher: MailCatcher) -> int:
    return len(catcher.messages)


async def _bare(smtp_url: str, count: int, at_once: int) -> None:
    target = parse_smtp_url(smtp_url)
    slots = asyncio.Semaphore(at_once)

    async def one(n: int) -> None:
        message = build_message(sender="no-reply@example.org", to=f"bare{n}@example.org",
                                subject="s", text="t", html="<p>t</p>")  # fmt: skip
        async with slots:
            await deliver(target, message)

    await asyncio.gather(*(one(n) for n in range(count)))


def main() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        rows = [intake(Path(folder)), delivery(Path(folder))]
    print(cpu_note())
    print_table(rows[:1])
    second = rows[1]
    print(f"{second['endpoint']}: {second['service_rps']}/s against {second['bare_rps']}/s, "
          f"ratio {second['ratio']} (target >= {TARGET_DELIVERY}); "
          f"delivered {second['delivered']} of {MESSAGES}")  # fmt: skip
    return {"rows": rows}


if __name__ == "__main__":
    main()
