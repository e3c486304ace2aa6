"""Members of a JSON answer read with their types checked: a member the service left out reads
as its empty value; one of the wrong type is ``InvalidResponse`` (the answer cannot be trusted).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from laptop_pricing.errors import InvalidResponse


def maybe_object(body: str | bytes | None) -> dict[str, Any]:
    try:
        payload = json.loads(body) if body else None
    except (ValueError, UnicodeDecodeError):
        return {}
    return payload if isinstance(payload, dict) else {}


def json_object(body: str | bytes | None) -> dict[str, Any]:
    if body is None or body in ("", b""):
        raise InvalidResponse("answer is empty")
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise InvalidResponse("answer is not JSON") from None
    if not isinstance(payload, dict):
        raise InvalidResponse("answer is not a JSON object")
    return payload


def member(payload: Mapping[str, Any], key: str) -> dict[str, Any]:
    """A nested object, ``{}`` when absent or not an object."""
    value = payload.get(key)
    return value if isinstance(value, dict) else {}


def text(payload: Mapping[str, Any], key: str, required: bool = False) -> str:
    value = payload.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        raise InvalidResponse(f"answer: {key} is not text")
    return value


def optional_text(payload: Mapping[str, Any], key: str) -> str | None:
    value = payload.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidResponse(f"answer: {key} is not text")
    return value


def integer(payload: Mapping[str, Any], key: str) -> int | None:
    value = payload.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidResponse(f"answer: {key} is not a number")
    return round(value)


def number(payload: Mapping[str, Any], key: str) -> int | float:
    value = payload.get(key)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidResponse(f"answer: {key} is not a number")
    return value


def moment(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidResponse("answer: a date and time is not ISO 8601") from None


def items(payload: Mapping[str, Any], key: str) -> list[dict[str, Any]]:
    value = payload.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise InvalidResponse(f"answer: {key} is not a list of objects")
    return value
