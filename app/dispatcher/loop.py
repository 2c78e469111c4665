"""The delivery loop of one `Dispatcher.serve` run: claims, sends, records, and keeps each
receiver to its slots (`fairness.Slots`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError

from app.dispatcher import metrics
from app.dispatcher.delivery import AttemptResult, ConnectionPool, Job, crash_result
from app.dispatcher.fairness import Slots

if TYPE_CHECKING:
    from app.dispatcher.worker import Dispatcher

log = logging.getLogger("app.dispatcher.worker")
MAX_DB_BACKOFF = 5.0
BATCH_WINDOW = 0.05
# How often a worker looks for events that kept crashing their workers (`store.park_crashed`).
PARK_EVERY = 10.0
# Unexpected errors of the loop itself in a row before the worker gives up (its own fault:
# `ttx worker` then exits non-zero for its supervisor to restart it).
MAX_LOOP_ERRORS = 20


class StopSignal(Protocol):
    """`threading.Event` and `asyncio.Event` both fit."""

    def is_set(self) -> bool: ...


class DispatcherFault(RuntimeError):
    """The dispatcher's own loop keeps failing: not any receiver's doing."""


def is_outage(exc: BaseException) -> bool:
    """A database error that waiting fixes (server gone, connection lost, SQLite busy), as
    opposed to one that the same statement would raise again (a row it cannot store)."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, OperationalError | InterfaceError)


