"""Read the request log (local folder or S3) into one DataFrame, keeping every row it can.

Day files are found by their names (``log_layout``), so a date range never opens a file outside
it, and S3 listings start after the day before the range (``StartAfter``) and stop past its end.
Files are fetched and parsed concurrently: each worker downloads the raw bytes and tokenises them
with ``pyarrow.csv`` (which releases the GIL), falling back to the ``csv`` module only for a file
with defects, so a clean log costs one vectorised pass.

What counts as a row: a line with the right number of values, a readable timestamp and a positive
price. Anything else is *set aside* and reported (file, line, reason) — nothing disappears
silently. Values outside the schema (RAM 252 GB, a processor name as brand) do not make a row
invalid: the API did price that request, so it counts in volume and price plots; ``quality``
flags it (``in_schema`` column) and the page can leave it out.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from laptop_pricing import schema
from laptop_pricing.log_layout import (
    day_file_name,
    is_spill_name,
    parse_day_file_name,
    parse_spill_key,
    spill_root,
)
from laptop_pricing.monitoring.day_file_cache import DayFileCache
from laptop_pricing.settings import Settings

FILE_COLUMN = "file"
LINE_COLUMN = "line"
CATEGORY_COLUMNS: tuple[str, ...] = (*schema.FIELD_NAMES, schema.VERSION_COLUMN)
# Appended columns kept as text, as written (empty in rows and files that predate them).
TEXT_COLUMNS: tuple[str, ...] = schema.TRADE_IN_LOG_COLUMNS
ROW_COLUMNS: tuple[str, ...] = (*schema.LOG_COLUMNS, FILE_COLUMN, LINE_COLUMN)
COURSE_TIMESTAMP_FORMAT = "%d-%m-%Y %H:%M"
DEFAULT_WORKERS = 16

# Why a row or a file was set aside (the page turns these codes into words).
SHORT_ROW = "short_row"
LONG_ROW = "long_row"
BAD_TIMESTAMP = "bad_timestamp"
BAD_PRICE = "bad_price"
MISSING_COLUMNS = "missing_columns"
FETCH_FAILED = "fetch_failed"

_KNOWN_COLUMNS = {c: c for c in schema.LOG_COLUMNS} | dict(schema.LOG_COLUMN_ALIASES)
# Category columns are dictionary-encoded as they are parsed: 13 fields of a few values each
# cost an int32 per row instead of a string, and become pandas categoricals without a copy.
_DICTIONARY = pa.dictionary(pa.int32(), pa.string())


def _parser_variant() -> str:
    """Names this parser in the disk cache: any change to the reader, the schema or pyarrow
    makes the parsed tables an older version wrote invisible (the raw bytes stay usable)."""
    digest = hashlib.sha256(pa.__version__.encode())
    for module in (__file__, schema.__file__):
        digest.update(Path(module).read_bytes())
    return digest.hexdigest()[:16]


PARSER_VARIANT = _parser_variant()


class LogUnavailable(RuntimeError):
    """The log cannot be listed at all (bucket missing, access denied, endpoint down)."""

    def __init__(self, location: str, reason: str):
        self.location = location
        self.reason = reason
        super().__init__(f"{location}: {reason}")


@dataclass(frozen=True)
class DayFile:
    day: date
    key: str
    size: int | None = None
    etag: str | None = None  # S3 only: names the version, so a cached copy can be trusted

    @property
    def name(self) -> str:
        return self.key.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class SetAside:
    """One line (or a whole file when ``line`` is None) the reader could not keep."""

    file: str
    line: int | None
    reason: str
    detail: str = ""


class LogSource(Protocol):
    description: str

    def list_day_files(
        self, start: date | None = None, end: date | None = None
    ) -> list[DayFile]: ...

    def fetch(self, day_file: DayFile) -> bytes: ...


@dataclass(frozen=True)
class LogLocation:
    """Where the log lives, as plain hashable values (a cache key for the page).

    ``cache_dir``: local folder keeping downloaded S3 day files by ETag (None: no disk cache)."""

    bucket: str | None
    prefix: str
    directory: str | None
    endpoint_url: str | None = None
    cache_dir: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> LogLocation:
        if settings.predictions_bucket:
            return cls(
                bucket=settings.predictions_bucket,
                prefix=settings.predictions_prefix,
                directory=None,
                endpoint_url=settings.aws_endpoint_url,
                cache_dir=(
                    str(settings.predictions_cache_dir) if settings.predictions_cache_dir else None
                ),
            )
        return cls(
            bucket=None,
            prefix=settings.predictions_prefix,
            directory=str(settings.predictions_dir),
        )

    @property
    def is_s3(self) -> bool:
        return self.bucket is not None

    def open(self, max_workers: int = DEFAULT_WORKERS) -> LogSource:
        if self.bucket:
            return S3LogSource(
                self.bucket,
                self.prefix,
                s3_client(self.endpoint_url, max_workers=max_workers),
                cache=DayFileCache(self.cache_dir) if self.cache_dir else None,
            )
        return LocalLogSource(Path(self.directory or "."), self.prefix)


def _in_range(day: date, start: date | None, end: date | None) -> bool:
    return (start is None or day >= start) and (end is None or day <= end)


class LocalLogSource:
    """Day files under ``directory/prefix`` (the bucket's layout on disk)."""

    def __init__(self, directory: Path, prefix: str = ""):
        self.directory = Path(directory)
        self.prefix = prefix.strip("/")
        self.folder = self.directory / self.prefix if self.prefix else self.directory
        self.description = str(self.folder)

    def list_day_files(self, start: date | None = None, end: date | None = None) -> list[DayFile]:
        if not self.folder.exists():
            return []
        if not self.folder.is_dir():
            raise LogUnavailable(self.description, "not a folder")
        found = []
        try:
            with os.scandir(self.folder) as entries:
                for entry in entries:
                    day = parse_day_file_name(entry.name)
                    if day is None or not entry.is_file() or not _in_range(day, start, end):
                        continue
                    key = f"{self.prefix}/{entry.name}" if self.prefix else entry.name
                    found.append(DayFile(day, key, entry.stat().st_size))
        except OSError as error:
            raise LogUnavailable(self.description, error.strerror or str(error)) from error
        return sorted(found, key=lambda f: f.day)

    def fetch(self, day_file: DayFile) -> bytes:
        return (self.folder / day_file.name).read_bytes()


def s3_client(endpoint_url: str | None = None, max_workers: int = DEFAULT_WORKERS) -> Any:
    """A boto3 S3 client sized for concurrent reads; credentials come from the AWS chain."""
    import boto3
    from botocore.config import Config

    config = Config(
        max_pool_connections=max(10, max_workers),
        retries={"max_attempts": 3, "mode": "standard"},
        connect_timeout=5,
        read_timeout=30,
    )
    return boto3.session.Session().client("s3", endpoint_url=endpoint_url, config=config)


class S3LogSource:
    """Day files under ``s3://bucket/prefix/``; listing is paginated (1000 keys per call).

    With a ``cache``, a file whose listed ETag was downloaded before is read from local disk."""

    def __init__(self, bucket: str, prefix: str, client: Any, cache: DayFileCache | None = None):
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.client = client
        self.cache = cache
        self.key_prefix = f"{self.prefix}/" if self.prefix else ""
        self.description = f"s3://{bucket}/{self.key_prefix}"
        self.list_calls = 0
        self.spill_list_calls = 0

    def list_day_files(self, start: date | None = None, end: date | None = None) -> list[DayFile]:
        """The day files in range and, after each day's file, that day's spill objects (rows a
        writer could not append in time; the compactor later folds them into the day file).
        ``_spill/`` sorts after the day files: an open-ended listing meets its keys anyway, a
        bounded one stops before them and lists them separately."""
        found = self._list_day_objects(start, end)
        if end is not None:
            found += self._list_spill_objects(start, end)
        return sorted(found, key=lambda f: f.day)  # stable: a day's file before its spills

    def _list_spill_objects(self, start: date | None, end: date | None) -> list[DayFile]:
        return self._list_range(
            spill_root(self.prefix),
            start,
            end,
            lambda key: parse_spill_key(self.prefix, key),
            "spill_list_calls",
        )

    def _list_day_objects(self, start: date | None, end: date | None) -> list[DayFile]:
        def day_of(key: str) -> date | None:
            name = key[len(self.key_prefix) :]
            if "/" in name:
                return parse_spill_key(self.prefix, key)
            return parse_day_file_name(name)

        return self._list_range(self.key_prefix, start, end, day_of, "list_calls")

    def _list_range(
        self,
        root: str,
        start: date | None,
        end: date | None,
        day_of: Callable[[str], date | None],
        counter: str,
    ) -> list[DayFile]:
        """Page through the keys under ``root`` from ``start`` to ``end``: keys sort by day, so
        the listing starts after the day before and stops at the first key past the range."""
        from botocore.exceptions import BotoCoreError, ClientError

        request: dict[str, Any] = {"Bucket": self.bucket, "Prefix": root}
        if start is not None:
            request["StartAfter"] = f"{root}{start:%Y-%m-%d}"
        end_marker = f"{root}{end + timedelta(days=1):%Y-%m-%d}" if end else None
        found: list[DayFile] = []
        try:
            while True:
                page = self.client.list_objects_v2(**request)
                setattr(self, counter, getattr(self, counter) + 1)
                for item in page.get("Contents", []):
                    key = item["Key"]
                    if end_marker is not None and key >= end_marker:
                        return found
                    day = day_of(key)
                    if day is not None and _in_range(day, start, end):
                        found.append(DayFile(day, key, item.get("Size"), item.get("ETag")))
                if not page.get("IsTruncated"):
                    return found
                request["ContinuationToken"] = page["NextContinuationToken"]
                request.pop("StartAfter", None)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "ClientError")
            raise LogUnavailable(self.description, code) from error
        except BotoCoreError as error:
            raise LogUnavailable(self.description, type(error).__name__) from error

    def fetch(self, day_file: DayFile) -> bytes:
        return self._fetch_version(day_file)[0]

    def _fetch_version(
        self, day_file: DayFile, keep_bytes: bool = True
    ) -> tuple[bytes, str | None]:
        """The file's bytes and the ETag they belong to (from the disk cache when it has them)."""
        if self.cache is not None:
            data = self.cache.get(self.bucket, day_file.key, day_file.etag, day_file.size)
            if data is not None:
                return data, day_file.etag
        response = self.client.get_object(Bucket=self.bucket, Key=day_file.key)
        data = response["Body"].read()
        etag = response.get("ETag")
        if self.cache is not None and keep_bytes:
            # Stored under the ETag of what was downloaded, in case it changed since the listing.
            self.cache.put(self.bucket, day_file.key, etag, data)
        return data, etag

    def read(self, day_file: DayFile) -> ParsedFile:
        """The parsed file: the cached table of this ETag, else downloaded and parsed, and the
        table stored for next time. Only the table is stored (writing the bytes as well doubled
        the cost of a cold load for a copy used only when the reader itself changes)."""
        cache = self.cache
        if cache is not None:
            stored = cache.get_table(self.bucket, day_file.key, day_file.etag, PARSER_VARIANT)
            if stored is not None:
                table, notes = stored
                return ParsedFile(day_file, table, [SetAside(**note) for note in notes])
        data, etag = self._fetch_version(day_file, keep_bytes=False)
        parsed = parse_day_file(day_file, data)
        if cache is not None and parsed.table is not None:
            notes = [dataclasses.asdict(note) for note in parsed.set_aside]
            cache.put_table(self.bucket, day_file.key, etag, PARSER_VARIANT, parsed.table, notes)
        return parsed


