"""Price a laptop through the pricing API, over HTTP or in-process, behind one interface.

``HttpPricingClient`` speaks the course contract to the deployed API (API Gateway + Lambda);
``LocalPricingClient`` sends the same request, as the event a gateway would build, to the very
same Lambda handler in this process (the embedded default). Both read the answer with one parser
that accepts every shape seen in the wild and raise the typed errors of ``laptop_pricing.errors``.
"""

from __future__ import annotations

import email.utils
import json
import math
import random
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError

from laptop_pricing.condition import PAYLOAD_KEY, Condition
from laptop_pricing.engine import Quote
from laptop_pricing.errors import (
    AuthError,
    BadRequest,
    ConnectionFailed,
    InvalidResponse,
    PricingError,
    RateLimited,
    ServiceUnavailable,
    Timeout,
    UpstreamError,
)
from laptop_pricing.schema import FieldError, LaptopSpec
from laptop_pricing.settings import Settings
from laptop_pricing.trade_in import InvalidTradeInAnswer, TradeInQuote

DEFAULT_CURRENCY = "BRL"
UNKNOWN_VERSION = "desconhecida"
CONNECT_TIMEOUT = 3.05  # seconds to open the connection
READ_TIMEOUT = 10.0  # seconds to wait for the answer (a Lambda cold start fits; 29 s does not)
RETRY_BUDGET = 10.0  # all attempts and back-off waits together


class PricingClient(ABC):
    """Anything that turns a laptop description into a Quote or raises a PricingError."""

    embedded: bool = False

    @abstractmethod
    def price(self, spec: LaptopSpec) -> Quote: ...

    def price_trade_in(self, spec: LaptopSpec, condition: Condition) -> tuple[Quote, TradeInQuote]:
        """The market estimate and the store's offer for a laptop in a given condition."""
        raise NotImplementedError


def trade_in_payload(spec: LaptopSpec, condition: Condition) -> dict[str, Any]:
    """The course request plus the ``condition`` object."""
    return {**spec.to_payload(), PAYLOAD_KEY: condition.as_dict()}


# ---------------------------------------------------------------------------------------------
# Reading answers (shared by both clients)


def quote_from_response(status: int, body: str | bytes | None, headers: Mapping[str, str]) -> Quote:
    """A Quote from an HTTP-like answer, or the typed error that answer means."""
    if 200 <= status < 300:
        payload = _json_object(body)
        return _quote_from_payload(payload)
    raise error_for_status(status, body, headers)


def trade_in_from_response(
    status: int, body: str | bytes | None, headers: Mapping[str, str], condition: Condition
) -> tuple[Quote, TradeInQuote]:
    """The Quote and the trade-in quote of an answer to a request that carried a condition."""
    quote = quote_from_response(status, body, headers)
    payload = _json_object(body)
    if "prediction" not in payload and isinstance(payload.get("body"), str | bytes):
        payload = _json_object(payload["body"])  # the wrapped shape
    try:
        return quote, TradeInQuote.from_body(payload, condition, quote.price)
    except InvalidTradeInAnswer as error:
        raise InvalidResponse(f"pricing API answer: {error}") from None


def error_for_status(
    status: int, body: str | bytes | None, headers: Mapping[str, str]
) -> PricingError:
    """The typed error of a non-2xx answer (the body's message is kept, short, for logs)."""
    message = f"pricing API answered {status}: {_service_message(body)}"
    if status in (401, 403):
        return AuthError(message, status)
    if status == 429:
        return RateLimited(message, parse_retry_after(headers.get("Retry-After")))
    if status in (400, 422):
        return BadRequest(message, _field_errors(body))
    if status == 503:
        return ServiceUnavailable(message, status)
    return UpstreamError(message, status)


