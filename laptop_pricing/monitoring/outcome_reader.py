"""Read the stored outcomes of a range of days into one frame of ``outcome.OUTCOME_COLUMNS``.

The outcomes are a record kind of the request log (``request_log.layout.OUTCOMES``) under their
own prefix (``OUTCOMES-PREFIX``), in the same bucket or local folder, so they are listed and
fetched by the same sources as the request log (``monitoring.sources``, a ``LogLocation`` of kind
``outcome``). Closed days come from the outcomes' Parquet rollup (one file per month, as for the
request log: a year is a dozen downloads instead of 365); the other days from the compacted day
file ``YYYY-MM-DD_trade_in_outcomes.csv`` (read by ``request_log.day_csv``, the compactor's own
reader) plus the records not folded into it yet. A month that cannot be fetched or read falls
back to its day files. One row per ``event_id`` (the first stored), whatever copies a retry or a
racing writer left. A file that cannot be fetched or read is reported, not fatal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from laptop_pricing.monitoring.sources import (
    DEFAULT_WORKERS,
    FETCH_ERRORS,
    RECORDS,
    DayFile,
    LogLocation,
    LogSource,
    RollupMonth,
)
from laptop_pricing.settings import Settings
from laptop_pricing.storage import rollup, s3
from laptop_pricing.storage.day_csv import UnreadableDayFile, decode_day_csv
from laptop_pricing.storage.layout import OUTCOMES
from laptop_pricing.storage.records import decode_records
from laptop_pricing.trade_in import outcome

Row = dict[str, str]
UNREADABLE_CSV = "unreadable_csv"
UNREADABLE_ROLLUP = "unreadable_rollup"


@dataclass
class OutcomeReadResult:
    outcomes: pd.DataFrame  # every stored outcome (the history), one row per event id
    files: list[DayFile]
    failed: list[tuple[str, str]]  # (file, reason) of the files that could not be read


def _read_day(
    source: LogSource, files: Sequence[DayFile]
) -> tuple[list[Row], list[tuple[str, str]]]:
    """One day: its day file, then the records after that file's watermark."""
    rows: list[Row] = []
    failed: list[tuple[str, str]] = []
    watermark = None
    for day_file in sorted(files, key=lambda f: f.kind == RECORDS):
        try:
            if day_file.kind == RECORDS:
                rows += decode_records(source.fetch_records(day_file, watermark)).records
                continue
            data, watermark = source.fetch(day_file.key, day_file.size)
            rows += decode_day_csv(OUTCOMES, data).rows
        except FETCH_ERRORS as error:
            failed.append((day_file.name, s3.error_code(error)))
        except UnreadableDayFile:
            failed.append((day_file.name, UNREADABLE_CSV))
    return rows, failed


_DAY = "_day"  # the UTC day a row was read for: rows keep day order across both sources


def _read_month(
    source: LogSource, month: RollupMonth, days: set[date]
) -> tuple[pa.Table | None, set[date], tuple[str, str] | None]:
    """The rows of the closed days among ``days`` that the month's rollup holds, and those
    days (or the failure that sends the month back to its day files)."""
    name = month.key.rsplit("/", 3)[-3] + "/" + month.key.rsplit("/", 3)[-2]
    try:
        data, _ = source.fetch(month.key)
        closed = sorted(d for d in rollup.closed_days_of(data) if d in days)
        if not closed:
            return None, set(), None
        table = pq.read_table(pa.BufferReader(data), columns=[*OUTCOMES.columns, rollup.DAY_COLUMN])
    except FETCH_ERRORS as error:
        return None, set(), (name, s3.error_code(error))
    except (ValueError, pa.ArrowException):
        return None, set(), (name, UNREADABLE_ROLLUP)
    keep = pc.is_in(table.column(rollup.DAY_COLUMN), value_set=pa.array(closed, pa.date32()))
    rows = table.filter(keep).select([*OUTCOMES.columns, rollup.DAY_COLUMN])
    return rows.rename_columns([*OUTCOMES.columns, _DAY]), set(closed), None