@dataclass
class ParsedFile:
    day_file: DayFile
    table: pa.Table | None
    set_aside: list[SetAside] = field(default_factory=list)


@dataclass
class LogReadResult:
    """Rows kept (one per priced request), what was set aside, and the files read."""

    rows: pd.DataFrame
    set_aside: list[SetAside]
    files: list[DayFile]

    @property
    def set_aside_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [(s.file, s.line, s.reason, s.detail) for s in self.set_aside],
            columns=["file", "line", "reason", "detail"],
        ).astype({"line": "Int64"})


# ---------------------------------------------------------------------------------------------
# Parsing one file


def _normalise_header(token: str) -> str:
    return token.strip().strip('"').strip().lower()


def _header_columns(first_line: str) -> list[str] | None:
    """Column names when the first line is a header; None when it already holds data."""
    tokens = next(csv.reader([first_line]), [])
    names = [_normalise_header(t) for t in tokens]
    known = sum(1 for n in names if n in _KNOWN_COLUMNS)
    if known < 3:
        return None
    columns: list[str] = []
    for position, name in enumerate(names):
        column = _KNOWN_COLUMNS.get(name, f"_unknown_{position}")
        columns.append(column if column not in columns else f"_duplicate_{position}")
    return columns


def _first_line(text_start: bytes) -> str:
    end = text_start.find(b"\n")
    line = text_start if end < 0 else text_start[:end]
    return line.rstrip(b"\r").decode("utf-8", errors="replace")


