"""Price a laptop, and record what became of its quote, through the pricing API, over HTTP or
in-process, behind one interface.

``HttpPricingClient`` speaks the course contract to the deployed API (API Gateway + Lambda);
``LocalPricingClient`` sends the same request, as the event a gateway would build, to the very
same Lambda handler in this process (the embedded default). Both read the answer with one parser
that accepts every shape seen in the wild and raise the typed errors of ``laptop_pricing.errors``.
"""

from __future__ import annotations

import json
import math
import random
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    MaxRetryError,
    NewConnectionError,
    ReadTimeoutError,
    ResponseError,
)
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

from laptop_pricing.api_answers import (
    RecordedOutcome,
    outcome_from_response,
    parse_retry_after,
    quote_from_response,
    trade_in_from_response,
)
from laptop_pricing.errors import (
    ConnectionFailed,
    InvalidResponse,
    Timeout,
)
from laptop_pricing.pricing.engine import MarketEstimate
from laptop_pricing.pricing.laptop_spec import LaptopSpec
from laptop_pricing.settings import Settings
from laptop_pricing.trade_in.condition import PAYLOAD_KEY, Condition
from laptop_pricing.trade_in.quote import TradeInQuote

CONNECT_TIMEOUT = 3.05  # seconds to open the connection
READ_TIMEOUT = 10.0  # seconds to wait for the answer (a Lambda cold start fits; 29 s does not)
RETRY_BUDGET = 10.0  # all attempts and back-off waits together
PREDICT_PATH = "/predict"
OUTCOME_PATH = "/outcome"


