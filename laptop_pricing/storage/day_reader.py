"""The one day reader: a day is the month's rollup when the compactor closed it there, else its
day CSV plus the records written after that file's watermark.

Every reader of every kind goes through here: the compactor (``read_open_day``, strict), the
quote lookup (``day_rows``), the monitoring page's request log and the outcomes
(``read_range``, which fetches months and open days concurrently and sets aside, with its
reason, a file that cannot be fetched). What a row *is* (typed Arrow for the page, text rows
for the compactor) is the caller's: it passes the decoders.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from typing import Generic, TypeVar

from laptop_pricing.storage import s3
from laptop_pricing.storage.day_csv import decode_day_csv
from laptop_pricing.storage.listing import (
    DAY_FILE,
    FETCH_FAILED,
    MAX_FILE_BYTES,
    RECORDS,
    TOO_LARGE,
    DayFile,
    FileTooLarge,
    RollupMonth,
    SetAside,
)
from laptop_pricing.storage.object_ranges import MonthSource
from laptop_pricing.storage.records import DecodedRecords
from laptop_pricing.storage.stores import RecordStore, StoreError

Row = dict[str, str]
M = TypeVar("M")
D = TypeVar("D")
DEFAULT_WORKERS = 16
FETCH_ERRORS: tuple[type[BaseException], ...] = (*s3.S3_ERRORS, OSError, StoreError, FileTooLarge)


def fetch_failure(name: str, error: BaseException) -> SetAside:
    """The note for a file that could not be fetched (too large, or the store's error code)."""
    if isinstance(error, FileTooLarge):
        return SetAside(name, None, TOO_LARGE)
    code = error.code if isinstance(error, StoreError) else s3.error_code(error)
    return SetAside(name, None, FETCH_FAILED, code)


@dataclass
class OpenDay:
    """One day not closed in a rollup: its day CSV's bytes (None: no file) and the records
    after the file's watermark; ``set_aside`` names what could not be fetched."""

    day: date
    day_file_name: str
    day_file: bytes | None = None
    watermark: str | None = None  # every record key before it is in the day file (S3)
    records: DecodedRecords = field(default_factory=lambda: DecodedRecords([], 0))
    records_name: str = ""
    set_aside: list[SetAside] = field(default_factory=list)


def read_open_day(
    store: RecordStore,
    day: date,
    listed: Sequence[DayFile] | None = None,
    tolerant: bool = False,
) -> OpenDay:
    """The day file, then the records after its watermark. ``listed`` (a listing's entries for
    this day) skips what the listing shows absent; ``tolerant`` sets a failed fetch aside
    instead of raising ``StoreError``/``FileTooLarge``."""
    layout = store.layout
    opened = OpenDay(day, layout.day_file_name(day), records_name=f"{day:%Y-%m-%d}")
    kinds = {f.kind for f in listed} if listed is not None else {DAY_FILE, RECORDS}
    for entry in listed or ():
        if entry.kind == RECORDS:
            opened.records_name = entry.name
        else:
            opened.day_file_name = entry.name
    if DAY_FILE in kinds:
        try:
            opened.day_file, opened.watermark = store.read_day_file(
                day, max_bytes=MAX_FILE_BYTES if tolerant else None
            )
        except FETCH_ERRORS as error:
            if not tolerant:
                raise
            opened.set_aside.append(fetch_failure(opened.day_file_name, error))
        else:
            if opened.day_file is None and listed is not None:
                # Listed, then gone (deleted since): say so rather than show nothing.
                gone = SetAside(opened.day_file_name, None, FETCH_FAILED, "NoSuchKey")
                opened.set_aside.append(gone)
    if RECORDS in kinds:
        try:
            opened.records = store.read_records(day, after=opened.watermark)
        except FETCH_ERRORS as error:
            if not tolerant:
                raise
            opened.set_aside.append(fetch_failure(opened.records_name, error))
    return opened


def merge_rows(
    id_column: str,
    existing: Sequence[Row],
    records: Sequence[Row],
    timestamp_column: str,
) -> list[Row]:
    """The day file's rows, then the records it lacks in time order; one row per record id."""
    seen: set[str] = set()
    merged: list[Row] = []
    for row in existing:
        record_id = row.get(id_column, "")
        if record_id:
            if record_id in seen:
                continue
            seen.add(record_id)
        merged.append(row)
    fresh: dict[str, Row] = {}
    for row in records:
        record_id = row.get(id_column, "")
        if record_id and record_id not in seen:
            fresh.setdefault(record_id, row)
    return merged + sorted(fresh.values(), key=lambda row: row.get(timestamp_column, ""))


def day_rows(store: RecordStore, day: date) -> list[Row]:
    """One day as the compactor would fold it now: the day file's rows, then the records it does
    not hold yet (one row per record id). A reader that needs today before the next compaction
    (a quote looked up by id) reads this. Raises ``StoreError``."""
    opened = read_open_day(store, day)
    kind = store.layout.kind
    existing = decode_day_csv(kind, opened.day_file).rows if opened.day_file else []
    return merge_rows(kind.id_column, existing, opened.records.records, kind.timestamp_column)


@dataclass
class RangeRead(Generic[M, D]):
    """What ``read_range`` read: each month's decoded result, each open day's, the notes."""

    months: list[M]
    days: list[D]
    set_aside: list[SetAside]


def read_range(
    store: RecordStore,
    files: Sequence[DayFile],
    decode_month: Callable[[RollupMonth, MonthSource, set[date]], tuple[M, set[date]]],
    decode_day: Callable[[OpenDay], D],
    max_workers: int = DEFAULT_WORKERS,
    open_month: Callable[[RollupMonth], MonthSource] | None = None,
) -> RangeRead[M, D]:
    """The days of ``files``: the rollup months among them fetched side by side (whole, or as
    ``open_month`` fetches them) and decoded here as they arrive (``decode_month`` gives its
    result and the days it closed: one thread reuses a month's memory for the next), then
    every day no month closed, read and decoded in the workers."""
    by_day: dict[date, list[DayFile]] = {}
    for day_file in files:
        by_day.setdefault(day_file.day, []).append(day_file)
    months = {(d.year, d.month) for d in by_day}
    rollups = [m for m in store.rollup_months() if (m.year, m.month) in months]
    set_aside: list[SetAside] = []

    def fetch_month(month: RollupMonth) -> tuple[RollupMonth, MonthSource | None]:
        try:
            return month, open_month(month) if open_month else store.fetch(month.key)
        except FETCH_ERRORS as error:
            set_aside.append(fetch_failure(month.name, error))
            return month, None

    decoded: list[M] = []
    closed: set[date] = set()
    workers = max(1, min(max_workers, max(len(rollups), len(by_day))))
    with ThreadPoolExecutor(workers) as pool:
        for month, data in pool.map(fetch_month, rollups):
            if data is None:
                continue
            result, month_days = decode_month(month, data, set(by_day))
            decoded.append(result)
            closed |= month_days
        open_days = sorted(d for d in by_day if d not in closed)

        def read_day(day: date) -> D:
            return decode_day(read_open_day(store, day, by_day[day], tolerant=True))

        days = list(pool.map(read_day, open_days))
    return RangeRead(decoded, days, set_aside)