def parse_day_file(day_file: DayFile, data: bytes) -> ParsedFile:
    """Parse one day file's bytes into a table of ``ROW_COLUMNS`` plus what was set aside."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if not data.strip():
        return ParsedFile(day_file, None)
    header = _header_columns(_first_line(data[:4096]))
    # A file without a header predates the appended columns (our writers always write one).
    columns = header or list(schema.BASE_LOG_COLUMNS)
    missing = [c for c in (schema.PRICE_COLUMN, schema.TIMESTAMP_COLUMN) if c not in columns]
    if missing:
        return ParsedFile(
            day_file, None, [SetAside(day_file.name, None, MISSING_COLUMNS, ", ".join(missing))]
        )
    first_data_line = 2 if header else 1
    tokens = _tokenise_fast(data, columns, first_data_line)
    if tokens is None:
        tokens = _tokenise_slow(day_file, data, columns, first_data_line)
    strings, lines, set_aside = tokens
    table, conversion_set_aside = _convert(day_file, strings, lines)
    return ParsedFile(day_file, table, set_aside + conversion_set_aside)


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
                    c: _DICTIONARY if c in CATEGORY_COLUMNS or c in TEXT_COLUMNS else pa.string()
                    for c in kept
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


def _tokenise_slow(
    day_file: DayFile, data: bytes, columns: list[str], first_data_line: int
) -> _Tokens:
    """The csv module, line by line, so every set-aside row gets its physical line number."""
    text = data.decode("utf-8", errors="replace")
    reader = csv.reader(io.StringIO(text, newline=""))
    width = len(columns)
    values: list[list[str]] = [[] for _ in columns]
    lines: list[int] = []
    set_aside: list[SetAside] = []
    line_start = 1
    for row in reader:
        line = line_start
        line_start = reader.line_num + 1
        if line < first_data_line or not any(cell.strip() for cell in row):
            continue
        if len(row) != width:
            reason = SHORT_ROW if len(row) < width else LONG_ROW
            set_aside.append(
                SetAside(day_file.name, line, reason, f"{len(row)} valores, esperados {width}")
            )
            continue
        for column_values, cell in zip(values, row, strict=True):
            column_values.append(cell)
        lines.append(line)
    arrays = {c: pa.array(v, type=pa.string()) for c, v in zip(columns, values, strict=True)}
    return arrays, np.asarray(lines, dtype=np.int32), set_aside


def _parse_timestamps(raw: pa.Array) -> pa.Array:
    """ISO 8601 (UTC when no offset) or the course's ``%d-%m-%Y %H:%M``; null when neither."""
    stripped = pc.utf8_trim_whitespace(raw)
    try:
        return pc.cast(stripped, pa.timestamp("us", tz="UTC"))
    except pa.ArrowInvalid:
        pass
    try:
        course = pc.strptime(stripped, format=COURSE_TIMESTAMP_FORMAT, unit="us")
        return pc.assume_timezone(course, "UTC")
    except pa.ArrowInvalid:
        pass
    text = pd.Series(stripped.to_numpy(zero_copy_only=False), dtype=object)
    iso = pd.to_datetime(text, format="ISO8601", utc=True, errors="coerce")
    course_format = pd.to_datetime(text, format=COURSE_TIMESTAMP_FORMAT, errors="coerce", utc=True)
    merged = iso.fillna(course_format).astype("datetime64[us, UTC]")
    return pa.array(merged.array, type=pa.timestamp("us", tz="UTC"))