class PricingClient(ABC):
    """Anything that turns a laptop description into a MarketEstimate or raises a PricingError."""

    embedded: bool = False

    def price(
        self,
        spec: LaptopSpec,
        clerk_email: str | None = None,
        *,
        explain: bool = False,
        comparables: bool = False,
    ) -> MarketEstimate:
        """``clerk_email``: the signed-in clerk, sent beside ``data`` for the request log;
        ``explain``: also each field's R$ contribution; ``comparables``: also comparable
        laptops."""
        payload = request_payload(spec, clerk_email, explain=explain, comparables=comparables)
        return self._send(payload, quote_from_response)

    def price_trade_in(
        self,
        spec: LaptopSpec,
        condition: Condition,
        clerk_email: str | None = None,
        *,
        explain: bool = False,
        comparables: bool = False,
    ) -> tuple[MarketEstimate, TradeInQuote]:
        """The market estimate and the store's offer for a laptop in a given condition."""

        def read(status: int, body: str | bytes | None, headers: Mapping[str, str]) -> Any:
            return trade_in_from_response(status, body, headers, condition)

        payload = request_payload(
            spec, clerk_email, explain=explain, comparables=comparables, condition=condition
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
        stored as the outcome's author."""
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

    @abstractmethod
    def _send(
        self, payload: dict[str, Any], read: Callable[..., Any], path: str = PREDICT_PATH
    ) -> Any:
        """Deliver ``payload`` to the route ``path`` and turn the answer into
        ``read(status, body, headers)``."""


def request_payload(
    spec: LaptopSpec,
    clerk_email: str | None = None,
    *,
    explain: bool = False,
    comparables: bool = False,
    condition: Condition | None = None,
) -> dict[str, Any]:
    """The course's ``{"data": {...}}``, plus beside it: ``clerk_email`` when someone signed in
    (only the e-mail: never the name or a token), ``"explain": true`` and ``"comparables":
    true`` when asked, and the laptop's ``condition`` for a trade-in offer."""
    payload: dict[str, Any] = spec.to_payload()
    if condition is not None:
        payload[PAYLOAD_KEY] = condition.as_dict()
    if clerk_email:
        payload["clerk_email"] = clerk_email
    if explain:
        payload["explain"] = True
    if comparables:
        payload["comparables"] = True
    return payload


# ---------------------------------------------------------------------------------------------
# HTTP

# Only what cannot have priced anything twice: the gateway or the service turned it away.
RETRY_STATUSES = frozenset({429, 503})


class BudgetRetry(Retry):
    """urllib3's ``Retry`` (status list, Retry-After, exponential back-off with jitter), plus the
    one thing it does not do: stop when the next wait would overrun a wall-clock deadline for
    the whole call. urllib3 bounds the number of attempts, not the time they take together.

    ``sleeper`` replaces ``time.sleep`` for the waits (tests record them instead of waiting).
    """

    def __init__(
        self,
        *args: Any,
        deadline: float = math.inf,
        margin: float = 0.0,
        sleeper: Callable[[float], None] | None = None,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.deadline = deadline
        self.margin = margin
        self.sleeper = sleeper

    def new(self, **kwargs: Any) -> BudgetRetry:
        retry = super().new(**kwargs)
        retry.deadline, retry.margin, retry.sleeper = self.deadline, self.margin, self.sleeper
        return retry

    def get_retry_after(self, response: BaseHTTPResponse) -> float | None:
        return parse_retry_after(response.headers.get("Retry-After"))

    def upcoming_wait(self, response: BaseHTTPResponse | None) -> float:
        """What ``sleep`` will wait: the server's Retry-After, else urllib3's back-off."""
        retry_after = (
            self.get_retry_after(response) if response and self.respect_retry_after_header else None
        )
        return self.get_backoff_time() if retry_after is None else retry_after

    def increment(self, *args: Any, **kwargs: Any) -> BudgetRetry:
        retry = super().increment(*args, **kwargs)
        response = kwargs.get("response")
        if time.monotonic() + retry.upcoming_wait(response) + self.margin > self.deadline:
            reason = kwargs.get("error") or ResponseError("the retry time budget is spent")
            raise MaxRetryError(kwargs.get("_pool"), kwargs.get("url"), reason)
        return retry

    def sleep(self, response: BaseHTTPResponse | None = None) -> None:
        (self.sleeper or backoff_sleep)(self.upcoming_wait(response))


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
        self.timeout = urllib3.Timeout(
            connect=connect_timeout or CONNECT_TIMEOUT, read=read_timeout or READ_TIMEOUT
        )
        self.retry_budget = RETRY_BUDGET if retry_budget is None else retry_budget
        self.max_attempts = max_attempts
        self.backoff = backoff
        self._sleep = sleep
        headers = {"Content-Type": "application/json"}
        if api_key:
            headers["x-api-key"] = api_key
        self._pool = urllib3.PoolManager(headers=headers, maxsize=4)

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
            allowed_methods=frozenset({"POST"}),
            respect_retry_after_header=True,
            raise_on_status=False,  # the last 429/503 comes back as a response, read below
            backoff_factor=self.backoff,
            backoff_jitter=self.backoff / 2,
            deadline=time.monotonic() + self.retry_budget,
            margin=float(self.timeout.connect_timeout or 0),
            sleeper=self._sleep,
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
        return base + path + (f"?{query}" if query else "")

    def _send(
        self, payload: dict[str, Any], read: Callable[..., Any], path: str = PREDICT_PATH
    ) -> Any:
        body = json.dumps(payload).encode()
        try:
            response = self._pool.request(
                "POST",
                self.url_for(path),
                body=body,
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


def gateway_event(payload: Mapping[str, Any], path: str = PREDICT_PATH) -> dict[str, Any]:
    """The API Gateway REST proxy event for a POST of ``payload`` (what the Lambda receives)."""
    now = datetime.now(UTC)
    return {
        "resource": path,
        "path": path,
        "httpMethod": "POST",
        "headers": {"Content-Type": "application/json"},
        "multiValueHeaders": {"Content-Type": ["application/json"]},
        "queryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": path,
            "httpMethod": "POST",
            "path": f"/prod{path}",
            "stage": "prod",
            "requestId": f"embedded-{now.timestamp():.6f}-{random.getrandbits(32):08x}",
            "requestTimeEpoch": int(now.timestamp() * 1000),
            "identity": {"sourceIp": "127.0.0.1", "userAgent": "laptop-pricing-embedded"},
        },
        "body": json.dumps(payload),
        "isBase64Encoded": False,
    }


class LocalPricingClient(PricingClient):
    """The Lambda handler's logic called in this process: the embedded default, no server.

    ``handler`` is a ``laptop_pricing.api.handler.PricingHandler`` (or any callable taking the
    event and a context) built with its engine and request log. Its answer goes through the same
    parser as an HTTP answer, so both clients fail and succeed the same way.
    """

    embedded = True

    def __init__(self, handler: Callable[[dict, Any], dict]):
        self._handler = handler

    def _send(
        self, payload: dict[str, Any], read: Callable[..., Any], path: str = PREDICT_PATH
    ) -> Any:
        response = self._handler(gateway_event(payload, path), None)
        if not isinstance(response, dict) or not isinstance(response.get("statusCode"), int):
            raise InvalidResponse("the pricing handler returned something that is not a response")
        body = response.get("body")
        if isinstance(body, dict):
            body = json.dumps(body)
        headers = response.get("headers") or {}
        return read(response["statusCode"], body, headers)


def client_from_settings(settings: Settings) -> PricingClient:
    """HTTP to the configured endpoint, or the embedded handler, built here with the shipped
    engine, the request log the settings name (the local folder the monitoring page reads), the
    store policy they name and the outcome recorder beside that log. Raises ``PolicyError``
    naming the key when that policy cannot be used."""
    if settings.api_endpoint:
        return HttpPricingClient(settings.api_endpoint, settings.api_key)
    from laptop_pricing.api.handler import PricingHandler, get_engine
    from laptop_pricing.api.service import observer_from_settings
    from laptop_pricing.trade_in.outcome_service import recorder_from_settings
    from laptop_pricing.trade_in.policy import load_policy, policy_path
    from laptop_pricing.trade_in.quote import QuoteIssuer

    issuer = QuoteIssuer(load_policy(policy_path(settings)))
    observer = observer_from_settings(settings)
    recorder = recorder_from_settings(settings)
    return LocalPricingClient(PricingHandler(get_engine(), observer, issuer, recorder))
