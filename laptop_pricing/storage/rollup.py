"""The columnar rollup: one Parquet file per month, ``_rollup/year=YYYY/month=MM/data.parquet``.

It holds the *closed* days of the month (a day is closed once the compactor runs after its end
plus a safety margin, when no write can still land in it): the rows of the day file, typed
(``price`` double, ``timestamp`` UTC, the rest text), plus ``day`` and ``source_line`` (the row's
line in the day CSV), and what the kind's ``rollup_columns`` adds (the request log: its fields
normalised and ``in_schema``, ``request_log.normalised``). Rows whose time or price cannot be
read stay out and are listed, with the reason, in the file's metadata, so the page can still say
what it set aside. Hive partitioning
lets Athena (the Glue table in ``infra/template.yaml``), DuckDB or Spark query it as it stands.

A chain's month is sorted by ``store_id`` (then time) and cut into row groups of
``ROW_GROUP_ROWS``: a store's rows sit in one or two groups, and each group's min/max
``store_id`` lets a reader (pyarrow.dataset, DuckDB, Athena) skip the other stores' groups.
``bench/bench_rollup_layout.py`` measured it for 200 stores' year (docs/performance.md): one
store reads 12-20 % of the unsorted month's bytes; one object per store and month
(``store_id=/year=/month=``) reads fewer bytes for a store but 2,400 objects and 5-10x the
bytes for the chain, so the month stays one object, replaced by one conditional put, and the
Glue table keeps ``year``/``month`` as its only partitions. Readers over S3 use
``scan_format`` so the groups do not multiply the ranged GETs.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from laptop_pricing.storage.layout import RecordKind
from laptop_pricing.storage.object_ranges import MonthSource
from laptop_pricing.storage.values import (
    BAD_PRICE,
    BAD_TIMESTAMP,
    parse_prices,
    parse_timestamps,
    short,
)
from laptop_pricing.store_id import STORE_ID_FIELD

DAY_COLUMN = "day"
SOURCE_LINE_COLUMN = "source_line"
CLOSED_DAYS_METADATA = b"laptop_pricing.closed_days"
# A store's month at 50 quotes a day is ~1,500 rows: with rows sorted by store, a group of this
# many holds a score of stores, and its min/max store_id lets readers skip it for any other
# store. Measured against 16 Ki and 64 Ki rows (docs/performance.md): as few groups read for
# one store, fewer bytes at rest and half the S3 requests of 16 Ki for the chain.
ROW_GROUP_ROWS = 32_768
# Readers over S3: fetch column chunks up to this far apart in one ranged GET. pyarrow's 8 KiB
# default makes a chain's year of 32 Ki-row groups 484 requests; 1 MiB makes it 28
# (bench/bench_rollup_layout.py --moto --hole-kib 1024).
READ_HOLE_BYTES = 1 << 20


@dataclass
class ClosedDay:
    """What the rollup knows about one closed day."""

    rows: int
    digest: str  # of the day CSV it was built from: same digest, nothing to redo
    set_aside: list[tuple[int, str, str]] = field(default_factory=list)  # (line, reason, detail)

    def as_json(self) -> dict[str, object]:
        return {"rows": self.rows, "digest": self.digest, "set_aside": self.set_aside}

    @classmethod
    def from_json(cls, value: Mapping[str, object]) -> ClosedDay:
        rows, notes = value.get("rows", 0), value.get("set_aside") or []
        if not isinstance(rows, int | str) or not isinstance(notes, list):
            raise ValueError(f"malformed closed day in the rollup manifest: {value!r:.120}")
        return cls(int(rows), str(value.get("digest", "")), [_set_aside(n) for n in notes])


def _set_aside(note: object) -> tuple[int, str, str]:
    """One (line, reason, detail) of a manifest, as ``ClosedDay.as_json`` wrote it."""
    if not isinstance(note, list | tuple) or len(note) != 3 or not isinstance(note[0], int | str):
        raise ValueError(f"malformed set-aside note in the rollup manifest: {note!r:.120}")
    return int(note[0]), str(note[1]), str(note[2])


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:24]


def day_table(
    kind: RecordKind, day: date, rows: Sequence[Mapping[str, str]]
) -> tuple[pa.Table, list[tuple[int, str, str]]]:
    """The typed rows of one day (kept ones) and the (line, reason, detail) of the others."""
    price_column = kind.price_column
    rows = [kind.filled(row) for row in rows]
    text = {
        name: pa.array([row.get(name, "") for row in rows], pa.string()) for name in kind.columns
    }
    timestamps = parse_timestamps(text[kind.timestamp_column])
    bad_time = pc.is_null(timestamps).to_numpy(zero_copy_only=False)
    if price_column is None:
        prices = None
        bad_price = np.zeros(len(rows), dtype=bool)
    else:
        prices = parse_prices(text[price_column])
        bad_price = pc.is_null(prices).to_numpy(zero_copy_only=False)
    lines = np.arange(2, len(rows) + 2, dtype=np.int32)
    notes: list[tuple[int, str, str]] = []
    for i in np.flatnonzero(bad_time | bad_price):
        if bad_time[i]:
            notes.append(
                (int(lines[i]), BAD_TIMESTAMP, short(rows[int(i)].get(kind.timestamp_column)))
            )
        else:
            notes.append((int(lines[i]), BAD_PRICE, short(rows[int(i)].get(price_column or ""))))
    columns: dict[str, pa.Array] = dict(text)
    columns[kind.timestamp_column] = timestamps
    if price_column is not None and prices is not None:
        columns[price_column] = prices
    columns[DAY_COLUMN] = pa.array([day] * len(rows), pa.date32())
    columns[SOURCE_LINE_COLUMN] = pa.array(lines, pa.int32())
    table = pa.table(columns).filter(pa.array(~(bad_time | bad_price)))
    return table, notes


@dataclass
class MonthRollup:
    table: pa.Table | None
    closed: dict[date, ClosedDay]


def read_month(data: bytes | None) -> MonthRollup:
    if data is None:
        return MonthRollup(None, {})
    table = pq.read_table(io.BytesIO(data))
    raw = (table.schema.metadata or {}).get(CLOSED_DAYS_METADATA, b"{}")
    closed = {date.fromisoformat(k): ClosedDay.from_json(v) for k, v in json.loads(raw).items()}
    return MonthRollup(table, closed)


def closed_days_of(data: MonthSource) -> dict[date, ClosedDay]:
    """The closed days from a month file's footer only."""
    metadata = pq.read_schema(io.BytesIO(data) if isinstance(data, bytes) else data).metadata or {}
    raw = json.loads(metadata.get(CLOSED_DAYS_METADATA, b"{}"))
    return {date.fromisoformat(k): ClosedDay.from_json(v) for k, v in raw.items()}


