"""When to try a delivery again (DESIGN §8). Pure functions, no I/O."""

from __future__ import annotations

import random

# Delay before attempt n+1, in seconds: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
# Together they span about 28 hours, so a centre whose server is down for a day still gets
# the request.
SCHEDULE_SECONDS: tuple[float, ...] = (0, 5, 300, 1800, 7200, 18000, 36000, 36000)
MAX_ATTEMPTS = len(SCHEDULE_SECONDS)
JITTER = 0.1


def retry_delay(
    attempts_made: int,
    *,
    scale: float = 1.0,
    rng: random.Random | None = None,
) -> float | None:
    """Seconds to wait before the next attempt after `attempts_made` failed ones, or `None` when
    the schedule is exhausted and the delivery is failed.

    Each delay is spread by ±10 % so that events that failed together (a centre's outage) do
    not all come back in the same instant. `scale` compresses the clock in tests.
    """
    if attempts_made < 0:
        raise ValueError("attempts_made must be >= 0")
    if attempts_made >= MAX_ATTEMPTS:
        return None
    base = SCHEDULE_SECONDS[attempts_made] * scale
    spread = (rng or random).uniform(-JITTER, JITTER)  # noqa: S311  (not a secret)
    return max(0.0, base * (1 + spread))
