"""Abuse limits: per client address (IPv6 by /64) on the public endpoints, per key for every
key holder (partners, centres, staff), each role at its own rate.

Counters live in this process by default (a restart forgets them) and in Redis when
`TTX_REDIS_URL` is set, so that every replica shares them and they survive a restart. Both
count a moving window: at most N requests in any period of the rate's length."""

from __future__ import annotations

import ipaddress
import math
import threading
import time
from collections import deque

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from app.errors import TooManyRequests
from app.settings import Settings


def client_key(host: str | None) -> str:
    """What the public limit counts: the client's IPv4 address, or its IPv6 /64 network
    (one household or machine holds a whole /64 and could take a new address per request)."""
    if not host:
        return "-"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host  # a unix socket or a test client's name
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return host


class RateLimiter:
    """A moving-window limiter with one rate for anonymous callers and one for partners."""

    def __init__(self, settings: Settings) -> None:
        self.shared = settings.redis_url is not None
        self._redis = (
            MovingWindowRateLimiter(storage_from_string(settings.redis_url.get_secret_value()))
            if settings.redis_url is not None
            else None
        )
        self._local = MovingWindows()
        self.public: RateLimitItem = parse(settings.rate_limit_public)
        self.partner: RateLimitItem = parse(settings.rate_limit_partner)
        self.by_role: dict[str, RateLimitItem] = {
            "partner": self.partner,
            "centre": parse(settings.rate_limit_centre),
            "admin": parse(settings.rate_limit_admin),
        }

    def check_key(self, role: str, key_id: str) -> None:
        """Count one request of a key, at its role's rate (every caller has a limit)."""
        self.check(self.by_role[role], "key", key_id)

    def check(self, rate: RateLimitItem, *identity: str) -> None:
        """Count one request; raise 429 with `Retry-After` when over the limit."""
        if self._redis is None:
            wait = self._local.hit(rate.amount, rate.get_expiry(), (str(rate), *identity))
        elif self._redis.hit(rate, *identity):
            wait = None
        else:
            wait = self._redis.get_window_stats(rate, *identity).reset_time - time.time()
        if wait is not None:
            retry = max(1, math.ceil(wait))
            raise TooManyRequests("rate_limited", rate=str(rate), retry_after=retry)


class MovingWindows:
    """Moving windows in this process: the times of each key's hits within its window.

    A hit costs a lock and a few deque operations, with no timer thread; keys idle for longer
    than their window are dropped every few thousand hits, so memory follows active callers.
    """

    PRUNE_EVERY = 4096

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._hits: dict[tuple[str, ...], tuple[float, deque[float]]] = {}
        self._count = 0

    def hit(
        self, limit: int, seconds: float, key: tuple[str, ...], now: float | None = None
    ) -> float | None:
        """Count a hit for `key`, allowed `limit` per `seconds`: None when allowed, else the
        seconds until the oldest hit leaves the window (nothing is counted then). `now` is a
        `time.monotonic()` reading, given by tests."""
        now = time.monotonic() if now is None else now
        if limit <= 0:  # a rate of 0 closes the door
            return seconds
        with self._lock:
            entry = self._hits.get(key)
            if entry is None:
                entry = self._hits[key] = (seconds, deque())
            times = entry[1]
            horizon = now - seconds
            while times and times[0] <= horizon:
                times.popleft()
            if len(times) >= limit:
                return times[0] - horizon
            times.append(now)
            self._count += 1
            if self._count % self.PRUNE_EVERY == 0:
                self._prune(now)
        return None

    def __len__(self) -> int:
        """Keys currently tracked."""
        return len(self._hits)

    def _prune(self, now: float) -> None:
        idle = [k for k, (span, hits) in self._hits.items() if not hits or hits[-1] <= now - span]
        for key in idle:
            del self._hits[key]
