"""DuckDB over the request log, where the data is: the page asks for aggregates, never rows.

The closed days live in the Parquet rollup (``_rollup/year=YYYY/month=MM/data.parquet``). Each
month's footer is read first through Arrow's filesystem (a local folder, or a bucket through
``pyarrow.fs.S3FileSystem``: DuckDB's httpfs extension cannot be downloaded here): which days
it closed, what its compaction set aside, whether its schema is ours. The months of the window
are then scanned by DuckDB's own Parquet reader with hive partitioning, filter and projection
pushdown: a query reads the columns it names, of the row groups of the days it asks for. A
bucket's months are first streamed to a temporary folder on disk (one GET each, never held in
memory): DuckDB scanning local Parquet measured four to five times faster here than scanning a
``pyarrow.dataset`` over S3, which re-reads the bucket on every query. The days no month closed
(today, and every day of a log older than the rollup, such as the course sample) are read as
the other readers read them (``storage.day_reader`` and ``monitoring.parsing``) into one small
Arrow table. The two are one view (``UNION ALL``), so every aggregate, quantiles included, is
computed over their union by the SQL of ``warehouse_sql``, the text the Athena runner sends too.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from threading import Lock
from urllib.parse import urlsplit

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from laptop_pricing.monitoring import reading
from laptop_pricing.monitoring import warehouse_sql as sql
from laptop_pricing.monitoring.parsing import FILE_COLUMN, LINE_COLUMN, ParsedFile
from laptop_pricing.monitoring.sources import DayFile, LogLocation, RollupMonth, SetAside
from laptop_pricing.request_log.normalised import IN_SCHEMA_COLUMN as IN_SCHEMA
from laptop_pricing.request_log.normalised import judged_by_these_rules, with_normalised_requests
from laptop_pricing.storage import rollup
from laptop_pricing.storage.day_reader import DEFAULT_WORKERS, read_open_day
from laptop_pricing.storage.layout import LogLayout

# UTC instants without a zone: DuckDB then does the day arithmetic without a time-zone library
# (several times faster), and Athena reads the rollup's timestamps so anyway.
UTC_TIME = pa.timestamp("us")
# An app's process is shared by every session (and Streamlit Cloud suspends an app over its
# memory): no copy of the Parquet files kept in DuckDB's buffers (they are on local disk), and
# freed memory handed back past 16 MB rather than DuckDB's default 128 MB.
CONNECTION_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "enable_external_file_cache": False,
    "allocator_flush_threshold": "16MB",
}
FOREIGN_SCHEMA = "foreign_schema"  # a rollup month whose columns are not the log's
ROLLUP = "rollup"  # the months' rows, a view over DuckDB's Parquet reader
NORMALISED_ROLLUP = "normalised_rollup"  # months the compactor wrote normalised (``in_schema``)
OPEN = "open_rows"  # the days no month closed, as one Arrow table
ROWS = "request_rows"  # months rolled up before normalising, in the row shape
_REQUIRED = {  # what a month must hold, and of which kind, to be read
    sql.PRICE: pa.types.is_floating,
    sql.TIMESTAMP: pa.types.is_timestamp,
    rollup.DAY_COLUMN: pa.types.is_date,
    rollup.SOURCE_LINE_COLUMN: pa.types.is_integer,
}
OPEN_SCHEMA = pa.schema(
    [
        *((name, pa.string()) for name in sql.TEXT_COLUMNS),
        (sql.PRICE, pa.float64()),
        (sql.TIMESTAMP, UTC_TIME),
        ("file", pa.string()),
        ("line", pa.int32()),
        ("file_day", pa.date32()),
        ("seq", pa.int64()),
    ]
)


def filesystem_of(location: LogLocation) -> tuple[pafs.FileSystem, str]:
    """Arrow's filesystem for the location and the base path of its objects' keys. A bucket is
    read with the credentials and region of the environment (as boto3 reads them)."""
    if location.bucket is None:
        return pafs.LocalFileSystem(), str(Path(location.directory or ".").resolve())
    options: dict[str, object] = {
        "region": os.environ.get("AWS_REGION")
        or os.environ.get("AWS_DEFAULT_REGION")
        or "us-east-1"
    }
    if location.endpoint_url:
        parts = urlsplit(location.endpoint_url)
        options["endpoint_override"] = parts.netloc or parts.path
        options["scheme"] = parts.scheme or "https"
    return pafs.S3FileSystem(**options), location.bucket


@dataclass
class Warehouse:
    """One window of the log, ready to aggregate: a DuckDB connection with the ``requests``
    view, what was set aside on the way, and the day files of the window."""

    connection: duckdb.DuckDBPyConnection
    set_aside: list[SetAside]
    files: list[DayFile]
    sources: dict[str, object] = field(default_factory=dict)  # registered in each cursor
    months_read: int = 0  # rollup files the window scans (partition pruning shows here)
    scratch: tempfile.TemporaryDirectory[str] | None = None  # a bucket's months, on disk
    _lock: Lock = field(default_factory=Lock)

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor of its own per query (Streamlit runs sessions on several threads), with the
        Arrow sources registered: a registration belongs to one cursor."""
        with self._lock:
            cursor = self.connection.cursor()
        for name, source in self.sources.items():
            cursor.register(name, source)
        return cursor

    def frame(self, query: str) -> pd.DataFrame:
        """One aggregate (the text of ``warehouse_sql``) as a small DataFrame."""
        cursor = self._cursor()
        try:
            return cursor.execute(sql.render(query, sql.DUCKDB)).df()
        finally:
            cursor.close()

    def batches(self, query: str, rows: int = 65_536) -> Iterator[pa.RecordBatch]:
        """The result of ``query`` batch by batch (the download: never the whole period)."""
        cursor = self._cursor()
        try:
            reader: pa.RecordBatchReader = cursor.sql(
                sql.render(query, sql.DUCKDB)
            ).to_arrow_reader(rows)
            yield from reader
        finally:
            cursor.close()


