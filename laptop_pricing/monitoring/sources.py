"""Where the monitoring page's rows come from: a local folder or a bucket, laid out alike.

A source lists three things (``laptop_pricing.storage.layout``): the day CSVs, the days that
have records not yet compacted, and the months of the Parquet rollup; and it fetches their bytes.
Listing goes by names only, so a date range never opens a file outside it. A name that looks like
a day file but cannot be one is noted (``bad_day_name``, ``day_out_of_range``) rather than read.
A file over ``MAX_FILE_BYTES`` is never downloaded (``too_large``).
"""

from __future__ import annotations

import builtins  # list[...] inside the sources, whose list() method shadows the builtin
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from laptop_pricing.settings import Settings
from laptop_pricing.storage import s3
from laptop_pricing.storage.layout import (
    FIRST_DAY,
    KINDS,
    OUTCOMES,
    PREDICTIONS,
    LogLayout,
    RecordKind,
    parse_day,
)
from laptop_pricing.storage.s3_store import WATERMARK_METADATA

DEFAULT_WORKERS = 16
MAX_FILE_BYTES = 32 * 1024 * 1024  # a busy day (100 000 rows) is about 10 MB
DAY_FILE = "day_file"
RECORDS = "records"

# Why a file was not read (the page turns these codes into words).
BAD_DAY_NAME = "bad_day_name"
DAY_OUT_OF_RANGE = "day_out_of_range"
TOO_LARGE = "too_large"
FETCH_FAILED = "fetch_failed"
_ROLLUP_KEY = re.compile(r"year=(\d{4})/month=(\d{2})/data\.parquet$")


class LogUnavailable(RuntimeError):
    """The log cannot be listed at all (bucket missing, access denied, endpoint down)."""

    def __init__(self, location: str, reason: str):
        self.location = location
        self.reason = reason
        super().__init__(f"{location}: {reason}")


class FileTooLarge(RuntimeError):
    """A file larger than ``MAX_FILE_BYTES``: it was not downloaded."""


# What reading one stored object can raise: the store, the disk, or an oversized file.
FETCH_ERRORS: tuple[type[BaseException], ...] = (*s3.S3_ERRORS, OSError, FileTooLarge)


@dataclass(frozen=True)
class DayFile:
    """One day's day CSV (``kind`` DAY_FILE) or its uncompacted records (``kind`` RECORDS)."""

    day: date
    key: str
    size: int | None = None
    etag: str | None = None
    kind: str = DAY_FILE

    @property
    def name(self) -> str:
        return self.key.rstrip("/").rsplit("/", 1)[-1]


@dataclass(frozen=True)
class SetAside:
    """One line (or a whole file when ``line`` is None) the reader could not keep."""

    file: str
    line: int | None
    reason: str
    detail: str = ""


@dataclass(frozen=True)
class RollupMonth:
    year: int
    month: int
    key: str


@dataclass
class Listing:
    files: list[DayFile] = field(default_factory=list)
    set_aside: list[SetAside] = field(default_factory=list)


class LogSource(Protocol):
    description: str
    layout: LogLayout

    def list(self, start: date | None = None, end: date | None = None) -> Listing: ...

    def rollup_months(self) -> builtins.list[RollupMonth]: ...

    def fetch(self, key: str, size: int | None = None) -> tuple[bytes, str | None]:
        """The bytes of ``key`` and, for a day file, the records watermark stored with it."""
        ...

    def fetch_records(self, day_file: DayFile, after: str | None) -> bytes: ...


def _latest_day() -> date:
    return datetime.now(UTC).date() + timedelta(days=1)


def _classify(
    name: str, pattern: re.Pattern[str], start: date | None, end: date | None
) -> tuple[date | None, SetAside | None]:
    """(day, None) for a day file in range; (None, note) for a bad one; (None, None) otherwise."""
    match = pattern.match(name)
    if match is None:
        return None, None
    day = parse_day(match.group(1))
    if day is None:
        return None, SetAside(name, None, BAD_DAY_NAME, match.group(1))
    if not FIRST_DAY <= day <= _latest_day():
        return None, SetAside(name, None, DAY_OUT_OF_RANGE, day.isoformat())
    if (start is not None and day < start) or (end is not None and day > end):
        return None, None
    return day, None


@dataclass(frozen=True)
class LogLocation:
    """Where a log lives, as plain hashable values (a cache key for the page). ``kind`` names
    the record kind (``layout.KINDS``): the request log, or the trade-in outcomes."""

    bucket: str | None
    prefix: str
    directory: str | None
    endpoint_url: str | None = None
    kind: str = PREDICTIONS.name

    @classmethod
    def from_settings(cls, settings: Settings, kind: RecordKind = PREDICTIONS) -> LogLocation:
        prefix = settings.outcomes_prefix if kind == OUTCOMES else settings.predictions_prefix
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

    def open(self, max_workers: int = DEFAULT_WORKERS) -> LogSource:
        layout = LogLayout(self.prefix, KINDS[self.kind])
        if self.bucket:
            client = s3.s3_client(self.endpoint_url, s3.READ_TIMEOUTS, pool=max(10, max_workers))
            return S3LogSource(self.bucket, layout, client)
        return LocalLogSource(Path(self.directory or "."), layout)