class Loop:
    """One `serve` run: keeps up to `concurrency` attempts in flight, at most `per_origin` of
    them to one origin (`Slots`), claims more as slots free up, and records finished attempts
    in batches, so a slow receiver never holds back the others. Database outages are waited
    out with a growing pause."""

    def __init__(self, dispatcher: Dispatcher) -> None:
        self.d = dispatcher
        self.slots = Slots(
            dispatcher.per_origin,
            dispatcher.per_endpoint,
            wait_budget=dispatcher.lease.total_seconds() / 4,
            max_queue=dispatcher.concurrency,
        )
        self.clients: ConnectionPool | None = None
        self.inflight: dict[asyncio.Task[AttemptResult], Job] = {}
        self.done: list[AttemptResult] = []  # finished attempts, not yet taken for recording
        self.stopping = False
        self.released: list[Job] = []  # claimed, to give back without an attempt
        self.woken = asyncio.Event()
        self.finished: list[AttemptResult] = []
        self.next_claim = 0.0
        self.first_finished_at = 0.0
        self.db_backoff = 0.0
        self.next_park = 0.0
        self.chunk = max(1, dispatcher.concurrency // 2)

    async def run(self, clients: ConnectionPool, stop: StopSignal) -> None:
        self.clients = clients
        clock = asyncio.get_running_loop().time
        errors = 0
        while not stop.is_set():
            try:
                await self._step(clients, clock)
                errors = 0
            except Exception as exc:
                # Never one event's doing (attempts and recording are contained): ours.
                errors += 1
                metrics.LOOP_ERRORS.inc()
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
            metrics.PARKED.inc(await asyncio.to_thread(self.d._park))
        except SQLAlchemyError as exc:
            log.warning("could not look for crashing events: %s", exc)

    def _free(self) -> int:
        # Waiting jobs have a budget of their own (`Slots.max_queue`): a receiver whose slots
        # are all taken never keeps the others from being claimed.
        return self.d.concurrency - len(self.inflight)

    def _has_room(self) -> bool:
        # Claim in chunks, not one row per finished attempt: each claim is a transaction.
        free = self._free()
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
        free = self._free()
        skip = self.slots.excluded_endpoints(now)
        try:
            jobs = await asyncio.to_thread(self.d._claim, free, skip)
        except SQLAlchemyError as exc:
            self._db_failed("claim", exc, now)
            return
        self.db_backoff = 0.0
        if len(jobs) < free:
            # The queue is drained: look again after the poll interval, not at every completion.
            self.next_claim = now + self.d.poll_interval
        give_back = []
        for job in jobs:
            verdict = self.slots.admit(job, now)
            if verdict == "start":
                self._start(job)
            elif verdict == "release":
                give_back.append(job)
        await self._give_back(give_back)

    def _start(self, job: Job) -> None:
        if self.clients is None:
            raise RuntimeError("the loop is not running")
        task = asyncio.create_task(self.d._attempt(self.clients, job))
        task.add_done_callback(self._on_done)
        self.inflight[task] = job

    def _on_done(self, task: asyncio.Task[AttemptResult]) -> None:
        # A callback per task rather than asyncio.wait over all in flight at every wake-up,
        # which costs a callback added and removed on each of them (concurrency × wake-ups).
        # The freed slot is given to a waiting job here and now, even while the loop itself
        # is recording or claiming: a capped receiver never waits on the database.
        if task not in self.inflight:
            return
        try:
            self.done.append(self._collect(task, restart=not self.stopping))
        except Exception:
            log.exception("collecting an attempt failed")
        self.woken.set()

    async def _wait(self, now: float) -> None:
        timeout = self.d.poll_interval
        if self._has_room():
            timeout = min(timeout, self.next_claim - now)
        if self.finished:
            timeout = min(timeout, self.first_finished_at + BATCH_WINDOW - now)
        timeout = max(0.001, timeout)
        if self.done:
            pass  # results to take at once
        elif not self.inflight:
            await asyncio.sleep(min(timeout, 0.05))
        else:
            try:
                async with asyncio.timeout(timeout):
                    await self.woken.wait()
            except TimeoutError:
                pass
        self.woken.clear()
        done, self.done = self.done, []
        if done and not self.finished:
            self.first_finished_at = asyncio.get_running_loop().time()
        self.finished.extend(done)
        self.released.extend(self.slots.overdue(asyncio.get_running_loop().time()))
        metrics.set_in_flight(self.slots.in_flight(), self.slots.waiting_count)
        if self.released:
            jobs, self.released = self.released, []
            await self._give_back(jobs)

    def _collect(self, task: asyncio.Task[AttemptResult], *, restart: bool = True) -> AttemptResult:
        job = self.inflight.pop(task)
        if task.cancelled():
            result = crash_result(job, self.d.now(), asyncio.CancelledError())
        elif (exc := task.exception()) is not None:
            result = crash_result(job, self.d.now(), exc)
        else:
            result = task.result()
        now = asyncio.get_running_loop().time()
        metrics.observe_attempt(result.kind, result.duration_ms / 1000)
        if result.retry_after is not None and result.kind == "throttled":
            self.released.extend(self.slots.pause(job, now + result.retry_after * self.d.scale))
        for waiting in self.slots.finished(job, now, result.duration_ms / 1000):
            if restart:
                self._start(waiting)
            else:
                self.released.append(waiting)
        return result

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
        self.stopping = True  # freed slots start nothing more
        self.finished.extend(self.done)  # finished before the stop: recorded as usual
        self.done = []
        # Waiting for a slot is not an attempt: what never started is given back as is.
        await self._give_back(self.slots.drain_waiting() + self.released)
        self.released = []
        if self.inflight:
            _, late = await asyncio.wait(list(self.inflight), timeout=self.d.grace)
            self.finished.extend(self.done)
            self.done = []
            unfinished = [self.inflight.pop(t) for t in late]  # popped: not collected
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
            await self._give_back(unfinished + self.released)
            self.released = []
        for _ in range(3):
            if not self.finished or await self._flush():
                break

    async def _give_back(self, jobs: list[Job]) -> None:
        if not jobs:
            return
        try:
            await asyncio.to_thread(self.d._release, jobs)
        except SQLAlchemyError as exc:
            log.warning(
                "could not release %d leases; they expire by themselves: %s", len(jobs), exc
            )
