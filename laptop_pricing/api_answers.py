"""The pricing API's answers read the same way by both clients: every shape seen in the wild
(flat, wrapped in ``{"statusCode", "body"}``, the old top-level one), turned into a
``MarketEstimate``, a
trade-in quote, a ``RecordedOutcome`` (``POST /outcome``), a ``FoundQuote``
(``GET /quote/{quote_id}``), or the typed error of
``laptop_pricing.errors`` that the status means.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from urllib3.exceptions import (
    InvalidHeader,
)
from urllib3.util.retry import Retry

from laptop_pricing.errors import (
    AuthError,
    BadRequest,
    InvalidResponse,
    OutcomeNotStored,
    PricingError,
    QuoteExpired,
    QuoteNotFound,
    RateLimited,
    ServiceUnavailable,
    UpstreamError,
)
from laptop_pricing.pricing.comparables import Comparable
from laptop_pricing.pricing.engine import MarketEstimate
from laptop_pricing.pricing.explanation import Contribution, Explanation
from laptop_pricing.pricing.laptop_spec import FieldError
from laptop_pricing.trade_in.condition import Condition
from laptop_pricing.trade_in.outcome import Outcome
from laptop_pricing.trade_in.quote import InvalidTradeInAnswer, TradeInQuote
from laptop_pricing.trade_in.quote_answer import FoundQuote, InvalidQuoteAnswer

DEFAULT_CURRENCY = "BRL"
UNKNOWN_VERSION = "desconhecida"


def quote_from_response(
    status: int, body: str | bytes | None, headers: Mapping[str, str]
) -> MarketEstimate:
    """A MarketEstimate from an HTTP-like answer, or the typed error that answer means."""
    if 200 <= status < 300:
        payload = _json_object(body)
        return _quote_from_payload(payload)
    raise error_for_status(status, body, headers)


def trade_in_from_response(
    status: int, body: str | bytes | None, headers: Mapping[str, str], condition: Condition
) -> tuple[MarketEstimate, TradeInQuote]:
    """The MarketEstimate and the trade-in quote of an answer to a request that carried a
    condition."""
    quote = quote_from_response(status, body, headers)
    payload = _json_object(body)
    if "prediction" not in payload and isinstance(payload.get("body"), str | bytes):
        payload = _json_object(payload["body"])  # the wrapped shape
    try:
        return quote, TradeInQuote.from_body(payload, condition, quote.price)
    except InvalidTradeInAnswer as error:
        raise InvalidResponse(f"pricing API answer: {error}") from None


@dataclass(frozen=True)
class RecordedOutcome:
    """What ``POST /outcome`` answered: the stored outcome, and whether this call stored it
    (201) or found it stored already under the same ``event_id`` (200)."""

    outcome: Outcome
    created: bool


def outcome_from_response(
    status: int, body: str | bytes | None, headers: Mapping[str, str]
) -> RecordedOutcome:
    """The recorded outcome, or ``QuoteNotFound`` (404), ``QuoteExpired`` (409), ``BadRequest``
    naming the fields (400), ``OutcomeNotStored`` (503 from the service: send it again) or the
    error any other status means."""
    if status in (200, 201):
        payload = _json_object(body)
        try:
            return RecordedOutcome(Outcome.from_record(payload), created=status == 201)
        except (KeyError, TypeError, ValueError) as error:
            raise InvalidResponse(f"outcome answer: {type(error).__name__}") from None
    payload = _maybe_json(body)
    message = f"outcome answered {status}: {_service_message(body)}"
    quote_id = str(payload.get("quote_id") or "")
    if status == 404 and quote_id:
        raise QuoteNotFound(quote_id, message)
    if status == 409:
        try:
            valid_until: date | None = date.fromisoformat(str(payload.get("valid_until")))
        except ValueError:
            valid_until = None
        raise QuoteExpired(quote_id, valid_until, message)
    if status == 503 and str(payload.get("message") or "").startswith("Outcome not stored"):
        raise OutcomeNotStored(message)
    raise error_for_status(status, body, headers)


def found_quote_from_response(
    status: int, body: str | bytes | None, headers: Mapping[str, str]
) -> FoundQuote:
    """The quote ``GET /quote/{quote_id}`` found, or ``QuoteNotFound`` (404 naming the id),
    ``BadRequest`` naming ``quote_id`` (400) or the error any other status means."""
    if status == 200:
        try:
            return FoundQuote.from_body(_json_object(body))
        except InvalidQuoteAnswer as error:
            raise InvalidResponse(f"pricing API answer: {error}") from None
    quote_id = str(_maybe_json(body).get("quote_id") or "")
    if status == 404 and quote_id:
        raise QuoteNotFound(quote_id, f"quote answered 404: {_service_message(body)}")
    raise error_for_status(status, body, headers)


def _maybe_json(body: str | bytes | None) -> dict[str, Any]:
    try:
        payload = json.loads(body) if body else None
    except (ValueError, UnicodeDecodeError):
        return {}
    return payload if isinstance(payload, dict) else {}


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
        return BadRequest(message, field_errors_in(body))
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


def _quote_from_payload(payload: dict[str, Any]) -> MarketEstimate:
    # Wrapped shape (direct invoke / non-proxy integration): {"statusCode": 200, "body": "<json>"}.
    # The old INR API put statusCode and prediction side by side: that one is read as it stands.
    if "prediction" not in payload and "body" in payload:
        inner_status = payload.get("statusCode", 200)
        inner_body = payload["body"]
        if isinstance(inner_body, dict | list):
            inner_body = json.dumps(inner_body)
        if not isinstance(inner_status, int) or not isinstance(inner_body, str | bytes):
            raise InvalidResponse("pricing API answered with a malformed wrapped body")
        received = payload.get("headers")
        headers = (
            {str(name): str(value) for name, value in received.items()}
            if isinstance(received, dict)
            else {}
        )
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
    return MarketEstimate(
        price=price,
        low=low,
        high=high,
        currency=currency if isinstance(currency, str) and currency else DEFAULT_CURRENCY,
        version=str(version) if version not in (None, "") else UNKNOWN_VERSION,
        coverage=coverage,
        explanation=_explanation(payload.get("explanation")),
        comparables=_comparables(payload.get("comparables")),
    )


def _explanation(raw: Any) -> Explanation | None:
    """The explanation when the answer holds a well-formed one (an extra: never fails a price)."""
    if not isinstance(raw, dict) or not isinstance(raw.get("contributions"), list):
        return None
    try:
        return Explanation(
            baseline=_amount(raw["baseline"], "explanation.baseline"),
            contributions=tuple(
                Contribution(str(item["field"]), item.get("value"), round(float(item["amount"])))
                for item in raw["contributions"]
            ),
        )
    except (InvalidResponse, KeyError, TypeError, ValueError):
        return None


def _comparables(raw: Any) -> tuple[Comparable, ...]:
    if not isinstance(raw, list):
        return ()
    try:
        return tuple(
            Comparable(
                fields=dict(item["data"]),
                price=_amount(item["price"], "comparables.price"),
                same_processor=bool(item.get("same_processor", False)),
            )
            for item in raw
        )
    except (InvalidResponse, KeyError, TypeError, ValueError):
        return ()


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


def field_errors_in(body: str | bytes | None) -> list[FieldError]:
    """The ``errors`` an error answer names (each a ``FieldError``), in order."""
    try:
        payload = json.loads(body) if body else None
    except (ValueError, UnicodeDecodeError):
        return []
    if isinstance(payload, dict) and "body" in payload and "errors" not in payload:
        return field_errors_in(payload["body"]) if isinstance(payload["body"], str) else []
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


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), by urllib3;
    ``None`` when absent or unreadable."""
    if not value:
        return None
    try:
        return float(Retry().parse_retry_after(value))
    except InvalidHeader:
        return None
