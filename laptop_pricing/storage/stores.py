"""Where records, day files and the rollup are kept: a local folder, or an S3 bucket
(``s3_store``), behind one ``RecordStore`` interface.

Writers only ever call ``put``: one record, no read, no lock, no condition.

* Local folder: one ``os.write`` of a whole line to the day's records file opened with
  ``O_APPEND``, so writers of several processes never interleave and need no lock; a write cut
  short (crash, full disk) leaves a fragment no reader can mistake for a record
  (``records.py``).
* S3: one plain ``PutObject`` of a small object of its own (``layout.record_key``), so writers
  never conflict and a write costs the same on the busiest day. Re-putting the same key with
  the same bytes is harmless, which is what lets an unanswered write be settled (``settle``).
  A kind ``keyed_by_id`` (the outcomes) puts each record alone under its id's key with
  ``IfNoneMatch='*'``: a second writer of the same id gets ``RecordExists``, never a double.

The rest (listing, reading, whole-file writes) serves the compactor and the readers: this is
the one store layer, and the day reader (``storage.day_reader``) reads every kind through it.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from laptop_pricing.storage.errors import RecordExists as RecordExists
from laptop_pricing.storage.errors import RecordNotStored as RecordNotStored
from laptop_pricing.storage.errors import StoreError as StoreError
from laptop_pricing.storage.layout import LogLayout, parse_day
from laptop_pricing.storage.listing import (
    MAX_FILE_BYTES,
    RECORDS,
    DayFile,
    FileTooLarge,
    Listing,
    LogUnavailable,
    RollupMonth,
    classify,
    in_range,
    rollup_month,
)
from laptop_pricing.storage.local_objects import FILE_MODE, FOLDER_MODE, LocalObjects
from laptop_pricing.storage.object_ranges import ObjectTail, changed_under_read
from laptop_pricing.storage.records import DecodedRecords, decode_records

# The local folder holds personal data (clerks' e-mails, notes): only its owner reads it.


@dataclass(frozen=True)
class PendingRecord:
    """Records of one day ready to store together: the key (S3) and their lines, end to end.
    ``ends`` are the byte offsets where each record's line ends."""

    day: date
    key: str
    line: bytes
    record_id: str
    ends: tuple[int, ...] = ()

    @property
    def count(self) -> int:
        return len(self.ends) or 1

    def stored_within(self, written: int) -> int:
        """How many leading records read back when ``written`` bytes reached the file."""
        ends = self.ends or (len(self.line),)
        return sum(1 for end in ends if written >= end - 1)


