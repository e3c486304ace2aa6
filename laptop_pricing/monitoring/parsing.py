"""Turning fetched bytes into rows: day CSVs, records and rollup months, one Arrow table each.

What counts as a row: a line with the right number of values, a readable timestamp and a positive
price. Anything else is *set aside* and reported (file, line, reason), and a whole file that
cannot be a day file says why (``empty``, ``compressed``, ``not_text``, ``cr_only``,
``unreadable``...): nothing disappears silently and nothing raises. Values outside the schema
(RAM 252 GB, a processor name as brand) do not make a row invalid: the API did price that
request; ``quality`` flags it.

A clean day CSV is tokenised by ``pyarrow.csv`` in one vectorised pass; a file with defects takes
the ``csv`` module's path, which gives each set-aside row its line number.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence, Set
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from laptop_pricing import log_columns
from laptop_pricing.monitoring.arrow_columns import (
    dictionary_column,
    narrow_column,
    text_column,
)
from laptop_pricing.monitoring.store_scope import (
    RowGroups,
    default_store_in,
    row_groups_of,
    rows_of,
)
from laptop_pricing.pricing import schema
from laptop_pricing.request_log.kind import PREDICTIONS
from laptop_pricing.storage import rollup
from laptop_pricing.storage.day_csv import CELL_TOO_LONG as CELL_TOO_LONG
from laptop_pricing.storage.day_csv import LONG_ROW as LONG_ROW
from laptop_pricing.storage.day_csv import NOT_TEXT as NOT_TEXT
from laptop_pricing.storage.day_csv import SHORT_ROW as SHORT_ROW
from laptop_pricing.storage.day_csv import header_names, read_cells
from laptop_pricing.storage.layout import LogLayout
from laptop_pricing.storage.listing import SetAside
from laptop_pricing.storage.object_ranges import MonthSource
from laptop_pricing.storage.records import DecodedRecords
from laptop_pricing.storage.values import BAD_PRICE as BAD_PRICE
from laptop_pricing.storage.values import BAD_TIMESTAMP as BAD_TIMESTAMP
from laptop_pricing.storage.values import (
    parse_prices,
    parse_timestamps,
    short,
)

FILE_COLUMN = "file"
LINE_COLUMN = "line"
CATEGORY_COLUMNS: tuple[str, ...] = (*schema.FIELD_NAMES, log_columns.VERSION_COLUMN)
_SPECIAL = {
    *CATEGORY_COLUMNS,
    log_columns.PRICE_COLUMN,
    log_columns.TIMESTAMP_COLUMN,
    log_columns.REQUEST_ID_COLUMN,
}
# One value per quote: as a dictionary it would be as long as the column, and a year of a
# chain's quote ids as one categorical cost 12 s and 240 MB (docs/performance.md). Plain text.
UNIQUE_TEXT_COLUMNS: tuple[str, ...] = (log_columns.QUOTE_ID_COLUMN,)
# Columns other issues append to the log (offer, policy...): kept as dictionary-encoded text.
TEXT_COLUMNS: tuple[str, ...] = tuple(
    c for c in log_columns.LOG_COLUMNS if c not in _SPECIAL and c not in UNIQUE_TEXT_COLUMNS
)
DICTIONARY_COLUMNS: tuple[str, ...] = (*CATEGORY_COLUMNS, *TEXT_COLUMNS)
# The page's rows: every log column but the request id (used only to drop repeats), file, line.
ROW_COLUMNS: tuple[str, ...] = (
    *(c for c in log_columns.LOG_COLUMNS if c != log_columns.REQUEST_ID_COLUMN),
    FILE_COLUMN,
    LINE_COLUMN,
)
# What the page reads of a rollup month: its rows' columns, the day they belong to, their line
# in the day file and the store that scopes them.
_MONTH_COLUMNS = frozenset(
    (*ROW_COLUMNS, rollup.DAY_COLUMN, rollup.SOURCE_LINE_COLUMN, log_columns.STORE_ID_COLUMN)
)
# A file without a header holds the course's columns in the course's order.
HEADERLESS_COLUMNS: tuple[str, ...] = (
    *schema.COURSE_FIELD_NAMES,
    log_columns.PRICE_COLUMN,
    log_columns.TIMESTAMP_COLUMN,
    log_columns.VERSION_COLUMN,
)

# Why a row or a file was set aside (the page turns these codes into words).
MISSING_COLUMNS = "missing_columns"
EMPTY = "empty"
COMPRESSED = "compressed"
CR_ONLY = "cr_only"
UNREADABLE = "unreadable"
TORN_RECORDS = "torn_records"

_KNOWN_COLUMNS = frozenset(log_columns.LOG_COLUMNS)
_DEFAULTS = log_columns.LOG_COLUMN_DEFAULTS
_DICTIONARY = pa.dictionary(pa.int32(), pa.string())
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MAGIC = {
    b"\x1f\x8b": "gzip",
    b"PK\x03\x04": "zip",
    b"BZh": "bzip2",
    b"\xfd7zXZ\x00": "xz",
    b"\x28\xb5\x2f\xfd": "zstd",
    b"PAR1": "parquet",
}


@dataclass
class ParsedFile:
    name: str
    table: pa.Table | None
    set_aside: list[SetAside] = field(default_factory=list)
    request_ids: pa.Array | None = None  # aligned with ``table``'s rows, when the file has them


def _whole_file(name: str, reason: str, detail: str = "") -> ParsedFile:
    return ParsedFile(name, None, [SetAside(name, None, reason, detail)])


def _not_a_csv(name: str, data: bytes) -> ParsedFile | None:
    """Why these bytes cannot be a day file's text, or None when they can."""
    if not data.strip():
        return _whole_file(name, EMPTY)
    for magic, kind in _MAGIC.items():
        if data.startswith(magic):
            return _whole_file(name, COMPRESSED, kind)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _whole_file(name, NOT_TEXT, "UTF-16")
    sample = data[:8192]
    garbled = len(_CONTROL.findall(sample.replace(b"\x00", b""))) + sample.decode(
        "utf-8", errors="replace"
    ).count("\ufffd")
    if garbled > len(sample) * 0.05:  # binary; a stray Latin-1 letter is kept as text
        return _whole_file(name, NOT_TEXT, "conteúdo binário")
    if b"\n" not in data and data.count(b"\r") > 1:
        return _whole_file(name, CR_ONLY)
    return None


