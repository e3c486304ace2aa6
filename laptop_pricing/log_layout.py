"""Where the request log lives: one CSV per UTC day, named the way the course's bucket names it.

``<prefix>/YYYY-MM-DD_laptop_prediction_data.csv`` in S3, and the same relative path under the
local folder. The writer (``request_log``) and the monitoring reader both use these helpers.

Spill objects: when an S3 writer cannot win the day file's conditional append in time (many
Lambda containers at once), it stores its rows as a small object of their own,
``<prefix>/_spill/YYYY-MM-DD/<UTC timestamp>-<uuid4>.csv`` (same header and quoting), which no
other writer can conflict with. The monitoring reader reads them beside the day file and the
compactor (``laptop_pricing.api.compact``) folds them into it. ``_`` sorts after every digit,
so the spill folder never falls inside a listing of day files.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime

DAY_FILE_SUFFIX = "_laptop_prediction_data.csv"
_DAY_FILE = re.compile(r"^(\d{4}-\d{2}-\d{2})" + re.escape(DAY_FILE_SUFFIX) + "$")


def day_file_name(day: date) -> str:
    return f"{day:%Y-%m-%d}{DAY_FILE_SUFFIX}"


def day_key(prefix: str, day: date) -> str:
    """The S3 key (or path relative to the local folder) of one day's file."""
    prefix = prefix.strip("/")
    return f"{prefix}/{day_file_name(day)}" if prefix else day_file_name(day)


def parse_day_file_name(name: str) -> date | None:
    """The day a file holds, from its base name; None for anything that is not a day file."""
    match = _DAY_FILE.match(name.rsplit("/", 1)[-1])
    if not match:
        return None
    try:
        return date.fromisoformat(match.group(1))
    except ValueError:
        return None


SPILL_FOLDER = "_spill"
_SPILL_NAME = re.compile(r"^\d{8}T\d{6}\.\d{6}Z-[0-9a-f]{32}\.csv$")


def spill_root(prefix: str) -> str:
    """The key prefix (with a trailing slash) under which every day's spill objects live."""
    prefix = prefix.strip("/")
    return f"{prefix}/{SPILL_FOLDER}/" if prefix else f"{SPILL_FOLDER}/"


def spill_day_prefix(prefix: str, day: date) -> str:
    """The key prefix (with a trailing slash) of one day's spill objects."""
    return f"{spill_root(prefix)}{day:%Y-%m-%d}/"


def spill_key(prefix: str, day: date, moment: datetime, token: str | None = None) -> str:
    """A fresh spill key: the write time (UTC, microseconds) and a random uuid4, so two writers
    never name the same object and a day's spills list in write order."""
    if moment.tzinfo is None:
        raise ValueError("spill keys need a timezone-aware time")
    stamp = moment.astimezone(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    return f"{spill_day_prefix(prefix, day)}{stamp}-{token or uuid.uuid4().hex}.csv"


def parse_spill_key(prefix: str, key: str) -> date | None:
    """The day a spill object belongs to; None for any key that is not one."""
    root = spill_root(prefix)
    if not key.startswith(root):
        return None
    parts = key[len(root) :].split("/")
    if len(parts) != 2 or not _SPILL_NAME.match(parts[1]):
        return None
    try:
        return date.fromisoformat(parts[0])
    except ValueError:
        return None


def is_spill_name(name: str) -> bool:
    """True for the base name of a spill object (what the reader's ``file`` column holds)."""
    return bool(_SPILL_NAME.match(name.rsplit("/", 1)[-1]))
