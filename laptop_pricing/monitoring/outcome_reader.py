"""Read the stored outcomes of a range of days into one frame of ``outcome.FRAME_COLUMNS``
(every stored column but the author's: monitoring never needs who recorded a decision).

The outcomes are a record kind (``trade_in.outcome.OUTCOMES``) under their own prefix
(``OUTCOMES-PREFIX``), in the same bucket or local folder, read by the one day reader
(``storage.day_reader``) as the request log is. Closed days come from the outcomes' Parquet
rollup (one file per month, as for the request log: a year is a dozen downloads instead of
365); the other days from the compacted day file ``YYYY-MM-DD_trade_in_outcomes.csv`` (read
by ``storage.day_csv``, the compactor's own
reader) plus the records not folded into it yet. A month that cannot be fetched or read falls
back to its day files. One row per ``event_id`` (the first stored), whatever copies a retry or a
racing writer left. A file that cannot be fetched or read is reported, not fatal.
"""

from __future__ import annotations

from collections.abc import Sequence, Set
from dataclasses import dataclass
from datetime import date
from functools import partial

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from laptop_pricing.monitoring.quote_id_keys import arrow_text, canonical_keys
from laptop_pricing.monitoring.sources import LogLocation
from laptop_pricing.monitoring.store_scope import open_scoped_month, row_groups_of, table_of_stores
from laptop_pricing.settings import Settings
from laptop_pricing.storage import rollup
from laptop_pricing.storage.day_csv import UnreadableDayFile, decode_day_csv
from laptop_pricing.storage.day_reader import (
    DEFAULT_WORKERS,
    FETCH_ERRORS,
    OpenDay,
    fetch_failure,
    read_range,
)
from laptop_pricing.storage.listing import DayFile, RollupMonth
from laptop_pricing.storage.object_ranges import MonthSource
from laptop_pricing.store_id import store_of
from laptop_pricing.trade_in import outcome
from laptop_pricing.trade_in.outcome import OUTCOMES

Row = dict[str, str]
UNREADABLE_CSV = "unreadable_csv"
UNREADABLE_ROLLUP = "unreadable_rollup"


@dataclass
class OutcomeReadResult:
    outcomes: pd.DataFrame  # every stored outcome (the history), one row per event id
    files: list[DayFile]
    failed: list[tuple[str, str]]  # (file, reason) of the files that could not be read


_DAY = "_day"  # the UTC day a row was read for: rows keep day order across both sources


def _read_day(
    opened: OpenDay, stores: Set[str] | None = None
) -> tuple[list[Row], list[tuple[str, str]]]:
    """One open day (``storage.day_reader``): its day file's rows, then its records; of
    ``stores`` only, when given (``store_of``: a row with no store is the default store's)."""
    failed = [(note.file, note.detail or note.reason) for note in opened.set_aside]
    rows: list[Row] = []
    if opened.day_file is not None:
        try:
            rows += decode_day_csv(OUTCOMES, opened.day_file).rows
        except UnreadableDayFile:
            failed.append((opened.day_file_name, UNREADABLE_CSV))
    rows += opened.records.records
    if stores is not None:
        rows = [row for row in rows if store_of(row.get(outcome.STORE_ID, "")) in stores]
    return [{**row, _DAY: opened.day} for row in rows], failed  # type: ignore[dict-item]


def _read_month(
    month: RollupMonth, data: MonthSource, days: set[date], stores: Set[str] | None = None
) -> tuple[tuple[pa.Table | None, tuple[str, str] | None], set[date]]:
    """The rows of the closed days among ``days`` that the month's rollup holds (of
    ``stores`` only, when given: only the row groups that may hold them are read), and those
    days (none when the month cannot be read: it falls back to its day files)."""
    try:
        closed = sorted(d for d in rollup.closed_days_of(data) if d in days)
        if not closed:
            return (None, None), set()
        opened = pq.ParquetFile(pa.BufferReader(data) if isinstance(data, bytes) else data)
        names = set(opened.schema_arrow.names)
        wanted = [c for c in outcome.FRAME_COLUMNS if c in names]  # an older month lacks some
        groups = row_groups_of(opened.metadata, stores)
        table = opened.read_row_groups(groups, columns=[*wanted, rollup.DAY_COLUMN])
    except (ValueError, pa.ArrowException):
        return (None, (month.name, UNREADABLE_ROLLUP)), set()
    except FETCH_ERRORS as error:  # a range fetched while decoding: the month changed
        note = fetch_failure(month.name, error)
        return (None, (note.file, note.detail or note.reason)), set()
    if stores is not None:
        table = table_of_stores(table, stores)
    keep = pc.is_in(table.column(rollup.DAY_COLUMN), value_set=pa.array(closed, pa.date32()))
    rows = rollup.with_defaults(table.filter(keep), OUTCOMES.defaults)
    rows = rows.select([*outcome.FRAME_COLUMNS, rollup.DAY_COLUMN])
    return (rows.rename_columns([*outcome.FRAME_COLUMNS, _DAY]), None), set(closed)


