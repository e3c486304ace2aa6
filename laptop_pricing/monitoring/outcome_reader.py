"""Read the outcome day files (local folder or S3) into one frame of ``outcome.OUTCOME_COLUMNS``.

The outcomes live beside the request log, under their own prefix (``OUTCOMES-PREFIX``), one CSV
per UTC day (``outcome_file.outcome_day_key``). Files are found by name, so a date range opens only
its own days; S3 listings start after the day before the range. A file that cannot be fetched
is reported, not fatal, like a request-log day file.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from laptop_pricing import outcome, outcome_file, s3
from laptop_pricing.monitoring.sources import DayFile, LogUnavailable
from laptop_pricing.settings import Settings

DEFAULT_WORKERS = 8


@dataclass(frozen=True)
class OutcomeLocation:
    """Where the outcomes live, as plain hashable values (a cache key for the page)."""

    bucket: str | None
    prefix: str
    directory: str | None
    endpoint_url: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> OutcomeLocation:
        if settings.predictions_bucket:
            return cls(
                settings.predictions_bucket, settings.outcomes_prefix, None,
                settings.aws_endpoint_url,
            )  # fmt: skip
        return cls(None, settings.outcomes_prefix, str(settings.predictions_dir))

    @property
    def description(self) -> str:
        prefix = self.prefix.strip("/")
        if self.bucket:
            return f"s3://{self.bucket}/{prefix}/" if prefix else f"s3://{self.bucket}/"
        return str(Path(self.directory or ".") / prefix)


@dataclass
class OutcomeReadResult:
    outcomes: pd.DataFrame  # every stored row (the history); ``outcome.current_outcomes`` for
    files: list[DayFile]  # the one that counts per quote
    failed: list[tuple[str, str]]  # (file, reason) of the files that could not be read


def _in_range(day: date, start: date | None, end: date | None) -> bool:
    return (start is None or day >= start) and (end is None or day <= end)


def list_outcome_files(
    location: OutcomeLocation, start: date | None = None, end: date | None = None, client=None
) -> list[DayFile]:
    if location.bucket:
        return _list_s3(
            location, start, end, client or s3.s3_client(location.endpoint_url, s3.READ_TIMEOUTS)
        )
    folder = Path(location.description)
    if not folder.exists():
        return []
    if not folder.is_dir():
        raise LogUnavailable(location.description, "not a folder")
    found = []
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                day = outcome_file.parse_outcome_day_file_name(entry.name)
                if day is not None and entry.is_file() and _in_range(day, start, end):
                    found.append(DayFile(day, str(folder / entry.name), entry.stat().st_size))
    except OSError as error:
        raise LogUnavailable(location.description, error.strerror or str(error)) from error
    return sorted(found, key=lambda f: f.day)


def _list_s3(
    location: OutcomeLocation, start: date | None, end: date | None, client: Any
) -> list[DayFile]:
    from botocore.exceptions import BotoCoreError, ClientError

    prefix = location.prefix.strip("/")
    root = f"{prefix}/" if prefix else ""
    request: dict[str, Any] = {"Bucket": location.bucket, "Prefix": root}
    if start is not None:
        request["StartAfter"] = f"{root}{start:%Y-%m-%d}"  # sorts just before that day's file
    found: list[DayFile] = []
    try:
        while True:
            page = client.list_objects_v2(**request)
            for item in page.get("Contents", []):
                name = item["Key"][len(root) :]
                day = outcome_file.parse_outcome_day_file_name(name) if "/" not in name else None
                if day is not None and end is not None and day > end:
                    return found
                if day is not None and _in_range(day, start, end):
                    found.append(DayFile(day, item["Key"], item.get("Size"), item.get("ETag")))
            if not page.get("IsTruncated"):
                return found
            request["ContinuationToken"] = page["NextContinuationToken"]
            request.pop("StartAfter", None)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "ClientError")
        raise LogUnavailable(location.description, code) from error
    except BotoCoreError as error:
        raise LogUnavailable(location.description, type(error).__name__) from error


def read_outcomes(
    location: OutcomeLocation,
    start: date | None = None,
    end: date | None = None,
    max_workers: int = DEFAULT_WORKERS,
    client: Any = None,
) -> OutcomeReadResult:
    """Every stored outcome recorded from ``start`` to ``end`` (UTC days, inclusive)."""
    if location.bucket and client is None:
        client = s3.s3_client(location.endpoint_url, s3.READ_TIMEOUTS, pool=max_workers)
    files = list_outcome_files(location, start, end, client)

    def fetch(day_file: DayFile) -> bytes:
        if location.bucket:
            return client.get_object(Bucket=location.bucket, Key=day_file.key)["Body"].read()
        return Path(day_file.key).read_bytes()

    def work(day_file: DayFile) -> tuple[pa.Table | None, str | None]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return outcome_file.outcome_table(fetch(day_file)), None
        except ClientError as error:
            return None, error.response.get("Error", {}).get("Code", "ClientError")
        except (BotoCoreError, OSError) as error:
            return None, type(error).__name__
        except pa.ArrowInvalid:
            return None, "unreadable_csv"

    workers = max(1, min(max_workers, len(files)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(work, files))
    failed = [(f.name, reason) for f, (_, reason) in zip(files, results, strict=True) if reason]
    frame = outcome_file.outcomes_from_tables(table for table, _ in results)
    return OutcomeReadResult(frame, files, failed)


def outcomes_between(frame: pd.DataFrame, start: date, end: date) -> pd.DataFrame:
    """Rows recorded from ``start`` to ``end`` (UTC days, inclusive)."""
    if frame.empty:
        return frame
    day = frame[outcome.RECORDED_AT].dt.tz_convert(None).to_numpy(dtype="datetime64[D]")
    return frame[(day >= np.datetime64(start, "D")) & (day <= np.datetime64(end, "D"))]
