"""Request ids, and one quote per client request id.

A client may send ``X-Request-Id`` (letters, digits, ``-_.``, up to 100) and retry with it when
an answer is lost (docs/api.md). For a request that issues a quote, ``answer_once`` keeps the
first answer under that id in the store (``QuoteKeys.claim``, put-if-absent), so a retry with
the same body gets the same quote however many processes serve it, and the same id with another
body is refused with a 409 naming ``X-Request-Id``. Without a client id (API Gateway's or
Lambda's own id, new on every call) there is nothing to repeat and nothing is kept.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from typing import Any

from laptop_pricing.pricing.laptop_spec import FieldError
from laptop_pricing.trade_in.quote_keys import ClaimState, QuoteKeys, body_digest

logger = logging.getLogger(__name__)
REQUEST_ID_HEADER = "X-Request-Id"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")


def client_request_id(event: Any) -> str | None:
    """The client's own ``X-Request-Id`` when it sent a well-formed one."""
    headers = event.get("headers") if isinstance(event, dict) else None
    if isinstance(headers, dict):
        for name, value in headers.items():
            is_header = str(name).lower() == "x-request-id"
            if is_header and isinstance(value, str) and _REQUEST_ID.match(value):
                return value
    return None


def request_id_of(event: Any, context: Any) -> str:
    """The id the request-log row carries: the client's ``X-Request-Id``, else API Gateway's
    ``requestContext.requestId``, else the Lambda context's id, else a fresh uuid4."""
    client_id = client_request_id(event)
    if client_id is not None:
        return client_id
    request_context = event.get("requestContext") if isinstance(event, dict) else None
    if isinstance(request_context, dict):
        gateway_id = request_context.get("requestId")
        if isinstance(gateway_id, str) and _REQUEST_ID.match(gateway_id):
            return gateway_id
    context_id = getattr(context, "aws_request_id", None)
    if isinstance(context_id, str) and _REQUEST_ID.match(context_id):
        return context_id
    return uuid.uuid4().hex


def _proxy(status: int, body: str) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": body}


def answer_once(
    keys: QuoteKeys | None, event: Any, request: Any, answer: dict[str, Any]
) -> dict[str, Any] | None:
    """None when ``answer`` is the one to send and record (a new request id, or no client id);
    else the proxy response to send instead, and nothing is recorded: the first answer again,
    a 409 for another body under a used id, or a 503 when the kept answer cannot be read."""
    request_id = client_request_id(event)
    if keys is None or request_id is None:
        return None
    claim = keys.claim(request_id, body_digest(request), str(answer["body"]))
    if claim.state is ClaimState.NEW:
        return None
    if claim.state is ClaimState.UNSETTLED:  # the store is down: a price still goes out
        logger.warning("answer to a request id not kept (%s): a retry may get a new quote", claim)
        return None
    if claim.state is ClaimState.REPLAY:
        return _proxy(200, claim.answer)
    if claim.state is ClaimState.CONFLICT:
        error = FieldError(REQUEST_ID_HEADER, request_id, "already used for another request")
        message = f"{REQUEST_ID_HEADER} was used for a different request; send a new id"
        return _proxy(409, json.dumps({"message": message, "errors": [error.as_dict()]}))
    logger.warning("kept answer unreadable: %s", claim.reason)
    return _proxy(503, json.dumps({"message": "Answer not readable right now; send it again"}))
