"""Reading a record's time and price, vectorised: one rule for the compactor and the page.

A timestamp is ISO 8601 (UTC when it has no offset) or the course's ``%d-%m-%Y %H:%M``; a price
is a finite positive number. Anything else is null, and the row is set aside with one of the
reasons below.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.compute as pc

COURSE_TIMESTAMP_FORMAT = "%d-%m-%Y %H:%M"
BAD_TIMESTAMP = "bad_timestamp"
BAD_PRICE = "bad_price"
TIMESTAMP_TYPE = pa.timestamp("us", tz="UTC")


def parse_timestamps(raw: pa.Array) -> pa.Array:
    stripped = pc.utf8_trim_whitespace(raw)
    try:
        return pc.cast(stripped, TIMESTAMP_TYPE)
    except pa.ArrowInvalid:
        pass
    try:
        course = pc.strptime(stripped, format=COURSE_TIMESTAMP_FORMAT, unit="us")
        return pc.assume_timezone(course, "UTC")
    except pa.ArrowInvalid:
        pass
    # Mixed or broken values (old files only): one value at a time.
    return pa.array([_timestamp(v) for v in stripped.to_pylist()], type=TIMESTAMP_TYPE)


def _timestamp(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        try:
            moment = datetime.strptime(text, COURSE_TIMESTAMP_FORMAT)
        except ValueError:
            return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def parse_prices(raw: pa.Array) -> pa.Array:
    stripped = pc.utf8_trim_whitespace(raw)
    try:
        prices = pc.cast(stripped, pa.float64())
    except pa.ArrowInvalid:
        prices = pa.array([_number(v) for v in stripped.to_pylist()], pa.float64())
    usable = pc.and_(pc.is_finite(prices), pc.greater(prices, 0))
    return pc.if_else(pc.fill_null(usable, False), prices, None)


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        return None


def short(value: object) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= 40 else text[:37] + "..."
