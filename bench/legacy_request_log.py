"""BENCHMARK BASELINE ONLY: the request log as it was before issue #9 (day-file appends with a
file lock / S3 conditional writes and spill objects), kept verbatim so bench_service.py can
measure the old design in the same run as the new one. Not imported by the package.

The request log: one CSV row per priced request, one file per UTC day; no row lost or doubled.

Two stores sit behind one interface, laid out identically (``log_layout``):

* ``LocalRequestLog`` appends to ``<directory>/<prefix>/YYYY-MM-DD_laptop_prediction_data.csv``
  under a file lock (``filelock``), so several processes can write the same day file.
* ``S3RequestLog`` keeps the single daily object the course's readers expect, but replaces the
  course's blind read-modify-write (which lost rows under concurrency) with optimistic
  concurrency: read the object with its ETag, write it back with ``IfMatch`` (or
  ``IfNoneMatch="*"`` when the day is new) and, when another writer got there first (412, or 409
  ``ConditionalRequestConflict``), re-read and retry after a jittered backoff, a bounded number of
  times within a time budget. Independent writers (Lambda containers, one request each) can
  outlast that budget; the rows then go to a *spill object* of their own
  (``log_layout.spill_key``, ``IfNoneMatch="*"``, a fresh uuid4 name: nothing can conflict with
  it), which the monitoring reader reads beside the day file and ``laptop_pricing.api.compact``
  folds into it. Only when the spill fails too (S3 down, access denied) is the row lost, and
  that is raised like any other failure.

In both stores, appends from the threads of one process are group-committed: one writer at a time
takes every waiting row and writes them together (one file lock, one conditional put), so
in-process concurrency costs neither lock convoys nor 412 retries, and ``append`` still returns
only once its own row is stored.

Rows are written by the ``csv`` module (values quoted when needed), the header once per file.
Timestamps are ISO 8601 in UTC with microseconds and a ``Z``: ``2024-01-16T02:07:31.123456Z``.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import threading
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from filelock import FileLock

from laptop_pricing.log_columns import (
    APPENDED_LOG_COLUMNS,
    CLERK_EMAIL_COLUMN,
    LOG_COLUMN_ALIASES,
    PRICE_COLUMN,
    TIMESTAMP_COLUMN,
    VERSION_COLUMN,
)
from laptop_pricing.pricing.schema import COURSE_FIELD_NAMES, FIELD_NAMES


def day_key(prefix: str, day: date) -> str:
    name = f"{day:%Y-%m-%d}_laptop_prediction_data.csv"
    return f"{prefix}/{name}" if prefix else name


def spill_key(prefix: str, day: date, moment: datetime) -> str:
    stamp = moment.astimezone(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    return f"{prefix}/_spill/{day:%Y-%m-%d}/{stamp}-{uuid.uuid4().hex}.csv"


# The old design's 16 columns (no request id).
LOG_COLUMNS = (*FIELD_NAMES, PRICE_COLUMN, TIMESTAMP_COLUMN, VERSION_COLUMN)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def format_timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with microseconds, e.g. ``2024-01-16T02:07:31.123456Z``."""
    if moment.tzinfo is None:
        raise ValueError("request-log timestamps must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class RequestLogError(RuntimeError):
    """A row could not be stored. The message names the store and the cause, never a secret."""


class ForeignDayFile(RequestLogError):
    """The day file exists with a header this writer cannot map onto ``LOG_COLUMNS``."""


class ConflictRetriesExhausted(RequestLogError):
    """Other writers kept changing the day object; the row was not written (and, for a writer,
    could not be spilled either: the message names both causes)."""


@dataclass(frozen=True)
class LogRow:
    """One priced request as the log stores it."""

    fields: Mapping[str, Any]
    price: int
    model_version: str
    at: datetime
    clerk_email: str = ""

    @property
    def day(self) -> date:
        return self.at.astimezone(UTC).date()

    def as_record(self) -> dict[str, Any]:
        missing = [name for name in COURSE_FIELD_NAMES if name not in self.fields]
        if missing:
            raise ValueError(f"request-log row lacks fields: {', '.join(missing)}")
        record = {name: _cell(self.fields.get(name)) for name in FIELD_NAMES}
        record[PRICE_COLUMN] = self.price
        record[TIMESTAMP_COLUMN] = format_timestamp(self.at)
        record[VERSION_COLUMN] = self.model_version
        record[CLERK_EMAIL_COLUMN] = self.clerk_email
        return record


def _cell(value: Any) -> Any:
    """An optional field not informed is an empty cell."""
    return "" if value is None else value


def _writer(buffer: io.StringIO) -> Any:
    return csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")


def header_text() -> str:
    buffer = io.StringIO()
    _writer(buffer).writerow(LOG_COLUMNS)
    return buffer.getvalue()


def encode_rows(rows: Iterable[LogRow], columns: Sequence[str] = LOG_COLUMNS) -> str:
    """Rows as CSV text in the given column order (our order unless the file says otherwise)."""
    buffer = io.StringIO()
    writer = _writer(buffer)
    for row in rows:
        record = row.as_record()
        writer.writerow([record[column] for column in columns])
    return buffer.getvalue()


def columns_of_existing(header_line: str) -> tuple[str, ...]:
    """The column order of an existing day file, in our names.

    A file started by the course API (``graphic_card_gb``, ``prediction``) holds the same columns
    under older names; new rows follow that file's order so it stays one consistent table.
    """
    names = next(csv.reader([header_line]), [])
    mapped = tuple(LOG_COLUMN_ALIASES.get(name.strip(), name.strip()) for name in names)
    # A file started before a column was appended keeps its own columns for the rest of the day.
    required = [c for c in LOG_COLUMNS if c not in APPENDED_LOG_COLUMNS]
    if sorted(c for c in mapped if c not in APPENDED_LOG_COLUMNS) != sorted(required) or len(
        set(mapped)
    ) != len(mapped):
        raise ForeignDayFile(
            f"day file header {names[:20]!r} does not hold the request-log columns"
        )
    return mapped


def upgrade_day_text(text: str) -> str:
    """A day file that lacks columns appended since it was started, with those columns added at
    its end (its own names and order kept, the new cells empty), so new rows keep all their
    cells. A row of the wrong width (a torn line) is kept as it was."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        return header_text()
    line = io.StringIO()
    _writer(line).writerow(header)
    missing = [c for c in LOG_COLUMNS if c not in columns_of_existing(line.getvalue())]
    buffer = io.StringIO()
    writer = _writer(buffer)
    writer.writerow([*header, *missing])
    for row in reader:
        if len(row) == len(header):
            writer.writerow([*row, *([""] * len(missing))])
        elif any(cell.strip() for cell in row):
            writer.writerow(row)
    return buffer.getvalue()


def day_file_columns(text: str) -> tuple[str, ...]:
    """The column order of a day file's text (ours unless its header says otherwise)."""
    first_line = text[: text.find("\n") + 1] if "\n" in text else text
    return LOG_COLUMNS if first_line == header_text() else columns_of_existing(first_line)


@dataclass
class _Pending:
    rows: list[LogRow]
    done: bool = False
    error: BaseException | None = None


class RequestLog(ABC):
    """Where priced requests are recorded. ``append`` returns once the row is stored.

    Appends from threads of one process are group-committed: one writer at a time takes every
    row queued so far and stores them together (one file lock, or one conditional put, per batch),
    so concurrency makes writes larger rather than more numerous.
    """

    def __init__(self, clock: Clock | None = None):
        self.clock: Clock = clock or utc_now
        self._queue: list[_Pending] = []
        self._queue_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self.batches = 0  # writes done, for benchmarks and tests

    def append(
        self,
        fields: Mapping[str, Any],
        price: int,
        model_version: str,
        at: datetime | None = None,
        clerk_email: str | None = None,
    ) -> LogRow:
        """Store one row; raises ``RequestLogError`` when it could not be stored."""
        row = LogRow(
            dict(fields), int(price), str(model_version), at or self.clock(), clerk_email or ""
        )
        row.as_record()  # a malformed row fails here, alone, not inside a shared batch
        self._store([row])
        return row

    def _store(self, rows: Sequence[LogRow]) -> None:
        mine = _Pending(list(rows))
        with self._queue_lock:
            self._queue.append(mine)
        # Whoever holds the write lock writes every row queued so far; a thread whose rows a
        # previous holder already wrote just returns (or raises that write's error).
        with self._write_lock:
            if not mine.done:
                with self._queue_lock:
                    batch, self._queue = self._queue, []
                self._commit(batch)
        if mine.error is not None:
            raise mine.error

    def _commit(self, batch: list[_Pending]) -> None:
        by_day: dict[date, list[tuple[_Pending, LogRow]]] = {}
        for pending in batch:
            for row in pending.rows:
                by_day.setdefault(row.day, []).append((pending, row))
        failed: dict[int, BaseException] = {}
        try:
            with self._batch_guard():
                for day, items in by_day.items():
                    try:
                        self._write_day(day, [row for _, row in items])
                    except Exception as error:  # raised again in each waiting request's thread
                        for pending, _ in items:
                            failed[id(pending)] = error
        except Exception as error:  # the guard itself failed: nothing of the batch was written
            for pending in batch:
                failed.setdefault(id(pending), error)
        self.batches += 1
        for pending in batch:
            pending.error = failed.get(id(pending))
            pending.done = True

    def _batch_guard(self) -> contextlib.AbstractContextManager[Any]:
        """Held around one batch's writes (the local store's file lock)."""
        return contextlib.nullcontext()

    @abstractmethod
    def _write_day(self, day: date, rows: list[LogRow]) -> None:
        """Append rows to one day's file; raise ``RequestLogError`` on failure."""

    @abstractmethod
    def describe(self) -> str:
        """Where rows go, for logs (no secrets)."""

    @abstractmethod
    def read_day(self, day: date) -> bytes | None:
        """The raw bytes of one day file, or None if the day has no file."""


class LocalRequestLog(RequestLog):
    """Day files in a local folder laid out like the bucket (the embedded default)."""

    def __init__(
        self,
        directory: str | os.PathLike[str],
        prefix: str = "",
        clock: Clock | None = None,
        fsync: bool = False,
        lock_timeout: float = 10.0,
    ):
        super().__init__(clock)
        self.directory = Path(directory)
        self.prefix = prefix.strip("/")
        self.fsync = fsync
        # One lock file per folder, hidden, so the monitoring reader never mistakes it for data.
        self._folder = self.directory / self.prefix if self.prefix else self.directory
        self._file_lock = FileLock(
            self._folder / ".request-log.lock", timeout=lock_timeout, thread_local=False
        )

    def path_for(self, day: date) -> Path:
        return self.directory / day_key(self.prefix, day)

    def describe(self) -> str:
        return f"local folder {self._folder}"

    def read_day(self, day: date) -> bytes | None:
        path = self.path_for(day)
        return path.read_bytes() if path.exists() else None

    @contextlib.contextmanager
    def _batch_guard(self) -> Iterator[None]:
        try:
            self._folder.mkdir(parents=True, exist_ok=True)
            self._file_lock.acquire()
        except OSError as error:  # includes filelock's Timeout
            raise self._wrap(error) from error
        try:
            yield
        finally:
            self._file_lock.release()

    def _wrap(self, error: OSError) -> RequestLogError:
        reason = getattr(error, "strerror", None) or type(error).__name__
        return RequestLogError(f"cannot append to {self.describe()}: {reason}")

    def _write_day(self, day: date, rows: list[LogRow]) -> None:
        try:
            self._append_file(self.path_for(day), rows)
        except OSError as error:
            raise self._wrap(error) from error

    def _append_file(self, path: Path, rows: Sequence[LogRow]) -> None:
        with open(path, "a+b") as handle:
            size = handle.seek(0, os.SEEK_END)
            prefix = ""
            columns: Sequence[str] = LOG_COLUMNS
            if size == 0:
                prefix = header_text()
            else:
                handle.seek(0)
                first_line = handle.readline().decode("utf-8", errors="replace")
                if first_line != header_text():
                    columns = columns_of_existing(first_line)
                if len(columns) < len(LOG_COLUMNS) and any(row.extra for row in rows):
                    # The file predates appended columns that these rows fill: add them.
                    handle.seek(0)
                    text = upgrade_day_text(handle.read().decode("utf-8", errors="replace"))
                    self._replace_file(path, text + encode_rows(rows, day_file_columns(text)))
                    return
                handle.seek(size - 1)
                if handle.read(1) != b"\n":  # a torn last line must not swallow our row
                    prefix = "\n"
            handle.seek(0, os.SEEK_END)
            handle.write((prefix + encode_rows(rows, columns)).encode("utf-8"))
            handle.flush()
            if self.fsync:
                os.fsync(handle.fileno())

    def _replace_file(self, path: Path, text: str) -> None:
        """Rewrite a day file whole (held under the file lock), atomically for readers."""
        temporary = path.with_name(f".{path.name}.upgrade")
        with open(temporary, "wb") as handle:
            handle.write(text.encode("utf-8"))
            handle.flush()
            if self.fsync:
                os.fsync(handle.fileno())
        os.replace(temporary, path)