def _json_object(body: str | bytes | None) -> dict[str, Any]:
    if body is None or body in ("", b""):
        raise InvalidResponse("pricing API answered with an empty body")
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidResponse(f"pricing API answered with a body that is not JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise InvalidResponse("pricing API answered with JSON that is not an object")
    return payload


def _quote_from_payload(payload: dict[str, Any]) -> Quote:
    # Wrapped shape (direct invoke / non-proxy integration): {"statusCode": 200, "body": "<json>"}.
    # The old INR API put statusCode and prediction side by side: that one is read as it stands.
    if "prediction" not in payload and "body" in payload:
        inner_status = payload.get("statusCode", 200)
        inner_body = payload["body"]
        if isinstance(inner_body, dict | list):
            inner_body = json.dumps(inner_body)
        if not isinstance(inner_status, int) or not isinstance(inner_body, str | bytes):
            raise InvalidResponse("pricing API answered with a malformed wrapped body")
        headers = payload.get("headers") if isinstance(payload.get("headers"), dict) else {}
        return quote_from_response(inner_status, inner_body, headers)
    if "prediction" not in payload:
        raise InvalidResponse("pricing API answer has no prediction")
    price = _amount(payload["prediction"], "prediction")
    version = payload.get("version")
    currency = payload.get("currency")
    low = high = coverage = None
    price_range = payload.get("range")
    if isinstance(price_range, dict) and "low" in price_range and "high" in price_range:
        low = _amount(price_range["low"], "range.low")
        high = _amount(price_range["high"], "range.high")
        if isinstance(price_range.get("coverage"), int | float):
            coverage = float(price_range["coverage"])
    return Quote(
        price=price,
        low=low,
        high=high,
        currency=currency if isinstance(currency, str) and currency else DEFAULT_CURRENCY,
        version=str(version) if version not in (None, "") else UNKNOWN_VERSION,
        coverage=coverage,
    )


def _amount(value: Any, name: str) -> int:
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise InvalidResponse(f"pricing API answer: {name} is not a number") from None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidResponse(f"pricing API answer: {name} is not a number")
    if value < 0:
        raise InvalidResponse(f"pricing API answer: {name} is negative")
    return round(value)


def _service_message(body: str | bytes | None) -> str:
    try:
        payload = json.loads(body) if body else None
    except (ValueError, UnicodeDecodeError):
        payload = None
    if isinstance(payload, dict) and isinstance(payload.get("message"), str):
        text = payload["message"]
    elif isinstance(body, bytes):
        text = body.decode("utf-8", "replace")
    else:
        text = body or ""
    text = " ".join(text.split())
    return text[:200] or "(no message)"


def _field_errors(body: str | bytes | None) -> list[FieldError]:
    try:
        payload = json.loads(body) if body else None
    except (ValueError, UnicodeDecodeError):
        return []
    if isinstance(payload, dict) and "body" in payload and "errors" not in payload:
        return _field_errors(payload["body"]) if isinstance(payload["body"], str) else []
    raw = payload.get("errors") if isinstance(payload, dict) else None
    errors = []
    for item in raw if isinstance(raw, list) else []:
        if isinstance(item, dict) and isinstance(item.get("field"), str):
            allowed = item.get("allowed")
            errors.append(
                FieldError(
                    field=item["field"],
                    value=item.get("value"),
                    reason=str(item.get("reason", "")),
                    allowed=tuple(allowed) if isinstance(allowed, list) else (),
                )
            )
    return errors


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


# ---------------------------------------------------------------------------------------------
# HTTP


class HttpPricingClient(PricingClient):
    """The deployed pricing API over HTTP(S).

    Retries only what cannot have priced anything twice: a refused connection (nothing was
    sent), 429 and 503 (the gateway or service turned the request away). A timeout, a 500 or a
    504 is not retried: the request may have been priced and logged already. All attempts and
    waits together stay within ``retry_budget`` seconds (about 10 s).
    """

    def __init__(
        self,
        endpoint: str,
        api_key: str | None = None,
        *,
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
        retry_budget: float | None = None,
        max_attempts: int = 3,
        backoff: float = 0.5,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] | None = None,
    ):
        if not endpoint or not endpoint.startswith(("http://", "https://")):
            raise ValueError("endpoint must be an http(s) URL")
        self.endpoint = endpoint
        self.timeout = (connect_timeout or CONNECT_TIMEOUT, read_timeout or READ_TIMEOUT)
        self.retry_budget = RETRY_BUDGET if retry_budget is None else retry_budget
        self.max_attempts = max_attempts
        self.backoff = backoff
        self._sleep = sleep
        self._session = session or requests.Session()
        self._session.headers.update({"Content-Type": "application/json"})
        if api_key:
            self._session.headers["x-api-key"] = api_key

    def __repr__(self) -> str:  # never show the key
        return f"HttpPricingClient(endpoint={self.endpoint!r})"

    def close(self) -> None:
        self._session.close()

    def price(self, spec: LaptopSpec) -> Quote:
        return self._post(spec.to_payload(), quote_from_response)

    def price_trade_in(self, spec: LaptopSpec, condition: Condition) -> tuple[Quote, TradeInQuote]:
        def read(status: int, body: bytes, headers: Mapping[str, str]) -> Any:
            return trade_in_from_response(status, body, headers, condition)

        return self._post(trade_in_payload(spec, condition), read)

    def _post(self, payload: dict[str, Any], read: Callable[..., Any]) -> Any:
        body = json.dumps(payload)
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._attempt(body, read)
            except (ConnectionFailed, RateLimited, ServiceUnavailable) as error:
                delay = self._retry_delay(error, attempt)
                elapsed = time.monotonic() - started
                if (
                    delay is None
                    or attempt >= self.max_attempts
                    or elapsed + delay + self.timeout[0] > self.retry_budget
                ):
                    raise
                (self._sleep or backoff_sleep)(delay)

    def _retry_delay(self, error: PricingError, attempt: int) -> float | None:
        if isinstance(error, ConnectionFailed) and not error.never_sent:
            return None
        if isinstance(error, RateLimited) and error.retry_after is not None:
            return error.retry_after
        return self.backoff * (2 ** (attempt - 1)) * (1 + random.random() / 4)

    def _attempt(self, body: str, read: Callable[..., Any] = quote_from_response) -> Any:
        try:
            response = self._session.post(self.endpoint, data=body, timeout=self.timeout)
        except requests.exceptions.ConnectTimeout:
            raise Timeout("pricing API did not accept the connection in time") from None
        except requests.exceptions.ReadTimeout:
            raise Timeout("pricing API did not answer in time") from None
        except requests.exceptions.ConnectionError as exc:
            raise ConnectionFailed(
                f"could not reach the pricing API: {type(exc).__name__}", _never_sent(exc)
            ) from None
        except requests.exceptions.RequestException as exc:
            raise ConnectionFailed(f"pricing API request failed: {type(exc).__name__}") from None
        return read(response.status_code, response.content, response.headers)


