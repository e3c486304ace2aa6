"""HttpPricingClient against real loopback HTTP servers: our handler, and one that misbehaves."""

from __future__ import annotations

import email.utils
import json
import time

import pytest

from laptop_pricing.api_answers import parse_retry_after
from laptop_pricing.client import HttpPricingClient
from laptop_pricing.errors import (
    AuthError,
    BadRequest,
    ConnectionFailed,
    InvalidResponse,
    PricingError,
    RateLimited,
    ServiceUnavailable,
    Timeout,
    UpstreamError,
)
from laptop_pricing.pricing.laptop_spec import LaptopSpec
from tests.browser_support import free_port
from tests.client_fault_server import FaultServer, fault_server

SECRET_KEY = "test-key-do-not-leak-9f3b"


@pytest.fixture(scope="module")
def server():
    with fault_server() as running:
        yield running


@pytest.fixture
def spec() -> LaptopSpec:
    return LaptopSpec.default()


class SleepSpy:
    """Records the client's back-off waits instead of sleeping (keeps the tests fast)."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def client_for(server: FaultServer, path: str, **kwargs) -> HttpPricingClient:
    kwargs.setdefault("sleep", SleepSpy())
    return HttpPricingClient(server.url(path), SECRET_KEY, **kwargs)


def test_flat_answer_gives_a_quote_and_the_request_follows_the_contract(server, spec):
    quote = client_for(server, "/ok").price(spec)
    assert (quote.price, quote.low, quote.high) == (6712, 5900, 7600)
    assert (quote.currency, quote.version) == ("BRL", "7")
    sent = [r for r in server.requests if r["path"] == "/ok"][-1]
    headers = {k.lower(): v for k, v in sent["headers"].items()}
    assert headers["x-api-key"] == SECRET_KEY
    assert headers["content-type"] == "application/json"
    assert json.loads(sent["body"]) == spec.to_payload()


def test_minimal_answer_without_range_or_currency(server, spec):
    quote = client_for(server, "/ok-minimal").price(spec)
    assert (quote.price, quote.low, quote.high) == (6712, None, None)
    assert (quote.currency, quote.version) == ("BRL", "3")


def test_wrapped_status_code_and_body_string_is_unwrapped(server, spec):
    quote = client_for(server, "/wrapped").price(spec)
    assert (quote.price, quote.low, quote.high, quote.version) == (6712, 5900, 7600, "7")


def test_wrapped_error_status_is_the_error_it_wraps(server, spec):
    with pytest.raises(BadRequest) as caught:
        client_for(server, "/wrapped-400").price(spec)
    assert caught.value.fields == ["ram_gb", "processor_name"]


def test_old_inr_top_level_shape_is_read(server, spec):
    quote = client_for(server, "/inr").price(spec)
    assert (quote.price, quote.version) == (51234, "1")


@pytest.mark.parametrize("path,status", [("/403", 403), ("/401", 401)])
def test_auth_failures_are_auth_errors_and_never_echo_the_key(server, spec, path, status):
    with pytest.raises(AuthError) as caught:
        client_for(server, path).price(spec)
    assert caught.value.status == status
    assert SECRET_KEY not in str(caught.value)
    assert SECRET_KEY not in repr(client_for(server, path))


def test_429_with_a_long_retry_after_is_raised_at_once_with_the_wait(server, spec):
    before = server.hits["/429"]
    sleep = SleepSpy()
    with pytest.raises(RateLimited) as caught:
        client_for(server, "/429", sleep=sleep).price(spec)
    assert caught.value.retry_after == 30
    assert server.hits["/429"] - before == 1  # 30 s is beyond the ~10 s budget: no retry
    assert sleep.waits == []


def test_429_with_a_short_retry_after_is_retried_after_that_wait(server, spec):
    sleep = SleepSpy()
    quote = client_for(server, "/429-then-ok", sleep=sleep).price(spec)
    assert quote.price == 6712
    assert server.hits["/429-then-ok"] == 2
    assert sleep.waits == [pytest.approx(1)]


def test_503_is_retried_at_once_then_with_backoff(server, spec):
    """urllib3's schedule: the first retry at once, then backoff x 2^n plus jitter."""
    sleep = SleepSpy()
    assert client_for(server, "/503-then-ok", sleep=sleep).price(spec).price == 6712
    assert server.hits["/503-then-ok"] == 2
    assert sleep.waits == [0.0]


