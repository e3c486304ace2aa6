"""Metrics and logs of the pricing API, through AWS Lambda Powertools.

Metrics: ONE CloudWatch Embedded Metric Format (EMF) record per priced request, printed on stdout
(Lambda ships stdout to CloudWatch Logs, which turns EMF into metrics; no API call, no latency).
The course made 14 ``put_metric_data`` calls per request: the price, then a count per field value.
The record below carries the same information in one line, namespace ``LaptopPricing``:

* metrics ``Price`` (BRL), ``Latency`` (milliseconds) and ``RequestLogFailures`` (0 or 1);
* dimension sets ``[service]`` and ``[service, <field>]`` for each of the 13 request fields, so
  CloudWatch keeps, per field value (``brand=dell``, ``ram_gb=16``, ...), the request count (the
  SampleCount of ``Price``, what the course counted) and the price and latency distributions;
* ``model_version`` as metadata: searchable in the logs, not a dimension (no cardinality cost).

Logs: Powertools ``Logger`` JSON lines on stdout. Only what we choose is logged: never the event,
the headers or the API key. Values registered with ``redact`` (the local server's keys) are
scrubbed from every message as a second line of defence.

Metrics are on by default (Lambda and the local server). They are off when
``POWERTOOLS_METRICS_DISABLED=true`` or when built with ``metrics_enabled=False`` (the Streamlit app
in embedded mode, where EMF lines on stdout would only be noise).
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import (
    AmazonCloudWatchEMFProvider,
)

NAMESPACE = "LaptopPricing"
SERVICE = "pricing-api"
REDACTED = "***"


_emit_lock = threading.RLock()  # one line at a time (EMF or log): no interleaved JSON on stdout


class _CurrentStdout:
    """Writes to whatever ``sys.stdout`` is now (Lambda, uvicorn, or a test capturing it)."""

    def write(self, text: str) -> int:
        with _emit_lock:  # never between an EMF record's text and its newline
            return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


class _Redactor(logging.Filter):
    """Replaces registered secrets in a record's message and extras; drops a leaking traceback."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        record.msg, record.args = self.scrub(record.getMessage()), None
        for name, value in list(vars(record).items()):  # fields passed with ``extra=``
            if isinstance(value, str) and name != "msg":
                setattr(record, name, self.scrub(value))
        if record.exc_info:
            text = logging.Formatter().formatException(record.exc_info)
            if any(secret in text for secret in self.secrets):
                record.exc_info, record.exc_text = None, None
        return True

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text


logger = Logger(service=SERVICE, logger_handler=logging.StreamHandler(_CurrentStdout()))
_redactor = _Redactor()
logger.addFilter(_redactor)


def redact(secrets: Iterable[str]) -> None:
    """Never let these strings (API keys) reach a log line, whatever code logs them."""
    _redactor.secrets.update(s for s in secrets if s)


class Telemetry:
    """Emits the per-request EMF record and the service's log lines."""

    def __init__(self, metrics_enabled: bool = True, namespace: str = NAMESPACE):
        self.metrics_enabled = metrics_enabled
        self.namespace = namespace
        self.logger = logger

    def record_priced(
        self,
        fields: Mapping[str, Any],
        price: int,
        model_version: str,
        latency_ms: float,
        log_failed: bool = False,
    ) -> None:
        """One EMF record for one priced request (nothing when metrics are off)."""
        if not self.metrics_enabled:
            return
        # A private provider per request: Powertools' shared Metrics state is not thread-safe,
        # and the local server prices on many threads at once.
        provider = AmazonCloudWatchEMFProvider(namespace=self.namespace, service=SERVICE)
        metrics = Metrics(namespace=self.namespace, service=SERVICE, provider=provider)
        metrics.add_metric(name="Price", unit=MetricUnit.NoUnit, value=float(price))
        metrics.add_metric(name="Latency", unit=MetricUnit.Milliseconds, value=float(latency_ms))
        metrics.add_metric(name="RequestLogFailures", unit=MetricUnit.Count, value=int(log_failed))
        for name, value in fields.items():
            metrics.add_dimensions(service=SERVICE, **{name: str(value)})
        metrics.add_metadata(key="model_version", value=str(model_version))
        metrics.add_metadata(key="currency", value="BRL")
        with _emit_lock:
            metrics.flush_metrics()

    def request_log_failed(self, where: str, reason: str) -> None:
        """The priced answer still goes back; the lost row is logged here and counted in EMF."""
        self.logger.error(
            "request log row lost; the price was still returned",
            extra={"store": where, "error": reason[:500]},
        )

    def request_log_pending(self, where: str) -> None:
        """The deadline passed before the store answered: the price went back without waiting."""
        self.logger.warning(
            "request log write outlasted its deadline; its fate is counted when known",
            extra={"store": where},
        )

    def request_log_settled_late(self, where: str, lost: bool, reason: str) -> None:
        """The fate of a row whose request was answered before the store: its own EMF record,
        so ``RequestLogFailures`` sums to the rows lost (the answer's record counted it 0)."""
        if lost:
            self.request_log_failed(where, reason)
        if not self.metrics_enabled:
            return
        provider = AmazonCloudWatchEMFProvider(namespace=self.namespace, service=SERVICE)
        metrics = Metrics(namespace=self.namespace, service=SERVICE, provider=provider)
        metrics.add_metric(name="RequestLogFailures", unit=MetricUnit.Count, value=int(lost))
        metrics.add_metric(name="RequestLogLate", unit=MetricUnit.Count, value=1)
        metrics.add_dimensions(service=SERVICE)
        with _emit_lock:
            metrics.flush_metrics()

    def telemetry_failed(self, error: BaseException) -> None:
        self.logger.warning("metrics record failed", extra={"error": type(error).__name__})
