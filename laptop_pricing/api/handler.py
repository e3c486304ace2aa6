"""The pricing API's Lambda handler: ``laptop_pricing.api.handler.handler``.

Accepts a direct invoke ``{"data": {...}}``, an API Gateway REST proxy event and a Lambda function
URL event (body a string, maybe base64). Always answers proxy style
``{"statusCode", "headers", "body"}``; the success body holds ``prediction`` (int) and ``version``
as the course contract says, plus ``currency`` and ``range``; with ``"explain": true`` beside
``data`` also ``explanation`` (baseline and each field's R$ contribution, adding up to
``prediction``), with ``"comparables": true`` also ``comparables`` (the closest real laptops of
the training data); each only when asked, so the course's answer stays lean. Anything a client
can send that is not a valid laptop gets a 400 listing every field at fault, never a 500.

Dependencies are passed in: ``PricingHandler(engine, observer, issuer)`` is the handler with its
engine, its observer and its quote issuer. ``observer.on_priced(spec, quote, latency_ms,
request_id, trade_in)`` is called once per priced request, after pricing and before the answer.
Who asked is not part of it: a ``clerk_email`` beside ``data`` (sent by apps older than this
change) is ignored, never read nor logged, and the request is priced as before.
``handler``, the Lambda entry point, builds its own once per process from the environment
(engine + request log + EMF metrics + store policy); the embedded app and the local server build
theirs from their settings. The event, its headers and the API key are never logged.

Request id: a client-sent ``X-Request-Id`` (letters, digits, ``-_.``, up to 100) when present,
so a retry of the same click carries the same id and the log keeps one row; else API Gateway's
``requestContext.requestId``, else the Lambda context's id, else a fresh uuid4.

Routes: ``GET /quote/{quote_id}`` finds a quote again (``laptop_pricing.api.quote_route``:
200, 400 naming ``quote_id``, 404 unknown); the event's resource (REST), ``rawPath`` (function
URL) or ``path`` ending in ``/outcome`` is ``POST /outcome`` (what became of a quote,
``laptop_pricing.trade_in.outcome_service``:
201 stored, 200 already stored under that ``event_id``, 400 naming each field, 404 unknown
quote, 409 expired quote the policy refuses, 503 not stored in time: send it again); the
purchase routes (``/purchase``, ``/purchase/preview``, ``/purchase/{purchase_id}`` and its
``/photos``) go to ``laptop_pricing.api.purchase_route``, with the caller an owner when the
event's API key id is an owner key's (``OWNER_API_KEY_ID`` in Lambda); anything else, and a
direct invoke, is pricing.

Trade-in: a request may carry ``condition`` beside ``data``
(``laptop_pricing.trade_in.condition``); the
answer then adds the store's offer under its policy (``laptop_pricing.trade_in.quote``): ``offer``,
``quote_id``, ``valid_until``, ``policy_version``, ``deductions``, ``no_offer_reason``. Without
``condition`` the answer is exactly the course's. ``store_id`` beside ``data`` names the store
of a chain that asks (default: the deployment's ``STORE-ID``): it goes into the request log and
picks that store's policy (``trade_in.store_policies``); a store with no policy here is a 400
naming ``store_id``, never priced under another store's. The policies (``POLICY_PATH``) are
loaded once, when the handler is built; a policy with an error is never half-used: the local
server and a Lambda cold start refuse to start on it, naming the key.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any, Protocol

from laptop_pricing.api.events import (
    InvalidEvent,
    body_error,
    echo,
    event_path,
    field_errors,
    request_object,
    response,
    store_field,
)
from laptop_pricing.api.idempotency import answer_once, request_id_of
from laptop_pricing.api.purchase_route import PurchaseRoute, purchase_target
from laptop_pricing.api.quote_route import QuoteRoute, quote_id_in_path
from laptop_pricing.api.stock_route import StockRoute, stock_route_from_settings, stock_target
from laptop_pricing.errors import OutcomeNotStored, QuoteExpired, QuoteNotFound
from laptop_pricing.pricing.artifact import ArtifactError
from laptop_pricing.pricing.engine import MarketEstimate, PricingEngine
from laptop_pricing.pricing.laptop_spec import FieldError, InvalidSpec, LaptopSpec
from laptop_pricing.settings import Settings, load_settings
from laptop_pricing.storage.day_csv import UnreadableDayFile
from laptop_pricing.storage.stores import StoreError
from laptop_pricing.store_id import DEFAULT_STORE_ID, STORE_ID_FIELD
from laptop_pricing.trade_in.condition import PAYLOAD_KEY, Condition, InvalidCondition
from laptop_pricing.trade_in.outcome import InvalidOutcome
from laptop_pricing.trade_in.outcome_service import OutcomeRecorder
from laptop_pricing.trade_in.policy import PolicyError
from laptop_pricing.trade_in.quote import QuoteIssuer, TradeInQuote
from laptop_pricing.trade_in.quote_keys import QuoteKeys
from laptop_pricing.trade_in.store_policies import NoStorePolicy, store_policies_from_settings
from laptop_pricing.trade_in.used_price_model import UsedPriceModel, load_store_model

logger = logging.getLogger(__name__)
UNCONFIRMED_OUTCOME = "outcome not confirmed stored in time (503)"

OUTCOME_ROUTE = "outcome"
EXPLAIN_FIELD = "explain"  # optional boolean beside "data": each field's R$ contribution
COMPARABLES_FIELD = "comparables"  # optional boolean beside "data": the closest real laptops


class PricingObserver(Protocol):
    """What the handler tells once per priced request (the request log and the metrics)."""

    def on_priced(
        self,
        spec: LaptopSpec,
        quote: MarketEstimate,
        latency_ms: float,
        request_id: str,
        trade_in: TradeInQuote | None = None,
        store_id: str = DEFAULT_STORE_ID,
    ) -> None: ...


class NullObserver:
    """Records nothing (benchmarks of the pricing path alone)."""

    def on_priced(
        self,
        spec: LaptopSpec,
        quote: MarketEstimate,
        latency_ms: float,
        request_id: str,
        trade_in: TradeInQuote | None = None,
        store_id: str = DEFAULT_STORE_ID,
    ) -> None:
        return None


_engine: PricingEngine | None = None
_engine_lock = threading.Lock()
_entry: PricingHandler | None = None
_entry_lock = threading.Lock()


def get_engine() -> PricingEngine:
    """The process's engine, loaded on first use (a Lambda cold start) and kept."""
    global _engine
    if _engine is None:
        with _engine_lock:
            if _engine is None:
                _engine = PricingEngine.load()
    return _engine