def _month_days(
    filesystem: pafs.FileSystem, path: str, layout: LogLayout, days: set[date]
) -> tuple[set[date], list[SetAside], str | None, set[str]]:
    """The wanted days a month closed, the rows its compaction set aside, and why the month
    cannot be read (None: it can). Only the footer is read."""
    try:
        schema = pq.read_schema(path, filesystem=filesystem)
    except (OSError, pa.ArrowException) as error:
        return set(), [], f"{type(error).__name__}", set()
    wrong = [
        name
        for name, kind in _REQUIRED.items()
        if name not in schema.names or not kind(schema.field(name).type)
    ]
    text = [
        n for n in sql.TEXT_COLUMNS if n in schema.names and schema.field(n).type != pa.string()
    ]
    if IN_SCHEMA in schema.names and not pa.types.is_boolean(schema.field(IN_SCHEMA).type):
        text.append(IN_SCHEMA)
    if wrong or text:
        return set(), [], "colunas " + ", ".join([*wrong, *text]), set()
    try:
        raw = json.loads((schema.metadata or {}).get(rollup.CLOSED_DAYS_METADATA, b"{}"))
        closed = {date.fromisoformat(k): rollup.ClosedDay.from_json(v) for k, v in raw.items()}
    except (ValueError, AttributeError) as error:
        return set(), [], f"{type(error).__name__}", set()
    if IN_SCHEMA in schema.names and not judged_by_these_rules(schema.metadata):
        names = set(schema.names) - {IN_SCHEMA}  # judged under other rules: judged again
    else:
        names = set(schema.names)
    kept = {d: info for d, info in closed.items() if d in days}
    notes = [
        SetAside(layout.day_file_name(d), line, reason, detail)
        for d, info in sorted(kept.items())
        for line, reason, detail in info.set_aside
    ]
    return set(kept), notes, None, names


