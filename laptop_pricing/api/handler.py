"""The pricing API's Lambda handler: ``laptop_pricing.api.handler.handler``.

Accepts a direct invoke ``{"data": {...}}``, an API Gateway REST proxy event and a Lambda function
URL event (body a string, maybe base64). Always answers proxy style
``{"statusCode", "headers", "body"}``; the success body holds ``prediction`` (int) and ``version``
as the course contract says, plus ``currency`` and ``range``. Anything a client can send that is
not a valid laptop gets a 400 listing every field at fault, never a 500.

Trade-in: a request may carry ``condition`` beside ``data`` (``laptop_pricing.condition``); the
answer then adds the store's offer under its policy (``laptop_pricing.trade_in``): ``offer``,
``quote_id``, ``valid_until``, ``policy_version``, ``deductions``, ``no_offer_reason``. Without
``condition`` the answer is exactly the course's. The policy (``POLICY_PATH``) is loaded once;
a policy with an error is never half-used: every request gets a 500 and the log one line
naming the key (the local server and a Lambda cold start refuse to start on it).

Seam for the request log and metrics: ``set_observer(obs)``; ``obs.on_priced(spec, quote,
latency_ms)`` is called once per priced request, after pricing and before the answer (with
``trade_in=`` the quote too, when the request had a condition). Until one
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
import os
import threading
import time
from typing import Any, Protocol

from laptop_pricing.condition import PAYLOAD_KEY, Condition, InvalidCondition
from laptop_pricing.engine import PricingEngine, Quote
from laptop_pricing.policy import PolicyError, load_policy, policy_path
from laptop_pricing.schema import FieldError, InvalidSpec, LaptopSpec
from laptop_pricing.settings import load_settings
from laptop_pricing.trade_in import QuoteIssuer, TradeInQuote

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 16 * 1024  # a valid request is about 300 bytes
JSON_HEADERS = {"Content-Type": "application/json"}


class PricingObserver(Protocol):
    def on_priced(self, spec: LaptopSpec, quote: Quote, latency_ms: float) -> None: ...


class NullObserver:
    def on_priced(
        self,
        spec: LaptopSpec,
        quote: Quote,
        latency_ms: float,
        trade_in: TradeInQuote | None = None,
    ) -> None:
        return None


_observer: PricingObserver | None = None  # None: the environment's default, built on first use
_observer_lock = threading.Lock()
_engine: PricingEngine | None = None
_issuer: QuoteIssuer | None = None
_issuer_lock = threading.Lock()


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


def get_issuer() -> QuoteIssuer:
    """The process's quote issuer under the store policy of ``POLICY_PATH``, loaded once.

    Raises ``PolicyError`` (naming the key at fault) for a policy that cannot be used."""
    global _issuer
    if _issuer is None:
        with _issuer_lock:
            if _issuer is None:
                _issuer = QuoteIssuer(load_policy(policy_path(load_settings())))
    return _issuer


def set_issuer(issuer: QuoteIssuer | None) -> QuoteIssuer | None:
    """Plug a quote issuer in (None: load the policy of ``POLICY_PATH`` again on next use)."""
    global _issuer
    previous = _issuer
    _issuer = issuer
    return previous


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
        spec, condition = _laptop_and_condition(request)
    except BadRequest as error:
        headers = {"Allow": "POST"} if error.status == 405 else None
        body = {"message": "Invalid request", "errors": _errors(error.errors)}
        return _response(error.status, body, headers)

    try:
        issuer = get_issuer()
    except PolicyError as error:
        logger.error("store policy unusable, nothing priced: %s", error)
        return _response(500, {"message": "Internal error"})
    try:
        quote = get_engine().price(spec)
        body = quote.as_body()
        trade_in = None
        if condition is not None:
            trade_in = issuer.issue(quote.price, condition)
            body.update(trade_in.body_fields())
        latency_ms = (time.perf_counter() - start) * 1000.0
        if trade_in is None:
            _current_observer().on_priced(spec, quote, latency_ms)
        else:
            _current_observer().on_priced(spec, quote, latency_ms, trade_in=trade_in)
    except Exception:
        # Our fault, not the client's: say so without echoing the request.
        logger.exception("pricing failed")
        return _response(500, {"message": "Internal error"})
    return _response(200, body)


def _laptop_and_condition(request: dict[str, Any]) -> tuple[LaptopSpec, Condition | None]:
    """Validate ``data`` and the optional ``condition`` together: one 400 names every fault."""
    errors: list[FieldError] = []
    spec = condition = None
    try:
        spec = LaptopSpec.from_payload(request["data"])
    except InvalidSpec as error:
        errors.extend(error.errors)
    if request.get(PAYLOAD_KEY) is not None:
        try:
            condition = Condition.from_payload(request[PAYLOAD_KEY])
        except InvalidCondition as error:
            errors.extend(error.errors)
    if errors or spec is None:
        raise BadRequest(errors)
    return spec, condition


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


def refuse_to_start_on_a_bad_policy() -> None:
    """Load the store policy now; on a bad one print one line naming the key and exit 1
    (no traceback). A Lambda cold start and the local server call this before serving."""
    try:
        get_issuer()
    except PolicyError as error:
        raise SystemExit(f"Refusing to start: {error}") from None


if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):  # a Lambda cold start: fail the init, not requests
    refuse_to_start_on_a_bad_policy()