def backoff_sleep(seconds: float) -> None:
    """The wait between retries (a module function so tests can skip the waiting)."""
    time.sleep(seconds)


def _never_sent(exc: requests.exceptions.ConnectionError) -> bool:
    """True when the connection was never established, so retrying cannot price twice."""
    reason = exc.args[0] if exc.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    return isinstance(reason, NewConnectionError)


# ---------------------------------------------------------------------------------------------
# In-process


def gateway_event(payload: Mapping[str, Any], path: str = "/predict") -> dict[str, Any]:
    """The API Gateway REST proxy event for a POST of ``payload`` (what the Lambda receives)."""
    now = datetime.now(UTC)
    return {
        "resource": path,
        "path": path,
        "httpMethod": "POST",
        "headers": {"Content-Type": "application/json"},
        "multiValueHeaders": {"Content-Type": ["application/json"]},
        "queryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": path,
            "httpMethod": "POST",
            "path": f"/prod{path}",
            "stage": "prod",
            "requestId": f"embedded-{now.timestamp():.6f}-{random.getrandbits(32):08x}",
            "requestTimeEpoch": int(now.timestamp() * 1000),
            "identity": {"sourceIp": "127.0.0.1", "userAgent": "laptop-pricing-embedded"},
        },
        "body": json.dumps(payload),
        "isBase64Encoded": False,
    }


class LocalPricingClient(PricingClient):
    """The Lambda handler called in this process: the embedded default, no server, no cloud.

    ``handler`` defaults to ``laptop_pricing.api.handler.handler``. Its answer goes through the
    same parser as an HTTP answer, so both clients fail and succeed the same way.
    """

    embedded = True

    def __init__(self, handler: Callable[[dict, Any], dict] | None = None):
        if handler is None:
            from laptop_pricing.api.handler import handler as lambda_handler

            handler = lambda_handler
        self._handler = handler

    def price(self, spec: LaptopSpec) -> Quote:
        return self._call(spec.to_payload(), quote_from_response)

    def price_trade_in(self, spec: LaptopSpec, condition: Condition) -> tuple[Quote, TradeInQuote]:
        def read(status: int, body: str | None, headers: Mapping[str, str]) -> Any:
            return trade_in_from_response(status, body, headers, condition)

        return self._call(trade_in_payload(spec, condition), read)

    def _call(self, payload: dict[str, Any], read: Callable[..., Any]) -> Any:
        response = self._handler(gateway_event(payload), None)
        if not isinstance(response, dict) or not isinstance(response.get("statusCode"), int):
            raise InvalidResponse("the pricing handler returned something that is not a response")
        body = response.get("body")
        if isinstance(body, dict):
            body = json.dumps(body)
        headers = response.get("headers") or {}
        return read(response["statusCode"], body, headers)


def client_from_settings(settings: Settings) -> PricingClient:
    """HTTP to the configured endpoint, or the embedded handler logging to the local folder."""
    if settings.api_endpoint:
        return HttpPricingClient(settings.api_endpoint, settings.api_key)
    configure_embedded_logging(settings)
    configure_embedded_policy(settings)
    return LocalPricingClient()


def configure_embedded_policy(settings: Settings) -> None:
    """Make the in-process handler quote under the policy the app's settings name (secrets
    included); raises ``PolicyError`` naming the key when that policy cannot be used."""
    from laptop_pricing.api.handler import set_issuer
    from laptop_pricing.policy import load_policy, policy_path
    from laptop_pricing.trade_in import QuoteIssuer

    set_issuer(QuoteIssuer(load_policy(policy_path(settings))))


def configure_embedded_logging(settings: Settings) -> None:
    """Make the in-process handler log priced requests where the app's settings say."""
    from laptop_pricing.api.handler import set_observer
    from laptop_pricing.api.service import observer_from_settings

    set_observer(observer_from_settings(settings))
