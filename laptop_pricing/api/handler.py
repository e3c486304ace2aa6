"""The pricing API's Lambda handler: ``laptop_pricing.api.handler.handler``.

Accepts a direct invoke ``{"data": {...}}``, an API Gateway REST proxy event and a Lambda function
URL event (body a string, maybe base64). Always answers proxy style
``{"statusCode", "headers", "body"}``; the success body holds ``prediction`` (int) and ``version``
as the course contract says, plus ``currency`` and ``range``; with ``"explain": true`` beside
``data`` also ``explanation`` (baseline and each field's R$ contribution, adding up to
``prediction``) and ``comparables`` (the closest real laptops of the training data). Anything a
client can send that is not a valid laptop gets a 400 listing every field at fault, never a 500.

Seam for the request log and metrics: ``set_observer(obs)``; ``obs.on_priced(spec, quote,
latency_ms)`` is called once per priced request, after pricing and before the answer. Until one
is plugged, the default is built from the environment on first use
(``laptop_pricing.api.service.default_observer``: request log + EMF metrics). The event, its
headers and the API key are never logged.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import math
import threading
import time
from typing import Any, Protocol

from laptop_pricing.engine import PricingEngine, Quote
from laptop_pricing.schema import FieldError, InvalidSpec, LaptopSpec

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 16 * 1024  # a valid request is about 300 bytes
JSON_HEADERS = {"Content-Type": "application/json"}


class PricingObserver(Protocol):
    def on_priced(self, spec: LaptopSpec, quote: Quote, latency_ms: float) -> None: ...


class NullObserver:
    def on_priced(self, spec: LaptopSpec, quote: Quote, latency_ms: float) -> None:
        return None


_observer: PricingObserver | None = None  # None: the environment's default, built on first use
_observer_lock = threading.Lock()
_engine: PricingEngine | None = None


def set_observer(observer: PricingObserver | None) -> PricingObserver | None:
    """Plug the request log / metrics in (None restores the no-op); returns the previous one."""
    global _observer
    previous = _observer
    _observer = observer if observer is not None else NullObserver()
    return previous


def _current_observer() -> PricingObserver:
    global _observer
    if _observer is None:
        with _observer_lock:  # one default per process: its request log groups all threads' rows
            if _observer is None:
                from laptop_pricing.api.service import default_observer

                _observer = default_observer()
    return _observer


def get_engine() -> PricingEngine:
    """The process's engine, loaded on first use (a Lambda cold start) and kept."""
    global _engine
    if _engine is None:
        _engine = PricingEngine.load()
    return _engine


class BadRequest(Exception):
    def __init__(self, errors: list[FieldError], status: int = 400):
        super().__init__(errors)
        self.errors = errors
        self.status = status


def _body_error(reason: str) -> BadRequest:
    return BadRequest([FieldError("body", None, reason)])


def _http_method(event: dict[str, Any]) -> str | None:
    request_context = event.get("requestContext")
    http = request_context.get("http") if isinstance(request_context, dict) else None
    if isinstance(http, dict):  # function URL / HTTP API payload 2.0
        method = http.get("method")
    elif "httpMethod" in event:  # REST API proxy
        method = event["httpMethod"]
    else:
        return None  # direct invoke
    return method.upper() if isinstance(method, str) else "?"


def _request_object(event: Any) -> Any:
    """The JSON object the client sent: the event itself (direct invoke) or its parsed body."""
    if not isinstance(event, dict):
        raise _body_error("event must be a JSON object")
    method = _http_method(event)
    if method is not None and method != "POST":
        raise BadRequest([FieldError("method", method[:16], "use POST", ("POST",))], status=405)
    if method is None and "body" not in event:
        return event  # direct invoke: {"data": {...}}
    body = event.get("body")
    if body is None or body == "":
        raise _body_error('empty body; send {"data": {...}}')
    if not isinstance(body, str):
        raise _body_error("body must be a JSON string")
    if len(body) > MAX_BODY_BYTES * 2:
        raise _body_error(f"body larger than {MAX_BODY_BYTES} bytes")
    raw: bytes | str = body
    if event.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise _body_error("isBase64Encoded is set but the body is not base64") from None
    if len(raw) > MAX_BODY_BYTES:
        raise _body_error(f"body larger than {MAX_BODY_BYTES} bytes")
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        raise _body_error("body is not valid JSON") from None
    except UnicodeDecodeError:
        raise _body_error("body is not UTF-8 text") from None
    except (ValueError, RecursionError):  # a 5,000-digit number, nesting thousands deep
        raise _body_error("body holds values too large or too deeply nested") from None


def _response(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> dict:
    return {
        "statusCode": status,
        "headers": {**JSON_HEADERS, **(headers or {})},
        "body": json.dumps(body),
    }


def handler(event: Any, context: Any = None) -> dict[str, Any]:
    start = time.perf_counter()
    try:
        request = _request_object(event)
        if not isinstance(request, dict):
            raise _body_error('body must be a JSON object like {"data": {...}}')
        if "data" not in request:
            raise BadRequest([FieldError("data", None, 'missing; send {"data": {...}}')])
        spec = LaptopSpec.from_payload(request["data"])
        explain = _explain_flag(request)
    except InvalidSpec as error:
        return _response(400, {"message": "Invalid request", "errors": _errors(error.errors)})
    except BadRequest as error:
        headers = {"Allow": "POST"} if error.status == 405 else None
        body = {"message": "Invalid request", "errors": _errors(error.errors)}
        return _response(error.status, body, headers)

    try:
        engine = get_engine()
        quote = engine.price(spec)
        body = quote.as_body()
        if explain:
            body.update(engine.explanation_body(spec, quote))
        latency_ms = (time.perf_counter() - start) * 1000.0
        _current_observer().on_priced(spec, quote, latency_ms)
    except Exception:
        # Our fault, not the client's: say so without echoing the request.
        logger.exception("pricing failed")
        return _response(500, {"message": "Internal error"})
    return _response(200, body)


def _explain_flag(request: dict[str, Any]) -> bool:
    """``"explain": true`` beside ``data`` asks for the explanation and comparable laptops."""
    flag = request.get("explain", False)
    if not isinstance(flag, bool):
        raise BadRequest(
            [FieldError("explain", _echo(flag), "must be true or false", (True, False))]
        )
    return flag


def _errors(errors: list[FieldError]) -> list[dict[str, Any]]:
    return [{**e.as_dict(), "value": _echo(e.value)} for e in errors]


def _echo(value: Any) -> Any:
    """A received value as JSON can carry it: no NaN/Infinity, no 5,000-digit integers."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value if abs(value) < 10**15 else f"integer of {value.bit_length()} bits"
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    return str(value)[:64]