def route_of(event: Any) -> str:
    """The last segment of the event's resource or path (``outcome``); "" for a direct invoke."""
    value = event_path(event)
    return "" if value is None else value.strip("/").rsplit("/", 1)[-1]


class PricingHandler:
    """The Lambda handler's logic, with its engine, observer, issuer and recorder passed in."""

    def __init__(
        self,
        engine: PricingEngine,
        observer: PricingObserver | None = None,
        issuer: QuoteIssuer | None = None,
        recorder: OutcomeRecorder | None = None,
        quotes: QuoteRoute | None = None,
        quote_keys: QuoteKeys | None = None,
        purchases: PurchaseRoute | None = None,
        store_id: str = DEFAULT_STORE_ID,
        stock: StockRoute | None = None,
    ):
        """``issuer`` None: a request with a ``condition`` is answered 400 (no policy here);
        ``recorder`` None: ``POST /outcome`` is answered 404 (no outcomes here); ``quotes``
        None: ``GET /quote/{quote_id}`` is answered 404 (no quotes kept here); ``quote_keys``
        None: a retried ``X-Request-Id`` is quoted anew (no store to ask); ``purchases`` None:
        the purchase routes are answered 404 (no purchases here); ``store_id``: the
        deployment's store, for a request that names none; ``stock`` None: the stock routes
        are answered 404."""
        self.engine = engine
        self.observer: PricingObserver = observer or NullObserver()
        self.issuer = issuer
        self.recorder = recorder
        self.quotes = quotes
        self.quote_keys = quote_keys
        self.purchases = purchases
        self.store_id = store_id
        self.stock = stock

    def __call__(self, event: Any, context: Any = None) -> dict[str, Any]:
        if (stock_at := stock_target(event)) is not None:
            if self.stock is None:
                return response(404, {"message": "This service keeps no stock"})
            return self.stock(event, stock_at)
        if (target := purchase_target(event)) is not None:
            if self.purchases is None:
                answer = {"message": "This service records no purchases", "reason_code": "no_route"}
                return response(404, answer)
            return self.purchases(event, target)
        if (quote_text := quote_id_in_path(event)) is not None:
            if self.quotes is None:
                return response(404, {"message": "This service keeps no quotes"})
            return self.quotes(event, quote_text)
        if route_of(event) == OUTCOME_ROUTE:
            return self.record_outcome(event)
        start = time.perf_counter()
        try:
            request = request_object(event)
            if not isinstance(request, dict):
                raise body_error('body must be a JSON object like {"data": {...}}')
            if "data" not in request:
                raise InvalidEvent([FieldError("data", None, 'missing; send {"data": {...}}')])
            store_id = store_field(request, self.store_id)
            spec, condition = _laptop_and_condition(request)
            explain, comparables = _flags(request, EXPLAIN_FIELD, COMPARABLES_FIELD)
            if condition is not None and self.issuer is None:
                raise InvalidEvent([FieldError(PAYLOAD_KEY, None, "this service makes no offers")])
            if condition is not None and self.issuer is not None:
                _check_store_policy(self.issuer, store_id)
        except InvalidEvent as error:
            headers = {"Allow": "POST"} if error.status == 405 else None
            body = {"message": "Invalid request", "errors": field_errors(error.errors)}
            return response(error.status, body, headers)

        try:
            price = self.engine.price_with_explanation if explain else self.engine.price
            quote = price(spec, comparables=comparables)
            body = quote.as_body()
            trade_in = None
            if condition is not None and self.issuer is not None:
                trade_in = self.issuer.issue(quote.price, condition, store_id, spec)
                body.update(trade_in.body_fields())
            extras = quote.explanation_json(explain, comparables) if explain or comparables else ""
            answer = response(200, body, members=extras)
            kept = answer_once(self.quote_keys, event, request, answer) if trade_in else None
            if kept is not None:  # this client request id was answered before
                return kept
            latency_ms = (time.perf_counter() - start) * 1000.0
            self.observer.on_priced(
                spec,
                quote,
                latency_ms,
                request_id_of(event, context),
                trade_in=trade_in,
                store_id=store_id,
            )
        except Exception:
            # Our fault, not the client's: say so without echoing the request.
            logger.exception("pricing failed")
            return response(500, {"message": "Internal error"})
        return answer

    def record_outcome(self, event: Any) -> dict[str, Any]:
        """``POST /outcome``: the status and body each typed result or error means."""
        try:
            body = request_object(event)
        except InvalidEvent as error:
            headers = {"Allow": "POST"} if error.status == 405 else None
            invalid: dict[str, Any] = {
                "message": "Invalid request",
                "errors": field_errors(error.errors),
            }
            return response(error.status, invalid, headers)
        if self.recorder is None:
            return response(404, {"message": "This service records no outcomes"})
        try:
            decision = self.recorder.record(body)
        except InvalidOutcome as error:
            return response(
                400, {"message": "Invalid request", "errors": field_errors(error.errors)}
            )
        except QuoteNotFound as error:
            return response(404, {"message": "Quote not found", "quote_id": error.quote_id})
        except QuoteExpired as error:
            valid_until = error.valid_until.isoformat() if error.valid_until else None
            answer: dict[str, object] = {
                "message": str(error),
                "quote_id": error.quote_id,
                "valid_until": valid_until,
            }
            return response(409, answer)
        except OutcomeNotStored as error:
            # Its write may still land: the client's retry of the same event then answers 200.
            logger.warning("%s: %s", UNCONFIRMED_OUTCOME, error)
            return response(503, {"message": "Outcome not stored in time; send it again"})
        except (StoreError, UnreadableDayFile, OSError) as error:
            logger.warning("outcome store unavailable: %s: %s", type(error).__name__, error)
            return response(503, {"message": "Quotes cannot be read right now; try again"})
        except Exception:
            logger.exception("recording an outcome failed")
            return response(500, {"message": "Internal error"})
        return response(decision.status, decision.outcome.as_dict())


