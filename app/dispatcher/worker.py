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
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError

from app.db import utcnow
from app.dispatcher import recording, store
from app.dispatcher.delivery import (
    AttemptResult,
    ConnectionPool,
    Job,
    attempt_delivery,
    crash_result,
    make_transport,
    origin_of,
)
from app.dispatcher.urls import Resolver
from app.settings import Settings

log = logging.getLogger(__name__)
MAX_DB_BACKOFF = 5.0
BATCH_WINDOW = 0.05
# How often a worker looks for events that kept crashing their workers (`store.park_crashed`).
PARK_EVERY = 10.0
# Unexpected errors of the loop itself in a row before the worker gives up (its own fault:
# `ttx worker` then exits non-zero for its supervisor to restart it).
MAX_LOOP_ERRORS = 20


class DispatcherFault(RuntimeError):
    """The dispatcher's own loop keeps failing: not any receiver's doing."""


def is_outage(exc: BaseException) -> bool:
    """A database error that waiting fixes (server gone, connection lost, SQLite busy), as
    opposed to one that the same statement would raise again (a row it cannot store)."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, OperationalError | InterfaceError)


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
        park_after: int = store.PARK_AFTER,
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
        self.park_after = park_after

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
        await asyncio.to_thread(self._park)
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
        """One attempt; whatever it raises becomes a failed attempt of this event only."""
        started_at = self.now()
        try:
            return await self._send(clients, job)
        except Exception as exc:
            log.exception("attempt on %s raised", job.webhook_id)
            return crash_result(job, started_at, exc)

    async def _send(self, clients: ConnectionPool, job: Job) -> AttemptResult:
        origin = origin_of(job.url)
        transport, replaced = clients.acquire(origin)
        try:
            if replaced is not None and replaced is not transport:
                await replaced.aclose()
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
            park_after=self.park_after,
        )

    def _park(self) -> int:
        return store.park_crashed(self.engine, now=self.now(), park_after=self.park_after)

    def _record(self, results: list[AttemptResult]) -> int:
        return recording.record(
            self.engine,
            results,
            worker=self.worker_id,
            now=self.now(),
            scale=self.scale,
            rng=self.rng,
            park_after=self.park_after,
        )

    def _record_apart(self, results: list[AttemptResult]) -> list[AttemptResult]:
        """Record each result on its own after a batch could not be; an event whose result
        still cannot be stored is parked. Returns those left for a database outage."""
        left = []
        for res in results:
            try:
                self._record([res])
            except Exception as exc:
                if is_outage(exc):
                    left.append(res)
                    continue
                log.exception("attempt on %s cannot be recorded; parking it", res.job.webhook_id)
                recording.park(self.engine, res, worker=self.worker_id, reason=exc)
        return left

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
        self.next_park = 0.0
        self.chunk = max(1, dispatcher.concurrency // 2)

    async def run(self, clients: ConnectionPool, stop: StopSignal) -> None:
        clock = asyncio.get_running_loop().time
        errors = 0
        while not stop.is_set():
            try:
                await self._step(clients, clock)
                errors = 0
            except Exception as exc:
                # Never one event's doing (attempts and recording are contained): ours.
                errors += 1
                log.exception("dispatcher loop error %d in a row", errors)
                if errors >= MAX_LOOP_ERRORS:
                    await self._drain()
                    raise DispatcherFault(f"the delivery loop failed {errors} times") from exc
                await asyncio.sleep(min(MAX_DB_BACKOFF, 0.1 * errors))
        await self._drain()

    async def _step(self, clients: ConnectionPool, clock: Callable[[], float]) -> None:
        if clock() >= self.next_park:
            self.next_park = clock() + PARK_EVERY
            await self._park()
        if self._should_claim(clock()):
            await self._claim(clients, clock())
        await self._wait(clock())
        if self._should_flush(clock()):
            await self._flush()

    async def _park(self) -> None:
        try:
            await asyncio.to_thread(self.d._park)
        except SQLAlchemyError as exc:
            log.warning("could not look for crashing events: %s", exc)

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
            self.finished.append(self._collect(task))

    def _collect(self, task: asyncio.Task[AttemptResult]) -> AttemptResult:
        job = self.inflight.pop(task)
        if task.cancelled():
            return crash_result(job, self.d.now(), asyncio.CancelledError())
        exc = task.exception()
        return crash_result(job, self.d.now(), exc) if exc is not None else task.result()

    async def _flush(self) -> bool:
        batch, self.finished = self.finished, []
        try:
            await asyncio.to_thread(self.d._record, batch)
        except Exception as exc:
            if not is_outage(exc):
                # Something in this batch cannot be stored (a bug, a value the database
                # refuses): the others are recorded one by one, the culprit is parked.
                log.warning("recording a batch of %d failed (%s); one by one", len(batch), exc)
                left = await asyncio.to_thread(self.d._record_apart, batch)
                if not left:
                    self.db_backoff = 0.0
                    return True
                batch, exc = left, exc
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
            self.finished.append(self._collect(task))
        self.done = []
        if self.inflight:
            done, late = await asyncio.wait(self.inflight, timeout=self.d.grace)
            self.finished.extend(self._collect(t) for t in done)
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
