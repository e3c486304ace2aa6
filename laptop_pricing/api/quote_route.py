"""``GET /quote/{quote_id}``: a quote found again by its id, with its state and decisions.

200 with ``FoundQuote.as_body()``; 400 naming ``quote_id`` when the text is not a quote id
(wrong length, a symbol outside the alphabet, a failed check symbol); 404 when no quote has
that id; 405 for another method; 503 when the request log cannot be read right now. The lookup
itself is ``laptop_pricing.trade_in.quote_lookup.QuoteLookup``, passed in.

The id comes from the event's ``pathParameters`` (API Gateway's REST proxy, the local server,
the in-process client), else from the last segment of ``rawPath``/``path`` after ``quote``
(a Lambda function URL), percent-decoded.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import unquote

from laptop_pricing.api.events import event_path, field_errors, http_method, response
from laptop_pricing.pricing.laptop_spec import FieldError
from laptop_pricing.storage.day_csv import UnreadableDayFile
from laptop_pricing.storage.stores import StoreError
from laptop_pricing.trade_in.policy import StorePolicy
from laptop_pricing.trade_in.quote_answer import FoundQuote
from laptop_pricing.trade_in.quote_id import InvalidQuoteId
from laptop_pricing.trade_in.quote_lookup import QuoteLookup

logger = logging.getLogger(__name__)
QUOTE_ID_FIELD = "quote_id"
QUOTE_RESOURCE = "/quote/{quote_id}"
_QUOTE_PATH = re.compile(r"^(?:.*/)?quote(?:/([^/]*))?/?$")


def quote_id_in_path(event: Any) -> str | None:
    """The id text of a ``/quote/...`` event ("" when the path names no id); None for any
    other route."""
    if not isinstance(event, dict):
        return None
    parameters = event.get("pathParameters")
    if isinstance(parameters, dict) and isinstance(parameters.get(QUOTE_ID_FIELD), str):
        return str(parameters[QUOTE_ID_FIELD])
    value = event_path(event)
    match = _QUOTE_PATH.match(value) if value is not None else None
    return None if match is None else unquote(match.group(1) or "")


class QuoteRoute:
    """Answers ``GET /quote/{quote_id}`` from ``lookup``; ``policy`` (the store's policy in
    force) recomputes the deductions of the quotes made under it."""

    def __init__(self, lookup: QuoteLookup, policy: StorePolicy | None):
        self.lookup = lookup
        self.policy = policy

    def __call__(self, event: Any, text: str) -> dict[str, Any]:
        method = http_method(event) if isinstance(event, dict) else None
        if method not in (None, "GET"):
            error = FieldError("method", (method or "")[:16], "use GET", ("GET",))
            answer = {"message": "Invalid request", "errors": field_errors([error])}
            return response(405, answer, {"Allow": "GET"})
        try:
            result = self.lookup.find(text)
        except InvalidQuoteId as error:
            return invalid_id(text, str(error))
        except (StoreError, UnreadableDayFile, OSError) as error:
            logger.warning("quote store unavailable: %s: %s", type(error).__name__, error)
            return response(503, {"message": "Quotes cannot be read right now; try again"})
        if result.quote is None:
            return response(404, {"message": "Quote not found", "quote_id": result.quote_id})
        return response(200, FoundQuote.from_lookup(result, self.policy).as_body())


def invalid_id(text: str, reason: str) -> dict[str, Any]:
    """400 naming ``quote_id`` (what was sent is echoed only when it is short and readable)."""
    echoed = text if len(text) <= 32 and text.isprintable() else None
    error = FieldError(QUOTE_ID_FIELD, echoed, reason or "not a quote id")
    return response(400, {"message": "Invalid request", "errors": field_errors([error])})
