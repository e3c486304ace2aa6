"""The day CSV, written and read back by the compactor (the monitoring page has its own
vectorised parser for display, ``laptop_pricing.monitoring.parsing``).

Written: the kind's columns in order, header once, ``csv`` quoting, every cell formula-safe.
Read: any header the course or an older version wrote (aliases mapped, missing columns empty,
unknown ones dropped); rows of the wrong width are skipped and counted.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from laptop_pricing.safe_csv import rows_to_csv
from laptop_pricing.storage.layout import RecordKind

Row = dict[str, str]


def encode_day_csv(kind: RecordKind, rows: Iterable[Mapping[str, str]]) -> bytes:
    return rows_to_csv(kind.columns, ([row.get(c, "") for c in kind.columns] for row in rows))


@dataclass
class DecodedDay:
    rows: list[Row]
    skipped: int


class UnreadableDayFile(ValueError):
    """The bytes are not a CSV with the kind's header (binary, compressed, foreign)."""


def decode_day_csv(kind: RecordKind, data: bytes) -> DecodedDay:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UnreadableDayFile("not UTF-8 text") from error
    if "\x00" in text:
        raise UnreadableDayFile("not text")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        return DecodedDay([], 0)
    names = [kind.canonical(name) for name in header]
    if kind.timestamp_column not in names:
        raise UnreadableDayFile(f"no {kind.timestamp_column} column in the header")
    wanted = [(position, name) for position, name in enumerate(names) if name in kind.columns]
    rows: list[Row] = []
    skipped = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error:  # a cell past the csv module's limit: skip that row, keep reading
            skipped += 1
            continue
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(names):
            skipped += 1
            continue
        row = dict.fromkeys(kind.columns, "")
        for position, name in wanted:
            row[name] = cells[position]
        rows.append(row)
    return DecodedDay(rows, skipped)
