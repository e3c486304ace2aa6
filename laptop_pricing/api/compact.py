"""Fold a day's spill objects into its day file, then delete them.

    python -m laptop_pricing.api.compact --day 2024-05-01
    python -m laptop_pricing.api.compact --all        # every day that has spill objects

In AWS, ``handler`` runs hourly as ``PredictionsCompactorFunction`` (``infra/template.yaml``).

Configuration as for the service: ``PREDICTIONS_BUCKET``, ``PREDICTIONS_PREFIX``, optional
``AWS_ENDPOINT_URL``, credentials from the AWS chain. It needs ``s3:ListBucket`` (prefix
``<prefix>/*``) and ``s3:GetObject``/``s3:PutObject``/``s3:DeleteObject`` on ``<prefix>/*``
(``PredictionsCompactorPolicy`` in ``infra/template.yaml``); the pricing function's role has
none of List/Delete.

Why it is safe to run at any time, twice, or beside the writers:

* the day file is appended with the writers' own conditional-write loop (``IfMatch``), so a
  writer's row and the compactor's rows never overwrite each other;
* a spill row already in the day file (same full row: the timestamps have microseconds) is not
  appended again, so a run that crashed between append and delete, or two runs at once, double
  nothing;
* only the spill objects this run read, and whose rows are now in the day file, are deleted; a
  spill written meanwhile waits for the next run.

A local request log never spills (its file lock serialises appends), so this is S3 only.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from laptop_pricing.log_layout import parse_spill_key, spill_day_prefix, spill_root
from laptop_pricing.request_log import (
    RequestLogError,
    S3RequestLog,
    columns_of_existing,
    day_file_columns,
    header_text,
    s3_client_for,
    upgrade_day_text,
)
from laptop_pricing.schema import LOG_COLUMNS
from laptop_pricing.settings import Settings, load_settings

# The compactor is not serving a clerk: it may wait longer for the day file than a writer does.
COMPACT_ATTEMPTS = 50
COMPACT_TIME_BUDGET = 60.0

Row = tuple[str, ...]  # one row's cells in LOG_COLUMNS order


class CompactionError(RuntimeError):
    """The day could not be compacted (its spill objects are left in place)."""


@dataclass
class DayCompaction:
    """What one run did to one day."""

    day: date
    spill_objects: int = 0
    rows_read: int = 0
    rows_appended: int = 0
    rows_already_present: int = 0
    deleted: int = 0
    skipped: list[str] = field(default_factory=list)  # spill objects left alone, with why

    def summary(self) -> str:
        text = (
            f"{self.day}: {self.spill_objects} spill objects, {self.rows_read} rows read, "
            f"{self.rows_appended} appended, {self.rows_already_present} already in the day "
            f"file, {self.deleted} spill objects deleted"
        )
        return text + (f", {len(self.skipped)} left in place" if self.skipped else "")


def _rows_of(text: str) -> tuple[tuple[str, ...], list[list[str]]]:
    """(column names in our names, data rows) of a CSV with a request-log header."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None:
        return LOG_COLUMNS, []
    line = io.StringIO()
    csv.writer(line, lineterminator="\n").writerow(header)
    columns = columns_of_existing(line.getvalue())
    return columns, [row for row in reader if any(cell.strip() for cell in row)]


class MalformedSpill(ValueError):
    """A spill object holds a row of the wrong width: it is left for a person to look at."""


def _canonical(columns: Sequence[str], rows: list[list[str]], strict: bool = False) -> list[Row]:
    """Rows reordered into LOG_COLUMNS order. A day file's rows of the wrong width (a torn
    line) are skipped; in a spill object (``strict``) one makes the whole object refused."""
    position = [columns.index(c) if c in columns else None for c in LOG_COLUMNS]
    if strict and any(len(row) != len(columns) for row in rows):
        raise MalformedSpill("a row has the wrong number of values")
    return [
        tuple("" if i is None else row[i] for i in position)
        for row in rows
        if len(row) == len(columns)
    ]


def _encode(rows: Sequence[Row], columns: Sequence[str]) -> str:
    """Rows in the day file's column order, quoted as the writer quotes them."""
    order = [LOG_COLUMNS.index(c) for c in columns]
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    for row in rows:
        writer.writerow([row[i] for i in order])
    return buffer.getvalue()


