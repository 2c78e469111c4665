"""The retry schedule of DESIGN §8: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h."""

from __future__ import annotations

import random

import pytest

from app.dispatcher.schedule import MAX_ATTEMPTS, SCHEDULE_SECONDS, retry_delay

EXPECTED = [0, 5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600]


def test_schedule_is_the_documented_one() -> None:
    assert list(SCHEDULE_SECONDS) == EXPECTED
    assert MAX_ATTEMPTS == 8


@pytest.mark.parametrize("attempts_made", range(1, 8))
def test_delays_follow_the_schedule_within_the_jitter(attempts_made: int) -> None:
    rng = random.Random(attempts_made)
    delays = [retry_delay(attempts_made, rng=rng) for _ in range(200)]
    base = EXPECTED[attempts_made]
    assert all(d is not None and 0.9 * base <= d <= 1.1 * base for d in delays)
    assert len(set(delays)) > 100  # jittered, so failures of one outage spread out


def test_schedule_ends_after_eight_attempts() -> None:
    assert retry_delay(7) is not None
    assert retry_delay(8) is None
    assert retry_delay(12) is None


def test_scale_compresses_the_clock() -> None:
    delay = retry_delay(2, scale=0.001, rng=random.Random(1))
    assert delay is not None and 0.27 <= delay <= 0.33


def test_negative_attempts_are_a_bug() -> None:
    with pytest.raises(ValueError):
        retry_delay(-1)