def _parse_prices(raw: pa.Array) -> pa.Array:
    stripped = pc.utf8_trim_whitespace(raw)
    try:
        prices = pc.cast(stripped, pa.float64())
    except pa.ArrowInvalid:
        text = pd.Series(stripped.to_numpy(zero_copy_only=False), dtype=object)
        prices = pa.array(pd.to_numeric(text, errors="coerce").astype("float64"), pa.float64())
    usable = pc.and_(pc.is_finite(prices), pc.greater(prices, 0))
    return pc.if_else(pc.fill_null(usable, False), prices, None)


def _convert(
    day_file: DayFile, strings: dict[str, pa.Array], lines: np.ndarray
) -> tuple[pa.Table | None, list[SetAside]]:
    n = len(lines)
    if n == 0:
        return None, []
    timestamps = _parse_timestamps(strings[schema.TIMESTAMP_COLUMN])
    prices = _parse_prices(strings[schema.PRICE_COLUMN])
    bad_ts = pc.is_null(timestamps).to_numpy(zero_copy_only=False)
    bad_price = pc.is_null(prices).to_numpy(zero_copy_only=False)
    set_aside: list[SetAside] = []
    if bad_ts.any() or bad_price.any():
        raw_ts = strings[schema.TIMESTAMP_COLUMN].to_pylist()
        raw_price = strings[schema.PRICE_COLUMN].to_pylist()
        for i in np.flatnonzero(bad_ts | bad_price):
            if bad_ts[i]:
                set_aside.append(
                    SetAside(day_file.name, int(lines[i]), BAD_TIMESTAMP, _short(raw_ts[i]))
                )
            else:
                set_aside.append(
                    SetAside(day_file.name, int(lines[i]), BAD_PRICE, _short(raw_price[i]))
                )
    keep = pa.array(~(bad_ts | bad_price))
    zeros = pa.array(np.zeros(n, dtype=np.int32))
    columns: dict[str, pa.Array] = {}
    for name in CATEGORY_COLUMNS:
        column = strings.get(name)
        if column is None:
            column = pa.DictionaryArray.from_arrays(zeros, pa.array([""], pa.string()))
        elif not pa.types.is_dictionary(column.type):
            column = pc.dictionary_encode(column)
        columns[name] = column
    for name in TEXT_COLUMNS:
        column = strings.get(name)
        if column is None:
            column = pa.DictionaryArray.from_arrays(zeros, pa.array([""], pa.string()))
        elif not pa.types.is_dictionary(column.type):
            column = pc.dictionary_encode(column)
        columns[name] = column
    columns[schema.PRICE_COLUMN] = prices
    columns[schema.TIMESTAMP_COLUMN] = timestamps
    columns[FILE_COLUMN] = pa.DictionaryArray.from_arrays(zeros, pa.array([day_file.name]))
    columns[LINE_COLUMN] = pa.array(lines, type=pa.int32())
    table = pa.table({c: columns[c] for c in ROW_COLUMNS})
    if set_aside:
        table = table.filter(keep)
    return table, set_aside