class Compactor:
    """Compacts the spill objects of an ``S3RequestLog``'s bucket and prefix."""

    def __init__(
        self,
        log: S3RequestLog,
        max_attempts: int = COMPACT_ATTEMPTS,
        time_budget: float = COMPACT_TIME_BUDGET,
        echo: Callable[[str], None] | None = None,
    ):
        self.log = log
        self.s3 = log.s3
        self.bucket = log.bucket
        self.prefix = log.prefix
        self.max_attempts = max_attempts
        self.time_budget = time_budget
        self.echo = echo or (lambda _: None)

    def _list(self, key_prefix: str) -> list[str]:
        keys: list[str] = []
        request: dict[str, Any] = {"Bucket": self.bucket, "Prefix": key_prefix}
        try:
            while True:
                page = self.s3.list_objects_v2(**request)
                keys += [item["Key"] for item in page.get("Contents", [])]
                if not page.get("IsTruncated"):
                    return keys
                request["ContinuationToken"] = page["NextContinuationToken"]
        except Exception as error:
            raise CompactionError(
                f"cannot list s3://{self.bucket}/{key_prefix}: {_code(error)}"
            ) from error

    def spill_days(self) -> list[date]:
        """Every day that has spill objects, oldest first."""
        days = {parse_spill_key(self.prefix, key) for key in self._list(spill_root(self.prefix))}
        return sorted(day for day in days if day is not None)

    def spill_keys(self, day: date) -> list[str]:
        keys = self._list(spill_day_prefix(self.prefix, day))
        return sorted(key for key in keys if parse_spill_key(self.prefix, key) == day)

    def compact_day(self, day: date) -> DayCompaction:
        result = DayCompaction(day)
        keys = self.spill_keys(day)
        result.spill_objects = len(keys)
        if not keys:
            return result
        rows: dict[Row, None] = {}  # ordered and de-duplicated
        read: list[str] = []
        for key in keys:
            try:
                body = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
                columns, cells = _rows_of(body.decode("utf-8"))
                spilled = _canonical(columns, cells, strict=True)
            except Exception as error:  # vanished (another run deleted it), foreign, unreadable
                if _code(error) in {"NoSuchKey", "404"}:
                    continue
                result.skipped.append(f"{key}: {_code(error)}")
                continue
            for row in spilled:
                rows.setdefault(row)
            read.append(key)
        result.rows_read = len(rows)
        # Rows sorted by timestamp, so a compacted day file reads in time order for the spills.
        timestamp = LOG_COLUMNS.index("timestamp")
        pending = sorted(rows, key=lambda row: row[timestamp])
        counts = {"appended": 0, "present": 0}

        def merge(text: str | None, attempt: int) -> str | None:
            if text is None:
                counts.update(appended=len(pending), present=0)
                return header_text() + _encode(pending, LOG_COLUMNS)
            columns = day_file_columns(text)
            _, existing_cells = _rows_of(text)
            existing = set(_canonical(columns, existing_cells))
            new = [row for row in pending if row not in existing]
            counts.update(appended=len(new), present=len(pending) - len(new))
            if not new:
                return None
            absent = [LOG_COLUMNS.index(c) for c in LOG_COLUMNS if c not in columns]
            if any(row[i] for row in new for i in absent):  # predates columns these rows fill
                text = upgrade_day_text(text)
                columns = day_file_columns(text)
            return text + ("" if text.endswith("\n") else "\n") + _encode(new, columns)

        try:
            gave_up = self.log.update_object(
                self.log.key_for(day), merge, self.max_attempts, self.time_budget
            )
        except RequestLogError as error:
            raise CompactionError(f"{day}: {error}; spill objects left in place") from error
        if gave_up is not None:
            raise CompactionError(f"{day}: {gave_up}; spill objects left in place")
        result.rows_appended = counts["appended"]
        result.rows_already_present = counts["present"]
        result.deleted = self._delete(read)
        return result

    def _delete(self, keys: list[str]) -> int:
        deleted = 0
        for start in range(0, len(keys), 1000):
            chunk = keys[start : start + 1000]
            try:
                answer = self.s3.delete_objects(
                    Bucket=self.bucket,
                    Delete={"Objects": [{"Key": key} for key in chunk], "Quiet": True},
                )
            except Exception as error:
                raise CompactionError(
                    f"rows are in the day file, but deleting spill objects failed: "
                    f"{_code(error)} (the next run deletes them without doubling a row)"
                ) from error
            errors = answer.get("Errors", [])
            if errors:
                raise CompactionError(
                    f"rows are in the day file, but {len(errors)} spill objects could not be "
                    f"deleted ({errors[0].get('Code')}); the next run deletes them"
                )
            deleted += len(chunk)
        return deleted

    def compact_all(self) -> list[DayCompaction]:
        return [self.compact_day(day) for day in self.spill_days()]


def _code(error: BaseException) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", "")) or type(error).__name__


def compactor_from_settings(settings: Settings) -> Compactor:
    if not settings.predictions_bucket:
        raise CompactionError(
            "PREDICTIONS_BUCKET is not set: only the S3 request log spills (a local folder's "
            "appends are serialised by its file lock), so there is nothing to compact"
        )
    log = S3RequestLog(
        settings.predictions_bucket, settings.predictions_prefix, s3_client_for(settings)
    )
    return Compactor(log)


def handler(event: Any, context: Any) -> dict[str, Any]:
    """The hourly scheduled Lambda (``PredictionsCompactorFunction``; the EventBridge event's
    content is not used): compacts every day that has spill objects, today's and yesterday's
    included. Newest first, and a day that fails does not stop the others, so one stuck day (a
    foreign day file, say) cannot hold back today's; the invocation still fails afterwards so
    the failure shows in the function's Errors metric and log."""
    compactor = compactor_from_settings(load_settings())
    summaries: list[str] = []
    failures: list[str] = []
    for day in reversed(compactor.spill_days()):
        try:
            summaries.append(compactor.compact_day(day).summary())
        except CompactionError as error:
            message = str(error)
            failures.append(message if message.startswith(str(day)) else f"{day}: {message}")
    for summary in summaries:
        print(summary)
    if failures:
        raise CompactionError(f"{len(failures)} days not compacted: " + "; ".join(failures))
    return {"days": summaries}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m laptop_pricing.api.compact",
        description="Fold the S3 request log's spill objects into their day files, then delete "
        "them. Safe to repeat and to run while the API is writing.",
    )
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--day", type=date.fromisoformat, help="one UTC day, YYYY-MM-DD")
    which.add_argument("--all", action="store_true", help="every day that has spill objects")
    args = parser.parse_args(argv)
    try:
        compactor = compactor_from_settings(load_settings())
        results = compactor.compact_all() if args.all else [compactor.compact_day(args.day)]
    except CompactionError as error:
        print(f"compaction failed: {error}", file=sys.stderr)
        return 1
    for result in results:
        print(result.summary())
        for skipped in result.skipped:
            print(f"  left in place: {skipped}", file=sys.stderr)
    if not results:
        print("no spill objects")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
