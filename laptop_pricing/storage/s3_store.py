"""The request log in an S3 bucket: one small object per record, day files and the rollup.

A writer's ``put`` is one ``PutObject`` of a record of its own under a hard deadline, always
to a free key (``IfNoneMatch='*'``, which the pricing role's IAM condition requires), so a second
writer of the same id gets ``RecordExists``; ``settle`` re-puts an unanswered record before the
process stops. Listing, reading and whole-file writes serve the compactor and the readers. The
clients come from ``laptop_pricing.storage.s3`` with explicit timeouts.
"""

from __future__ import annotations

import contextlib
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError, ConnectTimeoutError, EndpointConnectionError

from laptop_pricing.storage import s3
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
from laptop_pricing.storage.object_ranges import ObjectTail, changed_under_read
from laptop_pricing.storage.records import DecodedRecords, decode_records
from laptop_pricing.storage.stores import (
    PendingRecord,
    RecordExists,
    RecordNotStored,
    RecordStore,
    StoreError,
    day_names,
)

WATERMARK_METADATA = "records-through"
# Errors raised before the request could leave: the object was certainly not stored.
_NOT_SENT = (ConnectTimeoutError, EndpointConnectionError)
_EXISTS_CODES = frozenset({"PreconditionFailed"})


class S3RecordStore(RecordStore):
    """Records, day files and rollup in a bucket. ``client`` serves writers (short limits,
    ``writer_timeouts``); ``reader`` serves settling and the compactor (patient limits)."""

    def __init__(
        self,
        bucket: str,
        layout: LogLayout,
        client: Any,
        reader: Any | None = None,
        lister: Any | None = None,
    ):
        self.bucket = bucket
        self.layout = layout
        self.client = client
        self.reader = reader or client
        self.lister = lister or self.reader  # the page's listings (``s3.LIST_TIMEOUTS``)
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
                if s3.is_permanent(error):  # no retry can succeed: lose no more time
                    raise RecordNotStored(s3.error_code(error)) from error
                failure = error
            # A put that got no answer may have landed; S3's own error answers and failures to
            # connect mean it did not.
            ambiguous |= not isinstance(failure, (*_NOT_SENT, ClientError))
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
        # Always to a free key: the pricing role may only put with If-None-Match (its IAM
        # condition), and a record is never overwritten. A group's key is unique (time and
        # id), so 412 means an earlier attempt of this very put landed.
        client.put_object(
            Bucket=self.bucket,
            Key=record.key,
            Body=record.line,
            ContentType="application/json",
            IfNoneMatch="*",
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

    def put_new(self, key: str, data: bytes, deadline: float) -> bool:
        """One ``PutObject`` with ``IfNoneMatch='*'`` on the writer's client; a conflict with a
        concurrent conditional put is tried again while the deadline leaves room."""
        if time.monotonic() >= deadline:  # spent by earlier writes of the same request
            raise RecordNotStored("deadline passed before the put")
        pause = 0.02
        while True:
            try:
                self.client.put_object(
                    Bucket=self.bucket,
                    Key=key,
                    Body=data,
                    ContentType="application/json",
                    IfNoneMatch="*",
                )
                return True
            except s3.S3_ERRORS as error:
                code = s3.error_code(error)
                if code in _EXISTS_CODES:
                    return False
                ambiguous = not isinstance(error, (*_NOT_SENT, ClientError))
                if time.monotonic() + pause >= deadline:
                    raise RecordNotStored(code, ambiguous=ambiguous) from error
            time.sleep(pause)
            pause *= 2

    def read_object(self, key: str) -> bytes | None:
        """One ``GetObject`` on the patient client (its limits bound it: a few seconds)."""
        return self._get(key)[0]

    def list_keys(self, prefix: str) -> list[str]:
        """Every key under ``prefix`` (paged ``ListObjectsV2`` on the patient client)."""
        try:
            return [item.key for item in s3.list_objects(self.reader, self.bucket, prefix)]
        except s3.S3_ERRORS as error:
            raise self._list_error(prefix, error) from error

    def list_modified(self, prefix: str) -> dict[str, datetime]:
        """Every key under ``prefix`` with its ``LastModified`` (the same paged listing)."""
        try:
            listed = list(s3.list_objects(self.reader, self.bucket, prefix))
        except s3.S3_ERRORS as error:
            raise self._list_error(prefix, error) from error
        return {item.key: item.modified for item in listed if item.modified is not None}

    def has_object(self, key: str) -> bool:
        """One ``HeadObject``: a key, not a listing (moto lists by scanning every key)."""
        try:
            self.reader.head_object(Bucket=self.bucket, Key=key)
        except s3.S3_ERRORS as error:
            if s3.is_missing(error):
                return False
            raise StoreError(
                f"cannot read s3://{self.bucket}/{key}: {s3.error_code(error)}"
            ) from error
        return True

    def replace_object(self, key: str, data: bytes) -> bool:
        """``HeadObject`` for the ETag, then ``PutObject`` with ``IfMatch`` on it: replaced only
        while it is still the object seen (``RecordStore``)."""
        try:
            tag = self.reader.head_object(Bucket=self.bucket, Key=key)["ETag"]
            self.reader.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=data,
                ContentType="application/json",
                IfMatch=tag,
            )
        except s3.S3_ERRORS as error:
            code = s3.error_code(error)
            if s3.is_missing(error) or code in {"PreconditionFailed", "ConditionalRequestConflict"}:
                return False
            raise StoreError(f"cannot replace s3://{self.bucket}/{key}: {code}", code) from error
        return True

    def delete_object(self, key: str) -> bool:
        """One ``DeleteObject``. S3 answers the same whether the key was there or not, so this
        reads first: True when there was something to delete."""
        try:
            self.reader.head_object(Bucket=self.bucket, Key=key)
        except s3.S3_ERRORS as error:
            if s3.is_missing(error):
                return False
            raise self._list_error(key, error) from error
        try:
            self.reader.delete_object(Bucket=self.bucket, Key=key)
        except s3.S3_ERRORS as error:
            code = s3.error_code(error)
            raise StoreError(f"cannot delete s3://{self.bucket}/{key}: {code}", code) from error
        return True

    def _list_error(self, where: str, error: BaseException) -> StoreError:
        code = s3.error_code(error)
        return StoreError(f"cannot list s3://{self.bucket}/{where}: {code}", code)

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
                return s3.body_bytes(self.reader.get_object(Bucket=self.bucket, Key=key))
            except s3.S3_ERRORS as error:
                if s3.is_missing(error):
                    return b""
                code = s3.error_code(error)
                raise StoreError(f"cannot read s3://{self.bucket}/{key}: {code}", code) from error

        if len(keys) <= 1:
            return decode_records(b"".join(fetch(key) for key in keys))
        with ThreadPoolExecutor(min(16, len(keys))) as pool:
            bodies = list(pool.map(fetch, keys))
        return decode_records(b"".join(bodies))

    def _get(
        self, key: str, max_bytes: int | None = None, **conditions: str
    ) -> tuple[bytes | None, dict[str, Any]]:
        """The bytes (``conditions``: ``Range``, ``IfMatch``) and the answer; None if missing."""
        try:
            answer = self.reader.get_object(Bucket=self.bucket, Key=key, **conditions)
            if max_bytes is not None and int(answer.get("ContentLength") or 0) > max_bytes:
                answer["Body"].close()
                raise FileTooLarge(key)
            return answer["Body"].read(), answer
        except s3.S3_ERRORS as error:
            if s3.is_missing(error):
                return None, {}
            code = s3.error_code(error)
            raise StoreError(f"cannot read s3://{self.bucket}/{key}: {code}", code) from error

    def read_day_file(
        self, day: date, max_bytes: int | None = None
    ) -> tuple[bytes | None, str | None]:
        data, answer = self._get(self.layout.day_key(day), max_bytes)
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
            return day_names(names, self.layout)
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

    # Reader side -------------------------------------------------------------------------------

    def _unavailable(self, error: BaseException) -> LogUnavailable:
        return LogUnavailable(self.describe(), s3.error_code(error), s3.is_timeout(error))

    def list_day_files(self, start: date | None = None, end: date | None = None) -> Listing:
        """Day files from ``start`` to ``end`` (the listing starts after the day before and
        stops at the first key past the range) and the days with uncompacted records."""
        root = self.layout.root
        listing = Listing()
        pattern = self.layout.day_name_pattern()
        start_after = f"{root}{start - timedelta(days=1):%Y-%m-%d}~" if start else None
        stop_at = f"{root}{end + timedelta(days=1):%Y-%m-%d}" if end else f"{root}_"
        try:
            for item in s3.list_objects(
                self.lister, self.bucket, root, start_after, stop_at, delimiter="/"
            ):
                day, note = classify(item.key[len(root) :], pattern, start, end)
                if note is not None:
                    listing.set_aside.append(note)
                elif day is not None:
                    listing.files.append(DayFile(day, item.key, item.size, item.etag))
            records_root = self.layout.records_root
            for folder in s3.list_folders(self.lister, self.bucket, records_root):
                day = parse_day(folder[len(records_root) :].rstrip("/"))
                if day is not None and in_range(day, start, end):
                    listing.files.append(DayFile(day, folder, kind=RECORDS))
        except s3.S3_ERRORS as error:
            raise self._unavailable(error) from error
        listing.files.sort(key=lambda f: (f.day, f.kind))
        return listing

    def rollup_months(self) -> list[RollupMonth]:
        try:
            listed = list(s3.list_objects(self.lister, self.bucket, self.layout.rollup_root))
        except s3.S3_ERRORS as error:
            raise self._unavailable(error) from error
        found = (rollup_month(item.key) for item in listed)
        return sorted((m for m in found if m), key=lambda m: (m.year, m.month))

    def fetch(self, key: str, size: int | None = None) -> bytes:
        if size is not None and size > MAX_FILE_BYTES:
            raise FileTooLarge(key)
        return self._get_present(key, MAX_FILE_BYTES)[0]

    def fetch_tail(self, key: str, length: int) -> ObjectTail:
        data, answer = self._get_present(key, Range=f"bytes=-{length}")
        content_range = str(answer.get("ContentRange") or "")  # "bytes 10-99/100"
        size = content_range.rpartition("/")[2]
        return ObjectTail(data, int(size) if size.isdigit() else len(data), answer["ETag"])

    def fetch_range(self, key: str, start: int, end: int, version: str) -> bytes:
        if end <= start:
            return b""
        try:
            return self._get_present(key, Range=f"bytes={start}-{end - 1}", IfMatch=version)[0]
        except StoreError as error:
            if error.code == "PreconditionFailed":  # another ETag: the month was rewritten
                raise changed_under_read(f"s3://{self.bucket}/{key}") from error
            raise

    def _get_present(
        self, key: str, max_bytes: int | None = None, **conditions: str
    ) -> tuple[bytes, dict[str, Any]]:
        """``_get`` of an object that must be there (listed a moment ago)."""
        data, answer = self._get(key, max_bytes, **conditions)
        if data is None:
            raise StoreError(f"cannot read s3://{self.bucket}/{key}: NoSuchKey", "NoSuchKey")
        return data, answer