def read_outcomes(
    location: LogLocation,
    start: date | None = None,
    end: date | None = None,
    max_workers: int = DEFAULT_WORKERS,
) -> OutcomeReadResult:
    """Every outcome recorded from ``start`` to ``end`` (UTC days, inclusive). Raises
    ``LogUnavailable`` when the folder or bucket cannot be listed."""
    source = location.open(max_workers)
    files = source.list(start, end).files
    by_day: dict[date, list[DayFile]] = {}
    for day_file in files:
        by_day.setdefault(day_file.day, []).append(day_file)
    months = {(d.year, d.month) for d in by_day}
    rollups = [m for m in source.rollup_months() if (m.year, m.month) in months]
    workers = max(1, min(max_workers, max(len(by_day), len(rollups))))
    tables: list[pa.Table] = []
    closed: set[date] = set()
    failed: list[tuple[str, str]] = []
    with ThreadPoolExecutor(workers) as pool:
        read = pool.map(lambda month: _read_month(source, month, set(by_day)), rollups)
        for table, month_days, failure in read:
            tables += [table] if table is not None else []
            closed |= month_days
            failed += [failure] if failure else []
        open_days = sorted(d for d in by_day if d not in closed)
        open_rows: list[Mapping[str, object]] = []  # stored rows and the day they were read for
        for day, (rows, day_failed) in zip(
            open_days, pool.map(lambda day: _read_day(source, by_day[day]), open_days), strict=True
        ):
            open_rows += [{**row, _DAY: day} for row in rows]
            failed += day_failed
    parts = [outcomes_frame(open_rows, extra=(_DAY,))]
    if tables:
        parts.insert(0, _typed(pa.concat_tables(tables).to_pandas()))
    outcomes = pd.concat(parts, ignore_index=True).sort_values(_DAY, kind="stable")
    outcomes = outcomes.drop_duplicates(subset=[outcome.EVENT_ID], keep="first")
    return OutcomeReadResult(outcomes.drop(columns=_DAY).reset_index(drop=True), files, failed)


def outcomes_frame(rows: Sequence[Mapping[str, object]], extra: Sequence[str] = ()) -> pd.DataFrame:
    """Stored rows as one typed frame: amounts and offers numbers, ``late`` a bool,
    ``recorded_at`` UTC times; one row per ``event_id`` (the first). ``extra`` columns are
    carried as they are."""
    columns = (*OUTCOMES.columns, *extra)
    frame = pd.DataFrame(
        {c: pd.Series([row.get(c, "") for row in rows], dtype=object) for c in columns}
    )
    return _typed(frame)


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """The columns of ``OUTCOMES`` typed, from day-file text or the rollup's own types."""
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

    Every outcome stays in ``outcomes`` (the history); only this view drops the superseded."""
    if outcomes.empty:
        return outcomes
    ordered = outcomes.reset_index(drop=True)
    ordered = ordered.assign(_order=range(len(ordered)))
    ordered = ordered.drop_duplicates(subset=[outcome.EVENT_ID], keep="first")
    ordered = ordered.sort_values([outcome.RECORDED_AT, "_order"], kind="stable")
    latest = ordered.drop_duplicates(subset=[outcome.QUOTE_ID], keep="last")
    return latest.sort_values("_order").drop(columns="_order").reset_index(drop=True)


def outcome_location(settings: Settings, sample_directory: str | None = None) -> LogLocation:
    """Where the outcomes beside the settings' request log live (``OUTCOMES-PREFIX``), or, for
    a folder of sample logs, that folder (the page never names the store's record kinds)."""
    if sample_directory is not None:
        return LogLocation(None, settings.outcomes_prefix, sample_directory, kind=OUTCOMES.name)
    return LogLocation.from_settings(settings, OUTCOMES)
