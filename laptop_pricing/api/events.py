"""Reading an API event: the JSON object a client sent (direct invoke, REST proxy, function
URL; base64 or not, at most ``MAX_BODY_BYTES``), the method it used, and the proxy answer with
field errors echoed as JSON can carry them. Shared by every route of the handler.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from laptop_pricing.pricing.laptop_spec import FieldError
from laptop_pricing.store_id import MAX_STORE_ID_LENGTH, STORE_ID_FIELD, is_store_id

MAX_BODY_BYTES = 16 * 1024  # a valid request is about 300 bytes
JSON_HEADERS = {"Content-Type": "application/json"}
PATH_KEYS = ("resource", "rawPath", "path")  # REST proxy, function URL, local server


def event_path(event: Any) -> str | None:
    """The route the event names: its resource (a template), else ``rawPath``, else ``path``;
    None for a direct invoke."""
    if isinstance(event, dict):
        for key in PATH_KEYS:
            value = event.get(key)
            if isinstance(value, str) and value.strip("/"):
                return value
    return None


@dataclass(frozen=True)
class RoutePath:
    """A route's path matched: the match (its other groups), and its ``id`` segment: from
    ``pathParameters`` when the resource is a template, else decoded; None when it names none."""

    match: re.Match[str]
    segment: str | None


def route_path(event: Any, pattern: re.Pattern[str], parameter: str) -> RoutePath | None:
    """The event's path matched by ``pattern`` (with an optional ``id`` group); None when the
    event names no path or another route."""
    value = event_path(event)
    match = pattern.match(value) if value is not None else None
    if match is None:
        return None
    segment = match.group("id")
    if segment is not None:
        parameters = event.get("pathParameters")
        if isinstance(parameters, dict) and isinstance(parameters.get(parameter), str):
            segment = parameters[parameter]
        elif segment.startswith("{"):
            segment = ""
        else:
            segment = unquote(segment)
    return RoutePath(match, segment)


class InvalidEvent(Exception):
    def __init__(self, errors: list[FieldError], status: int = 400):
        super().__init__(errors)
        self.errors = errors
        self.status = status


def body_error(reason: str) -> InvalidEvent:
    return InvalidEvent([FieldError("body", None, reason)])


def http_method(event: dict[str, Any]) -> str | None:
    request_context = event.get("requestContext")
    http = request_context.get("http") if isinstance(request_context, dict) else None
    if isinstance(http, dict):  # function URL / HTTP API payload 2.0
        method = http.get("method")
    elif "httpMethod" in event:  # REST API proxy
        method = event["httpMethod"]
    else:
        return None  # direct invoke
    return method.upper() if isinstance(method, str) else "?"


def request_object(event: Any) -> Any:
    """The JSON object the client sent: the event itself (direct invoke) or its parsed body."""
    if not isinstance(event, dict):
        raise body_error("event must be a JSON object")
    method = http_method(event)
    if method is not None and method != "POST":
        raise InvalidEvent([FieldError("method", method[:16], "use POST", ("POST",))], status=405)
    if method is None and "body" not in event:
        return event  # direct invoke: {"data": {...}}
    body = event.get("body")
    if body is None or body == "":
        raise body_error('empty body; send {"data": {...}}')
    if not isinstance(body, str):
        raise body_error("body must be a JSON string")
    if len(body) > MAX_BODY_BYTES * 2:
        raise body_error(f"body larger than {MAX_BODY_BYTES} bytes")
    raw: bytes | str = body
    if event.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise body_error("isBase64Encoded is set but the body is not base64") from None
    if len(raw) > MAX_BODY_BYTES:
        raise body_error(f"body larger than {MAX_BODY_BYTES} bytes")
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        raise body_error("body is not valid JSON") from None
    except UnicodeDecodeError:
        raise body_error("body is not UTF-8 text") from None
    except (ValueError, RecursionError):  # a 5,000-digit number, nesting thousands deep
        raise body_error("body holds values too large or too deeply nested") from None


def response(
    status: int, body: dict[str, Any], headers: dict[str, str] | None = None, members: str = ""
) -> dict[str, Any]:
    """``members``: JSON members already encoded (``"key": value, ...``) to add to ``body``."""
    text = json.dumps(body)
    return {
        "statusCode": status,
        "headers": {**JSON_HEADERS, **(headers or {})},
        "body": f"{text[:-1]}, {members}}}" if members else text,
    }


def field_errors(errors: list[FieldError]) -> list[dict[str, Any]]:
    return [{**e.as_dict(), "value": echo(e.value)} for e in errors]


def echo(value: Any) -> Any:
    """A received value as JSON can carry it: no NaN/Infinity, no 5,000-digit integers."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value if abs(value) < 10**15 else f"integer of {value.bit_length()} bits"
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    return str(value)[:64]


def store_field(request: dict[str, Any], default: str) -> str:
    """The optional ``store_id`` beside ``data`` (the store the clerk prices for), else the
    deployment's ``default``; a value that is not a store id is a 400 naming the field."""
    value = request.get(STORE_ID_FIELD)
    if value is None:
        return default
    if not is_store_id(value):
        limit = MAX_STORE_ID_LENGTH
        reason = f"not a store id (lower-case letters, digits and hyphens, at most {limit})"
        raise InvalidEvent([FieldError(STORE_ID_FIELD, echo(value), reason)])
    return str(value)
