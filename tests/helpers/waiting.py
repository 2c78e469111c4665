"""Waiting for what another thread or process does: poll with a deadline, then assert on the
final state. A test never sleeps a fixed time to let something happen.

    [message] = eventually(lambda: inbox.messages, timeout=10)
    assert wait_until(lambda: statuses(engine) == {"delivered": 3}, 30), statuses(engine)
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def eventually(
    check: Callable[[], T],
    *,
    timeout: float,
    until: Callable[[T], object] = bool,
    step: float = 0.02,
    show: Callable[[], object] | None = None,
) -> T:
    """Call `check` until `until(value)` holds (by default: the value is truthy) and return
    that value; past `timeout` seconds, fail with the last value seen (and `show()`, a log
    say)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if until(value):
            return value
        if time.monotonic() >= deadline:
            extra = f"\n{show()}" if show is not None else ""
            raise AssertionError(f"not reached within {timeout:g} s; last seen: {value!r}{extra}")
        time.sleep(step)


def wait_until(predicate: Callable[[], object], timeout: float, step: float = 0.05) -> bool:
    """Whether `predicate()` holds within `timeout` seconds, asked once more at the deadline:
    for `assert wait_until(…), what_to_show` and for work that must go on either way."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return bool(predicate())


def blocked_in(thread: threading.Thread, function: str, filename_end: str) -> bool:
    """Whether `thread` is now inside `function` of the file whose path ends with
    `filename_end` (it reached a lock and waits there, say)."""
    frame = sys._current_frames().get(thread.ident or -1)
    while frame is not None:
        code = frame.f_code
        if code.co_name == function and code.co_filename.endswith(filename_end):
            return True
        frame = frame.f_back
    return False
