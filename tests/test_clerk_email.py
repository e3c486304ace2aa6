"""The signed-in clerk's e-mail travels with the request into the request log, and only it.

Embedded: through the in-process client to the handler. HTTP: as an optional body field beside
``data`` (never a header, never the name or a token), against a real loopback server.
"""

from __future__ import annotations

import json

import pytest

from laptop_pricing.api import handler as api
from laptop_pricing.client import HttpPricingClient, LocalPricingClient, gateway_event
from laptop_pricing.pricing.laptop_spec import LaptopSpec
from laptop_pricing.pricing.schema import CONTRACT_EXAMPLE
from tests.app_fixtures import CLERK, app, market_estimate, submit
from tests.client_fault_server import fault_server

SPEC = LaptopSpec.default()


class Recorder:
    def __init__(self) -> None:
        self.emails: list[str | None] = []

    def on_priced(
        self, spec, quote, latency_ms, request_id, clerk_email=None, trade_in=None, store_id="loja"
    ) -> None:
        self.emails.append(clerk_email)


@pytest.fixture
def recorder():
    return Recorder()


@pytest.fixture
def handler(recorder):
    return api.PricingHandler(api.get_engine(), recorder)


def test_the_handler_hands_the_email_to_the_observer_lower_cased(handler, recorder):
    body = {"data": dict(CONTRACT_EXAMPLE), "clerk_email": " Ana@Loja.com.br "}
    assert handler(gateway_event(body))["statusCode"] == 200
    assert handler(gateway_event({"data": dict(CONTRACT_EXAMPLE)}))["statusCode"] == 200
    assert recorder.emails == ["ana@loja.com.br", None]


@pytest.mark.parametrize(
    "bad", ["Ana Souza", 42, {"email": "a@b.com"}, "a@b", "x" * 250 + "@b.com"]
)
def test_a_bad_email_is_a_400_naming_the_field_and_nothing_is_logged(handler, recorder, bad):
    response = handler(gateway_event({"data": dict(CONTRACT_EXAMPLE), "clerk_email": bad}))
    assert response["statusCode"] == 400
    assert [e["field"] for e in json.loads(response["body"])["errors"]] == ["clerk_email"]
    assert recorder.emails == []


def test_the_local_client_sends_it_to_the_handler(handler, recorder):
    LocalPricingClient(handler).price(SPEC, clerk_email=CLERK)
    LocalPricingClient(handler).price(SPEC)
    assert recorder.emails == [CLERK, None]


def test_the_http_client_sends_it_beside_data_only_when_given():
    with fault_server() as server:
        client = HttpPricingClient(server.url("/ok"), "the-key")
        client.price(SPEC, clerk_email=CLERK)
        client.price(SPEC)
        with_email, without = (json.loads(r["body"]) for r in server.requests[-2:])
        headers = server.requests[-2]["headers"]
    assert with_email == {**SPEC.to_payload(), "clerk_email": CLERK}
    assert without == SPEC.to_payload()
    assert not any(CLERK in str(value) for value in headers.values())


@pytest.mark.usefixtures("clean_env")
def test_the_app_in_http_mode_sends_the_signed_in_email_not_the_name():
    with fault_server() as server:
        at = submit(app({"API-ENDPOINT": server.url("/ok"), "API-KEY": "k"}, user=CLERK))
        assert market_estimate(at)
        sent = server.requests[-1]["body"]
    assert json.loads(sent)["clerk_email"] == CLERK
    assert b"Nome" not in sent
