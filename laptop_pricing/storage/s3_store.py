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
from datetime import date, datetime
from typing import Any

from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError

from laptop_pricing.storage import s3
from laptop_pricing.storage.layout import LogLayout, parse_day
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