def _open_rows(parsed: Sequence[ParsedFile], day: date, records_name: str) -> list[pa.Table]:
    """A day's parsed files (day file, then its records) in the row shape; the records come
    after the day file's rows in ``seq``."""
    tables = []
    base = (day - date(1970, 1, 1)).days * sql.SEQ_PER_DAY
    for file in parsed:
        table = file.table
        if table is None or not table.num_rows:
            continue
        n = table.num_rows
        lines = table.column(LINE_COLUMN).cast(pa.int64())
        offset = base + (sql.RECORDS_SEQ if file.name == records_name else 0)
        columns = {
            **{name: table.column(name).cast(pa.string()) for name in sql.TEXT_COLUMNS},
            sql.PRICE: table.column(sql.PRICE).cast(pa.float64()),
            sql.TIMESTAMP: table.column(sql.TIMESTAMP).cast(OPEN_SCHEMA.field(sql.TIMESTAMP).type),
            "file": table.column(FILE_COLUMN).cast(pa.string()),
            "line": table.column(LINE_COLUMN).cast(pa.int32()),
            "file_day": pa.array([day] * n, pa.date32()),
            "seq": pa.chunked_array([pa.array(lines.to_numpy() + offset, pa.int64())]),
        }
        tables.append(pa.table(columns, schema=OPEN_SCHEMA))
    return tables


def _copy_month(filesystem: pafs.FileSystem, path: str, base: str, target: str) -> str:
    """One month's file streamed from the bucket to ``target`` (same ``year=/month=`` folders,
    so hive partitioning reads the same), in chunks: never whole in memory."""
    local = Path(target) / path.removeprefix(base + "/")
    local.parent.mkdir(parents=True, exist_ok=True)
    with filesystem.open_input_stream(path) as source, local.open("wb") as sink:
        shutil.copyfileobj(source, sink, 1 << 20)
    return str(local)


def _rollup_select(paths: Sequence[str], present: set[str], extra: Sequence[str] = ()) -> str:
    """The months' rows for DuckDB's Parquet reader, every column of the row shape named (one
    no month holds yet reads as empty), then ``extra``, and the instants zoneless UTC (through
    their microseconds: a ``CAST`` goes through the time-zone library, 4x slower a row)."""
    text = [
        sql.ident(name) if name in present else f"CAST(NULL AS VARCHAR) AS {sql.ident(name)}"
        for name in sql.TEXT_COLUMNS
    ] + [sql.ident(name) for name in extra]
    files = "[" + ", ".join(sql.literal(path) for path in paths) + "]"
    return (
        f"SELECT {', '.join(text)}, CAST({sql.ident(sql.PRICE)} AS DOUBLE) AS "
        f"{sql.ident(sql.PRICE)}, make_timestamp(epoch_us({sql.ident(sql.TIMESTAMP)})) AS "
        f'{sql.ident(sql.TIMESTAMP)}, "day", "source_line", CAST("year" AS INTEGER) AS "year", '
        f'CAST("month" AS INTEGER) AS "month" '
        f"FROM read_parquet({files}, hive_partitioning = true, union_by_name = true)"
    )


