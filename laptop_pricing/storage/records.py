"""One record as stored before compaction: a JSON object on a line of its own.

``\\n{"brand": "dell", ..., "request_id": "..."}\\n``: self-describing (a column added later, or
an old record lacking one, needs no header to agree on), and a record cut short by a crash or a
full disk can never parse (the closing brace is its last character), so a reader drops it without
guessing. The leading newline ends any such torn fragment, so the next record stays whole.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass


def encode_record(values: Mapping[str, object]) -> bytes:
    body = json.dumps(
        {str(name): "" if value is None else str(value) for name, value in values.items()},
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return b"\n" + body.encode("utf-8") + b"\n"


@dataclass
class DecodedRecords:
    records: list[dict[str, str]]
    torn: int  # lines that are not a whole record (a crash mid-write, a full disk)
    # Whole records holding a value that is not storable text (a NUL byte, a lone surrogate an
    # older version let in): set aside, so no day file is ever written with them.
    bad_text: int = 0


def is_storable_text(value: str) -> bool:
    """Text a day CSV can hold and every reader can read back: UTF-8, no NUL."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def decode_records(data: bytes) -> DecodedRecords:
    records: list[dict[str, str]] = []
    torn = bad_text = 0
    for raw in data.split(b"\n"):
        line = raw.strip()
        if not line:
            continue
        try:
            value = json.loads(line)
        except (ValueError, UnicodeDecodeError):
            torn += 1
            continue
        if not isinstance(value, dict):
            torn += 1
            continue
        record = {str(k): "" if v is None else str(v) for k, v in value.items()}
        if not all(is_storable_text(text) for item in record.items() for text in item):
            bad_text += 1
            continue
        records.append(record)
    return DecodedRecords(records, torn, bad_text)
