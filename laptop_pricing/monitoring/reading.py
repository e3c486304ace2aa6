"""Read the request log for a range of days into one DataFrame, keeping every row it can.

Closed days come from the Parquet rollup (one file per month: a year is about a dozen
downloads); the other days (today, and any day the compactor has not closed) from their day CSV
plus the records written since the compactor's last pass, a record whose request id is already in
the day file counting once. Logs written before the rollup existed (the course's day files) are
read from their day CSVs. Everything is fetched and parsed concurrently; one failing file is set
aside with its reason and the others still load.
"""

from __future__ import annotations

from collections.abc import Sequence, Set
from dataclasses import dataclass, field
from datetime import date
from functools import partial

import pandas as pd
import pyarrow as pa

from laptop_pricing import log_columns
from laptop_pricing.monitoring.arrow_columns import narrow
from laptop_pricing.monitoring.frame import to_frame
from laptop_pricing.monitoring.parsing import (
    UNREADABLE,
    ParsedFile,
    drop_repeated_requests,
    parse_day_bytes,
    parse_records,
    parse_rollup_month,
)
from laptop_pricing.monitoring.store_scope import RowGroups, open_scoped_month, table_of_stores
from laptop_pricing.storage.day_reader import (
    DEFAULT_WORKERS,
    FETCH_ERRORS,
    OpenDay,
    fetch_failure,
    read_range,
)
from laptop_pricing.storage.listing import DayFile, RollupMonth, SetAside
from laptop_pricing.storage.object_ranges import MonthSource
from laptop_pricing.storage.stores import RecordStore


@dataclass
class LogReadResult:
    """Rows kept (one per priced request), what was set aside, and the files read."""

    rows: pd.DataFrame
    set_aside: list[SetAside]
    files: list[DayFile]
    row_groups: RowGroups = field(default_factory=lambda: RowGroups(0, 0))  # rollup: read, all


def parse_open_day(opened: OpenDay, stores: Set[str] | None = None) -> list[ParsedFile]:
    """One open day (``storage.day_reader``): its day file, then its records less the request
    ids the file already holds; of ``stores`` only, when given."""
    parsed = [ParsedFile(note.file, None, [note]) for note in opened.set_aside]
    if opened.day_file is not None:
        parsed.append(parse_day_bytes(opened.day_file_name, opened.day_file))
    if opened.records.records or opened.records.torn:
        parsed.append(
            drop_repeated_requests(parsed, parse_records(opened.records_name, opened.records))
        )
    for file in parsed:  # what waits for the other days: narrow rows, no request ids
        if file.table is not None and stores is not None:
            file.table = table_of_stores(file.table, stores)
        file.table = narrow(file.table) if file.table is not None else None
        file.request_ids = None
    pa.default_memory_pool().release_unused()  # this worker's pages (see ``read_log``)
    return parsed


def read_log(
    source: RecordStore,
    start: date | None = None,
    end: date | None = None,
    max_workers: int = DEFAULT_WORKERS,
    files: Sequence[DayFile] | None = None,
    stores: Set[str] | None = None,
) -> LogReadResult:
    """Every kept row of the days from ``start`` to ``end`` (inclusive), in day order: no global
    sort, the aggregates do not need one. ``files`` (a listing the caller kept) skips listing.
    ``stores`` (None: all) reads only their rows, and only the rollup row groups that may hold
    them (``store_scope``)."""
    notes: list[SetAside] = []
    if files is None:
        listing = source.list_day_files(start, end)
        day_files, notes = listing.files, list(listing.set_aside)
    else:
        day_files = [
            f for f in files if (start is None or f.day >= start) and (end is None or f.day <= end)
        ]
    days = {f.day for f in day_files}

    def decode_month(
        month: RollupMonth, data: MonthSource, wanted: set[date]
    ) -> tuple[tuple[pa.Table | None, list[SetAside], RowGroups], set[date]]:
        try:
            table, month_days, month_notes, groups = parse_rollup_month(
                source.layout, data, days, stores
            )
        except (ValueError, pa.ArrowException) as error:
            unreadable = [SetAside(month.name, None, UNREADABLE, type(error).__name__)]
            return (None, unreadable, RowGroups(0, 0)), set()
        except FETCH_ERRORS as error:  # a range fetched while decoding: the month changed
            return (None, [fetch_failure(month.name, error)], RowGroups(0, 0)), set()
        # Arrow's allocator (mimalloc) keeps a decoded month's freed pages resident, in 2 MB
        # huge pages: handing them back after each month keeps a year's peak near its size.
        pa.default_memory_pool().release_unused()
        return (table, month_notes, groups), month_days

    read = read_range(
        source,
        day_files,
        decode_month,
        partial(parse_open_day, stores=stores),
        max_workers,
        None if stores is None else partial(open_scoped_month, source, stores=stores),
    )
    tables = [table for table, _, _ in read.months if table is not None and table.num_rows]
    set_aside = notes + read.set_aside
    set_aside += [note for _, month_notes, _ in read.months for note in month_notes]
    groups = RowGroups(
        sum(g.read for _, _, g in read.months), sum(g.total for _, _, g in read.months)
    )
    del read.months[:]
    for parsed_day in read.days:
        for parsed in parsed_day:
            if parsed.table is not None and parsed.table.num_rows:
                tables.append(parsed.table)
                parsed.table = None
            set_aside += parsed.set_aside
    del read.days[:]
    tables.sort(key=lambda table: table.column(log_columns.TIMESTAMP_COLUMN)[0].value)
    return LogReadResult(to_frame(tables), set_aside, day_files, groups)