def _short(value: object) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


# ---------------------------------------------------------------------------------------------
# Reading a range


def read_log(
    source: LogSource,
    start: date | None = None,
    end: date | None = None,
    max_workers: int = DEFAULT_WORKERS,
    files: Sequence[DayFile] | None = None,
) -> LogReadResult:
    """Every kept row of the day files from ``start`` to ``end`` (inclusive), in file order
    (day, then line): no global sort, the aggregates do not need one."""
    day_files = list(files) if files is not None else source.list_day_files(start, end)
    parsed = _fetch_and_parse(source, day_files, max_workers)
    tables = [p.table for p in parsed if p.table is not None and p.table.num_rows]
    set_aside = [s for p in parsed for s in p.set_aside]
    rows = _without_compacted_spill_rows(_to_frame(tables), day_files)
    return LogReadResult(rows, set_aside, day_files)


def _without_compacted_spill_rows(rows: pd.DataFrame, day_files: Sequence[DayFile]) -> pd.DataFrame:
    """Drop spill rows already in their day file: between the compactor's append and its delete
    both hold the row (the same request: timestamps have microseconds). Only the days that have
    spill objects are compared, and only spill rows are ever dropped."""
    spills = {f.name for f in day_files if is_spill_name(f.name)}
    if not spills or rows.empty:
        return rows
    days = {day_file_name(f.day) for f in day_files if f.name in spills}
    compared = rows[rows[FILE_COLUMN].isin(spills | days)]
    repeated = compared.duplicated(subset=list(schema.LOG_COLUMNS), keep="first")
    drop = repeated[repeated & compared[FILE_COLUMN].isin(spills)].index
    return rows.drop(index=drop).reset_index(drop=True) if len(drop) else rows