def with_defaults(table: pa.Table, defaults: Mapping[str, str]) -> pa.Table:
    """``table`` with each defaulted column it lacks (a month rolled up before the column
    existed) added, holding the default."""
    for name, value in defaults.items():
        if name not in table.column_names:
            table = table.append_column(name, pa.array([value] * table.num_rows, pa.string()))
    return table


def with_days(
    month: MonthRollup,
    days: Mapping[date, tuple[pa.Table, ClosedDay]],
    defaults: Mapping[str, str] | None = None,
    timestamp_column: str | None = None,
    derive: Callable[[pa.Table], pa.Table] | None = None,
) -> bytes:
    """The month's Parquet bytes with each of ``days`` replaced by its table; the days kept
    from an older rollup get the ``defaults`` of columns they lack. Rows are ordered by store,
    then ``timestamp_column``, then day and day-file line (the same inputs, the same bytes).
    ``derive`` (the kind's ``rollup_columns``) adds its columns to the whole month."""
    tables = []
    if month.table is not None and month.table.num_rows:
        replaced = pa.array(sorted(days), pa.date32())
        keep = pc.invert(pc.is_in(month.table.column(DAY_COLUMN), value_set=replaced))
        tables.append(with_defaults(month.table.filter(keep), defaults or {}))
    tables += [table for table, _ in days.values()]
    merged = pa.concat_tables(tables, promote_options="permissive")
    if derive is not None:
        merged = derive(merged)
    keys = [c for c in (STORE_ID_FIELD, timestamp_column) if c and c in merged.column_names]
    keys += [DAY_COLUMN, SOURCE_LINE_COLUMN]
    order = pc.sort_indices(merged, [(key, "ascending") for key in keys])
    merged = merged.take(order)
    closed = {**month.closed, **{day: info for day, (_, info) in days.items()}}
    metadata = {
        **(merged.schema.metadata or {}),  # what ``derive`` noted (the request log's rules)
        CLOSED_DAYS_METADATA: json.dumps(
            {d.isoformat(): closed[d].as_json() for d in sorted(closed)}
        ).encode(),
    }
    merged = merged.replace_schema_metadata(metadata)
    sink = io.BytesIO()
    pq.write_table(merged, sink, compression="zstd", row_group_size=ROW_GROUP_ROWS)
    return sink.getvalue()


def scan_format() -> ds.ParquetFileFormat:
    """Parquet as a reader of the rollup should scan it with ``pyarrow.dataset`` (DuckDB over
    that dataset included): column chunks close together fetched in one request, so a sorted
    month's many row groups do not become many GETs."""
    cache = pa.CacheOptions(hole_size_limit=READ_HOLE_BYTES, range_size_limit=64 << 20)
    options = ds.ParquetFragmentScanOptions(pre_buffer=True, cache_options=cache)
    return ds.ParquetFileFormat(default_fragment_scan_options=options)
