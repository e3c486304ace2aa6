"""What happens after a request is priced: the request-log record and the metrics record.

``RecordingObserver.on_priced`` is called by the handler once per priced request. It never raises
and never waits longer than the request log's deadline: if the row cannot be stored in time the
clerk still gets the price. Every row's fate is counted exactly once (``RequestLogFailures``):

* stored or lost within the deadline: the request's own EMF record says 0 or 1;
* still in flight at the deadline: that record says 0, and a second record with
  ``RequestLogFailures`` 0 or 1 and ``RequestLogLate`` 1 follows when the store answers.

``observer_from_settings(settings)`` builds the request log the settings name (S3 bucket, else
the local folder). Metrics are off unless asked for: the Lambda and the local server pass
``metrics=True``; the embedded app does not.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError

from laptop_pricing import log_columns
from laptop_pricing.api.telemetry import Telemetry
from laptop_pricing.pricing import schema
from laptop_pricing.request_log import RequestLog, request_log_from_settings
from laptop_pricing.request_log.writer import Fate, Settled
from laptop_pricing.settings import Settings
from laptop_pricing.storage.layout import format_timestamp
from laptop_pricing.storage.stores import RecordNotStored
from laptop_pricing.store_id import DEFAULT_STORE_ID
from laptop_pricing.trade_in.quote_keys import QuoteKeys


def prediction_values(
    fields: Mapping[str, Any],
    price: int,
    model_version: str,
    request_id: str,
    at: datetime,
    store_id: str = DEFAULT_STORE_ID,
) -> dict[str, object]:
    """One request-log row: the fields, the price, the time, the version, the request id and
    the store. An optional (v2) field the client did not send is an empty cell; the clerk's
    e-mail cell is always empty (personal data stays out of the log, ``log_columns``)."""
    missing = [name for name in schema.COURSE_FIELD_NAMES if name not in fields]
    if missing:
        raise ValueError(f"request-log row lacks fields: {', '.join(missing)}")
    values: dict[str, object] = {
        name: "" if fields.get(name) is None else fields[name] for name in schema.FIELD_NAMES
    }
    values[log_columns.PRICE_COLUMN] = int(price)
    values[log_columns.TIMESTAMP_COLUMN] = format_timestamp(at)
    values[log_columns.VERSION_COLUMN] = model_version
    values[log_columns.REQUEST_ID_COLUMN] = request_id
    values[log_columns.CLERK_EMAIL_COLUMN] = ""
    values[log_columns.STORE_ID_COLUMN] = store_id
    return values


class RecordingObserver:
    """Writes the request-log row, then one EMF record, for each priced request.

    ``request_log`` None with ``unavailable`` set: the log could not be built (a malformed
    endpoint, say); every priced request then counts as one lost row, loudly. ``quote_keys``:
    where each quote's row is also kept under its id (``trade_in.quote_keys``), so finding it
    reads one object; a quote not kept there is still found in its day."""

    def __init__(
        self,
        request_log: RequestLog | None,
        telemetry: Telemetry | None = None,
        unavailable: str | None = None,
        quote_keys: QuoteKeys | None = None,
    ):
        self.request_log = request_log
        self.quote_keys = quote_keys
        self._keeper = ThreadPoolExecutor(8, thread_name_prefix="quote-keys")
        self.telemetry = telemetry or Telemetry(metrics_enabled=False)
        self.unavailable = unavailable
        self.failures = 0  # rows known lost, for tests and benches
        self._count_lock = threading.Lock()

    def describe(self) -> str:
        return self.request_log.describe() if self.request_log else "unavailable request log"

    def on_priced(
        self,
        spec: Any,
        quote: Any,
        latency_ms: float,
        request_id: str,
        trade_in: Any | None = None,
        store_id: str = DEFAULT_STORE_ID,
    ) -> None:
        fields = spec.as_dict()
        lost = False
        if self.request_log is not None:
            # A quote's row lands in the day its quote id names.
            at = trade_in.quoted_at if trade_in is not None else datetime.now(UTC)
            values = prediction_values(fields, quote.price, quote.version, request_id, at, store_id)
            kept = None
            if trade_in is not None:
                values.update(trade_in.log_values())
                kept = self._keep_quote(values)  # beside the row's write, not after it
            result = self.request_log.write(values, at=at, on_late=self._settled_late)
            if kept is not None:
                self._quote_kept(kept)
            if result.fate is Fate.LOST:
                lost = True
                self._count(result.reason)
            elif result.fate is Fate.PENDING:
                self.telemetry.request_log_pending(self.describe())
        elif self.unavailable is not None:
            lost = True
            self._count(f"request log could not be set up: {self.unavailable}")
        try:
            self.telemetry.record_priced(fields, quote.price, quote.version, latency_ms, lost)
        except Exception as error:  # metrics must never cost the clerk the answer
            self.telemetry.telemetry_failed(error)

    def _keep_quote(self, values: Mapping[str, object]) -> Future[bool] | None:
        """Start storing the quote's row under its id (``put_quote``, its own deadline)."""
        if self.quote_keys is None:
            return None
        return self._keeper.submit(self.quote_keys.put_quote, dict(values))

    def _quote_kept(self, kept: Future[bool]) -> None:
        """Not kept: the row in its day still finds the quote (a slower lookup), so it is a
        warning, not a lost row. The put's deadline bounds the wait."""
        try:
            kept.result()
        except RecordNotStored as error:
            where = self.quote_keys.describe() if self.quote_keys else ""
            self.telemetry.logger.warning(
                "quote not kept under its id; lookups read its day instead",
                extra={"store": where, "error": error.reason[:500]},
            )

    def _count(self, reason: str) -> None:
        with self._count_lock:
            self.failures += 1
        self.telemetry.request_log_failed(self.describe(), reason)

    def _settled_late(self, settled: Settled) -> None:
        if not settled.stored:
            with self._count_lock:
                self.failures += 1
        reason = settled.reason + (" (unconfirmed: may exist)" if settled.unconfirmed else "")
        self.telemetry.request_log_settled_late(self.describe(), not settled.stored, reason)


def observer_from_settings(settings: Settings, *, metrics: bool = False) -> RecordingObserver:
    """The request log named by the settings plus telemetry. ``metrics=False`` (the default)
    suits the embedded app; the Lambda and the local API server pass ``metrics=True``.
    ``POWERTOOLS_METRICS_DISABLED=true`` silences EMF either way."""
    telemetry = Telemetry(metrics_enabled=metrics)
    try:
        request_log = request_log_from_settings(settings)
    except (ValueError, BotoCoreError) as error:  # e.g. a malformed AWS_ENDPOINT_URL
        reason = f"{type(error).__name__}: {error}"[:300]
        telemetry.request_log_failed("unavailable request log", reason)
        return RecordingObserver(None, telemetry, unavailable=reason)
    quote_keys = QuoteKeys(request_log.store, request_log.deadline)
    return RecordingObserver(request_log, telemetry, quote_keys=quote_keys)
