"""Where the request log lives: one CSV per UTC day, named the way the course's bucket names it.

``<prefix>/YYYY-MM-DD_laptop_prediction_data.csv`` in S3, and the same relative path under the
local folder. The writer (``request_log``) and the monitoring reader both use these helpers.
"""

from __future__ import annotations

import re
from datetime import date

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