def open_warehouse(
    location: LogLocation,
    start: date,
    end: date,
    files: Sequence[DayFile] | None = None,
    max_workers: int = DEFAULT_WORKERS,
) -> Warehouse:
    """The UTC days ``start``..``end`` of the log at ``location``. ``files`` (a listing the
    caller kept) skips listing. Raises ``LogUnavailable`` when the log cannot be listed."""
    store = location.open(max_workers)
    notes: list[SetAside] = []
    if files is None:
        listing = store.list_day_files(start, end)
        day_files, notes = listing.files, list(listing.set_aside)
    else:
        day_files = [f for f in files if start <= f.day <= end]
    by_day: dict[date, list[DayFile]] = {}
    for day_file in day_files:
        by_day.setdefault(day_file.day, []).append(day_file)
    wanted = {(d.year, d.month) for d in by_day}
    months = [m for m in store.rollup_months() if (m.year, m.month) in wanted]
    filesystem, base = filesystem_of(location)
    paths = {m: f"{base}/{m.key}" for m in months}

    def footer(
        month: RollupMonth,
    ) -> tuple[RollupMonth, set[date], list[SetAside], str | None, set[str]]:
        return month, *_month_days(filesystem, paths[month], store.layout, set(by_day))

    closed: set[date] = set()
    readable: list[str] = []
    # The columns some readable month of each kind holds: the two kinds are read apart.
    present: dict[bool, set[str]] = {True: set(), False: set()}
    normalised: set[str] = set()  # the months with the compactor's normalised columns
    workers = max(1, min(max_workers, max(len(months), len(by_day), 1)))
    with ThreadPoolExecutor(workers) as pool:
        for month, month_days, month_notes, problem, names in pool.map(footer, months):
            if problem is not None:
                notes.append(SetAside(month.name, None, FOREIGN_SCHEMA, problem))
                continue
            closed |= month_days
            notes += month_notes
            if month_days:
                readable.append(paths[month])
                present[IN_SCHEMA in names] |= names
                if IN_SCHEMA in names:
                    normalised.add(paths[month])
        open_days = sorted(d for d in by_day if d not in closed)

        def read_day(day: date) -> tuple[str, list[ParsedFile]]:
            opened = read_open_day(store, day, by_day[day], tolerant=True)
            return opened.records_name, reading.parse_open_day(opened)

        parsed_days = list(pool.map(read_day, open_days))
    open_tables: list[pa.Table] = []
    for day, (records_name, parsed) in zip(open_days, parsed_days, strict=True):
        for file in parsed:
            notes += file.set_aside
        open_tables += _open_rows(parsed, day, records_name)
    open_rows = with_normalised_requests(
        pa.concat_tables(open_tables) if open_tables else OPEN_SCHEMA.empty_table()
    )  # judged here, as the compactor judges a month: the SQL then only groups
    connection = duckdb.connect(":memory:", config=CONNECTION_CONFIG)
    connection.execute("SET TimeZone = 'UTC'")  # ICU is built in, loaded after connecting
    sources: dict[str, object] = {OPEN: open_rows}
    shape = ", ".join(sql.ident(c) for c in (*sql.ROW_SHAPE, IN_SCHEMA))
    requests = [sql.requests_sql(f"(SELECT {shape} FROM {OPEN})", normalised=True)]
    older: list[str] = []
    scratch = None
    if readable:
        if location.is_s3:
            scratch = tempfile.TemporaryDirectory(prefix="laptop-pricing-rollup-")
            target = scratch.name

            def copy(path: str) -> str:
                return _copy_month(filesystem, path, base, target)

            with ThreadPoolExecutor(max(1, min(max_workers, len(readable)))) as pool:
                copies = dict(zip(readable, pool.map(copy, readable), strict=True))
            normalised = {copies[path] for path in normalised}
            readable = list(copies.values())
        first, last = min(closed), max(closed)
        suffix = store.layout.kind.day_file_suffix
        if normalised:
            select = _rollup_select(sorted(normalised), present[True], (IN_SCHEMA,))
            connection.execute(f"CREATE VIEW {NORMALISED_ROLLUP} AS {select}")
            rows = sql.rollup_rows_sql(NORMALISED_ROLLUP, first, last, suffix, (IN_SCHEMA,))
            requests.insert(0, sql.requests_sql(f"({rows})", normalised=True))
        older = [path for path in readable if path not in normalised]
        if older:  # months rolled up before the compactor normalised: judged row by row
            select = _rollup_select(older, present[False])
            connection.execute(f"CREATE VIEW {ROLLUP} AS {select}")
            connection.execute(
                f"CREATE VIEW {ROWS} AS {sql.rollup_rows_sql(ROLLUP, first, last, suffix)}"
            )
            requests.insert(0, sql.requests_sql(ROWS))
    warehouse = Warehouse(connection, notes, list(day_files), sources, len(readable), scratch)
    cursor = warehouse._cursor()
    try:
        cursor.execute(f"CREATE VIEW {sql.REQUESTS} AS {' UNION ALL '.join(requests)}")
    finally:
        cursor.close()
    return warehouse