def _header_columns(first_line: str) -> list[str] | None:
    """Column names when the first line is a header; None when it already holds data."""
    return header_names(PREDICTIONS, next(csv.reader([first_line]), []))


def _first_line(text_start: bytes) -> str:
    end = text_start.find(b"\n")
    line = text_start if end < 0 else text_start[:end]
    return line.rstrip(b"\r").decode("utf-8", errors="replace")


def parse_day_bytes(name: str, data: bytes) -> ParsedFile:
    """One day CSV's bytes as a table of ``ROW_COLUMNS`` (plus request ids) and what was set
    aside. Never raises for the file's content."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    refused = _not_a_csv(name, data)
    if refused is not None:
        return refused
    try:
        header = _header_columns(_first_line(data[:4096]))
        columns = header or list(HEADERLESS_COLUMNS)
        missing = [
            c for c in (log_columns.PRICE_COLUMN, log_columns.TIMESTAMP_COLUMN) if c not in columns
        ]
        if missing:
            return _whole_file(name, MISSING_COLUMNS, ", ".join(missing))
        first_data_line = 2 if header else 1
        # A row holding a NUL byte is set aside by line (the slow path); the rest is kept.
        tokens = None if b"\x00" in data else _tokenise_fast(data, columns, first_data_line)
        if tokens is None:
            tokens = _tokenise_slow(name, data, columns, first_data_line)
        strings, lines, set_aside = tokens
        return convert(name, strings, lines, set_aside)
    except (ValueError, pa.ArrowException, csv.Error) as error:  # a defect no check foresaw
        return _whole_file(name, UNREADABLE, type(error).__name__)


_Tokens = tuple[dict[str, pa.Array], np.ndarray, list[SetAside]]


def _tokenise_fast(data: bytes, columns: list[str], first_data_line: int) -> _Tokens | None:
    """pyarrow's tokenizer; None when the file has defects the slow path reports by line."""
    invalid: list[object] = []
    kept = [c for c in columns if c in _KNOWN_COLUMNS]

    def on_invalid(row: object) -> str:
        invalid.append(row)
        return "skip"

    try:
        table = pacsv.read_csv(
            pa.py_buffer(data),
            read_options=pacsv.ReadOptions(
                column_names=columns,
                skip_rows=first_data_line - 1,
                use_threads=False,  # files are parsed in parallel, one per worker
                block_size=len(data) + 1,  # one chunk, so one dictionary per column
            ),
            parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(
                column_types={
                    c: _DICTIONARY if c in DICTIONARY_COLUMNS else pa.string() for c in kept
                },
                include_columns=kept,
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError):
        return None
    newlines = data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
    if invalid or table.num_rows != newlines - (first_data_line - 1):
        return None  # short/long rows, blank lines or quoted newlines: take the exact path
    lines = np.arange(first_data_line, first_data_line + table.num_rows, dtype=np.int32)
    return {c: table.column(c).combine_chunks() for c in kept}, lines, []


def _tokenise_slow(name: str, data: bytes, columns: list[str], first_data_line: int) -> _Tokens:
    """The day-file row reader (``storage.day_csv.read_cells``), so every set-aside row gets
    its physical line number."""
    cells = read_cells(data.decode("utf-8", errors="replace"), len(columns), first_data_line)
    arrays = {c: pa.array(v, type=pa.string()) for c, v in zip(columns, cells.columns, strict=True)}
    notes = [SetAside(name, line, reason, detail) for line, reason, detail in cells.set_aside]
    return arrays, np.asarray(cells.lines, dtype=np.int32), notes


def convert(
    name: str,
    strings: dict[str, pa.Array],
    lines: np.ndarray,
    set_aside: list[SetAside] | None = None,
) -> ParsedFile:
    """Typed rows from text columns; unreadable times and prices set aside by line."""
    set_aside = list(set_aside or [])
    n = len(lines)
    if n == 0:
        return ParsedFile(name, None, set_aside)
    timestamps = parse_timestamps(strings[log_columns.TIMESTAMP_COLUMN])
    prices = parse_prices(strings[log_columns.PRICE_COLUMN])
    bad_ts = pc.is_null(timestamps).to_numpy(zero_copy_only=False)
    bad_price = pc.is_null(prices).to_numpy(zero_copy_only=False)
    if bad_ts.any() or bad_price.any():
        raw_ts = strings[log_columns.TIMESTAMP_COLUMN].to_pylist()
        raw_price = strings[log_columns.PRICE_COLUMN].to_pylist()
        for i in np.flatnonzero(bad_ts | bad_price):
            if bad_ts[i]:
                set_aside.append(SetAside(name, int(lines[i]), BAD_TIMESTAMP, short(raw_ts[i])))
            else:
                set_aside.append(SetAside(name, int(lines[i]), BAD_PRICE, short(raw_price[i])))
    zeros = pa.array(np.zeros(n, dtype=np.int32))
    columns: dict[str, pa.Array] = {
        c: dictionary_column(strings.get(c), n, _DEFAULTS.get(c, "")) for c in DICTIONARY_COLUMNS
    }
    columns.update({c: text_column(strings.get(c), n) for c in UNIQUE_TEXT_COLUMNS})
    columns[log_columns.PRICE_COLUMN] = prices
    columns[log_columns.TIMESTAMP_COLUMN] = timestamps
    columns[FILE_COLUMN] = pa.DictionaryArray.from_arrays(zeros, pa.array([name]))
    columns[LINE_COLUMN] = pa.array(lines, type=pa.int32())
    table = pa.table({c: columns[c] for c in ROW_COLUMNS})
    ids = strings.get(log_columns.REQUEST_ID_COLUMN)
    ids = ids.cast(pa.string()) if ids is not None else None
    if bad_ts.any() or bad_price.any():
        keep = pa.array(~(bad_ts | bad_price))
        table = table.filter(keep)
        ids = ids.filter(keep) if ids is not None else None
    return ParsedFile(name, table, set_aside, ids)


def parse_records(name: str, decoded: DecodedRecords) -> ParsedFile:
    """A day's uncompacted records; torn lines (a crash mid-write) are counted, not kept."""
    notes = []
    if decoded.torn:
        notes.append(SetAside(name, None, TORN_RECORDS, f"{decoded.torn} registros incompletos"))
    if not decoded.records:
        return ParsedFile(name, None, notes)
    strings = {
        c: pa.array([r.get(c, "") for r in decoded.records], pa.string())
        for c in log_columns.LOG_COLUMNS
    }
    lines = np.arange(1, len(decoded.records) + 1, dtype=np.int32)
    return convert(name, strings, lines, notes)


def parse_rollup_month(
    layout: LogLayout, data: MonthSource, days: set[date], stores: Set[str] | None = None
) -> tuple[pa.Table | None, set[date], list[SetAside], RowGroups]:
    """The rows of ``days`` that the month's rollup holds as closed (of ``stores`` only, when
    given: the row groups that cannot hold them are never read), those days, the rows its
    compaction set aside, and how many row groups were read. ``data``: the month whole, or
    by ranges (``open_scoped_month``)."""
    closed = {d: info for d, info in rollup.closed_days_of(data).items() if d in days}
    if not closed:
        return None, set(), [], RowGroups(0, 0)
    notes = [
        SetAside(layout.day_file_name(d), line, reason, detail)
        for d, info in sorted(closed.items())
        for line, reason, detail in info.set_aside
    ]
    source = pa.BufferReader(data) if isinstance(data, bytes) else data
    names = pq.read_schema(source).names
    available = set(names)
    month = pq.ParquetFile(
        source, read_dictionary=[c for c in DICTIONARY_COLUMNS if c in available]
    )
    total = month.metadata.num_row_groups
    groups = row_groups_of(month.metadata, stores)
    read_groups = RowGroups(len(groups), total)
    if not groups:
        return None, set(closed), notes, read_groups

    # A chain's month is read column by column, so it never exists whole with four-byte
    # indices; a scoped read's few groups are small and read in one call (a call a column
    # cost it more than the decoding).
    scoped = None
    if stores is not None:  # never the request ids (unique per row) nor the rollup's own flag
        wanted = [c for c in names if c in _MONTH_COLUMNS]
        scoped = month.read_row_groups(groups, columns=wanted, use_threads=False)

    def read(name: str) -> pa.ChunkedArray:
        if scoped is not None:
            return scoped.column(name)
        return month.read_row_groups(groups, columns=[name], use_threads=False).column(0)

    def column(name: str) -> pa.Array:
        """One column of the month's rows of ``closed`` days, dictionaries narrowed."""
        values = read(name)
        if keep is not None:
            values = values.filter(keep)
        return narrow_column(values.combine_chunks())

    day = read(rollup.DAY_COLUMN)
    keep = None
    if not set(pc.unique(day).to_pylist()) <= closed.keys():
        keep = pc.is_in(day, value_set=pa.array(sorted(closed), pa.date32()))
    if stores is not None and log_columns.STORE_ID_COLUMN in available:
        of_store = rows_of(read(log_columns.STORE_ID_COLUMN), stores)
        keep = of_store if keep is None else pc.and_(keep, of_store)
    elif stores is not None and not default_store_in(stores):
        return None, set(closed), notes, read_groups  # a month older than stores: the default's
    if keep is not None:
        day = day.filter(keep)
    n = len(day)
    if n == 0:
        return None, set(closed), notes, read_groups
    day_codes = pc.dictionary_encode(day).combine_chunks()
    names = [layout.day_file_name(d) for d in day_codes.dictionary.to_pylist()]
    columns: dict[str, pa.Array] = {
        c: dictionary_column(column(c) if c in available else None, n, _DEFAULTS.get(c, ""))
        for c in DICTIONARY_COLUMNS
    }
    columns.update(
        {c: text_column(column(c) if c in available else None, n) for c in UNIQUE_TEXT_COLUMNS}
    )
    columns[log_columns.PRICE_COLUMN] = column(log_columns.PRICE_COLUMN)
    columns[log_columns.TIMESTAMP_COLUMN] = column(log_columns.TIMESTAMP_COLUMN).cast(
        pa.timestamp("us", tz="UTC")
    )
    columns[FILE_COLUMN] = narrow_column(
        pa.DictionaryArray.from_arrays(day_codes.indices, pa.array(names))
    )
    columns[LINE_COLUMN] = column(rollup.SOURCE_LINE_COLUMN)
    return pa.table({c: columns[c] for c in ROW_COLUMNS}), set(closed), notes, read_groups


def drop_repeated_requests(kept: Sequence[ParsedFile], records: ParsedFile) -> ParsedFile:
    """The records whose request id is not already in ``kept`` (nor earlier in the records)."""
    if records.table is None or records.request_ids is None:
        return records
    seen = {
        value
        for parsed in kept
        if parsed.request_ids is not None
        for value in parsed.request_ids.to_pylist()
        if value
    }
    mask = []
    for value in records.request_ids.to_pylist():
        fresh = not value or value not in seen
        mask.append(fresh)
        if value:
            seen.add(value)
    keep = pa.array(mask)
    return ParsedFile(
        records.name,
        records.table.filter(keep),
        records.set_aside,
        records.request_ids.filter(keep),
    )
