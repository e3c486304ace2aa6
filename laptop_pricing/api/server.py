"""The local pricing API: the Lambda handler behind a stand-in for API Gateway with a usage plan.

    python -m laptop_pricing.api.server --host 127.0.0.1 --port 8080

What a request meets, in API Gateway's order:

1. ``PRICING_API_KEYS`` set (comma-separated): a missing or unknown ``x-api-key`` answers
   403 ``{"message": "Forbidden"}``. Unset: no key is required.
2. The usage plan, per key: a token bucket (``--rate`` requests/second refilled, ``--burst``
   capacity) and a daily quota (``--quota`` requests per UTC day). Over either: 429
   ``{"message": "Too Many Requests"}`` with ``Retry-After`` in seconds.
3. The same ``laptop_pricing.api.handler.handler`` as Lambda, called with a REST proxy event
   (headers, ``requestContext.identity.apiKey`` and all, as API Gateway sends them). Its
   ``{"statusCode", "headers", "body"}`` becomes the HTTP answer; an answer of the wrong shape is a
   502 and a handler slower than ``--timeout`` (29 s, API Gateway's limit) a 504, as in AWS.

``GET /health`` needs no key. Unknown routes answer 403 ``Missing Authentication Token``, as API
Gateway does. SIGTERM (or Ctrl-C) stops accepting connections, lets requests in flight finish
(their request-log rows included) and exits 0.

Slow or greedy clients: a connection must send its request headers within ``--header-timeout``
(10 s; else it is closed) and its body within ``--body-timeout`` (10 s; else 408); a body over
1 MiB is refused with 413 before it counts against the key's quota; past ``--max-connections``
(256) open connections a request gets 503. A client that disconnects mid-body is one log line,
not a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import math
import os
import signal
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from laptop_pricing.api import telemetry

MAX_BODY_BYTES = 1024 * 1024
HEADER_TIMEOUT = 10.0  # seconds for a request line and headers to arrive
BODY_TIMEOUT = 10.0  # seconds for the whole body to arrive once the headers are in
MAX_CONNECTIONS = 256  # open connections (or requests in flight) before answering 503
# The usage plan that applies when keys are configured and no flag or variable says otherwise;
# the same numbers as infra/template.yaml's defaults.
DEFAULT_RATE = 50.0
DEFAULT_BURST = 100
DEFAULT_QUOTA = 10_000

Handler = Callable[[dict[str, Any], Any], Any]


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
    ):
        # Keys are held only here; logs and events name a key by its id (key-1, key-2, ...).
        self._key_ids = {key: f"key-{n}" for n, key in enumerate(keys, start=1) if key}
        self.plan = plan
        self._monotonic = monotonic
        self._utc_now = utc_now
        self._buckets: dict[str, _Bucket] = {}
        self._used: dict[str, tuple[object, int]] = {}  # key id -> (UTC day, requests admitted)
        self._lock = threading.Lock()

    @property
    def requires_key(self) -> bool:
        return bool(self._key_ids)

    def admit(self, api_key: str | None) -> Admission:
        if self.requires_key:
            key_id = self._key_ids.get(api_key or "")
            if key_id is None:
                return Admission(403, reason="missing key" if not api_key else "unknown key")
        else:
            key_id = "anonymous"
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
    request: Request, body: bytes, key_id: str | None, request_id: str
) -> dict[str, Any]:
    """The event API Gateway's REST proxy integration would hand the Lambda."""
    headers: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in request.headers.items():
        headers[name] = value  # later duplicates win, as in API Gateway's single-value map
        multi.setdefault(name, []).append(value)
    try:
        text, is_base64 = body.decode("utf-8"), False
    except UnicodeDecodeError:
        text, is_base64 = base64.b64encode(body).decode("ascii"), True
    now = time.time()
    path = request.url.path
    query = dict(request.query_params) or None
    return {
        "resource": path,
        "path": path,
        "httpMethod": request.method,
        "headers": headers,
        "multiValueHeaders": multi,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": path,
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


def _message(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"message": message}, status_code=status, headers=headers)


