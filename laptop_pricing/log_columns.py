"""The request log's columns: one row per priced request, in a fixed, written-out order.

The course's 13 fields, price, timestamp and model version first (the layout of its day files,
which its notebooks still read); every later column is appended after them, and a reader fills a
column an older file lacks with empty values. The layout written so far is frozen; a laptop field
added to the schema joins the log by itself, at the end.
"""

from __future__ import annotations

from collections.abc import Mapping

from laptop_pricing.pricing.schema import COURSE_FIELD_NAMES, FIELD_NAMES, FIELDS
from laptop_pricing.store_id import DEFAULT_STORE_ID, STORE_ID_FIELD

# Request-log columns (one CSV row per priced request). Timestamps are ISO 8601 UTC. The course's
# 13 fields, price, timestamp and version first (the layout of its day files); later columns are
# appended after them, and a reader fills them empty in files written before they existed.
PRICE_COLUMN = "price"
TIMESTAMP_COLUMN = "timestamp"
VERSION_COLUMN = "model_version"
# The course's day-file layout: its 13 fields, price, timestamp, model version.
BASE_LOG_COLUMNS: tuple[str, ...] = (
    *COURSE_FIELD_NAMES,
    PRICE_COLUMN,
    TIMESTAMP_COLUMN,
    VERSION_COLUMN,
)
# Trade-in columns (issue 10): empty for a request without a condition. ``condition`` checks the
# answer columns at import.
QUOTE_ID_COLUMN = "quote_id"
OFFER_COLUMN = "offer"
POLICY_VERSION_COLUMN = "policy_version"
VALID_UNTIL_COLUMN = "valid_until"
CONDITION_LOG_COLUMNS: tuple[str, ...] = (
    "condition_powers_on",
    "condition_screen",
    "condition_body",
    "condition_keyboard_ports",
    "condition_battery",
    "condition_charger",
    "condition_locks_removed",
)
TRADE_IN_LOG_COLUMNS: tuple[str, ...] = (
    QUOTE_ID_COLUMN,
    *CONDITION_LOG_COLUMNS,
    OFFER_COLUMN,
    POLICY_VERSION_COLUMN,
    VALID_UNTIL_COLUMN,
)
# Appended after the course's columns; day files written before a column existed lack it, and
# readers fill it empty.
REQUEST_ID_COLUMN = "request_id"  # names the request a row records (a retry carries the same id)
# Once the signed-in clerk who asked for the price; kept (the layout below is frozen) but always
# written empty since the app stopped sending it: a clerk's e-mail is personal data, never logged.
CLERK_EMAIL_COLUMN = "clerk_email"
# The layout as written until issue 20, frozen: the day files already in the bucket hold these
# columns in this order (the contract v2 fields before the trade-in ones). Never edit it.
WRITTEN_LOG_COLUMNS: tuple[str, ...] = (
    *BASE_LOG_COLUMNS,
    REQUEST_ID_COLUMN,
    CLERK_EMAIL_COLUMN,
    "processor_gnrtn",
    "msoffice",
    *TRADE_IN_LOG_COLUMNS,
)
# Columns added since, in the order they were added. A schema field not named anywhere above
# needs nothing here: it is appended after these, in field order (``log_layout``). Before adding
# a column of another kind here, name every field appended so far first, so that none moves.
STORE_ID_COLUMN = STORE_ID_FIELD  # which store of a chain priced (issue 25)
# What estimated the used price an offer starts from: "rule" or "store_model" (issue 24).
PRICING_SOURCE_COLUMN = "pricing_source"
LATER_LOG_COLUMNS: tuple[str, ...] = (STORE_ID_COLUMN, PRICING_SOURCE_COLUMN)
# What a reader puts in a column a row lacks (written before the column existed): a row older
# than stores belongs to the single-store default; one older than the store model was priced
# by the rule.
LOG_COLUMN_DEFAULTS: Mapping[str, str] = {
    STORE_ID_COLUMN: DEFAULT_STORE_ID,
    PRICING_SOURCE_COLUMN: "rule",
}


def log_layout(
    field_names: tuple[str, ...],
    written: tuple[str, ...] = WRITTEN_LOG_COLUMNS,
    later: tuple[str, ...] = LATER_LOG_COLUMNS,
) -> tuple[str, ...]:
    """The request log's columns: the frozen layout, the later columns, then every field the
    two do not name yet. A new column only ever goes at the end; readers match by header name,
    so an older file (fewer columns, or the course's) still reads."""
    named = (*written, *later)
    return (*named, *(name for name in field_names if name not in named))


LOG_COLUMNS: tuple[str, ...] = log_layout(FIELD_NAMES)
APPENDED_LOG_COLUMNS: tuple[str, ...] = LOG_COLUMNS[len(BASE_LOG_COLUMNS) :]
# Older column names written by the course API, mapped to ours.
LOG_COLUMN_ALIASES: Mapping[str, str] = {
    **{alias: f.name for f in FIELDS for alias in f.aliases},
    "prediction": PRICE_COLUMN,
}


def _check_layout() -> None:
    if len(set(LOG_COLUMNS)) != len(LOG_COLUMNS):
        raise RuntimeError("a request-log column is named twice")
    missing = set(FIELD_NAMES) - set(LOG_COLUMNS)
    if missing:
        raise RuntimeError(f"request-log columns lack fields {sorted(missing)}")


_check_layout()