class RecordStore(ABC):
    layout: LogLayout
    keeps_watermark = False  # whether ``write_day_file`` stores the records watermark

    @property
    def groups_records(self) -> bool:
        """Whether several records may be stored together (one object, one write)."""
        return True

    def find_record(self, day: date, record_id: str) -> dict[str, str] | None:
        """The record of ``day`` with this id, if stored (read on the request path of a kind
        keyed by id). Raises ``StoreError``."""
        id_column = self.layout.kind.id_column
        found = (r for r in self.read_records(day).records if r.get(id_column) == record_id)
        return next(found, None)

    @abstractmethod
    def describe(self) -> str:
        """Where records go, for logs (no secrets)."""

    def pending(self, day: date, at: datetime, record_id: str, lines: list[bytes]) -> PendingRecord:
        ends, total = [], 0
        for line in lines:
            total += len(line)
            ends.append(total)
        key = self.layout.record_key(day, at, record_id)
        return PendingRecord(day, key, b"".join(lines), record_id, tuple(ends))

    @abstractmethod
    def put(self, record: PendingRecord, deadline: float) -> int:
        """Store the records before ``deadline`` (``time.monotonic``): how many (leading ones)
        were stored, or RecordNotStored when none was."""

    def warm(self) -> None:
        """Pay the first call's setup (credentials, endpoint rules, a connection) now, at
        start-up, instead of inside the first clerk's deadline. Any answer will do."""
        return None

    def settle(self, record: PendingRecord, until: float) -> bool:
        """After an ambiguous failure: try to learn the record's fate before ``until``.
        True once it is certainly stored; False when that could not be established."""
        return False

    # Objects by key (quotes by id, answers by request id) -------------------------------------

    def put_new(self, key: str, data: bytes, deadline: float) -> bool:
        """Store ``data`` under ``key`` only if nothing is there: True when this call stored it,
        False when the key was taken (by any process). Raises ``RecordNotStored``."""
        raise NotImplementedError(f"{type(self).__name__} stores no objects by key")

    def read_object(self, key: str) -> bytes | None:
        """The object under ``key``, None when absent. Raises ``StoreError``."""
        raise NotImplementedError(f"{type(self).__name__} stores no objects by key")

    def has_object(self, key: str) -> bool:
        """Whether ``key`` holds an object, without reading it all. Raises ``StoreError``."""
        return self.read_object(key) is not None

    def list_keys(self, prefix: str) -> list[str]:
        """Every key starting with ``prefix``, sorted. Raises ``StoreError``."""
        raise NotImplementedError(f"{type(self).__name__} stores no objects by key")

    def delete_object(self, key: str) -> bool:
        """Remove the object under ``key`` (True when it was there). Raises ``StoreError``."""
        raise NotImplementedError(f"{type(self).__name__} stores no objects by key")

    def replace_object(self, key: str, data: bytes) -> bool:
        """Rewrite the object under ``key`` whole, only if one is there (never re-creates a
        deleted one): True when replaced. Readers see the old or the new, never half, never
        none. For a migration of records no writer changes (``purchase.staff_email``), not for
        racing writers. Raises ``StoreError``."""
        raise NotImplementedError(f"{type(self).__name__} stores no objects by key")

    def list_modified(self, prefix: str) -> dict[str, datetime]:
        """Every key starting with ``prefix`` and when it was last written (aware, UTC): what
        a purge of objects left unused needs. Raises ``StoreError``."""
        raise NotImplementedError(f"{type(self).__name__} stores no objects by key")

    # Compactor side ----------------------------------------------------------------------------

    @abstractmethod
    def record_days(self) -> list[date]: ...

    @abstractmethod
    def read_records(self, day: date, after: str | None = None) -> DecodedRecords: ...

    @abstractmethod
    def read_day_file(
        self, day: date, max_bytes: int | None = None
    ) -> tuple[bytes | None, str | None]:
        """(bytes or None, the records watermark the compactor stored with it). Raises
        ``FileTooLarge`` past ``max_bytes``."""

    @abstractmethod
    def write_day_file(self, day: date, data: bytes, watermark: str | None) -> None: ...

    @abstractmethod
    def day_file_days(self) -> list[date]: ...

    @abstractmethod
    def read_rollup(self, year: int, month: int) -> tuple[bytes | None, str | None]:
        """(bytes or None, a version token for ``write_rollup``)."""

    @abstractmethod
    def write_rollup(self, year: int, month: int, data: bytes, token: str | None) -> bool:
        """Replace the month's rollup if it is still at ``token``; False when it changed."""

    def compaction_lock(self, timeout: float) -> contextlib.AbstractContextManager[Any]:
        return contextlib.nullcontext()

    # Reader side (the monitoring page) ---------------------------------------------------------

    @abstractmethod
    def list_day_files(self, start: date | None = None, end: date | None = None) -> Listing:
        """Day files and days with records from ``start`` to ``end``, by name only. Raises
        ``LogUnavailable`` when the folder or bucket cannot be listed."""

    @abstractmethod
    def rollup_months(self) -> list[RollupMonth]: ...

    @abstractmethod
    def fetch(self, key: str, size: int | None = None) -> bytes:
        """A whole object, at most ``MAX_FILE_BYTES`` (else ``FileTooLarge``)."""

    @abstractmethod
    def fetch_tail(self, key: str, length: int) -> ObjectTail:
        """The last ``length`` bytes of an object (all of it when shorter), its size and its
        version: a Parquet footer, read without the rest."""

    @abstractmethod
    def fetch_range(self, key: str, start: int, end: int, version: str) -> bytes:
        """Bytes ``start`` to ``end`` (exclusive) of the object's ``version`` (its tail's):
        some row groups of a month. ``StoreError`` when it was replaced since, never bytes of
        another version at the offsets of this one."""


def day_names(names: Iterator[str], layout: LogLayout) -> list[date]:
    pattern = layout.day_name_pattern()
    days = set()
    for name in names:
        match = pattern.match(name)
        day = parse_day(match.group(1)) if match else None
        if day is not None:
            days.add(day)
    return sorted(days)


