"""The request log: one record per priced request, under a wall-clock deadline, folded into
course-compatible day files and a Parquet rollup by the compactor.

* ``layout``: where day files, records and the rollup live, for any record kind;
* ``records`` / ``day_csv``: the record line and the day CSV, each written and read in one place;
* ``stores``: a local folder or an S3 bucket (writers only ever append one record);
* ``writer``: ``RequestLog``, the deadline and the exact accounting;
* ``rollup`` / ``compact``: the read model (``python -m laptop_pricing.request_log.compact``).
"""

from __future__ import annotations

from laptop_pricing.request_log.kind import PREDICTIONS
from laptop_pricing.request_log.writer import RequestLog, Settled
from laptop_pricing.settings import Settings
from laptop_pricing.storage import s3
from laptop_pricing.storage.layout import LogLayout, RecordKind
from laptop_pricing.storage.s3_store import S3RecordStore
from laptop_pricing.storage.stores import LocalRecordStore, RecordStore

# Settling an unanswered put, and the compactor: patient, nobody waits at a counter.
SETTLE_TIMEOUTS = s3.Timeouts(connect=2.0, read=5.0, attempts=1)
# How long past its deadline an unanswered put is retried before the row is counted lost; the
# compactor's margin (2 minutes) stays far above it, so a day never closes over a late write.
SETTLE_WINDOW_PER_DEADLINE = 10


def writer_timeouts(deadline: float) -> s3.Timeouts:
    """One attempt's connect and read limits inside the deadline (retries happen only when a
    failure comes fast enough to leave room, in ``S3RecordStore.put``)."""
    return s3.Timeouts(connect=deadline * 0.4, read=deadline * 0.5, attempts=1)


def store_from_settings(
    settings: Settings, kind: RecordKind = PREDICTIONS, prefix: str | None = None
) -> RecordStore:
    """``PREDICTIONS_BUCKET`` set: the bucket; otherwise the local folder. The prefix is the
    kind's own setting (``PREDICTIONS-PREFIX``, ``OUTCOMES-PREFIX``) unless given."""
    if prefix is None:
        prefix = kind.prefix_of(settings)
    layout = LogLayout(prefix, kind)
    if settings.predictions_bucket:
        return S3RecordStore(
            settings.predictions_bucket,
            layout,
            s3.s3_client(
                settings.aws_endpoint_url, writer_timeouts(settings.request_log_deadline), pool=16
            ),
            s3.s3_client(settings.aws_endpoint_url, SETTLE_TIMEOUTS, pool=16),
        )
    return LocalRecordStore(settings.predictions_dir, layout)


def request_log_from_settings(
    settings: Settings,
    kind: RecordKind = PREDICTIONS,
    prefix: str | None = None,
) -> RequestLog:
    deadline = settings.request_log_deadline
    store = store_from_settings(settings, kind, prefix)
    store.warm()
    return RequestLog(
        store,
        deadline=deadline,
        settle_seconds=SETTLE_WINDOW_PER_DEADLINE * deadline,
    )


__all__ = [
    "PREDICTIONS",
    "LogLayout",
    "RecordKind",
    "RequestLog",
    "Settled",
    "request_log_from_settings",
    "store_from_settings",
]
