"""The delivery loop: claim due events, send them concurrently, record the results."""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

import httpx
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from app.db import utcnow
from app.dispatcher import recording, store
from app.dispatcher.delivery import (
    AttemptResult,
    ConnectionPool,
    Job,
    attempt_delivery,
    make_transport,
    origin_of,
)
from app.dispatcher.urls import Resolver
from app.settings import Settings

log = logging.getLogger(__name__)
MAX_DB_BACKOFF = 5.0
BATCH_WINDOW = 0.05


class StopSignal(Protocol):
    """`threading.Event` and `asyncio.Event` both fit."""

    def is_set(self) -> bool: ...


class Dispatcher:
    """Delivers outbox events. Any number may run against PostgreSQL; on SQLite, one.

    `now` and `schedule_scale` compress the clock in tests; `transport` replaces the network
    (`httpx.MockTransport`). The lease must outlast an attempt, so it defaults to twice the
    timeout plus a margin.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        timeout_seconds: float = 10.0,
        concurrency: int = 64,
        lease_seconds: float | None = None,
        poll_interval: float = 0.5,
        grace_seconds: float | None = None,
        schedule_scale: float = 1.0,
        production: bool = False,
        now: Callable[[], datetime] = utcnow,
        transport: httpx.AsyncBaseTransport | None = None,
        resolver: Resolver | None = None,
        seal_key: str | None = None,
        worker_id: str | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.engine = engine
        self.timeout = timeout_seconds
        self.concurrency = concurrency
        self.lease = timedelta(seconds=lease_seconds or 2 * timeout_seconds + 30)
        self.poll_interval = poll_interval
        self.grace = timeout_seconds + 1 if grace_seconds is None else grace_seconds
        self.scale = schedule_scale
        self.production = production
        self.now = now
        self.transport = transport
        self.resolver = resolver
        self.seal_key = seal_key
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.rng = rng

    @classmethod
    def from_settings(cls, settings: Settings, engine: Engine, **options: object) -> Dispatcher:
        """A dispatcher with the timeout and environment rules of `settings`."""
        return cls(
            engine,
            timeout_seconds=settings.webhook_timeout_seconds,
            production=settings.env == "production",
            seal_key=settings.secret_key,
            **options,  # type: ignore[arg-type]
        )

    def run_once(self, limit: int | None = None) -> int:
        """Claim one batch of due events, deliver it, record it; return the attempts made."""
        return asyncio.run(self._once(limit or self.concurrency))

    def run_forever(self, stop: StopSignal) -> None:
        """Deliver until `stop` is set, then finish in-flight attempts within the grace period
        and give back the leases of those that did not finish."""
        asyncio.run(self.serve(stop))

    async def _once(self, limit: int) -> int:
        jobs = await asyncio.to_thread(self._claim, limit)
        if not jobs:
            return 0
        clients = self._clients()
        try:
            results = await asyncio.gather(*(self._attempt(clients, job) for job in jobs))
        finally:
            await clients.aclose()
        await asyncio.to_thread(self._record, list(results))
        return len(results)

    async def serve(self, stop: StopSignal) -> None:
        """The loop of `run_forever`, for callers that already run an event loop."""
        clients = self._clients()
        try:
            await Loop(self).run(clients, stop)
        finally:
            await clients.aclose()

    def _clients(self) -> ConnectionPool:
        given = self.transport
        if given is not None:  # tests: one transport (a mock) serves every attempt
            return ConnectionPool(lambda: given, self.concurrency)
        tls = httpx.create_ssl_context()
        return ConnectionPool(
            lambda: make_transport(tls=tls, timeout=self.timeout), self.concurrency
        )

    async def _attempt(self, clients: ConnectionPool, job: Job) -> AttemptResult:
        origin = origin_of(job.url)
        transport, replaced = clients.acquire(origin)
        if replaced is not None and replaced is not transport:
            await replaced.aclose()
        try:
            return await attempt_delivery(
                transport, job, timeout_seconds=self.timeout, now=self.now, resolver=self.resolver
            )
        finally:
            clients.release(origin, transport)

    def _claim(self, limit: int) -> list[Job]:
        return store.claim(
            self.engine,
            worker=self.worker_id,
            limit=limit,
            now=self.now(),
            lease=self.lease,
            production=self.production,
            seal_key=self.seal_key,
        )

    def _record(self, results: list[AttemptResult]) -> int:
        return recording.record(
            self.engine,
            results,
            worker=self.worker_id,
            now=self.now(),
            scale=self.scale,
            rng=self.rng,
        )

    def _release(self, jobs: list[Job]) -> None:
        store.release(self.engine, [j.event_id for j in jobs], worker=self.worker_id)


class Loop:
    """One `serve` run: keeps up to `concurrency` attempts in flight, claims more as slots free
    up, and records finished attempts in batches, so a slow receiver never holds back the
    others. Database outages are waited out with a growing pause."""

    def __init__(self, dispatcher: Dispatcher) -> None:
        self.d = dispatcher
        self.inflight: dict[asyncio.Task[AttemptResult], Job] = {}
        self.done: list[asyncio.Task[AttemptResult]] = []  # finished, not yet collected
        self.woken = asyncio.Event()
        self.finished: list[AttemptResult] = []
        self.next_claim = 0.0
        self.first_finished_at = 0.0
        self.db_backoff = 0.0
        self.chunk = max(1, dispatcher.concurrency // 2)

    async def run(self, clients: ConnectionPool, stop: StopSignal) -> None:
        clock = asyncio.get_running_loop().time
        while not stop.is_set():
            if self._should_claim(clock()):
                await self._claim(clients, clock())
            await self._wait(clock())
            if self._should_flush(clock()):
                await self._flush()
        await self._drain()

    def _has_room(self) -> bool:
        # Claim in chunks, not one row per finished attempt: each claim is a transaction.
        free = self.d.concurrency - len(self.inflight)
        return free > 0 and (free >= self.chunk or not self.inflight)

    def _should_flush(self, now: float) -> bool:
        # Record in batches too, but never keep a result waiting more than BATCH_WINDOW.
        if not self.finished:
            return False
        full = len(self.finished) >= self.chunk or not self.inflight
        return full or now - self.first_finished_at >= BATCH_WINDOW

    def _should_claim(self, now: float) -> bool:
        return self._has_room() and now >= self.next_claim

    async def _claim(self, clients: ConnectionPool, now: float) -> None:
        free = self.d.concurrency - len(self.inflight)
        try:
            jobs = await asyncio.to_thread(self.d._claim, free)
        except SQLAlchemyError as exc:
            self._db_failed("claim", exc, now)
            return
        self.db_backoff = 0.0
        if len(jobs) < free:
            # The queue is drained: look again after the poll interval, not at every completion.
            self.next_claim = now + self.d.poll_interval
        for job in jobs:
            task = asyncio.create_task(self.d._attempt(clients, job))
            task.add_done_callback(self._on_done)
            self.inflight[task] = job

    def _on_done(self, task: asyncio.Task[AttemptResult]) -> None:
        # A callback per task rather than asyncio.wait over all in flight at every wake-up,
        # which costs a callback added and removed on each of them (concurrency × wake-ups).
        if task in self.inflight:
            self.done.append(task)
            self.woken.set()

    async def _wait(self, now: float) -> None:
        timeout = self.d.poll_interval
        if self._has_room():
            timeout = min(timeout, self.next_claim - now)
        if self.finished:
            timeout = min(timeout, self.first_finished_at + BATCH_WINDOW - now)
        timeout = max(0.001, timeout)
        if not self.inflight:
            await asyncio.sleep(min(timeout, 0.05))
            return
        if not self.done:
            try:
                async with asyncio.timeout(timeout):
                    await self.woken.wait()
            except TimeoutError:
                pass
        self.woken.clear()
        done, self.done = self.done, []
        if done and not self.finished:
            self.first_finished_at = asyncio.get_running_loop().time()
        for task in done:
            del self.inflight[task]
            self.finished.append(task.result())

    async def _flush(self) -> bool:
        batch, self.finished = self.finished, []
        try:
            await asyncio.to_thread(self.d._record, batch)
        except SQLAlchemyError as exc:
            # Keep the results: they are recorded once the database is back (or the lease runs
            # out and the events are sent again, which at-least-once delivery allows).
            self.finished = batch + self.finished
            self._db_failed("record", exc, asyncio.get_running_loop().time())
            await asyncio.sleep(self.db_backoff)
            return False
        self.db_backoff = 0.0
        return True

    def _db_failed(self, what: str, exc: Exception, now: float) -> None:
        self.db_backoff = min(MAX_DB_BACKOFF, max(0.2, self.db_backoff * 2))
        self.next_claim = now + self.db_backoff
        log.warning("dispatcher %s failed, retrying in %.1f s: %s", what, self.db_backoff, exc)

    async def _drain(self) -> None:
        for task in self.done:  # finished before the stop: collected as usual
            del self.inflight[task]
            self.finished.append(task.result())
        self.done = []
        if self.inflight:
            done, late = await asyncio.wait(self.inflight, timeout=self.d.grace)
            self.finished.extend(t.result() for t in done)
            unfinished = [self.inflight[t] for t in late]
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
            self.inflight.clear()
            await self._give_back(unfinished)
        for _ in range(3):
            if not self.finished or await self._flush():
                break

    async def _give_back(self, jobs: list[Job]) -> None:
        try:
            await asyncio.to_thread(self.d._release, jobs)
        except SQLAlchemyError as exc:
            log.warning(
                "could not release %d leases; they expire by themselves: %s", len(jobs), exc
            )
