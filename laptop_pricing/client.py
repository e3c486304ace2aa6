"""Price a laptop, record what became of its quote and find a quote again, through the pricing
API, over HTTP or in-process, behind one interface.

``HttpPricingClient`` speaks the course contract to the deployed API (API Gateway + Lambda);
``LocalPricingClient`` sends the same request, as the event a gateway would build, to the very
same Lambda handler in this process (the embedded default). Both read the answer with one parser
that accepts every shape seen in the wild and raise the typed errors of ``laptop_pricing.errors``.
"""

from __future__ import annotations

import json
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    MaxRetryError,
    NewConnectionError,
    ReadTimeoutError,
)

from laptop_pricing.api_answers import (
    RecordedOutcome,
    found_quote_from_response,
    outcome_from_response,
    quote_from_response,
    trade_in_from_response,
)
from laptop_pricing.client_event import (
    EMBEDDED_OWNER_KEY_ID,
    PREDICT_PATH,
    QUOTE_PATH,
    gateway_event,
)
from laptop_pricing.errors import (
    BadRequest,
    ConnectionFailed,
    InvalidResponse,
    Timeout,
)
from laptop_pricing.pricing.engine import MarketEstimate
from laptop_pricing.pricing.laptop_spec import FieldError, LaptopSpec
from laptop_pricing.pricing_request import request_payload
from laptop_pricing.purchase_client import PurchaseRoutes
from laptop_pricing.retry_budget import BudgetRetry
from laptop_pricing.settings import Settings
from laptop_pricing.stock_client import StockRoutes
from laptop_pricing.trade_in.condition import Condition
from laptop_pricing.trade_in.quote import TradeInQuote
from laptop_pricing.trade_in.quote_answer import FoundQuote
from laptop_pricing.trade_in.quote_id import InvalidQuoteId, parse_quote_id

CONNECT_TIMEOUT = 3.05  # seconds to open the connection
READ_TIMEOUT = 10.0  # seconds to wait for the answer (a Lambda cold start fits; 29 s does not)
RETRY_BUDGET = 10.0  # all attempts and back-off waits together
OUTCOME_PATH = "/outcome"
QUOTE_ID_FIELD = "quote_id"
T = TypeVar("T")  # what a route's answer is read into


class PricingClient(PurchaseRoutes, StockRoutes, ABC):
    """Anything that turns a laptop description into a MarketEstimate or raises a PricingError;
    the purchase routes come from ``PurchaseRoutes``, the stock routes from ``StockRoutes``."""

    embedded: bool = False

    def price(
        self,
        spec: LaptopSpec,
        *,
        explain: bool = False,
        comparables: bool = False,
        store_id: str | None = None,
    ) -> MarketEstimate:
        """``explain``: also each field's R$ contribution; ``comparables``: also comparable
        laptops; ``store_id``: the store that prices (None: the service's own). Who asks is
        never sent: the request log keeps no clerk's e-mail."""
        payload = request_payload(spec, explain=explain, comparables=comparables, store_id=store_id)
        return self._send(payload, quote_from_response)

    def price_trade_in(
        self,
        spec: LaptopSpec,
        condition: Condition,
        *,
        explain: bool = False,
        comparables: bool = False,
        store_id: str | None = None,
    ) -> tuple[MarketEstimate, TradeInQuote]:
        """The market estimate and the store's offer for a laptop in a given condition, under
        ``store_id``'s policy (None: the service's own store)."""

        def read(
            status: int, body: str | bytes | None, headers: Mapping[str, str]
        ) -> tuple[MarketEstimate, TradeInQuote]:
            return trade_in_from_response(status, body, headers, condition)

        payload = request_payload(
            spec,
            explain=explain,
            comparables=comparables,
            condition=condition,
            store_id=store_id,
        )
        return self._send(payload, read)

    def record_outcome(
        self,
        quote_id: str,
        event_id: str,
        decision: str,
        *,
        amount: int | None = None,
        reason: str | None = None,
        note: str | None = None,
        changed_answer: str | None = None,
        clerk_email: str | None = None,
    ) -> RecordedOutcome:
        """``POST /outcome``: what became of a quote. ``event_id`` is generated once per
        intended submission by the caller, so sending it again stores it once (200).
        Raises ``QuoteNotFound``, ``QuoteExpired``, ``BadRequest`` (the fields),
        ``OutcomeNotStored`` and the errors of any call. ``clerk_email``: the signed-in clerk,
        stored masked as the outcome's author (``recorded_by``)."""
        payload = {
            "quote_id": quote_id,
            "event_id": event_id,
            "decision": decision,
            "amount": amount,
            "reason": reason,
            "note": note or None,
            "changed_answer": changed_answer,
            "clerk_email": clerk_email,
        }
        body = {key: value for key, value in payload.items() if value is not None}
        return self._send(body, outcome_from_response, OUTCOME_PATH)

    def find_quote(self, quote_id: str) -> FoundQuote:
        """``GET /quote/{quote_id}``: the quote with its laptop, answers, offer, deductions,
        validity, state and decisions. Text that is not a quote id raises ``BadRequest``
        naming ``quote_id`` before anything is sent (the id's own rules, ``parse_quote_id``);
        an unknown id ``QuoteNotFound``; and the errors of any call."""
        try:
            canonical = parse_quote_id(quote_id)
        except InvalidQuoteId as error:
            fault = FieldError(QUOTE_ID_FIELD, None, str(error))
            raise BadRequest(f"not a quote id: {error}", [fault]) from None
        return self._send(None, found_quote_from_response, QUOTE_PATH + canonical, "GET")

    def warm_up(self) -> None:
        """Nothing left to do once the client is built, in both modes: the in-process client
        is built with its model loaded (that load is the warm-up), and the deployed API has no
        route that wakes the Lambda without pricing and logging a request (its first answer
        pays the cold start). The page calls it so the UI never reaches past the client."""
        return None

    @abstractmethod
    def _send(
        self,
        payload: dict[str, Any] | None,
        read: Callable[..., T],
        path: str = PREDICT_PATH,
        method: str = "POST",
        *,
        raw: bytes | None = None,
        content_type: str | None = None,
        as_owner: bool = False,
    ) -> T:
        """Deliver ``payload`` as JSON (or ``raw`` bytes of ``content_type``; neither: no body)
        to the route ``path`` (its query included) with ``method``, as the owner when
        ``as_owner``, and turn the answer into ``read(status, body, headers)``."""


