"""What happens after a request is priced: the request-log row and the metrics record.

``PricingObserver`` plugs into the Lambda handler's seam (``handler.set_observer``): the handler
calls ``on_priced(spec, quote, latency_ms)`` once per priced request. The observer never raises:
if the request log cannot be written, the clerk still gets the price, the failure is logged
(store and cause, no secret) and counted (``RequestLogFailures`` in the same EMF record, and
``failures`` here). Losing the row is the lesser harm: a clerk with a customer at the counter must
not be told "try again" because monitoring storage hiccupped, and an alarm on the metric tells
whoever looks after the service.

``observer_from_settings(settings)`` is the public factory (the Streamlit app uses it in embedded
mode, so it logs to the same local folder its monitoring page reads). Metrics are off unless
asked for: ``metrics=True`` is what the Lambda handler and the local server use.
"""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

from laptop_pricing.api.telemetry import Telemetry
from laptop_pricing.request_log import (
    Clock,
    LogRow,
    RequestLog,
    RequestLogError,
    request_log_from_settings,
)
from laptop_pricing.settings import Settings, load_settings


class PricingObserver:
    """Writes the request-log row, then one EMF record, for each priced request."""

    def __init__(self, request_log: RequestLog | None, telemetry: Telemetry | None = None):
        self.request_log = request_log
        self.telemetry = telemetry or Telemetry(metrics_enabled=False)
        self.failures = 0
        self._count_lock = threading.Lock()

    def on_priced(
        self, spec: Any, quote: Any, latency_ms: float, trade_in: Any | None = None
    ) -> None:
        fields = spec.as_dict()
        log_failed = False
        if self.request_log is not None:
            try:
                if trade_in is None:
                    self.request_log.append(fields, quote.price, quote.version)
                else:  # the row lands in the day its quote id names
                    self.request_log.append(
                        fields,
                        quote.price,
                        quote.version,
                        at=trade_in.quoted_at,
                        extra=trade_in.log_values(),
                    )
            except Exception as error:
                log_failed = True
                with self._count_lock:
                    self.failures += 1
                self.telemetry.request_log_failed(self.request_log.describe(), error)
        try:
            self.telemetry.record_priced(fields, quote.price, quote.version, latency_ms, log_failed)
        except Exception as error:  # metrics must never cost the clerk the answer
            self.telemetry.telemetry_failed(error)


def observer_from_settings(
    settings: Settings, *, metrics: bool = False, clock: Clock | None = None
) -> PricingObserver:
    """The request log named by the settings (S3 bucket, else the local folder) plus telemetry.

    ``metrics=False`` (the default) suits the embedded app; the Lambda handler and the local API
    server pass ``metrics=True``. ``POWERTOOLS_METRICS_DISABLED=true`` silences EMF either way.
    """
    telemetry = Telemetry(metrics_enabled=metrics)
    try:
        request_log: RequestLog = request_log_from_settings(settings, clock=clock)
    except Exception as error:  # e.g. a malformed AWS_ENDPOINT_URL: still price, count each miss
        request_log = UnavailableRequestLog(f"{type(error).__name__}: {error}"[:300])
        telemetry.request_log_failed(request_log.describe(), error)
    return PricingObserver(request_log, telemetry)


class UnavailableRequestLog(RequestLog):
    """Stands in for a store that could not be built: every append fails (logged, counted)."""

    def __init__(self, reason: str):
        super().__init__()
        self.reason = reason

    def describe(self) -> str:
        return "unavailable request log"

    def read_day(self, day: date) -> bytes | None:
        return None

    def _write_day(self, day: date, rows: list[LogRow]) -> None:
        raise RequestLogError(f"request log could not be set up: {self.reason}")


def default_observer() -> PricingObserver:
    """The Lambda's observer: configuration from the environment, metrics on."""
    return observer_from_settings(load_settings(), metrics=True)
