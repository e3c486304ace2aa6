"""How outcomes are stored: one CSV per UTC day of recording, beside the request log.

``<OUTCOMES-PREFIX>/YYYY-MM-DD_trade_in_outcomes.csv`` in the bucket or the local folder, the
columns of ``outcome.OUTCOME_COLUMNS`` written by the ``csv`` module. Readers fill the columns an
older file lacks, and type the values once for any number of files.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from datetime import date

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from laptop_pricing.outcome import (
    AMOUNT,
    CHANGED_ANSWER,
    DECISION,
    EVENT_ID,
    LATE,
    NOTE,
    OFFER,
    OUTCOME_COLUMNS,
    QUOTE_ID,
    REASON,
    RECORDED_AT,
    Outcome,
)

DAY_FILE_SUFFIX = "_trade_in_outcomes.csv"
_DAY_FILE = re.compile(r"^(\d{4}-\d{2}-\d{2})" + re.escape(DAY_FILE_SUFFIX) + "$")


def outcome_day_file_name(day: date) -> str:
    return f"{day:%Y-%m-%d}{DAY_FILE_SUFFIX}"


def outcome_day_key(prefix: str, day: date) -> str:
    """The S3 key (or path relative to the local folder) of one day's outcome file."""
    prefix = prefix.strip("/")
    name = outcome_day_file_name(day)
    return f"{prefix}/{name}" if prefix else name


def parse_outcome_day_file_name(name: str) -> date | None:
    match = _DAY_FILE.match(name.rsplit("/", 1)[-1])
    if not match:
        return None
    try:
        return date.fromisoformat(match.group(1))
    except ValueError:
        return None


def encode_outcomes(outcomes: Iterable[Outcome], header: bool = True) -> str:
    """CSV text of outcomes (csv-module quoting), with the header line unless appending."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    if header:
        writer.writerow(OUTCOME_COLUMNS)
    for outcome in outcomes:
        writer.writerow(outcome.as_record().values())
    return buffer.getvalue()


def empty_outcomes() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series([], dtype=object) for c in OUTCOME_COLUMNS})
    return _typed(frame)


def outcomes_frame(data: bytes) -> pd.DataFrame:
    """One outcome day file's bytes as a frame of ``OUTCOME_COLUMNS`` (missing columns empty)."""
    return outcomes_frames([data])


def outcomes_frames(files: Iterable[bytes]) -> pd.DataFrame:
    """Many day files' bytes as one frame."""
    return outcomes_from_tables(map(outcome_table, files))


def outcomes_from_tables(tables: Iterable[pa.Table | None]) -> pd.DataFrame:
    """Tables of ``outcome_table`` as one frame, typed once for all of them."""
    kept = [table for table in tables if table is not None]
    if not kept:
        return empty_outcomes()
    return _typed(pa.concat_tables(kept).to_pandas())


def outcome_table(data: bytes) -> pa.Table | None:
    """One day file tokenised by pyarrow (which releases the GIL, so readers parse in their
    fetching threads): every cell a string, columns an older file lacks filled empty.
    Raises ``pyarrow.ArrowInvalid`` for a file that is not CSV."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if not data.strip():
        return None
    table = pacsv.read_csv(
        pa.py_buffer(data),
        read_options=pacsv.ReadOptions(use_threads=False, block_size=len(data) + 1),
        convert_options=pacsv.ConvertOptions(
            column_types={c: pa.string() for c in OUTCOME_COLUMNS},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    columns = {}
    for name in OUTCOME_COLUMNS:
        if name in table.column_names:
            columns[name] = table.column(name).cast(pa.string())
        else:
            columns[name] = pa.array([""] * table.num_rows, pa.string())
    return pa.table(columns)


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    for column in (AMOUNT, OFFER):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("Float64")
    frame[LATE] = frame[LATE].astype(str).isin(["1", "true", "True"])
    frame[RECORDED_AT] = pd.to_datetime(
        frame[RECORDED_AT], format="ISO8601", utc=True, errors="coerce"
    )
    for column in (QUOTE_ID, EVENT_ID, DECISION, REASON, NOTE, CHANGED_ANSWER):
        frame[column] = frame[column].astype(str)
    return frame