# ---------------------------------------------------------------------------------------------
# HTTP

# Only what cannot have priced anything twice: the gateway or the service turned it away.
RETRY_STATUSES = frozenset({429, 503})


class HttpPricingClient(PricingClient):
    """The deployed pricing API over HTTP(S), through one urllib3 connection pool.

    Retries only what cannot have priced anything twice: a connection never made (nothing was
    sent), 429 and 503 (the gateway or service turned the request away), as urllib3's ``Retry``
    does it (Retry-After honoured, else back-off). A read timeout, a 500 or a 504 is not retried:
    the request may have been priced and logged already. All attempts and waits together stay
    within ``retry_budget`` seconds (about 10 s).
    """

    def __init__(
        self,
        endpoint: str,
        api_key: str | None = None,
        *,
        owner_api_key: str | None = None,
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
        retry_budget: float | None = None,
        max_attempts: int = 3,
        backoff: float = 0.25,
        sleep: Callable[[float], None] | None = None,
    ):
        if not endpoint or not endpoint.startswith(("http://", "https://")):
            raise ValueError("endpoint must be an http(s) URL")
        self.endpoint = endpoint
        self._connect_timeout = connect_timeout or CONNECT_TIMEOUT
        self.timeout = urllib3.Timeout(
            connect=self._connect_timeout, read=read_timeout or READ_TIMEOUT
        )
        self.retry_budget = RETRY_BUDGET if retry_budget is None else retry_budget
        self.max_attempts = max_attempts
        self.backoff = backoff
        self._sleep = sleep
        headers = {"Content-Type": "application/json"}
        if api_key:
            headers["x-api-key"] = api_key
        self._pool = urllib3.PoolManager(headers=headers, maxsize=4)
        self._owner_key = owner_api_key  # sent only on calls made as_owner

    def __repr__(self) -> str:  # never show the key
        return f"HttpPricingClient(endpoint={self.endpoint!r})"

    def close(self) -> None:
        self._pool.clear()

    def retry_policy(self) -> BudgetRetry:
        """A fresh policy per call: its deadline is this call's."""
        return BudgetRetry(
            total=self.max_attempts - 1,
            read=False,  # the request reached the service: it may have priced
            other=0,
            redirect=False,
            status_forcelist=RETRY_STATUSES,
            allowed_methods=frozenset({"POST", "GET"}),
            respect_retry_after_header=True,
            raise_on_status=False,  # the last 429/503 comes back as a response, read below
            backoff_factor=self.backoff,
            backoff_jitter=self.backoff / 2,
            deadline=time.monotonic() + self.retry_budget,
            margin=self._connect_timeout,
            sleeper=self._sleep or backoff_sleep,  # looked up per call: tests replace it
        )

    def url_for(self, path: str) -> str:
        """The configured endpoint is the predict route (``.../prod/predict``); other routes sit
        beside it (``.../prod/outcome``)."""
        if path == PREDICT_PATH:
            return self.endpoint
        base, _, query = self.endpoint.partition("?")
        base = base.rstrip("/")
        if base.endswith(PREDICT_PATH):
            base = base[: -len(PREDICT_PATH)]
        if query:
            path += ("&" if "?" in path else "?") + query
        return base + path

    def _send(
        self,
        payload: dict[str, Any] | None,
        read: Callable[..., T],
        path: str = PREDICT_PATH,
        method: str = "POST",
        *,
        raw: bytes | None = None,
        content_type: str | None = None,
        as_owner: bool = False,
    ) -> T:
        body = raw if raw is not None else None if payload is None else json.dumps(payload).encode()
        headers = dict(self._pool.headers)
        if content_type:
            headers["Content-Type"] = content_type
        if as_owner and self._owner_key:
            headers["x-api-key"] = self._owner_key
        try:
            response = self._pool.request(
                method,
                self.url_for(path),
                body=body,
                headers=headers,
                timeout=self.timeout,
                retries=self.retry_policy(),
            )
        except MaxRetryError as exc:
            reason = exc.reason
            if isinstance(reason, NewConnectionError):
                raise ConnectionFailed(
                    f"could not reach the pricing API: {type(reason).__name__}", never_sent=True
                ) from None
            if isinstance(reason, ConnectTimeoutError):
                raise Timeout("pricing API did not accept the connection in time") from None
            raise ConnectionFailed(
                f"could not reach the pricing API: {type(reason).__name__}"
            ) from None
        except ReadTimeoutError:
            raise Timeout("pricing API did not answer in time") from None
        except HTTPError as exc:
            raise ConnectionFailed(f"pricing API request failed: {type(exc).__name__}") from None
        return read(response.status, response.data, response.headers)


