"""Read the stored outcomes of a range of days into one frame of ``outcome.OUTCOME_COLUMNS``.

The outcomes are a record kind of the request log (``request_log.layout.OUTCOMES``) under their
own prefix (``OUTCOMES-PREFIX``), in the same bucket or local folder, so they are listed and
fetched by the same sources as the request log (``monitoring.sources``, a ``LogLocation`` of kind
``outcome``): per day, the compacted day file ``YYYY-MM-DD_trade_in_outcomes.csv`` (read by
``request_log.day_csv``, the compactor's own reader) plus the records not folded into it yet.
One row per ``event_id`` (the first stored), whatever copies a retry or a racing writer left.
A file that cannot be fetched or read is reported, not fatal.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date

import pandas as pd

from laptop_pricing import outcome, s3
from laptop_pricing.monitoring.sources import (
    DEFAULT_WORKERS,
    RECORDS,
    DayFile,
    FileTooLarge,
    LogLocation,
)
from laptop_pricing.request_log.day_csv import UnreadableDayFile, decode_day_csv
from laptop_pricing.request_log.layout import OUTCOMES
from laptop_pricing.request_log.records import decode_records

Row = dict[str, str]
UNREADABLE_CSV = "unreadable_csv"


@dataclass
class OutcomeReadResult:
    outcomes: pd.DataFrame  # every stored outcome (the history), one row per event id
    files: list[DayFile]
    failed: list[tuple[str, str]]  # (file, reason) of the files that could not be read


def _read_day(source, files: Sequence[DayFile]) -> tuple[list[Row], list[tuple[str, str]]]:
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
        except (*s3.S3_ERRORS, OSError, FileTooLarge) as error:
            failed.append((day_file.name, s3.error_code(error)))
        except UnreadableDayFile:
            failed.append((day_file.name, UNREADABLE_CSV))
    return rows, failed


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
    workers = max(1, min(max_workers, len(by_day)))
    with ThreadPoolExecutor(workers) as pool:
        results = list(pool.map(lambda day: _read_day(source, by_day[day]), sorted(by_day)))
    rows = [row for day_rows, _ in results for row in day_rows]
    failed = [failure for _, day_failed in results for failure in day_failed]
    return OutcomeReadResult(outcomes_frame(rows), files, failed)


def outcomes_frame(rows: Sequence[Row]) -> pd.DataFrame:
    """Stored rows as one typed frame: amounts and offers numbers, ``late`` a bool,
    ``recorded_at`` UTC times; one row per ``event_id`` (the first)."""
    frame = pd.DataFrame(
        {c: pd.Series([row.get(c, "") for row in rows], dtype=object) for c in OUTCOMES.columns}
    )
    frame = frame.drop_duplicates(subset=[outcome.EVENT_ID], keep="first").reset_index(drop=True)
    for column in (outcome.AMOUNT, outcome.OFFER):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("Float64")
    frame[outcome.LATE] = frame[outcome.LATE].astype(str).isin(["1", "true", "True"])
    frame[outcome.RECORDED_AT] = pd.to_datetime(
        frame[outcome.RECORDED_AT], format="ISO8601", utc=True, errors="coerce"
    )
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