def lambda_to_http(result: Any, request_id: str) -> Response:
    """A proxy-integration answer as HTTP; anything else is API Gateway's 502."""
    if not isinstance(result, dict) or not isinstance(result.get("statusCode"), int):
        return _message(502, "Internal server error")
    status = result["statusCode"]
    body = result.get("body", "")
    if not isinstance(body, str) or not 100 <= status <= 599:
        return _message(502, "Internal server error")
    content = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode("utf-8")
    headers = {str(k): str(v) for k, v in (result.get("headers") or {}).items()}
    headers["x-amzn-RequestId"] = request_id
    return Response(content, status_code=status, headers=headers)


class BodyTooLarge(Exception):
    """The body is over MAX_BODY_BYTES."""


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The whole body, refusing (``BodyTooLarge``) past ``limit`` bytes without reading on."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def build_app(
    handler: Handler | None = None,
    gateway: Gateway | None = None,
    timeout: float = 29.0,
    warm: Callable[[], Any] | None = None,
    body_timeout: float = BODY_TIMEOUT,
) -> Starlette:
    """The ASGI app. ``handler`` defaults to the Lambda entry point (built from the environment)."""
    if handler is None:
        from laptop_pricing.api.handler import handler as lambda_handler

        handler = lambda_handler
    gateway = gateway or Gateway()
    log = telemetry.logger
    limit = asyncio.Semaphore(512)

    async def predict(request: Request) -> Response:
        # The body first: an oversized or never-finished body must not spend the key's quota.
        try:
            async with asyncio.timeout(body_timeout):
                body = await read_body(request)
        except BodyTooLarge:
            log.info("request refused", extra={"status": 413, "reason": "body too large"})
            return _message(413, "Request Too Long")
        except TimeoutError:
            log.info("request refused", extra={"status": 408, "reason": "body too slow"})
            return _message(408, "Request Timeout", {"Connection": "close"})
        except ClientDisconnect:
            log.info("client disconnected before sending the whole body")
            return Response(status_code=400)  # nobody is left to read it
        admission = gateway.admit(request.headers.get("x-api-key"))
        if admission.status == 403:
            log.info("request refused", extra={"status": 403, "reason": admission.reason})
            return _message(403, "Forbidden")
        if admission.status == 429:
            log.info(
                "request throttled",
                extra={"status": 429, "reason": admission.reason, "key_id": admission.key_id},
            )
            return _message(429, "Too Many Requests", {"Retry-After": str(admission.retry_after)})
        request_id = str(uuid.uuid4())
        event = rest_proxy_event(request, body, admission.key_id, request_id)
        try:
            async with limit:
                result = await asyncio.wait_for(run_in_threadpool(handler, event, None), timeout)
        except TimeoutError:
            log.error("integration timed out", extra={"request_id": request_id})
            return _message(504, "Endpoint request timed out")
        except Exception as error:
            log.error(
                "handler raised", extra={"request_id": request_id, "error": type(error).__name__}
            )
            return _message(502, "Internal server error")
        return lambda_to_http(result, request_id)

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok", "keys_required": gateway.requires_key})

    async def missing_route(request: Request) -> Response:
        return _message(403, "Missing Authentication Token")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if warm is not None:  # load the model before the first request, like a Lambda init
            await run_in_threadpool(warm)
        yield

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
    routes = [
        Route("/predict", predict, methods=["POST"]),
        Route("/health", health, methods=["GET"]),
        Route("/{path:path}", missing_route, methods=methods),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.gateway = gateway
    return app


def _env_number(name: str, cast: Callable[[str], Any]) -> Any:
    raw = os.environ.get(name, "").strip()
    return cast(raw) if raw else None


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m laptop_pricing.api.server",
        description="Local pricing API: the Lambda handler behind an API Gateway stand-in. "
        "API keys come from the environment variable PRICING_API_KEYS (comma-separated), "
        "never from the command line.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument(
        "--rate",
        type=float,
        default=_env_number("PRICING_API_RATE", float),
        help=f"requests/second per key, refilled (env PRICING_API_RATE; default {DEFAULT_RATE:g} "
        "when keys are set, unlimited otherwise; 0 = unlimited)",
    )
    parser.add_argument(
        "--burst",
        type=int,
        default=_env_number("PRICING_API_BURST", int),
        help=f"token-bucket capacity per key (env PRICING_API_BURST; default {DEFAULT_BURST})",
    )
    parser.add_argument(
        "--quota",
        type=int,
        default=_env_number("PRICING_API_QUOTA", int),
        help=f"requests per key per UTC day (env PRICING_API_QUOTA; default {DEFAULT_QUOTA} "
        "when keys are set, unlimited otherwise; 0 = unlimited)",
    )
    parser.add_argument(
        "--timeout", type=float, default=29.0, help="integration timeout in seconds (504 after)"
    )
    parser.add_argument(
        "--header-timeout",
        type=float,
        default=HEADER_TIMEOUT,
        help="seconds for a request's line and headers to arrive (connection closed after)",
    )
    parser.add_argument(
        "--body-timeout",
        type=float,
        default=BODY_TIMEOUT,
        help="seconds for a request's body to arrive (408 after)",
    )
    parser.add_argument(
        "--max-connections",
        type=int,
        default=MAX_CONNECTIONS,
        help="open connections before a request gets 503",
    )
    parser.add_argument("--log-level", default="warning", help="uvicorn's own log level")
    return parser.parse_args(argv)