def backoff_sleep(seconds: float) -> None:
    """The wait between retries (a module function so tests can skip the waiting)."""
    time.sleep(seconds)


# ---------------------------------------------------------------------------------------------
# In-process


class LocalPricingClient(PricingClient):
    """The Lambda handler's logic called in this process: the embedded default, no server.

    ``handler`` is a ``laptop_pricing.api.handler.PricingHandler`` (or any callable taking the
    event and a context) built with its engine and request log. Its answer goes through the same
    parser as an HTTP answer, so both clients fail and succeed the same way.
    """

    embedded = True

    def __init__(self, handler: Callable[[dict[str, Any], Any], dict[str, Any]]):
        self._handler = handler

    def _send(
        self,
        payload: dict[str, Any] | None,
        read: Callable[..., T],
        path: str = PREDICT_PATH,
        method: str = "POST",
        *,
        raw: bytes | None = None,
        content_type: str | None = None,
        as_owner: bool = False,
    ) -> T:
        owner = EMBEDDED_OWNER_KEY_ID if as_owner else None
        event = gateway_event(
            payload,
            path,
            method,
            raw=raw,
            content_type=content_type or "application/json",
            api_key_id=owner,
        )
        response = self._handler(event, None)
        if not isinstance(response, dict) or not isinstance(response.get("statusCode"), int):
            raise InvalidResponse("the pricing handler returned something that is not a response")
        body = response.get("body")
        if isinstance(body, dict):
            body = json.dumps(body)
        headers = response.get("headers") or {}
        return read(response["statusCode"], body, headers)


def client_from_settings(settings: Settings) -> PricingClient:
    """HTTP to the configured endpoint, or the embedded handler in this process
    (``laptop_pricing.embedded``: the shipped engine, the request log and store policy the
    settings name, the outcome recorder and the quote lookup beside that log). Raises
    ``PolicyError`` naming the key when that policy cannot be used."""
    if settings.api_endpoint:
        return HttpPricingClient(
            settings.api_endpoint, settings.api_key, owner_api_key=settings.owner_api_key
        )
    from laptop_pricing.embedded import embedded_client

    return embedded_client(settings)


def stock_client_from_settings(settings: Settings) -> PricingClient:
    """For what reads only the stock (the owner's resale figures): the same HTTP client as
    ``client_from_settings`` when an endpoint is set, else an in-process client of the stock
    routes alone (``embedded.embedded_stock_client``: no model load on a page that prices
    nothing). Raises ``PolicyError`` naming the key."""
    if settings.api_endpoint:
        return client_from_settings(settings)
    from laptop_pricing.embedded import embedded_stock_client

    return embedded_stock_client(settings)
