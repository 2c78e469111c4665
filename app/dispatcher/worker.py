"""The delivery loop: claim due events, send them concurrently, record the results."""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

import httpx
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from app.db import utcnow
from app.dispatcher import recording, store
from app.dispatcher.delivery import (
    AttemptResult,
    Connection,
    ConnectionPool,
    Job,
    attempt_delivery,
    crash_result,
    make_transport,
    origin_of,
)
from app.dispatcher.loop import DispatcherFault, Loop, StopSignal, is_outage
from app.dispatcher.mailing import MailRoute, attempt_mail
from app.dispatcher.outcomes import STALE_CONNECTION_KINDS
from app.dispatcher.urls import Resolver
from app.models.states import AttemptOutcome, Channel
from app.ops.logs import REQUEST_ID
from app.settings import Settings

log = logging.getLogger(__name__)
_NO_MAIL = MailRoute("smtp://unset", refused="e-mail is off on this worker (TTX_SMTP_URL unset)")


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
        seal_key: SecretStr | None = None,
        worker_id: str | None = None,
        rng: random.Random | None = None,
        park_after: int = store.PARK_AFTER,
        per_origin: int = 4,
        per_endpoint: int | None = None,
        mail: MailRoute | None = None,
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
        self.per_origin = per_origin
        self.per_endpoint = per_endpoint
        self.mail = mail

    @classmethod
    def from_settings(cls, settings: Settings, engine: Engine, **options: object) -> Dispatcher:
        """A dispatcher with the timeout and environment rules of `settings`."""
        return cls(
            engine,
            timeout_seconds=settings.webhook_timeout_seconds,
            production=settings.env == "production",
            seal_key=settings.secret_key,
            per_origin=settings.delivery_per_origin,
            per_endpoint=settings.delivery_per_endpoint,
            **({"mail": MailRoute.from_settings(settings)} | options),  # type: ignore[arg-type]
        )

    def run_once(self, limit: int | None = None) -> int:
        """Claim one batch of due events, deliver it, record it; return the attempts made.
        (Tests and tools: no per-origin cap here; `serve` is what workers run.)"""
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
        REQUEST_ID.set(job.request_id)  # this task's own context: its log lines carry it
        started_at = self.now()
        try:
            result = await self._send(clients, job)
        except Exception as exc:
            log.exception("attempt on %s raised", job.webhook_id)
            return crash_result(job, started_at, exc)
        if result.outcome != AttemptOutcome.SUCCESS:
            log.info(
                "delivery attempt %d of %s: %s",
                job.attempt,
                job.webhook_id,
                result.error,
                extra={"webhook_id": job.webhook_id, "outcome": result.kind},
            )
        return result

    async def _send(self, clients: ConnectionPool, job: Job) -> AttemptResult:
        if job.channel == Channel.EMAIL:
            return await attempt_mail(self.mail or _NO_MAIL, job, now=self.now)
        origin = origin_of(job.url)
        transport, replaced, reused = clients.acquire(origin)
        try:
            if replaced is not None and replaced is not transport:
                await replaced.aclose()
            result = await self._post(transport, job)
            if reused and result.kind in STALE_CONNECTION_KINDS:
                # The receiver dropped an idle keep-alive connection as the request went out:
                # once, at once, on a fresh connection, before it counts as a failure.
                transport = await clients.renew(transport)
                result = await self._post(transport, job)
            return result
        finally:
            clients.release(origin, transport)

    async def _post(self, transport: Connection, job: Job) -> AttemptResult:
        return await attempt_delivery(
            transport, job, timeout_seconds=self.timeout, now=self.now, resolver=self.resolver
        )

    def _claim(self, limit: int, skip: Sequence[uuid.UUID] = ()) -> list[Job]:
        return store.claim(
            self.engine,
            skip_endpoints=skip,
            worker=self.worker_id,
            limit=limit,
            now=self.now(),
            lease=self.lease,
            production=self.production,
            seal_key=self.seal_key,
            park_after=self.park_after,
            mail=self.mail,
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
        if jobs:
            store.release(self.engine, [j.event_id for j in jobs], worker=self.worker_id)


__all__ = ["Dispatcher", "DispatcherFault", "StopSignal"]
