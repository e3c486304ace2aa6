"""Read the request log for a range of days into one DataFrame, keeping every row it can.

Closed days come from the Parquet rollup (one file per month: a year is about a dozen
downloads); the other days (today, and any day the compactor has not closed) from their day CSV
plus the records written since the compactor's last pass, a record whose request id is already in
the day file counting once. Logs written before the rollup existed (the course's day files) are
read from their day CSVs. Everything is fetched and parsed concurrently; one failing file is set
aside with its reason and the others still load.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date

import pandas as pd
import pyarrow as pa

from laptop_pricing import log_columns
from laptop_pricing.monitoring.frame import to_frame
from laptop_pricing.monitoring.parsing import (
    UNREADABLE,
    ParsedFile,
    drop_repeated_requests,
    narrow,
    parse_day_file,
    parse_records,
    parse_rollup_month,
)
from laptop_pricing.monitoring.sources import (
    DEFAULT_WORKERS,
    FETCH_ERRORS,
    FETCH_FAILED,
    RECORDS,
    TOO_LARGE,
    DayFile,
    FileTooLarge,
    LogSource,
    RollupMonth,
    SetAside,
)
from laptop_pricing.storage import s3


@dataclass
class LogReadResult:
    """Rows kept (one per priced request), what was set aside, and the files read."""

    rows: pd.DataFrame
    set_aside: list[SetAside]
    files: list[DayFile]


def _fetch_failed(name: str, error: BaseException) -> ParsedFile:
    if isinstance(error, FileTooLarge):
        return ParsedFile(name, None, [SetAside(name, None, TOO_LARGE)])
    return ParsedFile(name, None, [SetAside(name, None, FETCH_FAILED, s3.error_code(error))])


def _read_day(source: LogSource, files: Sequence[DayFile]) -> list[ParsedFile]:
    """One open day: its day file, then the records after that file's watermark."""
    parsed: list[ParsedFile] = []
    watermark = None
    for day_file in files:
        if day_file.kind == RECORDS:
            continue
        try:
            data, watermark = source.fetch(day_file.key, day_file.size)
        except FETCH_ERRORS as error:
            parsed.append(_fetch_failed(day_file.name, error))
            continue
        parsed.append(parse_day_file(day_file, data))
    for day_file in files:
        if day_file.kind != RECORDS:
            continue
        try:
            data = source.fetch_records(day_file, watermark)
        except FETCH_ERRORS as error:
            parsed.append(_fetch_failed(day_file.name, error))
            continue
        parsed.append(drop_repeated_requests(parsed, parse_records(day_file, data)))
    for file in parsed:  # what waits for the other days: narrow rows, no request ids
        file.table = narrow(file.table) if file.table is not None else None
        file.request_ids = None
    pa.default_memory_pool().release_unused()  # this worker's pages (see ``read_log``)
    return parsed


def read_log(
    source: LogSource,
    start: date | None = None,
    end: date | None = None,
    max_workers: int = DEFAULT_WORKERS,
    files: Sequence[DayFile] | None = None,
) -> LogReadResult:
    """Every kept row of the days from ``start`` to ``end`` (inclusive), in day order: no global
    sort, the aggregates do not need one. ``files`` (a listing the caller kept) skips listing."""
    notes: list[SetAside] = []
    if files is None:
        listing = source.list(start, end)
        day_files, notes = listing.files, list(listing.set_aside)
    else:
        day_files = [
            f for f in files if (start is None or f.day >= start) and (end is None or f.day <= end)
        ]
    days = {f.day for f in day_files}
    months = {(d.year, d.month) for d in days}
    rollups = [m for m in source.rollup_months() if (m.year, m.month) in months]

    def fetch_month(month: RollupMonth) -> tuple[str, bytes | None, list[SetAside]]:
        name = month.key.rsplit("/", 3)[-3] + "/" + month.key.rsplit("/", 3)[-2]
        try:
            return name, source.fetch(month.key)[0], []
        except FETCH_ERRORS as error:
            return name, None, _fetch_failed(name, error).set_aside

    def decode_month(
        name: str, data: bytes | None, notes: list[SetAside]
    ) -> tuple[pa.Table | None, set[date], list[SetAside]]:
        if data is None:
            return None, set(), notes
        try:
            table, month_days, notes = parse_rollup_month(source.layout, data, days)
        except (ValueError, pa.ArrowException) as error:
            return None, set(), [SetAside(name, None, UNREADABLE, type(error).__name__)]
        # Arrow's allocator (mimalloc) keeps a decoded month's freed pages resident, in 2 MB
        # huge pages: handing them back after each month keeps a year's peak near its size.
        pa.default_memory_pool().release_unused()
        return table, month_days, notes

    workers = max(1, min(max_workers, max(len(rollups), len(days))))
    with ThreadPoolExecutor(workers) as pool:
        # Months are fetched side by side and decoded here, one at a time as they arrive: one
        # thread's allocator reuses a month's memory for the next (many threads would each
        # keep their own), and a year never waits whole with four-byte dictionary indices.
        month_results = [decode_month(*fetched) for fetched in pool.map(fetch_month, rollups)]
        closed = {d for _, month_days, _ in month_results for d in month_days}
        open_days: dict[date, list[DayFile]] = {}
        for day_file in day_files:
            if day_file.day not in closed:
                open_days.setdefault(day_file.day, []).append(day_file)
        day_results = list(pool.map(lambda fs: _read_day(source, fs), open_days.values()))
    tables = [table for table, _, _ in month_results if table is not None and table.num_rows]
    set_aside = notes + [note for _, _, month_notes in month_results for note in month_notes]
    del month_results
    for parsed_day in day_results:
        for parsed in parsed_day:
            if parsed.table is not None and parsed.table.num_rows:
                tables.append(parsed.table)
                parsed.table = None
            set_aside += parsed.set_aside
    del day_results
    tables.sort(key=lambda table: table.column(log_columns.TIMESTAMP_COLUMN)[0].value)
    return LogReadResult(to_frame(tables), set_aside, day_files)
