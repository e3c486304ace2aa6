"""The stand-in for API Gateway in front of the local server: API keys, the usage plan (token
bucket and daily quota per key), the REST proxy event it hands the Lambda, and how the Lambda's
proxy answer becomes HTTP (anything of the wrong shape is API Gateway's 502).
"""

from __future__ import annotations

import base64
import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

# The usage plan that applies when keys are configured and no flag or variable says otherwise;
# the same numbers as infra/template.yaml's defaults.
DEFAULT_RATE = 50.0
DEFAULT_BURST = 100
DEFAULT_QUOTA = 10_000
# The template's BinaryMediaTypes (with image/*): such a body reaches the Lambda as base64.
BINARY_TYPES = frozenset({"application/octet-stream"})


@dataclass(frozen=True)
class UsagePlan:
    """Per-key limits. ``None`` means unlimited."""

    rate: float | None = None
    burst: int | None = None
    quota: int | None = None


@dataclass(frozen=True)
class Admission:
    status: int  # 200 admit, 403 forbidden, 429 throttled / over quota
    key_id: str | None = None
    retry_after: int = 0
    reason: str = ""


class _Bucket:
    def __init__(self, capacity: float, now: float):
        self.tokens = capacity
        self.updated = now


class Gateway:
    """API keys, token-bucket throttling and a daily quota, like an API Gateway usage plan."""

    def __init__(
        self,
        keys: Sequence[str] = (),
        plan: UsagePlan = UsagePlan(),
        monotonic: Callable[[], float] = time.monotonic,
        utc_now: Callable[[], datetime] = lambda: datetime.now(UTC),
        owner_keys: Sequence[str] = (),
    ):
        """``keys``: the app's (clerk) keys; ``owner_keys``: the owners' keys, in the same usage
        plan, whose ids (``owner-1``, ...) the handler's purchase routes treat as owners'."""
        # Keys are held only here; logs and events name a key by its id (key-1, key-2, ...).
        self._key_ids = {key: f"key-{n}" for n, key in enumerate(keys, start=1) if key}
        self._owner_ids = {key: f"owner-{n}" for n, key in enumerate(owner_keys, start=1) if key}
        self.plan = plan
        self._monotonic = monotonic
        self._utc_now = utc_now
        self._buckets: dict[str, _Bucket] = {}
        self._used: dict[str, tuple[object, int]] = {}  # key id -> (UTC day, requests admitted)
        self._lock = threading.Lock()

    @property
    def requires_key(self) -> bool:
        return bool(self._key_ids)

    @property
    def owner_key_ids(self) -> frozenset[str]:
        return frozenset(self._owner_ids.values())

    def identify(self, api_key: str | None) -> Admission:
        """The key alone (403 or 200 with its id), spending nothing: checked from the headers,
        before a byte of body is read. An owner key is known with or without clerk keys."""
        if api_key and api_key in self._owner_ids:
            return Admission(200, self._owner_ids[api_key])
        if not self.requires_key:
            return Admission(200, "anonymous")
        key_id = self._key_ids.get(api_key or "")
        if key_id is None:
            return Admission(403, reason="missing key" if not api_key else "unknown key")
        return Admission(200, key_id)

    def admit(self, api_key: str | None) -> Admission:
        known = self.identify(api_key)
        if known.key_id is None:
            return known
        key_id = known.key_id
        with self._lock:
            throttled = self._throttle(key_id)
            if throttled:
                return Admission(429, key_id, throttled, "throttled")
            over = self._count_quota(key_id)
            if over:
                return Admission(429, key_id, over, "quota exceeded")
        return Admission(200, key_id)

    def _throttle(self, key_id: str) -> int:
        """0 when a token was taken; else seconds until one will be there."""
        rate, burst = self.plan.rate, self.plan.burst
        if rate is None or rate <= 0:
            return 0
        capacity = float(burst if burst and burst > 0 else max(1, math.ceil(rate)))
        now = self._monotonic()
        bucket = self._buckets.get(key_id)
        if bucket is None:
            bucket = self._buckets[key_id] = _Bucket(capacity, now)
        bucket.tokens = min(capacity, bucket.tokens + (now - bucket.updated) * rate)
        bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0
        return max(1, math.ceil((1.0 - bucket.tokens) / rate))

    def _count_quota(self, key_id: str) -> int:
        """0 when the request fits today's quota (and counts it); else seconds to UTC midnight."""
        quota = self.plan.quota
        if quota is None or quota <= 0:
            return 0
        now = self._utc_now().astimezone(UTC)
        day, used = self._used.get(key_id, (now.date(), 0))
        if day != now.date():
            day, used = now.date(), 0
        if used >= quota:
            midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)
            return max(1, math.ceil((midnight - now).total_seconds()))
        self._used[key_id] = (day, used + 1)
        return 0


def rest_proxy_event(
    request: Request, body: bytes, key_id: str | None, request_id: str, resource: str | None = None
) -> dict[str, Any]:
    """The event API Gateway's REST proxy integration would hand the Lambda. ``resource``: the
    route's template (``/quote/{quote_id}``), whose parameters become ``pathParameters``;
    default the path itself."""
    headers: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in request.headers.items():
        headers[name] = value  # later duplicates win, as in API Gateway's single-value map
        multi.setdefault(name, []).append(value)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    binary = content_type in BINARY_TYPES or content_type.startswith("image/")
    text = None if binary else _utf8(body)
    is_base64 = text is None
    if text is None:
        text = base64.b64encode(body).decode("ascii")
    now = time.time()
    path = request.url.path
    query = dict(request.query_params) or None
    parameters = {str(k): str(v) for k, v in request.path_params.items()} or None
    return {
        "resource": resource or path,
        "path": path,
        "httpMethod": request.method,
        "headers": headers,
        "multiValueHeaders": multi,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": None,
        "pathParameters": parameters,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource or path,
            "httpMethod": request.method,
            "path": f"/local{path}",
            "stage": "local",
            "requestId": request_id,
            "requestTimeEpoch": int(now * 1000),
            "identity": {
                "sourceIp": request.client.host if request.client else "",
                "userAgent": request.headers.get("user-agent", ""),
                "apiKey": request.headers.get("x-api-key"),
                "apiKeyId": key_id,
            },
        },
        "body": text,
        "isBase64Encoded": is_base64,
    }


def _utf8(body: bytes) -> str | None:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


def message_response(
    status: int, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"message": message}, status_code=status, headers=headers)


def lambda_to_http(result: Any, request_id: str) -> Response:
    """A proxy-integration answer as HTTP; anything else is API Gateway's 502."""
    if not isinstance(result, dict) or not isinstance(result.get("statusCode"), int):
        return message_response(502, "Internal server error")
    status = result["statusCode"]
    body = result.get("body", "")
    if not isinstance(body, str) or not 100 <= status <= 599:
        return message_response(502, "Internal server error")
    content = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode("utf-8")
    headers = {str(k): str(v) for k, v in (result.get("headers") or {}).items()}
    headers["x-amzn-RequestId"] = request_id
    return Response(content, status_code=status, headers=headers)