def test_503_that_persists_ends_as_service_unavailable_within_the_budget(server, spec):
    before = server.hits["/503"]
    sleep = SleepSpy()
    with pytest.raises(ServiceUnavailable):
        client_for(server, "/503", sleep=sleep).price(spec)
    assert server.hits["/503"] - before == 3
    assert sleep.waits[0] == 0.0 and 0.5 <= sleep.waits[1] <= 0.625


def test_the_time_budget_stops_retries_urllib3_would_still_make(server, spec):
    """A budget shorter than a connect timeout leaves no room for a second attempt."""
    before = server.hits["/503"]
    with pytest.raises(ServiceUnavailable):
        client_for(server, "/503", retry_budget=1.0).price(spec)
    assert server.hits["/503"] - before == 1


@pytest.mark.parametrize("path,status", [("/500", 500), ("/502", 502), ("/504", 504)])
def test_upstream_failures_are_not_retried(server, spec, path, status):
    before = server.hits[path]
    with pytest.raises(UpstreamError) as caught:
        client_for(server, path).price(spec)
    assert not isinstance(caught.value, ServiceUnavailable)
    assert caught.value.status == status
    assert server.hits[path] - before == 1  # it may have been priced and logged: never twice


@pytest.mark.parametrize("path", ["/400", "/422"])
def test_bad_request_carries_the_fields_at_fault(server, spec, path):
    with pytest.raises(BadRequest) as caught:
        client_for(server, path).price(spec)
    assert caught.value.fields == ["ram_gb", "processor_name"]
    assert caught.value.errors[0].value == 252


def test_read_timeout_is_a_timeout_and_is_not_retried(server, spec):
    before = server.hits["/slow"]
    with pytest.raises(Timeout):
        client_for(server, "/slow", read_timeout=0.5).price(spec)
    assert server.hits["/slow"] - before == 1


def test_connection_refused_is_retried_then_reported(spec):
    sleep = SleepSpy()
    client = HttpPricingClient(f"http://127.0.0.1:{free_port()}/predict", sleep=sleep)
    with pytest.raises(ConnectionFailed) as caught:
        client.price(spec)
    assert caught.value.never_sent
    assert len(sleep.waits) == 2  # three attempts in all
    assert sum(sleep.waits) <= 10


@pytest.mark.parametrize("path", ["/not-json", "/no-prediction", "/bad-prediction"])
def test_answers_without_a_readable_price_are_invalid_responses(server, spec, path):
    with pytest.raises(InvalidResponse):
        client_for(server, path).price(spec)


def test_every_failure_is_a_pricing_error(server, spec):
    for path in ("/403", "/429", "/500", "/not-json"):
        with pytest.raises(PricingError):
            client_for(server, path).price(spec)


def test_our_handler_behind_a_real_http_server_prices_a_laptop(server, spec):
    quote = client_for(server, "/handler").price(spec)
    assert quote.price > 0
    assert quote.low is not None and quote.low <= quote.price <= quote.high
    assert quote.currency == "BRL" and quote.version


def test_retry_after_accepts_seconds_and_http_dates():
    assert parse_retry_after("7") == 7
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    in_a_minute = email.utils.formatdate(time.time() + 60, usegmt=True)
    assert 55 <= parse_retry_after(in_a_minute) <= 60
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT") == 0  # in the past: no wait


def test_endpoint_must_be_a_url():
    with pytest.raises(ValueError):
        HttpPricingClient("localhost:8080/predict")
