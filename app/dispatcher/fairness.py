"""Fairness between receivers: at most a few attempts in flight per origin and per endpoint,
so a small server (a stdlib `http.server`, listen backlog 5) gets every request promptly, and
one slow or dead receiver only ever holds its own slots. Pure bookkeeping, no I/O: the loop
asks what to do with each claimed job and is told which waiting jobs may start.

Waiting for a slot is not an attempt: a claimed job that cannot start waits here (a short
queue per origin, within its lease) or is given back at once, and the receiver's endpoints
are left out of the next claims while it is full."""

from __future__ import annotations

import uuid
from collections import Counter, deque
from typing import Literal

from app.dispatcher.delivery import Job, origin_of

Verdict = Literal["start", "wait", "release"]


class Slots:
    """Attempts in flight per origin and per endpoint, the jobs waiting for one, and the
    origins that asked to be left alone for a while (429/503 with `Retry-After`)."""

    def __init__(
        self,
        per_origin: int,
        per_endpoint: int | None = None,
        *,
        wait_budget: float = 10.0,
        max_queue: int = 64,
    ) -> None:
        if per_origin < 1:
            raise ValueError("per_origin must be at least 1")
        self.per_origin = per_origin
        self.per_endpoint = min(per_endpoint or per_origin, per_origin)
        # A claimed job should not wait for a slot longer than `wait_budget` seconds (well
        # within its lease): each origin's queue is as long as its pace allows.
        self.wait_budget = wait_budget
        self.max_queue = max(per_origin, max_queue)
        self.pace: dict[str, float] = {}  # origin -> mean seconds per attempt (moving)
        self.busy: Counter[str] = Counter()
        self.busy_endpoint: Counter[uuid.UUID] = Counter()
        self.waiting: dict[str, deque[tuple[Job, float]]] = {}  # with the time it came in
        self.endpoints: dict[str, set[uuid.UUID]] = {}
        self.paused: dict[str, float] = {}  # origin -> loop time it may be called again

    @property
    def waiting_count(self) -> int:
        return sum(len(queue) for queue in self.waiting.values())

    def in_flight(self) -> dict[str, int]:
        """Attempts in flight per origin (for metrics), origins with none left out."""
        return {origin: n for origin, n in self.busy.items() if n}

    def admit(self, job: Job, now: float) -> Verdict:
        """What to do with a job just claimed: start it (its slot is taken), keep it waiting
        for a slot of its origin, or give it back (the origin is full or paused)."""
        origin = origin_of(job.url)
        self.endpoints.setdefault(origin, set()).add(job.endpoint_id)
        if self._is_paused(origin, now):
            return "release"
        if self._can_start(origin, job):
            self._take(origin, job)
            return "start"
        queue = self.waiting.setdefault(origin, deque())
        if len(queue) < self.queue_limit(origin) and self.waiting_count < self.max_queue:
            queue.append((job, now))
            return "wait"
        return "release"

    def queue_limit(self, origin: str) -> int:
        """Jobs that may wait for `origin`: a fast receiver gets a long queue (its slots free
        up quickly), a slow or dead one no more than it has slots."""
        pace = self.pace.get(origin)
        if pace is None:  # not known yet: as many as it has slots
            return self.per_origin
        fits = int(self.wait_budget * self.per_origin / max(pace, 0.001))
        return max(self.per_origin, min(self.max_queue, fits))

    def finished(self, job: Job, now: float, seconds: float | None = None) -> list[Job]:
        """A job's attempt is over (after `seconds`): free its slot; return the waiting jobs
        that may start now (their slots are taken)."""
        origin = origin_of(job.url)
        if seconds is not None:
            before = self.pace.get(origin)
            self.pace[origin] = seconds if before is None else 0.8 * before + 0.2 * seconds
        self.busy[origin] -= 1
        self.busy_endpoint[job.endpoint_id] -= 1
        if not self.busy[origin]:
            del self.busy[origin]
        if not self.busy_endpoint[job.endpoint_id]:
            del self.busy_endpoint[job.endpoint_id]
        if self._is_paused(origin, now):
            return []
        return self._start_waiting(origin)

    def pause(self, job: Job, until: float) -> list[Job]:
        """The receiver asked to wait (`Retry-After`): claim nothing more for its origin until
        `until`; return its waiting jobs, to give back."""
        origin = origin_of(job.url)
        self.paused[origin] = max(until, self.paused.get(origin, 0.0))
        return [waiting for waiting, _ in self.waiting.pop(origin, ())]

    def overdue(self, now: float) -> list[Job]:
        """Jobs that waited longer than `wait_budget` (their receiver slowed down since they
        came in): taken out, to give back before their lease runs short."""
        out: list[Job] = []
        for origin, queue in list(self.waiting.items()):
            while queue and now - queue[0][1] > self.wait_budget:
                out.append(queue.popleft()[0])
            if not queue:
                del self.waiting[origin]
        return out

    def excluded_endpoints(self, now: float) -> list[uuid.UUID]:
        """Endpoints not worth claiming for now: their origin (or themselves) has every slot
        taken and a full queue, or is paused."""
        out: set[uuid.UUID] = set()
        for origin, endpoints in self.endpoints.items():
            full = self.busy[origin] + len(self.waiting.get(origin, ())) >= (
                self.per_origin + self.queue_limit(origin)
            )
            if full or self._is_paused(origin, now):
                out |= endpoints
        out |= {e for e, n in self.busy_endpoint.items() if n >= self.per_endpoint}
        return sorted(out)

    def drain_waiting(self) -> list[Job]:
        """Every waiting job (on shutdown: given back, never attempted)."""
        jobs = [job for queue in self.waiting.values() for job, _ in queue]
        self.waiting.clear()
        return jobs

    def _start_waiting(self, origin: str) -> list[Job]:
        queue = self.waiting.get(origin)
        started: list[Job] = []
        if not queue:
            return started
        for entry in list(queue):
            job = entry[0]
            if not self._can_start(origin, job):
                continue
            queue.remove(entry)
            self._take(origin, job)
            started.append(job)
        if not queue:
            del self.waiting[origin]
        return started

    def _can_start(self, origin: str, job: Job) -> bool:
        return (
            self.busy[origin] < self.per_origin
            and self.busy_endpoint[job.endpoint_id] < self.per_endpoint
        )

    def _take(self, origin: str, job: Job) -> None:
        self.busy[origin] += 1
        self.busy_endpoint[job.endpoint_id] += 1

    def _is_paused(self, origin: str, now: float) -> bool:
        until = self.paused.get(origin)
        if until is None:
            return False
        if now >= until:
            del self.paused[origin]
            return False
        return True