def lambda_entry() -> PricingHandler:
    """The Lambda's handler, built once per process: engine, request log, EMF metrics."""
    global _entry
    if _entry is None:
        with _entry_lock:
            if _entry is None:
                from laptop_pricing.api.service import observer_from_settings
                from laptop_pricing.trade_in.outcome_service import (
                    quote_lookup_from_settings,
                    recorder_from_settings,
                )

                settings = load_settings()
                issuer = issuer_or_exit(settings)
                observer = observer_from_settings(settings, metrics=True)
                lookup = quote_lookup_from_settings(settings)
                recorder = recorder_from_settings(settings, lookup)
                quotes = QuoteRoute(lookup, issuer.policy)
                owners = lambda_owner_key_ids()
                purchases = purchase_route_from_settings(
                    settings, lookup, owners, issuer.used_prices
                )
                parts = (issuer, recorder, quotes, observer.quote_keys, purchases)
                stock = stock_route_from_settings(settings, lambda_owner_key_ids())
                _entry = PricingHandler(get_engine(), observer, *parts, settings.store_id, stock)
    return _entry


def lambda_owner_key_ids() -> frozenset[str]:
    """The owner API key's id (env ``OWNER_API_KEY_ID``, set by the template): API Gateway puts
    the caller's key id in ``requestContext.identity.apiKeyId``."""
    key_id = os.environ.get("OWNER_API_KEY_ID", "").strip()
    return frozenset({key_id}) if key_id else frozenset()


