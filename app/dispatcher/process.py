"""The two ways to run the dispatcher (DESIGN §2): inside the API process (`ttx serve`) or
alone (`ttx worker`, any number of them on PostgreSQL)."""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType

from sqlalchemy.engine import Engine

from app.db import make_engine
from app.dispatcher.worker import Dispatcher
from app.settings import Settings

log = logging.getLogger(__name__)


class EmbeddedDispatcher:
    """A dispatcher running in a background thread of the API process. If its loop ever
    dies (its own fault: receivers' errors are attempts), `running` turns false and `failure`
    says why, for `GET /readyz` to report."""

    def __init__(self, dispatcher: Dispatcher) -> None:
        self.dispatcher = dispatcher
        self.failure: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ttx-dispatcher", daemon=True)

    def _run(self) -> None:
        try:
            self.dispatcher.run_forever(self._stop)
        except BaseException as exc:
            self.failure = f"{type(exc).__name__}: {exc}"
            log.exception("embedded dispatcher %s stopped", self.dispatcher.worker_id)

    def start(self) -> EmbeddedDispatcher:
        self._thread.start()
        return self

    def stop(self, timeout: float | None = None) -> None:
        """Stop claiming, let in-flight attempts finish (within the grace period), and wait."""
        self._stop.set()
        self._thread.join(timeout if timeout is not None else self.dispatcher.grace + 5)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def status(self) -> tuple[bool, str | None]:
        """Whether it delivers, and if not, why (for readiness)."""
        if self._thread.is_alive():
            return True, None
        if self.failure:
            return False, f"the embedded dispatcher stopped: {self.failure}"
        if self._stop.is_set():
            return False, "the embedded dispatcher was stopped"
        return False, "the embedded dispatcher is not running"


def start_embedded(settings: Settings, engine: Engine, **options: object) -> EmbeddedDispatcher:
    """Start delivering in a background thread; call `.stop()` on shutdown (app lifespan)."""
    dispatcher = Dispatcher.from_settings(settings, engine, **options)
    log.info("embedded dispatcher %s started", dispatcher.worker_id)
    return EmbeddedDispatcher(dispatcher).start()


def run_worker(settings: Settings, *, engine: Engine | None = None, **options: object) -> None:
    """Deliver until SIGTERM or SIGINT (blocking; `ttx worker`).

    On the signal the worker stops claiming, finishes in-flight attempts within the grace
    period, records them, and gives back the leases of those that did not finish.
    Must be called from the main thread (signal handlers).
    """
    own_engine = engine is None
    db = engine if engine is not None else make_engine(settings)
    dispatcher = Dispatcher.from_settings(settings, db, **options)
    stop = threading.Event()

    def _on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("worker %s: signal %d, finishing in-flight attempts", dispatcher.worker_id, signum)
        stop.set()

    previous = {sig: signal.signal(sig, _on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    log.info("worker %s started", dispatcher.worker_id)
    try:
        dispatcher.run_forever(stop)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if own_engine:
            db.dispose()
    log.info("worker %s stopped", dispatcher.worker_id)
