"""Where the monitoring page's rows come from: a ``LogLocation`` (plain values, the page's
cache key) opens the one store layer (``storage.stores``) for reading, a local folder or a
bucket laid out alike. Listing, fetching and the notes about what could not be read are the
store's (``storage.listing``); the types are re-exported here for the page's components.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from laptop_pricing.record_kinds import KINDS, PREDICTIONS
from laptop_pricing.settings import Settings
from laptop_pricing.storage import s3
from laptop_pricing.storage.day_reader import DEFAULT_WORKERS
from laptop_pricing.storage.layout import LogLayout, RecordKind
from laptop_pricing.storage.listing import (
    BAD_DAY_NAME,
    DAY_FILE,
    DAY_OUT_OF_RANGE,
    FETCH_FAILED,
    MAX_FILE_BYTES,
    RECORDS,
    TOO_LARGE,
    DayFile,
    FileTooLarge,
    Listing,
    LogUnavailable,
    RollupMonth,
    SetAside,
)
from laptop_pricing.storage.s3_store import S3RecordStore
from laptop_pricing.storage.stores import LocalRecordStore, RecordStore

LogSource = RecordStore  # what the readers read: the store itself


@dataclass(frozen=True)
class LogLocation:
    """Where a log lives, as plain hashable values (a cache key for the page). ``kind`` names
    the record kind (``record_kinds.KINDS``): the request log, or the trade-in outcomes."""

    bucket: str | None
    prefix: str
    directory: str | None
    endpoint_url: str | None = None
    kind: str = PREDICTIONS.name

    @classmethod
    def from_settings(cls, settings: Settings, kind: RecordKind = PREDICTIONS) -> LogLocation:
        prefix = kind.prefix_of(settings)
        if settings.predictions_bucket:
            return cls(
                bucket=settings.predictions_bucket,
                prefix=prefix,
                directory=None,
                endpoint_url=settings.aws_endpoint_url,
                kind=kind.name,
            )
        return cls(
            bucket=None, prefix=prefix, directory=str(settings.predictions_dir), kind=kind.name
        )

    @property
    def is_s3(self) -> bool:
        return self.bucket is not None

    def open(self, max_workers: int = DEFAULT_WORKERS) -> RecordStore:
        """The store, read-only in use: listings with short limits (a hung store is said in
        seconds), downloads with the patient ones."""
        layout = LogLayout(self.prefix, KINDS[self.kind])
        if self.bucket:
            pool = max(10, max_workers)
            lister = s3.s3_client(self.endpoint_url, s3.LIST_TIMEOUTS, pool=pool)
            reader = s3.s3_client(self.endpoint_url, s3.READ_TIMEOUTS, pool=pool)
            return S3RecordStore(self.bucket, layout, reader, reader, lister=lister)
        return LocalRecordStore(Path(self.directory or "."), layout)


__all__ = [
    "BAD_DAY_NAME",
    "DAY_FILE",
    "DAY_OUT_OF_RANGE",
    "DEFAULT_WORKERS",
    "FETCH_FAILED",
    "MAX_FILE_BYTES",
    "RECORDS",
    "TOO_LARGE",
    "DayFile",
    "FileTooLarge",
    "Listing",
    "LogLocation",
    "LogSource",
    "LogUnavailable",
    "RollupMonth",
    "SetAside",
]