class LocalLogSource:
    """The bucket's layout under ``directory``."""

    def __init__(self, directory: Path, layout: LogLayout):
        self.directory = Path(directory)
        self.layout = layout
        self.folder = self.directory / layout.root if layout.root else self.directory
        self.description = str(self.folder)

    def list(self, start: date | None = None, end: date | None = None) -> Listing:
        listing = Listing()
        if not self.folder.exists():
            return listing
        if not self.folder.is_dir():
            raise LogUnavailable(self.description, "not a folder")
        pattern = self.layout.day_name_pattern()
        try:
            with os.scandir(self.folder) as entries:
                for entry in entries:
                    if not entry.is_file():
                        continue
                    day, note = _classify(entry.name, pattern, start, end)
                    if note is not None:
                        listing.set_aside.append(note)
                    elif day is not None:
                        key = self.layout.root + entry.name
                        listing.files.append(DayFile(day, key, entry.stat().st_size))
            records = self.directory / self.layout.records_root
            if records.is_dir():
                for path in records.glob("*.jsonl"):
                    day = parse_day(path.name.removesuffix(".jsonl"))
                    if (
                        day is not None
                        and (start is None or day >= start)
                        and (end is None or day <= end)
                    ):
                        key = self.layout.local_records_file(day)
                        listing.files.append(DayFile(day, key, path.stat().st_size, kind=RECORDS))
        except OSError as error:
            raise LogUnavailable(self.description, error.strerror or str(error)) from error
        listing.files.sort(key=lambda f: (f.day, f.kind))
        return listing

    def rollup_months(self) -> builtins.list[RollupMonth]:
        root = self.directory / self.layout.rollup_root
        months = []
        for path in root.glob("year=*/month=*/data.parquet"):
            match = _ROLLUP_KEY.search(path.as_posix())
            if match:
                key = path.relative_to(self.directory).as_posix()
                months.append(RollupMonth(int(match.group(1)), int(match.group(2)), key))
        return sorted(months, key=lambda m: (m.year, m.month))

    def fetch(self, key: str, size: int | None = None) -> tuple[bytes, str | None]:
        path = self.directory / key
        if path.stat().st_size > MAX_FILE_BYTES:
            raise FileTooLarge(key)
        return path.read_bytes(), None

    def fetch_records(self, day_file: DayFile, after: str | None) -> bytes:
        return self.fetch(day_file.key)[0]


class S3LogSource:
    """The layout under ``s3://bucket/prefix/``; listings are paginated (1000 keys per call)."""

    def __init__(self, bucket: str, layout: LogLayout, client: Any):
        self.bucket = bucket
        self.layout = layout
        self.client = client
        self.description = f"s3://{bucket}/{layout.root}"
        self.list_calls = 0

    def _unavailable(self, error: BaseException) -> LogUnavailable:
        return LogUnavailable(self.description, s3.error_code(error))

    def list(self, start: date | None = None, end: date | None = None) -> Listing:
        """Day files from ``start`` to ``end`` (the listing starts after the day before and
        stops at the first key past the range) and the days with uncompacted records."""
        root = self.layout.root
        listing = Listing()
        pattern = self.layout.day_name_pattern()
        start_after = f"{root}{start - timedelta(days=1):%Y-%m-%d}~" if start else None
        stop_at = f"{root}{end + timedelta(days=1):%Y-%m-%d}" if end else f"{root}_"
        try:
            for item in s3.list_objects(
                self.client, self.bucket, root, start_after, stop_at, delimiter="/"
            ):
                day, note = _classify(item.key[len(root) :], pattern, start, end)
                if note is not None:
                    listing.set_aside.append(note)
                elif day is not None:
                    listing.files.append(DayFile(day, item.key, item.size, item.etag))
            self.list_calls += 1
            for folder in s3.list_folders(self.client, self.bucket, self.layout.records_root):
                day = parse_day(folder[len(self.layout.records_root) :].rstrip("/"))
                if (
                    day is not None
                    and (start is None or day >= start)
                    and (end is None or day <= end)
                ):
                    listing.files.append(DayFile(day, folder, kind=RECORDS))
        except s3.S3_ERRORS as error:
            raise self._unavailable(error) from error
        listing.files.sort(key=lambda f: (f.day, f.kind))
        return listing

    def rollup_months(self) -> builtins.list[RollupMonth]:
        try:
            listed = list(s3.list_objects(self.client, self.bucket, self.layout.rollup_root))
        except s3.S3_ERRORS as error:
            raise self._unavailable(error) from error
        months = []
        for item in listed:
            match = _ROLLUP_KEY.search(item.key)
            if match:
                months.append(RollupMonth(int(match.group(1)), int(match.group(2)), item.key))
        return sorted(months, key=lambda m: (m.year, m.month))

    def fetch(self, key: str, size: int | None = None) -> tuple[bytes, str | None]:
        if size is not None and size > MAX_FILE_BYTES:
            raise FileTooLarge(key)
        answer = self.client.get_object(Bucket=self.bucket, Key=key)
        if int(answer.get("ContentLength") or 0) > MAX_FILE_BYTES:
            answer["Body"].close()
            raise FileTooLarge(key)
        return s3.body_bytes(answer), answer.get("Metadata", {}).get(WATERMARK_METADATA)

    def fetch_records(self, day_file: DayFile, after: str | None) -> bytes:
        """The day's record objects after the day file's watermark, concatenated (each record
        starts with its own newline)."""
        keys = [
            item.key
            for item in s3.list_objects(self.client, self.bucket, day_file.key, start_after=after)
        ]

        def get(key: str) -> bytes:
            try:
                return s3.body_bytes(self.client.get_object(Bucket=self.bucket, Key=key))
            except s3.S3_ERRORS as error:
                if s3.is_missing(error):
                    return b""
                raise

        if len(keys) <= 1:
            return b"".join(get(key) for key in keys)
        with ThreadPoolExecutor(min(DEFAULT_WORKERS, len(keys))) as pool:
            return b"".join(pool.map(get, keys))
