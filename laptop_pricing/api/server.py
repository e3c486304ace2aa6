"""The local pricing API: the Lambda handler behind a stand-in for API Gateway with a usage plan.

    python -m laptop_pricing.api.server --host 127.0.0.1 --port 8080

What a request meets, in API Gateway's order:

1. ``PRICING_API_KEYS`` set (comma-separated): a missing or unknown ``x-api-key`` answers
   403 ``{"message": "Forbidden"}``, from the headers alone, before any body is read. Unset: no
   key is required, and the server refuses to listen anywhere but loopback (one line naming
   ``PRICING_API_KEYS``, exit 1).
2. The usage plan, per key: a token bucket (``--rate`` requests/second refilled, ``--burst``
   capacity) and a daily quota (``--quota`` requests per UTC day). Over either: 429
   ``{"message": "Too Many Requests"}`` with ``Retry-After`` in seconds.
3. The same ``laptop_pricing.api.handler.handler`` as Lambda (``POST /predict``,
   ``POST /outcome`` and ``GET /quote/{quote_id}``, dispatched by the handler on the event's
   resource), called with a REST
   proxy event
   (headers, ``requestContext.identity.apiKey`` and all, as API Gateway sends them). Its
   ``{"statusCode", "headers", "body"}`` becomes the HTTP answer; an answer of the wrong shape is a
   502 and a handler slower than ``--timeout`` (29 s, API Gateway's limit) a 504, as in AWS.

``GET /health`` needs no key. Unknown routes answer 403 ``Missing Authentication Token``, as API
Gateway does. SIGTERM (or Ctrl-C) stops accepting connections, lets requests in flight finish
(their request-log rows included) and exits 0.

Slow or greedy clients: a connection must send its request headers within ``--header-timeout``
(10 s; else it is closed) and its body within ``--body-timeout`` (10 s; else 408); a body over
16 KiB (a pricing request is under 1 KiB) is refused with 413 before it counts against the key's
quota; past ``--max-connections-per-client`` (64) open connections from one address, or
``--max-connections`` (256) in all, a request gets 503: clients without a key cannot hold every
slot. A client that disconnects mid-body is one log line, not a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import os
import signal
import sys
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from laptop_pricing.api import telemetry
from laptop_pricing.api.gateway import (
    DEFAULT_BURST,
    DEFAULT_QUOTA,
    DEFAULT_RATE,
    Gateway,
    UsagePlan,
    lambda_to_http,
    message_response,
    rest_proxy_event,
)
from laptop_pricing.api.quote_route import QUOTE_RESOURCE

MAX_BODY_BYTES = 16 * 1024  # a pricing request with every option is under 1 KiB
HEADER_TIMEOUT = 10.0  # seconds for a request line and headers to arrive
BODY_TIMEOUT = 10.0  # seconds for the whole body to arrive once the headers are in
MAX_CONNECTIONS = 256  # open connections (or requests in flight) before answering 503
MAX_CONNECTIONS_PER_CLIENT = 64  # from one address: a quarter of the server; the app is one
NO_KEYS_OFF_LOOPBACK = (
    "PRICING_API_KEYS is not set: without keys the server listens only on 127.0.0.1, ::1 or "
    "localhost (set PRICING_API_KEYS to serve on {host})"
)

Handler = Callable[[dict[str, Any], Any], Any]


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

    async def invoke(request: Request, resource: str | None = None) -> Response:
        # The key first, from the headers: a client without one never holds a slot while it
        # trickles a body. Then the body: an oversized or never-finished body must not spend
        # the key's quota.
        known = gateway.identify(request.headers.get("x-api-key"))
        if known.status == 403:
            log.info("request refused", extra={"status": 403, "reason": known.reason})
            return message_response(403, "Forbidden", {"Connection": "close"})
        try:
            async with asyncio.timeout(body_timeout):
                body = await read_body(request)
        except BodyTooLarge:
            log.info("request refused", extra={"status": 413, "reason": "body too large"})
            return message_response(413, "Request Too Long")
        except TimeoutError:
            log.info("request refused", extra={"status": 408, "reason": "body too slow"})
            return message_response(408, "Request Timeout", {"Connection": "close"})
        except ClientDisconnect:
            log.info("client disconnected before sending the whole body")
            return Response(status_code=400)  # nobody is left to read it
        admission = gateway.admit(request.headers.get("x-api-key"))
        if admission.status == 403:
            log.info("request refused", extra={"status": 403, "reason": admission.reason})
            return message_response(403, "Forbidden")
        if admission.status == 429:
            log.info(
                "request throttled",
                extra={"status": 429, "reason": admission.reason, "key_id": admission.key_id},
            )
            return message_response(
                429, "Too Many Requests", {"Retry-After": str(admission.retry_after)}
            )
        request_id = str(uuid.uuid4())
        event = rest_proxy_event(request, body, admission.key_id, request_id, resource)
        try:
            async with limit:
                result = await asyncio.wait_for(run_in_threadpool(handler, event, None), timeout)
        except TimeoutError:
            log.error("integration timed out", extra={"request_id": request_id})
            return message_response(504, "Endpoint request timed out")
        except Exception as error:
            log.error(
                "handler raised", extra={"request_id": request_id, "error": type(error).__name__}
            )
            return message_response(502, "Internal server error")
        return lambda_to_http(result, request_id)

    async def invoke_quote(request: Request) -> Response:
        return await invoke(request, QUOTE_RESOURCE)

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok", "keys_required": gateway.requires_key})

    async def missing_route(request: Request) -> Response:
        return message_response(403, "Missing Authentication Token")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if warm is not None:  # load the model before the first request, like a Lambda init
            await run_in_threadpool(warm)
        yield

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
    routes = [
        Route("/predict", invoke, methods=["POST"]),
        Route("/outcome", invoke, methods=["POST"]),
        Route(QUOTE_RESOURCE, invoke_quote, methods=["GET"]),
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
    parser.add_argument(
        "--max-connections-per-client",
        type=int,
        default=MAX_CONNECTIONS_PER_CLIENT,
        help="open connections from one client address before a request gets 503",
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
    max_per_client: int = MAX_CONNECTIONS_PER_CLIENT,
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
        http=header_timeout_protocol(header_timeout, max_per_client),
        limit_concurrency=max_connections,
    )
    DrainingServer(config).run()


def is_loopback(host: str) -> bool:
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    keys = keys_from_env()
    if not keys and not is_loopback(args.host):
        print(NO_KEYS_OFF_LOOPBACK.format(host=args.host), file=sys.stderr)
        return 1
    telemetry.redact(keys)
    plan = plan_from(args, bool(keys))
    gateway = Gateway(keys, plan)

    from laptop_pricing.api.handler import PricingHandler, get_engine, issuer_or_exit
    from laptop_pricing.api.quote_route import QuoteRoute
    from laptop_pricing.api.service import observer_from_settings
    from laptop_pricing.settings import settings_or_exit
    from laptop_pricing.trade_in.outcome_service import (
        quote_lookup_from_settings,
        recorder_from_settings,
    )

    # Like a Lambda init: the policy (a bad one: one line naming the key, exit 1), the model and
    # the request log, built once, before the first request.
    settings = settings_or_exit()  # a bad key (an unwritable PREDICTIONS-DIR): one line, rc 1
    issuer = issuer_or_exit(settings)
    observer = observer_from_settings(settings, metrics=True)
    lookup = quote_lookup_from_settings(settings)
    recorder = recorder_from_settings(settings, lookup)
    quotes = QuoteRoute(lookup, issuer.policy)
    handler = PricingHandler(get_engine(), observer, issuer, recorder, quotes, observer.quote_keys)
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
    serve(
        app,
        args.host,
        args.port,
        args.log_level,
        args.header_timeout,
        args.max_connections,
        args.max_connections_per_client,
    )
    telemetry.logger.info("pricing API stopped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
