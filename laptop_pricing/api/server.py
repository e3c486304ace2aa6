"""The local pricing API: the Lambda handler behind a stand-in for API Gateway with a usage plan.

    python -m laptop_pricing.api.server --host 127.0.0.1 --port 8080

What a request meets, in API Gateway's order:

1. ``PRICING_API_KEYS`` set (comma-separated): a missing or unknown ``x-api-key`` answers
   403 ``{"message": "Forbidden"}``, from the headers alone, before any body is read. Unset: no
   key is required, and the server refuses to listen anywhere but loopback (one line naming
   ``PRICING_API_KEYS``, exit 1). ``PRICING_OWNER_API_KEYS`` (comma-separated) are the
   owners' keys: admitted under the same plan, and named ``owner-<n>`` in the event, which the
   purchase routes treat as an owner (a clerk key on an owner-only route: 403 from the handler).
2. The usage plan, per key: a token bucket (``--rate`` requests/second refilled, ``--burst``
   capacity) and a daily quota (``--quota`` requests per UTC day). Over either: 429
   ``{"message": "Too Many Requests"}`` with ``Retry-After`` in seconds.
3. The same ``laptop_pricing.api.handler.handler`` as Lambda (``POST /predict``,
   ``POST /outcome``, ``GET /quote/{quote_id}`` and the purchase routes, ``POST /purchase``,
   ``POST /purchase/preview``, ``GET /purchase/{purchase_id}``, ``GET /purchase?serial=``,
   ``POST /purchase/{purchase_id}/photos``, the stock routes ``GET /stock``,
   ``GET /stock/{purchase_id}``, ``POST /stock/{purchase_id}/events``, dispatched by the
   handler on the event's resource), called with a REST proxy event
   (headers, ``requestContext.identity.apiKey`` and all, as API Gateway sends them). Its
   ``{"statusCode", "headers", "body"}`` becomes the HTTP answer; an answer of the wrong shape is a
   502 and a handler slower than ``--timeout`` (29 s, API Gateway's limit) a 504, as in AWS.

``GET /health`` needs no key. Unknown routes answer 403 ``Missing Authentication Token``, as API
Gateway does. SIGTERM (or Ctrl-C) stops accepting connections, lets requests in flight finish
(their request-log rows included) and exits 0.

Slow or greedy clients: a connection must send its request headers within ``--header-timeout``
(10 s; else it is closed) and its body within ``--body-timeout`` (10 s; else 408); a body over
16 KiB (a pricing request is under 1 KiB; a photo upload: ``MAX_UPLOAD_BYTES``, 8 MB, its
image/* or octet-stream body handed on as base64 like a binary media type) is refused with 413
before it counts against the key's quota; past ``--max-connections-per-client`` (64) open
connections from one address, or ``--max-connections`` (256) in all, a request gets 503:
clients without a key cannot hold every slot. A client that disconnects mid-body is one log
line, not a traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
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
    Gateway,
    lambda_to_http,
    message_response,
    rest_proxy_event,
)
from laptop_pricing.api.quote_route import QUOTE_RESOURCE
from laptop_pricing.api.server_options import (
    BODY_TIMEOUT,
    HEADER_TIMEOUT,
    MAX_CONNECTIONS,
    MAX_CONNECTIONS_PER_CLIENT,
    keys_from_env,
    parse_args,
    plan_from,
)
from laptop_pricing.purchase.photos import MAX_UPLOAD_BYTES

MAX_BODY_BYTES = 16 * 1024  # a pricing request with every option is under 1 KiB
PURCHASE_RESOURCE = "/purchase/{purchase_id}"
PHOTOS_RESOURCE = "/purchase/{purchase_id}/photos"  # its body limit: MAX_UPLOAD_BYTES
STOCK_ITEM_RESOURCE = "/stock/{purchase_id}"
STOCK_EVENTS_RESOURCE = "/stock/{purchase_id}/events"
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

    async def invoke(
        request: Request, resource: str | None = None, limit_bytes: int = MAX_BODY_BYTES
    ) -> Response:
        # The key first, from the headers: a client without one never holds a slot while it
        # trickles a body. Then the body: an oversized or never-finished body must not spend
        # the key's quota.
        known = gateway.identify(request.headers.get("x-api-key"))
        if known.status == 403:
            log.info("request refused", extra={"status": 403, "reason": known.reason})
            return message_response(403, "Forbidden", {"Connection": "close"})
        try:
            async with asyncio.timeout(body_timeout):
                body = await read_body(request, limit_bytes)
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

    async def invoke_purchase(request: Request) -> Response:
        return await invoke(request, PURCHASE_RESOURCE)

    async def invoke_photos(request: Request) -> Response:
        return await invoke(request, PHOTOS_RESOURCE, MAX_UPLOAD_BYTES)

    async def invoke_stock_item(request: Request) -> Response:
        return await invoke(request, STOCK_ITEM_RESOURCE)

    async def invoke_stock_events(request: Request) -> Response:
        return await invoke(request, STOCK_EVENTS_RESOURCE)

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
        Route("/purchase", invoke, methods=["GET", "POST"]),
        Route("/purchase/preview", invoke, methods=["POST"]),
        Route(PURCHASE_RESOURCE, invoke_purchase, methods=["GET"]),
        Route(PHOTOS_RESOURCE, invoke_photos, methods=["POST"]),
        Route("/stock", invoke, methods=["GET"]),
        Route(STOCK_ITEM_RESOURCE, invoke_stock_item, methods=["GET"]),
        Route(STOCK_EVENTS_RESOURCE, invoke_stock_events, methods=["POST"]),
        Route("/health", health, methods=["GET"]),
        Route("/{path:path}", missing_route, methods=methods),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.gateway = gateway
    return app


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
    owner_keys = keys_from_env("PRICING_OWNER_API_KEYS")
    if not keys and not is_loopback(args.host):
        print(NO_KEYS_OFF_LOOPBACK.format(host=args.host), file=sys.stderr)
        return 1
    telemetry.redact([*keys, *owner_keys])
    plan = plan_from(args, bool(keys))
    gateway = Gateway(keys, plan, owner_keys=owner_keys)

    from laptop_pricing.api.handler import (
        PricingHandler,
        get_engine,
        issuer_or_exit,
        purchase_route_from_settings,
    )
    from laptop_pricing.api.quote_route import QuoteRoute
    from laptop_pricing.api.service import observer_from_settings
    from laptop_pricing.api.stock_route import stock_route_from_settings
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
    owners = gateway.owner_key_ids
    purchases = purchase_route_from_settings(settings, lookup, owners, issuer.used_prices)
    handler = PricingHandler(
        get_engine(),
        observer,
        issuer,
        recorder,
        quotes,
        observer.quote_keys,
        purchases,
        store_id=settings.store_id,
        stock=stock_route_from_settings(settings, gateway.owner_key_ids),
    )
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
