"""Reading a record's time and price, vectorised: one rule for the compactor and the page.

A timestamp is ISO 8601 (UTC when it has no offset) or the course's ``%d-%m-%Y %H:%M``; a price
is a finite positive number. Anything else is null, and the row is set aside with one of the
reasons below.
"""

from __future__ import annotations

import pandas as pd
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
    text = pd.Series(stripped.to_numpy(zero_copy_only=False), dtype=object)
    iso = pd.to_datetime(text, format="ISO8601", utc=True, errors="coerce")
    course_format = pd.to_datetime(text, format=COURSE_TIMESTAMP_FORMAT, errors="coerce", utc=True)
    merged = iso.fillna(course_format).astype("datetime64[us, UTC]")
    return pa.array(merged.array, type=TIMESTAMP_TYPE)


def parse_prices(raw: pa.Array) -> pa.Array:
    stripped = pc.utf8_trim_whitespace(raw)
    try:
        prices = pc.cast(stripped, pa.float64())
    except pa.ArrowInvalid:
        text = pd.Series(stripped.to_numpy(zero_copy_only=False), dtype=object)
        prices = pa.array(pd.to_numeric(text, errors="coerce").astype("float64"), pa.float64())
    usable = pc.and_(pc.is_finite(prices), pc.greater(prices, 0))
    return pc.if_else(pc.fill_null(usable, False), prices, None)


def short(value: object) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= 40 else text[:37] + "..."