class LocalRecordStore(LocalObjects, RecordStore):
    """The bucket's layout under a local folder (the embedded default)."""

    def __init__(self, directory: str | os.PathLike[str], layout: LogLayout):
        self.directory = Path(directory)
        self.layout = layout
        self._made: set[Path] = set()

    def describe(self) -> str:
        return f"local folder {self.path(self.layout.root)}".rstrip("/")

    def put(self, record: PendingRecord, deadline: float) -> int:
        path = self.path(self.layout.local_records_file(record.day))
        try:
            if path.parent not in self._made:
                path.parent.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
                self._made.add(path.parent)
            descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
            try:
                written = os.write(descriptor, record.line)
            finally:
                os.close(descriptor)
        except OSError as error:
            raise RecordNotStored(error.strerror or type(error).__name__) from error
        stored = record.stored_within(written)
        if stored == 0:
            raise RecordNotStored(f"short write ({written} of {len(record.line)} bytes)")
        return stored

    def record_days(self) -> list[date]:
        folder = self.path(self.layout.records_root)
        if not folder.is_dir():
            return []
        return sorted(
            day
            for day in (parse_day(p.name.removesuffix(".jsonl")) for p in folder.glob("*.jsonl"))
            if day is not None
        )

    def read_records(self, day: date, after: str | None = None) -> DecodedRecords:
        path = self.path(self.layout.local_records_file(day))
        try:
            return decode_records(path.read_bytes())
        except FileNotFoundError:
            return DecodedRecords([], 0)
        except OSError as error:
            raise StoreError(f"cannot read {path}: {error.strerror}") from error

    def _replace(self, key: str, data: bytes) -> None:
        """Write to a temporary file beside it, then rename: readers see old or new, never half."""
        target = self.path(key)
        try:
            target.parent.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
            # mkstemp creates the file 0600, as FILE_MODE says
            handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".part")
            try:
                with os.fdopen(handle, "wb") as stream:
                    stream.write(data)
                os.replace(temporary, target)
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(temporary)
                raise
        except OSError as error:
            raise StoreError(f"cannot write {target}: {error.strerror}") from error

    def read_day_file(
        self, day: date, max_bytes: int | None = None
    ) -> tuple[bytes | None, str | None]:
        key = self.layout.day_key(day)
        if max_bytes is not None:
            with contextlib.suppress(FileNotFoundError):
                if self.path(key).stat().st_size > max_bytes:
                    raise FileTooLarge(key)
        return self.read_object(key), None

    def write_day_file(self, day: date, data: bytes, watermark: str | None) -> None:
        self._replace(self.layout.day_key(day), data)

    def day_file_days(self) -> list[date]:
        folder = self.path(self.layout.root)
        if not folder.is_dir():
            return []
        return day_names((p.name for p in folder.iterdir()), self.layout)

    def read_rollup(self, year: int, month: int) -> tuple[bytes | None, str | None]:
        return self.read_object(self.layout.rollup_key(year, month)), None

    def write_rollup(self, year: int, month: int, data: bytes, token: str | None) -> bool:
        self._replace(self.layout.rollup_key(year, month), data)  # under compaction_lock
        return True

    @contextlib.contextmanager
    def compaction_lock(self, timeout: float) -> Iterator[None]:
        """Serialises compactors of this folder (writers never take it)."""
        folder = self.path(self.layout.root)
        folder.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
        lock = FileLock(folder / ".compact.lock", timeout=timeout, mode=FILE_MODE)
        try:
            lock.acquire()
        except Timeout as error:
            raise StoreError(f"another compaction of {folder} holds its lock") from error
        try:
            yield
        finally:
            lock.release()

    def list_day_files(self, start: date | None = None, end: date | None = None) -> Listing:
        listing = Listing()
        folder = self.path(self.layout.root)
        if not folder.exists():
            return listing
        if not folder.is_dir():
            raise LogUnavailable(str(folder), "not a folder")
        pattern = self.layout.day_name_pattern()
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    if not entry.is_file():
                        continue
                    day, note = classify(entry.name, pattern, start, end)
                    if note is not None:
                        listing.set_aside.append(note)
                    elif day is not None:
                        key = self.layout.root + entry.name
                        listing.files.append(DayFile(day, key, entry.stat().st_size))
            records = self.path(self.layout.records_root)
            if records.is_dir():
                for path in records.glob("*.jsonl"):
                    day = parse_day(path.name.removesuffix(".jsonl"))
                    if day is not None and in_range(day, start, end):
                        key = self.layout.local_records_file(day)
                        listing.files.append(DayFile(day, key, path.stat().st_size, kind=RECORDS))
        except OSError as error:
            raise LogUnavailable(str(folder), error.strerror or str(error)) from error
        listing.files.sort(key=lambda f: (f.day, f.kind))
        return listing

    def rollup_months(self) -> list[RollupMonth]:
        root = self.path(self.layout.rollup_root)
        found = (
            rollup_month(path.relative_to(self.directory).as_posix())
            for path in root.glob("year=*/month=*/data.parquet")
        )
        return sorted((m for m in found if m), key=lambda m: (m.year, m.month))

    def fetch(self, key: str, size: int | None = None) -> bytes:
        path = self.path(key)
        if path.stat().st_size > MAX_FILE_BYTES:
            raise FileTooLarge(key)
        return path.read_bytes()

    def fetch_tail(self, key: str, length: int) -> ObjectTail:
        with self.path(key).open("rb") as file:
            status = os.fstat(file.fileno())
            file.seek(max(0, status.st_size - length))
            return ObjectTail(file.read(), status.st_size, _file_version(status))

    def fetch_range(self, key: str, start: int, end: int, version: str) -> bytes:
        with self.path(key).open("rb") as file:
            if _file_version(os.fstat(file.fileno())) != version:
                raise changed_under_read(str(self.path(key)))
            file.seek(start)
            return file.read(max(0, end - start))


def _file_version(status: os.stat_result) -> str:
    """A file's version: a replaced file (written aside, renamed over) is a new inode."""
    return f"{status.st_ino}:{status.st_size}:{status.st_mtime_ns}"
