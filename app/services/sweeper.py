"""Periodic housekeeping beside the dispatcher: expire unanswered referrals (and route their
requests on), remind centres by e-mail 24 h before a referral expires, drop old idempotency
records, the sign-in links and web sessions that ended a month ago and the directory's
change log older than a day."""

from __future__ import annotations

import logging
import threading

from sqlalchemy import delete
from sqlalchemy.engine import Engine

from app import dispatcher
from app.db import session_scope, utcnow
from app.models import IdempotencyRecord
from app.services import notices, referrals, reports, signin
from app.services.directory_rows import prune_changes
from app.settings import Settings

log = logging.getLogger("ttx.sweeper")
_hooks_installed = False


def install_hooks() -> None:
    """Let the dispatcher tell the referral rules about deliveries (once per process)."""
    global _hooks_installed
    if not _hooks_installed:
        dispatcher.on_delivered(referrals.on_webhooks_delivered)
        _hooks_installed = True


def sweep(engine: Engine, settings: Settings) -> int:
    """One pass; returns how many referrals expired."""
    now = utcnow()
    with session_scope(engine) as session:
        expired = referrals.expire_due(session, settings, now)
        notices.remind_due(session, settings, now)
        session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.expires_at <= now))  # type: ignore[arg-type]
        signin.forget_old(session, now=now)
        prune_changes(session, now)
    with session_scope(engine) as session:
        reports.catch_up(session, now=now)  # the days just closed, before anyone asks
    return expired


class Sweeper:
    """Runs `sweep` every `interval` seconds in a background thread until stopped."""

    def __init__(self, engine: Engine, settings: Settings, interval: float = 30.0) -> None:
        self._engine, self._settings, self._interval = engine, settings, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ttx-sweeper", daemon=True)

    def start(self) -> Sweeper:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(self._interval + 5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                expired = sweep(self._engine, self._settings)
                if expired:
                    log.info("expired %d unanswered referrals", expired)
            except Exception:  # the sweeper must outlive any one bad pass
                log.exception("sweep failed; will try again")
            self._stop.wait(self._interval)
