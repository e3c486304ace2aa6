"""The day CSV, written and read back by the compactor (the monitoring page has its own
vectorised parser for display, ``laptop_pricing.monitoring.parsing``).

Written: the kind's columns in order, header once, ``csv`` quoting, every cell formula-safe.
Read: any header the course or an older version wrote (aliases mapped, missing columns empty,
unknown ones dropped); rows of the wrong width, or holding bytes that are not text (a NUL, invalid
UTF-8, written by an older version), are set aside with their line and reason and the rest kept.
Only a file that cannot be a CSV at all (compressed, no header) is refused whole.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from laptop_pricing.safe_csv import rows_to_csv
from laptop_pricing.storage.layout import RecordKind
from laptop_pricing.storage.records import is_storable_text

Row = dict[str, str]


def encode_day_csv(kind: RecordKind, rows: Iterable[Mapping[str, str]]) -> bytes:
    return rows_to_csv(kind.columns, ([row.get(c, "") for c in kind.columns] for row in rows))


WRONG_WIDTH = "wrong_width"
NOT_TEXT = "not_text"
CELL_TOO_LONG = "cell_too_long"
_COMPRESSED = (b"\x1f\x8b", b"PK\x03\x04", b"BZh", b"\xfd7zXZ\x00", b"\x28\xb5\x2f\xfd", b"PAR1")


@dataclass
class DecodedDay:
    rows: list[Row]
    skipped: int
    set_aside: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)


class UnreadableDayFile(ValueError):
    """The bytes are not a CSV with the kind's header (binary, compressed, foreign)."""


def decode_day_csv(kind: RecordKind, data: bytes) -> DecodedDay:
    if data.startswith(_COMPRESSED) or data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnreadableDayFile("compressed or not UTF-8 text")
    # Undecodable bytes become lone surrogates, so the row holding them is found and set aside.
    text = data.decode("utf-8-sig", errors="surrogateescape")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as error:
        raise UnreadableDayFile("no readable header") from error
    if header is None:
        return DecodedDay([], 0)
    names = [kind.canonical(name) for name in header]
    if kind.timestamp_column not in names:
        raise UnreadableDayFile(f"no {kind.timestamp_column} column in the header")
    wanted = [(position, name) for position, name in enumerate(names) if name in kind.columns]
    day = DecodedDay([], 0)
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error:  # a cell past the csv module's limit: skip that row, keep reading
            day.set_aside.append((line, CELL_TOO_LONG))
            continue
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(names):
            day.set_aside.append((line, WRONG_WIDTH))
            continue
        if not all(is_storable_text(cell) for cell in cells):
            day.set_aside.append((line, NOT_TEXT))
            continue
        row = dict.fromkeys(kind.columns, "")
        for position, name in wanted:
            row[name] = cells[position]
        day.rows.append(row)
    day.skipped = len(day.set_aside)
    return day
