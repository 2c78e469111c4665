"""The dispatcher's own metrics (`ttx_delivery_*`), in a registry of this process: the API
process exposes them at `/metrics` when it runs the embedded dispatcher, a `ttx worker` on
its own port (`TTX_WORKER_METRICS_PORT`). Receivers are never named in a label: in-flight
attempts are counted per origin bucket (a stable hash of the origin into 16 buckets)."""

from __future__ import annotations

import zlib
from collections.abc import Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from app.dispatcher.outcomes import KINDS

REGISTRY = CollectorRegistry(auto_describe=True)
BUCKETS = 16

ATTEMPTS = Counter(
    "ttx_delivery_attempts",
    "Webhook delivery attempts, by outcome (app/dispatcher/outcomes.py).",
    ["outcome"],
    registry=REGISTRY,
)
DURATION = Histogram(
    "ttx_delivery_attempt_duration_seconds",
    "Time taken by one delivery attempt, by outcome.",
    ["outcome"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
    registry=REGISTRY,
)
IN_FLIGHT = Gauge(
    "ttx_delivery_in_flight",
    "Delivery attempts in flight in this process, per origin bucket.",
    ["origin_bucket"],
    registry=REGISTRY,
)
WAITING = Gauge(
    "ttx_delivery_waiting",
    "Claimed events waiting for a slot of their origin in this process (not attempts).",
    registry=REGISTRY,
)
PARKED = Counter(
    "ttx_delivery_parked",
    "Events parked as failed because they kept crashing (or their attempt could not be stored).",
    registry=REGISTRY,
)
LOOP_ERRORS = Counter(
    "ttx_dispatcher_loop_errors",
    "Unexpected errors of the delivery loop itself (never a receiver's doing).",
    registry=REGISTRY,
)
for _kind in KINDS:  # every outcome appears at 0, so rates and ratios exist from the start
    ATTEMPTS.labels(_kind)
    DURATION.labels(_kind)
for _bucket in range(BUCKETS):
    IN_FLIGHT.labels(f"{_bucket:02d}")


def origin_bucket(origin: str) -> str:
    """A stable, anonymous bucket for an origin: no host name ever becomes a label."""
    return f"{zlib.crc32(origin.encode()) % BUCKETS:02d}"


def observe_attempt(kind: str, seconds: float) -> None:
    ATTEMPTS.labels(kind).inc()
    DURATION.labels(kind).observe(seconds)


def set_in_flight(per_origin: Mapping[str, int], waiting: int) -> None:
    """The in-flight attempts of this process, from `Slots.in_flight()`."""
    buckets = dict.fromkeys((f"{b:02d}" for b in range(BUCKETS)), 0)
    for origin, n in per_origin.items():
        buckets[origin_bucket(origin)] += n
    for bucket, n in buckets.items():
        IN_FLIGHT.labels(bucket).set(n)
    WAITING.set(waiting)