def purchase_route_from_settings(
    settings: Settings,
    lookup: Any,
    owner_key_ids: frozenset[str],
    used_prices: UsedPriceModel | None = None,
) -> PurchaseRoute:
    """The purchase routes over the service the settings name (the request log's bucket or
    folder, ``PURCHASES-PREFIX``, the personal-data key); ``used_prices`` the issuer's."""
    from laptop_pricing.purchase.service import purchase_service_from_settings

    service = purchase_service_from_settings(settings, lookup, used_prices)
    return PurchaseRoute(service, owner_key_ids)


def handler(event: Any, context: Any = None) -> dict[str, Any]:
    """The Lambda entry point (``laptop_pricing.api.handler.handler``)."""
    return lambda_entry()(event, context)


def _check_store_policy(issuer: QuoteIssuer, store_id: str) -> None:
    """A store this service has no policy for is the client's mistake (400), never priced
    under another store's policy."""
    try:
        issuer.policy_for(store_id)
    except NoStorePolicy:
        reason = "this service has no trade-in policy for this store"
        raise InvalidEvent([FieldError(STORE_ID_FIELD, store_id, reason)]) from None


def _flags(request: dict[str, Any], *names: str) -> tuple[bool, ...]:
    """Optional booleans beside ``data``, absent false; one 400 names every one at fault."""
    flags = [request.get(name, False) for name in names]
    errors = [
        FieldError(name, echo(flag), "must be true or false", (True, False))
        for name, flag in zip(names, flags, strict=True)
        if not isinstance(flag, bool)
    ]
    if errors:
        raise InvalidEvent(errors)
    return tuple(flags)


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
        raise InvalidEvent(errors)
    return spec, condition


def issuer_or_exit(settings: Settings) -> QuoteIssuer:
    """The quote issuer under the settings' store policy; on a bad policy print one line naming
    the key and exit 1 (no traceback). A Lambda cold start and the local server call this before
    serving, so a half-read policy never prices."""
    try:
        return QuoteIssuer.for_stores(store_policies_from_settings(settings), load_store_model())
    except (PolicyError, ArtifactError) as error:
        raise SystemExit(f"Refusing to start: {error}") from None


if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):  # a Lambda cold start: fail the init, not requests
    lambda_entry()
