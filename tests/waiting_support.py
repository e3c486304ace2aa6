"""Bounded waits for a condition: the one place tests poll, so no test sleeps a fixed time for
something it can observe."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_until(condition: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    """Poll ``condition`` until it holds or ``timeout`` seconds pass; whether it held (the
    caller asserts, with the context only it knows). Exceptions from ``condition`` propagate."""
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)