def _fetch_and_parse(
    source: LogSource, day_files: Sequence[DayFile], max_workers: int
) -> list[ParsedFile]:
    read = getattr(source, "read", None)  # a source that can skip the parse (cached tables)

    def work(day_file: DayFile) -> ParsedFile:
        try:
            if read is not None:
                return read(day_file)
            data = source.fetch(day_file)
        except Exception as error:  # one missing file must not hide the other 364
            reason = getattr(error, "response", {}).get("Error", {}).get("Code")
            detail = reason or type(error).__name__
            return ParsedFile(day_file, None, [SetAside(day_file.name, None, FETCH_FAILED, detail)])
        return parse_day_file(day_file, data)

    if len(day_files) <= 1 or max_workers <= 1:
        return [work(f) for f in day_files]
    with ThreadPoolExecutor(max_workers=min(max_workers, len(day_files))) as pool:
        return list(pool.map(work, day_files))


def empty_rows() -> pd.DataFrame:
    return _to_frame([])


def _to_frame(tables: Iterable[pa.Table]) -> pd.DataFrame:
    tables = list(tables)
    if not tables:
        frame = pd.DataFrame(
            {
                **{c: pd.Categorical([]) for c in (*CATEGORY_COLUMNS, *TEXT_COLUMNS)},
                schema.PRICE_COLUMN: pd.Series([], dtype="float64"),
                schema.TIMESTAMP_COLUMN: pd.Series([], dtype="datetime64[us, UTC]"),
                FILE_COLUMN: pd.Categorical([]),
                LINE_COLUMN: pd.Series([], dtype="int32"),
            }
        )
        return frame[list(ROW_COLUMNS)]
    frame = pa.concat_tables(tables).to_pandas()
    for name in CATEGORY_COLUMNS:
        frame[name] = _normalise_categories(frame[name], name)
    return frame


def _normalise_value(field_name: str, value: str) -> str:
    """What the API validator would see: trimmed; category names lower-case; '016' -> '16'."""
    text = value.strip()
    if field_name == schema.VERSION_COLUMN:
        return text
    kind = schema.FIELDS_BY_NAME[field_name].kind
    if kind == schema.CATEGORY:
        return text.lower()
    return str(int(text)) if text.isascii() and text.isdigit() else text


def _normalise_categories(series: pd.Series, field_name: str) -> pd.Series:
    categorical = series.astype("category") if series.dtype != "category" else series
    categories = [str(c) for c in categorical.cat.categories]
    normalised = [_normalise_value(field_name, c) for c in categories]
    if normalised == categories:
        return categorical
    new_categories = list(dict.fromkeys(normalised))
    position = {c: i for i, c in enumerate(new_categories)}
    mapping = np.array([position[c] for c in normalised] + [-1], dtype=np.int32)
    codes = mapping[categorical.cat.codes.to_numpy()]  # code -1 (missing) maps to the last slot
    return pd.Series(
        pd.Categorical.from_codes(codes, categories=new_categories), index=series.index
    )
