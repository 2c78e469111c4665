"""Abuse limits: per client address on the public endpoints, per key for partners.

Counters live in memory by default (one process) and in Redis when `TTX_REDIS_URL` is set, so
that every replica shares them."""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from app.errors import TooManyRequests
from app.settings import Settings


class RateLimiter:
    """A moving-window limiter with one rate for anonymous callers and one for partners."""

    def __init__(self, settings: Settings) -> None:
        storage = storage_from_string(settings.redis_url or "memory://")
        self.shared = settings.redis_url is not None
        self._limiter = MovingWindowRateLimiter(storage)
        self.public: RateLimitItem = parse(settings.rate_limit_public)
        self.partner: RateLimitItem = parse(settings.rate_limit_partner)

    def check(self, rate: RateLimitItem, *identity: str) -> None:
        """Count one request; raise 429 with `Retry-After` when over the limit."""
        if not self._limiter.hit(rate, *identity):
            reset = self._limiter.get_window_stats(rate, *identity).reset_time
            retry = max(1, math.ceil(reset - time.time()))
            raise TooManyRequests(
                f"too many requests: at most {rate} ; try again in {retry} s",
                retry_after=retry,
            )
