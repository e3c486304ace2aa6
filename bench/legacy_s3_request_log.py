"""BENCHMARK BASELINE ONLY: the S3 half of ``legacy_request_log`` (the request log as it was
before issue #9), kept verbatim and split off only to keep modules under 400 lines. See that
module's docstring for the design: the single daily object appended with conditional writes,
spill objects when the conflicts outlast the budget. Not imported by the package.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Callable
from datetime import date
from typing import Any

from legacy_request_log import (
    LOG_COLUMNS,
    Clock,
    ConflictRetriesExhausted,
    LogRow,
    RequestLog,
    RequestLogError,
    day_file_columns,
    day_key,
    encode_rows,
    header_text,
    spill_key,
    upgrade_day_text,
    utc_now,
)


def _error_code(error: BaseException) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def _status(error: BaseException) -> int:
    response = getattr(error, "response", None) or {}
    return int(response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)


class S3RequestLog(RequestLog):
    """The daily object in S3, appended with conditional writes (see the module docstring).

    ``max_attempts`` and ``time_budget`` (seconds) bound one append's conflicts; when both still
    allow no win, the rows are spilled (``spill=True``, the default) or the append fails.
    """

    CONFLICT_CODES = frozenset({"PreconditionFailed", "ConditionalRequestConflict"})

    def __init__(
        self,
        bucket: str,
        prefix: str,
        s3_client: Any,
        clock: Clock | None = None,
        max_attempts: int = 10,
        backoff_base: float = 0.02,
        backoff_cap: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        time_budget: float = 2.0,
        spill: bool = True,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        super().__init__(clock)
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.s3 = s3_client
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.time_budget = time_budget
        self.spill = spill
        self._sleep = sleep
        self._monotonic = monotonic
        self._rng = rng or random.Random()
        # Counters for benchmarks and tests (updated by the one thread that holds the write lock).
        self.conflicts = 0  # 412/409 answers seen
        self.puts = 0  # day-file writes that landed
        self.spills = 0  # spill objects written
        self.spilled_rows = 0

    def key_for(self, day: date) -> str:
        return day_key(self.prefix, day)

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def read_day(self, day: date) -> bytes | None:
        body, _ = self._get(self.key_for(day))
        return body

    def _write_day(self, day: date, rows: list[LogRow]) -> None:
        self._append_day(day, rows)

    def _get(self, key: str) -> tuple[bytes | None, str | None]:
        body, etag, _ = self._get_or_denied(key)
        return body, etag

    def _get_or_denied(self, key: str) -> tuple[bytes | None, str | None, bool]:
        """(body, etag, read_denied). Without s3:ListBucket, S3 answers a missing key with 403
        instead of 404; the caller then tries to create the day file and learns which it was."""
        try:
            response = self.s3.get_object(Bucket=self.bucket, Key=key)
        except Exception as error:
            if _error_code(error) in {"NoSuchKey", "404"}:
                return None, None, False
            if _error_code(error) in {"AccessDenied", "403"} or _status(error) == 403:
                return None, None, True
            raise self._wrap("read", key, error) from error
        return response["Body"].read(), response["ETag"], False

    def _wrap(self, action: str, key: str, error: BaseException) -> RequestLogError:
        code = _error_code(error) or type(error).__name__
        return RequestLogError(f"cannot {action} s3://{self.bucket}/{key}: {code}")

    def _append_day(self, day: date, rows: list[LogRow]) -> None:
        key = self.key_for(day)

        def merge(text: str | None, attempt: int) -> str | None:
            if text is None:
                return header_text() + encode_rows(rows)
            columns = day_file_columns(text)
            if len(columns) < len(LOG_COLUMNS) and any(row.extra for row in rows):
                text = upgrade_day_text(text)  # predates appended columns these rows fill
                columns = day_file_columns(text)
            chunk = encode_rows(rows, columns)
            # An earlier attempt may have landed although its answer was lost (a timeout, or a
            # retry inside botocore that then saw 412): the rows carry microsecond timestamps,
            # so finding the exact chunk means it is already stored.
            if attempt > 1 and chunk in text:
                return None
            return text + ("" if text.endswith("\n") else "\n") + chunk

        outcome = self.update_object(key, merge)
        if outcome is None:
            return
        if self.spill:
            # The last put may have landed with its answer lost: look once more before spilling.
            with contextlib.suppress(RequestLogError):  # unreadable: spill all the same
                body, _ = self._get(key)
                if body is not None and merge(body.decode("utf-8", errors="replace"), 2) is None:
                    return
            self._spill(day, rows, outcome)
            return
        raise ConflictRetriesExhausted(outcome)

    def update_object(
        self,
        key: str,
        merge: Callable[[str | None, int], str | None],
        max_attempts: int | None = None,
        time_budget: float | None = None,
    ) -> str | None:
        """Rewrite ``key`` to ``merge(current text or None, attempt)`` with a conditional put,
        re-reading and retrying on conflicts. ``merge`` returning None means nothing to write.

        Returns None when stored (or nothing was needed), else why it gave up (conflicts
        outlasted ``max_attempts`` or ``time_budget``). Raises ``RequestLogError`` on any other
        failure. The compactor uses it too, with its own budget.
        """
        attempts = max_attempts or self.max_attempts
        deadline = self._monotonic() + (self.time_budget if time_budget is None else time_budget)
        last_conflict = ""
        attempt = 0
        while True:
            attempt += 1
            body, etag, read_denied = self._get_or_denied(key)
            text = None if body is None else body.decode("utf-8", errors="replace")
            payload = merge(text, attempt)
            if payload is None:
                return None
            condition = {"IfNoneMatch": "*"} if body is None else {"IfMatch": etag}
            try:
                self.s3.put_object(
                    Bucket=self.bucket,
                    Key=key,
                    Body=payload.encode("utf-8"),
                    ContentType="text/csv; charset=utf-8",
                    **condition,
                )
                self.puts += 1
                return None
            except Exception as error:
                code = _error_code(error)
                conflict = code in self.CONFLICT_CODES or _status(error) == 412
                if conflict and read_denied:  # the day file exists: we were denied reading it
                    raise RequestLogError(
                        f"cannot read s3://{self.bucket}/{key}: AccessDenied"
                    ) from error
                # IfMatch on an object deleted meanwhile answers 404: start again from nothing.
                vanished = body is not None and code in {"NoSuchKey", "404"}
                if not (conflict or vanished):
                    raise self._wrap("write", key, error) from error
                self.conflicts += 1
                last_conflict = code or "412"
            wait = self._backoff(attempt)
            if attempt >= attempts or self._monotonic() + wait > deadline:
                return (
                    f"gave up on s3://{self.bucket}/{key} after {attempt} attempts "
                    f"({last_conflict}: other writers kept changing it)"
                )
            self._sleep(wait)

    def _spill(self, day: date, rows: list[LogRow], why: str) -> None:
        """Store the rows as an object no other writer can touch (a fresh uuid4 key, created
        with ``IfNoneMatch="*"`` so even a clash of uuids could not overwrite anything)."""
        payload = (header_text() + encode_rows(rows)).encode("utf-8")
        key = spill_key(self.prefix, day, utc_now())
        try:
            self.s3.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=payload,
                ContentType="text/csv; charset=utf-8",
                IfNoneMatch="*",
            )
        except Exception as error:
            code = _error_code(error) or type(error).__name__
            raise ConflictRetriesExhausted(
                f"{why}; spilling to s3://{self.bucket}/{key} failed too: {code}"
            ) from error
        self.spills += 1
        self.spilled_rows += len(rows)

    def _backoff(self, attempt: int) -> float:
        """Full jitter: uniform in [0, min(cap, base * 2**attempt)]."""
        return self._rng.uniform(0, min(self.backoff_cap, self.backoff_base * 2**attempt))
