"""urllib3's ``Retry`` bounded by a wall-clock deadline for the whole call (the HTTP client's
retry policy: ``laptop_pricing.client.HttpPricingClient.retry_policy``)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from urllib3.connectionpool import ConnectionPool
from urllib3.exceptions import MaxRetryError, ResponseError
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

from laptop_pricing.api_answers import parse_retry_after


class BudgetRetry(Retry):
    """urllib3's ``Retry`` (status list, Retry-After, exponential back-off with jitter), plus the
    one thing it does not do: stop when the next wait would overrun a wall-clock deadline for
    the whole call. urllib3 bounds the number of attempts, not the time they take together.

    ``sleeper`` replaces ``time.sleep`` for the waits (tests record them instead of waiting).
    """

    def __init__(
        self,
        *args: Any,
        deadline: float = math.inf,
        margin: float = 0.0,
        sleeper: Callable[[float], None] | None = None,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.deadline = deadline
        self.margin = margin
        self.sleeper = sleeper

    def new(self, **kwargs: Any) -> BudgetRetry:
        retry = super().new(**kwargs)
        retry.deadline, retry.margin, retry.sleeper = self.deadline, self.margin, self.sleeper
        return retry

    def get_retry_after(self, response: BaseHTTPResponse) -> float | None:
        return parse_retry_after(response.headers.get("Retry-After"))

    def upcoming_wait(self, response: BaseHTTPResponse | None) -> float:
        """What ``sleep`` will wait: the server's Retry-After, else urllib3's back-off."""
        retry_after = (
            self.get_retry_after(response) if response and self.respect_retry_after_header else None
        )
        return self.get_backoff_time() if retry_after is None else retry_after

    def increment(self, *args: Any, **kwargs: Any) -> BudgetRetry:
        retry = super().increment(*args, **kwargs)
        response = kwargs.get("response")
        if time.monotonic() + retry.upcoming_wait(response) + self.margin > self.deadline:
            reason = kwargs.get("error") or ResponseError("the retry time budget is spent")
            pool: ConnectionPool = kwargs["_pool"]  # a pool passes itself on every increment
            raise MaxRetryError(pool, kwargs.get("url"), reason)
        return retry

    def sleep(self, response: BaseHTTPResponse | None = None) -> None:
        (self.sleeper or time.sleep)(self.upcoming_wait(response))
