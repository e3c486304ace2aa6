"""What a store lists for its readers: the day files and record days in a range, the rollup
months, and the notes about names and files it could not use (with a reason the page words).

Listing goes by names only, so a date range never opens a file outside it. A name that looks
like a day file but cannot be one is noted (``bad_day_name``, ``day_out_of_range``) rather than
read; a file over ``MAX_FILE_BYTES`` is never downloaded (``too_large``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from laptop_pricing.storage.layout import FIRST_DAY, parse_day

MAX_FILE_BYTES = 32 * 1024 * 1024  # a busy day (100 000 rows) is about 10 MB
DAY_FILE = "day_file"
RECORDS = "records"

# Why a file was not read (the page turns these codes into words).
BAD_DAY_NAME = "bad_day_name"
DAY_OUT_OF_RANGE = "day_out_of_range"
TOO_LARGE = "too_large"
FETCH_FAILED = "fetch_failed"
ROLLUP_KEY = re.compile(r"year=(\d{4})/month=(\d{2})/data\.parquet$")


class LogUnavailable(RuntimeError):
    """The log cannot be listed at all (bucket missing, access denied, endpoint down).
    ``timed_out``: the store did not answer in time."""

    def __init__(self, location: str, reason: str, timed_out: bool = False):
        self.location = location
        self.reason = reason
        self.timed_out = timed_out
        super().__init__(f"{location}: {reason}")


class FileTooLarge(RuntimeError):
    """A file larger than ``MAX_FILE_BYTES``: it was not downloaded."""


@dataclass(frozen=True)
class DayFile:
    """One day's day CSV (``kind`` DAY_FILE) or its uncompacted records (``kind`` RECORDS)."""

    day: date
    key: str
    size: int | None = None
    etag: str | None = None
    kind: str = DAY_FILE

    @property
    def name(self) -> str:
        return self.key.rstrip("/").rsplit("/", 1)[-1]


@dataclass(frozen=True)
class SetAside:
    """One line (or a whole file when ``line`` is None) the reader could not keep."""

    file: str
    line: int | None
    reason: str
    detail: str = ""


@dataclass(frozen=True)
class RollupMonth:
    year: int
    month: int
    key: str

    @property
    def name(self) -> str:
        """``year=YYYY/month=MM``, how a note names the month's file."""
        return f"year={self.year:04d}/month={self.month:02d}"


def rollup_month(key: str) -> RollupMonth | None:
    match = ROLLUP_KEY.search(key)
    return RollupMonth(int(match.group(1)), int(match.group(2)), key) if match else None


@dataclass
class Listing:
    files: list[DayFile] = field(default_factory=list)
    set_aside: list[SetAside] = field(default_factory=list)


def _latest_day() -> date:
    return datetime.now(UTC).date() + timedelta(days=1)


def in_range(day: date, start: date | None, end: date | None) -> bool:
    return (start is None or day >= start) and (end is None or day <= end)


def classify(
    name: str, pattern: re.Pattern[str], start: date | None, end: date | None
) -> tuple[date | None, SetAside | None]:
    """(day, None) for a day file in range; (None, note) for a bad one; (None, None) otherwise."""
    match = pattern.match(name)
    if match is None:
        return None, None
    day = parse_day(match.group(1))
    if day is None:
        return None, SetAside(name, None, BAD_DAY_NAME, match.group(1))
    if not FIRST_DAY <= day <= _latest_day():
        return None, SetAside(name, None, DAY_OUT_OF_RANGE, day.isoformat())
    if not in_range(day, start, end):
        return None, None
    return day, None