def read_outcomes(
    location: LogLocation,
    start: date | None = None,
    end: date | None = None,
    max_workers: int = DEFAULT_WORKERS,
    stores: Set[str] | None = None,
) -> OutcomeReadResult:
    """Every outcome recorded from ``start`` to ``end`` (UTC days, inclusive), of ``stores``
    only when given (a store-limited owner's: of the rollup, only the row groups that may hold
    them are fetched, as for the request log). Raises ``LogUnavailable`` when the folder or
    bucket cannot be listed."""
    source = location.open(max_workers)
    files = source.list_day_files(start, end).files
    read = read_range(
        source,
        files,
        partial(_read_month, stores=stores),
        partial(_read_day, stores=stores),
        max_workers,
        None if stores is None else partial(open_scoped_month, source, stores=stores),
    )
    tables = [table for table, _ in read.months if table is not None]
    failed = [(note.file, note.detail or note.reason) for note in read.set_aside]
    failed += [failure for _, failure in read.months if failure]
    open_rows: list[Row] = []
    for rows, day_failed in read.days:
        open_rows += rows
        failed += day_failed
    parts = [outcomes_frame(open_rows, extra=(_DAY,))]
    if tables:
        parts.insert(0, _typed(pa.concat_tables(tables).to_pandas()))
    outcomes = pd.concat(parts, ignore_index=True).sort_values(_DAY, kind="stable")
    outcomes = outcomes.drop_duplicates(subset=[outcome.EVENT_ID], keep="first")
    return OutcomeReadResult(outcomes.drop(columns=_DAY).reset_index(drop=True), files, failed)


def outcomes_frame(rows: Sequence[Row], extra: Sequence[str] = ()) -> pd.DataFrame:
    """Stored rows as one typed frame: amounts and offers numbers, ``late`` a bool,
    ``recorded_at`` UTC times; one row per ``event_id`` (the first). ``extra`` columns are
    carried as they are."""
    columns = (*outcome.FRAME_COLUMNS, *extra)
    frame = pd.DataFrame(
        {c: pd.Series([row.get(c, "") for row in rows], dtype=object) for c in columns}
    )
    return _typed(frame)


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """``outcome.FRAME_COLUMNS`` typed, from day-file text or the rollup's own types."""
    frame = frame.drop_duplicates(subset=[outcome.EVENT_ID], keep="first").reset_index(drop=True)
    for column in (outcome.AMOUNT, outcome.OFFER):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("Float64")
    frame[outcome.LATE] = frame[outcome.LATE].astype(str).isin(["1", "true", "True"])
    recorded = frame[outcome.RECORDED_AT]
    if not isinstance(recorded.dtype, pd.DatetimeTZDtype):
        recorded = pd.to_datetime(recorded, format="ISO8601", utc=True, errors="coerce")
    frame[outcome.RECORDED_AT] = recorded.astype("datetime64[us, UTC]")
    text = (
        outcome.QUOTE_ID,
        outcome.EVENT_ID,
        outcome.DECISION,
        outcome.REASON,
        outcome.NOTE,
        outcome.CHANGED_ANSWER,
    )
    for column in text:
        frame[column] = frame[column].astype(str)
    return frame


def empty_outcomes() -> pd.DataFrame:
    return outcomes_frame([])


def current_outcomes(outcomes: pd.DataFrame) -> pd.DataFrame:
    """The outcome that counts for each quote: the latest recorded (file order breaks ties).

    Every outcome stays in ``outcomes`` (the history); only this view drops the superseded.
    A chain's year holds about a million outcomes: the event ids are hashed once, by Arrow, to
    find they are distinct (the reader keeps one row per event id), and the quotes are told
    apart by their ids' keys (``quote_id_keys``), not by hashing texts."""
    if outcomes.empty:
        return outcomes
    rows = np.arange(len(outcomes))
    if len(pc.unique(arrow_text(outcomes[outcome.EVENT_ID]))) != len(outcomes):
        rows = rows[~outcomes[outcome.EVENT_ID].duplicated(keep="first").to_numpy()]
    moments = outcomes[outcome.RECORDED_AT].to_numpy(dtype="datetime64[us]")[rows]
    rows = rows[np.argsort(moments, kind="stable")]  # missing times last, as ``sort_values``
    quote_ids = outcomes[outcome.QUOTE_ID]
    keys = canonical_keys(arrow_text(quote_ids))
    if keys is None:
        latest = ~quote_ids.astype(str).iloc[rows].duplicated(keep="last").to_numpy()
    else:
        latest = ~pd.Series(keys[rows]).duplicated(keep="last").to_numpy()
    return outcomes.iloc[np.sort(rows[latest])].reset_index(drop=True)


def outcome_location(settings: Settings, sample_directory: str | None = None) -> LogLocation:
    """Where the outcomes beside the settings' request log live (``OUTCOMES-PREFIX``), or, for
    a folder of sample logs, that folder (the page never names the store's record kinds)."""
    if sample_directory is not None:
        return LogLocation(None, settings.outcomes_prefix, sample_directory, kind=OUTCOMES.name)
    return LogLocation.from_settings(settings, OUTCOMES)
