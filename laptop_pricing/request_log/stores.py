"""Where records, day files and the rollup are kept: a local folder or an S3 bucket.

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

The rest (listing, reading, whole-file writes) serves the compactor.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError
from filelock import FileLock, Timeout

from laptop_pricing import s3
from laptop_pricing.request_log.layout import LogLayout, parse_day
from laptop_pricing.request_log.records import DecodedRecords, decode_records

WATERMARK_METADATA = "records-through"
# Errors raised before the request could leave: the object was certainly not stored.
_NOT_SENT = (ConnectTimeoutError, EndpointConnectionError)


class StoreError(RuntimeError):
    """A compactor-side read or write failed; the message names the location and the cause."""


class RecordNotStored(RuntimeError):
    """The record was not stored. ``ambiguous``: no answer came, so it may have been."""

    def __init__(self, reason: str, ambiguous: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.ambiguous = ambiguous


class RecordExists(RecordNotStored):
    """A kind keyed by id: a record with this id is already stored (by another writer)."""

    def __init__(self) -> None:
        super().__init__("already stored")


_EXISTS_CODES = frozenset({"PreconditionFailed"})


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

    # Compactor side ----------------------------------------------------------------------------

    @abstractmethod
    def record_days(self) -> list[date]: ...

    @abstractmethod
    def read_records(self, day: date, after: str | None = None) -> DecodedRecords: ...

    @abstractmethod
    def read_day_file(self, day: date) -> tuple[bytes | None, str | None]:
        """(bytes or None, the records watermark the compactor stored with it)."""

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


def _day_names(names: Iterator[str], layout: LogLayout) -> list[date]:
    pattern = layout.day_name_pattern()
    days = set()
    for name in names:
        match = pattern.match(name)
        day = parse_day(match.group(1)) if match else None
        if day is not None:
            days.add(day)
    return sorted(days)


class LocalRecordStore(RecordStore):
    """The bucket's layout under a local folder (the embedded default)."""

    def __init__(self, directory: str | os.PathLike[str], layout: LogLayout):
        self.directory = Path(directory)
        self.layout = layout
        self._made: set[Path] = set()

    def path(self, key: str) -> Path:
        return self.directory / key

    def describe(self) -> str:
        return f"local folder {self.path(self.layout.root)}".rstrip("/")

    def put(self, record: PendingRecord, deadline: float) -> int:
        path = self.path(self.layout.local_records_file(record.day))
        try:
            if path.parent not in self._made:
                path.parent.mkdir(parents=True, exist_ok=True)
                self._made.add(path.parent)
            descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
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

    def _read(self, key: str) -> bytes | None:
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as error:
            raise StoreError(f"cannot read {self.path(key)}: {error.strerror}") from error

    def _replace(self, key: str, data: bytes) -> None:
        """Write to a temporary file beside it, then rename: readers see old or new, never half."""
        target = self.path(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
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

    def read_day_file(self, day: date) -> tuple[bytes | None, str | None]:
        return self._read(self.layout.day_key(day)), None

    def write_day_file(self, day: date, data: bytes, watermark: str | None) -> None:
        self._replace(self.layout.day_key(day), data)

    def day_file_days(self) -> list[date]:
        folder = self.path(self.layout.root)
        if not folder.is_dir():
            return []
        return _day_names((p.name for p in folder.iterdir()), self.layout)

    def read_rollup(self, year: int, month: int) -> tuple[bytes | None, str | None]:
        return self._read(self.layout.rollup_key(year, month)), None

    def write_rollup(self, year: int, month: int, data: bytes, token: str | None) -> bool:
        self._replace(self.layout.rollup_key(year, month), data)  # under compaction_lock
        return True

    @contextlib.contextmanager
    def compaction_lock(self, timeout: float) -> Iterator[None]:
        """Serialises compactors of this folder (writers never take it)."""
        folder = self.path(self.layout.root)
        folder.mkdir(parents=True, exist_ok=True)
        lock = FileLock(folder / ".compact.lock", timeout=timeout)
        try:
            lock.acquire()
        except Timeout as error:
            raise StoreError(f"another compaction of {folder} holds its lock") from error
        try:
            yield
        finally:
            lock.release()


class S3RecordStore(RecordStore):
    """Records, day files and rollup in a bucket. ``client`` serves writers (short limits,
    ``writer_timeouts``); ``reader`` serves settling and the compactor (patient limits)."""

    def __init__(self, bucket: str, layout: LogLayout, client: Any, reader: Any | None = None):
        self.bucket = bucket
        self.layout = layout
        self.client = client
        self.reader = reader or client
        self.keeps_watermark = True

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.layout.root}".rstrip("/")

    def put(self, record: PendingRecord, deadline: float) -> int:
        """One plain PutObject of an object holding the records, retried while the deadline
        leaves room for another attempt (the client's own limits keep one attempt inside it)."""
        pause = 0.02
        ambiguous = False
        while True:
            try:
                self._put(self.client, record)
                return record.count
            except s3.S3_ERRORS as error:
                if s3.error_code(error) in _EXISTS_CODES:
                    raise RecordExists() from error
                failure = error
            # A put that got no answer may have landed; S3's own error answers and failures to
            # connect mean it did not.
            ambiguous |= not isinstance(failure, (*_NOT_SENT, s3.ClientError))
            if time.monotonic() + pause >= deadline:
                raise RecordNotStored(s3.error_code(failure), ambiguous=ambiguous)
            time.sleep(pause)
            pause *= 2

    def warm(self) -> None:
        with contextlib.suppress(*s3.S3_ERRORS):  # 403 without ListBucket still warms
            self.client.head_bucket(Bucket=self.bucket)

    @property
    def groups_records(self) -> bool:
        return not self.layout.kind.keyed_by_id

    def _put(self, client: Any, record: PendingRecord) -> None:
        condition = {"IfNoneMatch": "*"} if self.layout.kind.keyed_by_id else {}
        client.put_object(
            Bucket=self.bucket,
            Key=record.key,
            Body=record.line,
            ContentType="application/json",
            **condition,
        )

    def settle(self, record: PendingRecord, until: float) -> bool:
        """Put the same bytes again: an answer means it is stored, whichever put landed (for
        a kind keyed by id, "already there" says the same)."""
        while time.monotonic() < until:
            try:
                self._put(self.reader, record)
                return True
            except s3.S3_ERRORS as error:
                if s3.error_code(error) in _EXISTS_CODES:
                    return True
                time.sleep(0.2)
        return False

    def find_record(self, day: date, record_id: str) -> dict[str, str] | None:
        if not self.layout.kind.keyed_by_id:
            return super().find_record(day, record_id)
        data, _ = self._get(self.layout.record_key(day, datetime.min, record_id))
        records = decode_records(data).records if data else []
        return records[0] if records else None

    def _list_error(self, where: str, error: BaseException) -> StoreError:
        return StoreError(f"cannot list s3://{self.bucket}/{where}: {s3.error_code(error)}")

    def record_days(self) -> list[date]:
        root = self.layout.records_root
        try:
            folders = s3.list_folders(self.reader, self.bucket, root)
        except s3.S3_ERRORS as error:
            raise self._list_error(root, error) from error
        days = (parse_day(folder[len(root) :].rstrip("/")) for folder in folders)
        return sorted(day for day in days if day is not None)

    def record_keys(self, day: date, after: str | None = None) -> list[str]:
        prefix = self.layout.records_day_prefix(day)
        try:
            listed = s3.list_objects(self.reader, self.bucket, prefix, start_after=after)
            return [item.key for item in listed if item.key.endswith(".json")]
        except s3.S3_ERRORS as error:
            raise self._list_error(prefix, error) from error

    def read_records(self, day: date, after: str | None = None) -> DecodedRecords:
        keys = self.record_keys(day, after)

        def fetch(key: str) -> bytes:
            try:
                return self.reader.get_object(Bucket=self.bucket, Key=key)["Body"].read()
            except s3.S3_ERRORS as error:
                if s3.is_missing(error):
                    return b""
                raise StoreError(
                    f"cannot read s3://{self.bucket}/{key}: {s3.error_code(error)}"
                ) from error

        with ThreadPoolExecutor(16) as pool:
            bodies = list(pool.map(fetch, keys))
        return decode_records(b"".join(bodies))

    def _get(self, key: str) -> tuple[bytes | None, dict[str, Any]]:
        try:
            answer = self.reader.get_object(Bucket=self.bucket, Key=key)
        except s3.S3_ERRORS as error:
            if s3.is_missing(error):
                return None, {}
            raise StoreError(
                f"cannot read s3://{self.bucket}/{key}: {s3.error_code(error)}"
            ) from error
        return answer["Body"].read(), answer

    def read_day_file(self, day: date) -> tuple[bytes | None, str | None]:
        data, answer = self._get(self.layout.day_key(day))
        return data, answer.get("Metadata", {}).get(WATERMARK_METADATA)

    def write_day_file(self, day: date, data: bytes, watermark: str | None) -> None:
        key = self.layout.day_key(day)
        try:
            self.reader.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=data,
                ContentType="text/csv; charset=utf-8",
                Metadata={WATERMARK_METADATA: watermark} if watermark else {},
            )
        except s3.S3_ERRORS as error:
            raise StoreError(
                f"cannot write s3://{self.bucket}/{key}: {s3.error_code(error)}"
            ) from error

    def day_file_days(self) -> list[date]:
        root = self.layout.root
        try:
            listed = s3.list_objects(
                self.reader, self.bucket, root, stop_at=f"{root}_", delimiter="/"
            )
            names = (item.key[len(root) :] for item in listed)
            return _day_names(names, self.layout)
        except s3.S3_ERRORS as error:
            raise self._list_error(root, error) from error

    def read_rollup(self, year: int, month: int) -> tuple[bytes | None, str | None]:
        data, answer = self._get(self.layout.rollup_key(year, month))
        return data, answer.get("ETag")

    def write_rollup(self, year: int, month: int, data: bytes, token: str | None) -> bool:
        key = self.layout.rollup_key(year, month)
        condition = {"IfMatch": token} if token else {"IfNoneMatch": "*"}
        try:
            self.reader.put_object(Bucket=self.bucket, Key=key, Body=data, **condition)
        except s3.S3_ERRORS as error:
            if s3.error_code(error) in {"PreconditionFailed", "ConditionalRequestConflict"}:
                return False
            raise StoreError(
                f"cannot write s3://{self.bucket}/{key}: {s3.error_code(error)}"
            ) from error
        return True
