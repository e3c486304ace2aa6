"""The event API Gateway's REST proxy integration hands the Lambda, built in this process for
``laptop_pricing.client.LocalPricingClient`` (the embedded default), so the handler meets the
same shape in every mode: resource templates and path parameters of ``/quote/{quote_id}`` and
the purchase routes, the query string, a binary body as base64, and the API key's id.
"""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from laptop_pricing.purchase_client import purchase_resource
from laptop_pricing.stock_client import stock_resource

PREDICT_PATH = "/predict"
QUOTE_PATH = "/quote/"  # + the quote id (only its alphabet and hyphens: safe in a URL)
# The key id the in-process client puts on an owner's call; the embedded handler (built in
# this same process, ``laptop_pricing.embedded``) is the only one that treats it as an owner.
EMBEDDED_OWNER_KEY_ID = "embedded-owner"


def gateway_event(
    payload: Mapping[str, Any] | None,
    path: str = PREDICT_PATH,
    method: str = "POST",
    *,
    raw: bytes | None = None,
    content_type: str = "application/json",
    api_key_id: str | None = None,
) -> dict[str, Any]:
    """The API Gateway REST proxy event for a request of ``payload`` (or ``raw`` bytes, as
    base64 like a binary media type) to ``path`` (what the Lambda receives); a ``/quote/<id>``
    or ``/purchase/...`` path gets its resource template and path parameters, a query its
    ``queryStringParameters``; ``api_key_id`` the key API Gateway identified."""
    now = datetime.now(UTC)
    path, _, query = path.partition("?")
    resource, parameters = path, None
    if path.startswith(QUOTE_PATH):
        resource, parameters = QUOTE_PATH + "{quote_id}", {"quote_id": path[len(QUOTE_PATH) :]}
    elif (purchase := purchase_resource(path)) is not None:
        resource, parameters = purchase
    elif (stock := stock_resource(path)) is not None:
        resource, parameters = stock
    body = None if payload is None else json.dumps(payload)
    if raw is not None:
        body = base64.b64encode(raw).decode("ascii")
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": {"Content-Type": content_type},
        "multiValueHeaders": {"Content-Type": [content_type]},
        "queryStringParameters": dict(parse_qsl(query)) or None,
        "pathParameters": parameters,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method,
            "path": f"/prod{path}",
            "stage": "prod",
            "requestId": f"embedded-{now.timestamp():.6f}-{random.getrandbits(32):08x}",
            "requestTimeEpoch": int(now.timestamp() * 1000),
            "identity": {
                "sourceIp": "127.0.0.1",
                "userAgent": "laptop-pricing-embedded",
                "apiKeyId": api_key_id,
            },
        },
        "body": body,
        "isBase64Encoded": raw is not None,
    }
