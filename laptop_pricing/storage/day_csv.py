"""The day CSV, written and read: the one writer, and the one row reader (``read_cells``) that
the compactor and the monitoring page share (the page tokenises a clean file with pyarrow
first, ``monitoring.parsing``, and falls back to this one for a file with defects).

Written: the kind's columns in order, header once, ``csv`` quoting, every cell formula-safe.
Read: any header the course or an older version wrote (aliases mapped, missing columns empty or
the kind's default, ``RecordKind.defaults``, unknown ones dropped); rows of the wrong width, or
holding bytes that are not text (a NUL, invalid UTF-8, written by an older version), are set
aside with their line and reason and the rest kept.
Only a file that cannot be a CSV at all (compressed, no header) is refused whole.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from laptop_pricing.safe_csv import rows_to_csv
from laptop_pricing.storage.layout import RecordKind
from laptop_pricing.storage.records import is_storable_text

Row = dict[str, str]


def encode_day_csv(kind: RecordKind, rows: Iterable[Mapping[str, str]]) -> bytes:
    """The day CSV; a row lacking a defaulted column (a record older than it) is written with
    the default, as every reader reads it."""
    filled = (kind.filled(row) for row in rows)
    return rows_to_csv(kind.columns, ([row.get(c, "") for c in kind.columns] for row in filled))


# Why a row was set aside (the page turns these codes into words).
SHORT_ROW = "short_row"
LONG_ROW = "long_row"
CELL_TOO_LONG = "cell_too_long"
NOT_TEXT = "not_text"
_COMPRESSED = (b"\x1f\x8b", b"PK\x03\x04", b"BZh", b"\xfd7zXZ\x00", b"\x28\xb5\x2f\xfd", b"PAR1")


@dataclass
class DecodedDay:
    rows: list[Row]
    skipped: int
    set_aside: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)


class UnreadableDayFile(ValueError):
    """The bytes are not a CSV with the kind's header (binary, compressed, foreign)."""


def header_names(kind: RecordKind, tokens: Sequence[str]) -> list[str] | None:
    """A header's columns as the kind calls them (unknown ones ``_unknown_<i>``, a repeat
    ``_duplicate_<i>``); None when fewer than three are the kind's, so the line is data."""
    names = [kind.canonical(token) for token in tokens]
    if sum(1 for name in names if name in kind.columns) < 3:
        return None
    columns: list[str] = []
    for position, name in enumerate(names):
        column = name if name in kind.columns else f"_unknown_{position}"
        columns.append(column if column not in columns else f"_duplicate_{position}")
    return columns


@dataclass
class Cells:
    """A day file's data rows, column by column, with each row's physical line, and the rows
    set aside as (line, reason, detail)."""

    columns: list[list[str]]
    lines: list[int]
    set_aside: list[tuple[int, str, str]]


def read_cells(text: str, width: int, first_data_line: int) -> Cells:
    """The ``csv`` module, row by row: rows of the wrong width, with a cell past its limit
    (128 KB) or holding what is not text (a NUL, undecodable bytes) set aside by line."""
    reader = csv.reader(io.StringIO(text, newline=""))
    cells = Cells([[] for _ in range(width)], [], [])
    line_start = 1
    while True:
        line = line_start
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            line_start = reader.line_num + 1
            cells.set_aside.append((line, CELL_TOO_LONG, str(error)[:60]))
            continue
        line_start = reader.line_num + 1
        if line < first_data_line or not any(cell.strip() for cell in row):
            continue
        if not all(is_storable_text(cell) for cell in row):
            cells.set_aside.append((line, NOT_TEXT, "bytes nulos ou inválidos"))
            continue
        if len(row) != width:
            reason = SHORT_ROW if len(row) < width else LONG_ROW
            cells.set_aside.append((line, reason, f"{len(row)} valores, esperados {width}"))
            continue
        for column_values, cell in zip(cells.columns, row, strict=True):
            column_values.append(cell)
        cells.lines.append(line)
    return cells


def decode_day_csv(kind: RecordKind, data: bytes) -> DecodedDay:
    if data.startswith(_COMPRESSED) or data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnreadableDayFile("compressed or not UTF-8 text")
    # Undecodable bytes become lone surrogates, so the row holding them is found and set aside.
    text = data.decode("utf-8-sig", errors="surrogateescape")
    try:
        tokens = next(csv.reader(io.StringIO(text[: text.find("\n") + 1 or None])), None)
    except csv.Error as error:
        raise UnreadableDayFile("no readable header") from error
    if tokens is None:
        return DecodedDay([], 0)
    names = header_names(kind, tokens)
    if names is None or kind.timestamp_column not in names:
        raise UnreadableDayFile(f"no {kind.timestamp_column} column in the header")
    cells = read_cells(text, len(names), first_data_line=2)
    wanted = [
        (values, name)
        for values, name in zip(cells.columns, names, strict=True)
        if name in kind.columns
    ]
    rows = []
    for i in range(len(cells.lines)):
        row = kind.blank_row()
        for values, name in wanted:
            row[name] = values[i]
        rows.append(kind.filled(row))
    notes = [(line, reason) for line, reason, _ in cells.set_aside]
    return DecodedDay(rows, len(notes), notes)