def plan_from(args: argparse.Namespace, keys_set: bool) -> UsagePlan:
    rate = args.rate if args.rate is not None else (DEFAULT_RATE if keys_set else None)
    burst = args.burst if args.burst is not None else (DEFAULT_BURST if keys_set else None)
    quota = args.quota if args.quota is not None else (DEFAULT_QUOTA if keys_set else None)
    return UsagePlan(rate=rate or None, burst=burst or None, quota=quota or None)


def keys_from_env() -> list[str]:
    return [k.strip() for k in os.environ.get("PRICING_API_KEYS", "").split(",") if k.strip()]


def serve(
    app: Starlette,
    host: str,
    port: int,
    log_level: str = "warning",
    header_timeout: float = HEADER_TIMEOUT,
    max_connections: int = MAX_CONNECTIONS,
) -> None:
    """Run until SIGTERM/SIGINT; uvicorn then drains requests in flight before returning."""
    import uvicorn

    from laptop_pricing.api.header_timeout import header_timeout_protocol

    class DrainingServer(uvicorn.Server):
        """uvicorn, except that a drained shutdown returns normally (exit 0) instead of
        re-raising the signal, so the caller can log that it stopped."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            if threading.current_thread() is not threading.main_thread():
                yield
                return
            handled = (signal.SIGINT, signal.SIGTERM)
            previous = {sig: signal.signal(sig, self.handle_exit) for sig in handled}
            try:
                yield
            finally:
                for sig, handler in previous.items():
                    signal.signal(sig, handler)

    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,  # per-request facts live in the EMF record; no header ever logged
        timeout_graceful_shutdown=30,
        lifespan="on",
        http=header_timeout_protocol(header_timeout),
        limit_concurrency=max_connections,
    )
    DrainingServer(config).run()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    keys = keys_from_env()
    telemetry.redact(keys)
    plan = plan_from(args, bool(keys))
    gateway = Gateway(keys, plan)

    from laptop_pricing.api.handler import PricingHandler, get_engine, issuer_or_exit
    from laptop_pricing.api.service import observer_from_settings
    from laptop_pricing.settings import load_settings

    # Like a Lambda init: the policy (a bad one: one line naming the key, exit 1), the model and
    # the request log, built once, before the first request.
    settings = load_settings()
    issuer = issuer_or_exit(settings)
    observer = observer_from_settings(settings, metrics=True)
    handler = PricingHandler(get_engine(), observer, issuer)
    app = build_app(
        handler=handler, gateway=gateway, timeout=args.timeout, body_timeout=args.body_timeout
    )
    telemetry.logger.info(
        "pricing API starting",
        extra={
            "url": f"http://{args.host}:{args.port}/predict",
            "keys_required": len(keys),
            "rate": plan.rate,
            "burst": plan.burst,
            "quota": plan.quota,
        },
    )
    serve(app, args.host, args.port, args.log_level, args.header_timeout, args.max_connections)
    telemetry.logger.info("pricing API stopped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
