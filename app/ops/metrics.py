"""Prometheus metrics (`GET /metrics`): the API's requests by route template, the
dispatcher's attempts (`app.dispatcher.metrics`), and gauges read from the database at each
scrape (what is queued, how old the oldest due event is, what waits for staff), so that
every replica and worker reports the same backlog.

Labels never hold a raw path, an id, a postal code or an e-mail: routes are templates
(`/v1/centres/{centre_id}`), unknown paths are `unmatched`, receivers are buckets."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from app.db import utcnow
from app.dispatcher import metrics as dispatch_metrics
from app.models import Consultation, InboxEndpoint, OutboxEvent, Referral
from app.models.states import Channel, ConsultationStatus, OutboxStatus, ReferralState

log = logging.getLogger(__name__)
EVENT = OutboxEvent.__table__  # type: ignore[attr-defined]
ENDPOINT = InboxEndpoint.__table__  # type: ignore[attr-defined]
REFERRAL = Referral.__table__  # type: ignore[attr-defined]
CONSULTATION = Consultation.__table__  # type: ignore[attr-defined]
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


class HttpMetrics:
    """The API's request metrics, in a registry of one app (tests build many apps)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "ttx_http_requests",
            "HTTP requests answered, by method, route template and status code.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "ttx_http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template.",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )

        # Children by label values: `labels()` costs more than the increment itself.
        self._counters: dict[tuple[str, str, int], Any] = {}
        self._timers: dict[tuple[str, str], Any] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        counter = self._counters.get(key)
        if counter is None:
            counter = self._counters[key] = self.requests.labels(method, route, str(status))
        counter.inc()
        timer = self._timers.get(key[:2])
        if timer is None:
            timer = self._timers[key[:2]] = self.duration.labels(method, route)
        timer.observe(seconds)


class BacklogCollector(Collector):
    """Gauges read from the database when scraped: cheap counts on indexed columns."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        try:
            yield from self._collect(utcnow())
        except SQLAlchemyError as exc:
            log.warning("backlog metrics unavailable: %s", type(exc).__name__)
            up = GaugeMetricFamily("ttx_database_up", "Whether the database answered the scrape.")
            up.add_metric([], 0)
            yield up

    def _collect(self, now: datetime) -> Iterator[Metric]:
        ev, ep, ref, con = EVENT.c, ENDPOINT.c, REFERRAL.c, CONSULTATION.c
        with self.engine.connect() as conn:
            events: dict[str, int] = dict(
                conn.execute(select(ev.status, func.count()).group_by(ev.status)).all()
            )
            oldest = conn.execute(
                select(func.min(ev.next_attempt_at))
                .select_from(EVENT.join(ENDPOINT, ep.centre_id == ev.centre_id))
                .where(
                    ev.status == OutboxStatus.PENDING,
                    ev.next_attempt_at <= now,
                    ep.enabled.is_(True),
                )
                .where(ev.channel == Channel.WEBHOOK)
            ).scalar()
            oldest_mail = conn.execute(
                select(func.min(ev.next_attempt_at)).where(
                    ev.status == OutboxStatus.PENDING,
                    ev.next_attempt_at <= now,
                    ev.channel == Channel.EMAIL,
                )
            ).scalar()
            referrals: dict[str, int] = dict(
                conn.execute(select(ref.state, func.count()).group_by(ref.state)).all()
            )
            unrouted = conn.execute(
                select(func.count())
                .select_from(CONSULTATION)
                .where(con.status == ConsultationStatus.UNROUTED)
            ).scalar_one()
            disabled = conn.execute(
                select(func.count()).select_from(ENDPOINT).where(ep.enabled.is_(False))
            ).scalar_one()
        yield _gauge("ttx_database_up", "Whether the database answered the scrape.", 1)
        family = GaugeMetricFamily(
            "ttx_outbox_events", "Outbox events by status.", labels=["status"]
        )
        for status in OutboxStatus:
            family.add_metric([status], events.get(status, 0))
        yield family
        age = 0.0 if oldest is None else max(0.0, (now - _aware(oldest, now)).total_seconds())
        yield _gauge(
            "ttx_outbox_oldest_due_seconds",
            "How long the oldest due webhook (enabled endpoint) has waited; 0 when none.",
            age,
        )
        mail_age = (
            0.0
            if oldest_mail is None
            else max(0.0, (now - _aware(oldest_mail, now)).total_seconds())
        )
        yield _gauge(
            "ttx_mail_oldest_due_seconds",
            "How long the oldest due e-mail has waited (TTX_SMTP_URL down?); 0 when none.",
            mail_age,
        )
        family = GaugeMetricFamily("ttx_referrals", "Referrals by state.", labels=["state"])
        for state in ReferralState:
            family.add_metric([state], referrals.get(state, 0))
        yield family
        yield _gauge(
            "ttx_consultations_unrouted", "Requests waiting for staff to route them.", unrouted
        )
        yield _gauge("ttx_inbox_endpoints_disabled", "Webhook endpoints disabled.", disabled)


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation)
    family.add_metric([], value)
    return family


def _aware(moment: datetime, now: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=now.tzinfo)


def exposition(*registries: CollectorRegistry) -> bytes:
    """The Prometheus text format of every registry given, one after the other."""
    return b"".join(generate_latest(registry) for registry in registries)


def backlog_registry(engine: Engine) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(BacklogCollector(engine))
    return registry


def dispatcher_registry() -> CollectorRegistry:
    return dispatch_metrics.REGISTRY


def token_matches(given: str | None, expected: SecretStr) -> bool:
    """`Authorization: Bearer <token>` checked in constant time."""
    if not given or not given.startswith("Bearer "):
        return False
    return hmac.compare_digest(
        given.removeprefix("Bearer ").encode(), expected.get_secret_value().encode()
    )
