"""LocalPricingClient: the Lambda handler in-process, read exactly like an HTTP answer."""

from __future__ import annotations

import json

import pytest

from laptop_pricing.api import handler as handler_module
from laptop_pricing.client import HttpPricingClient, LocalPricingClient, gateway_event
from laptop_pricing.engine import PricingEngine
from laptop_pricing.errors import BadRequest, InvalidResponse, UpstreamError
from laptop_pricing.schema import LaptopSpec
from tests.client_fault_server import fault_server

SPECS = [
    LaptopSpec.default(),
    LaptopSpec.from_payload(
        {
            **LaptopSpec.default().to_payload()["data"],
            "processor_brand": "m1",
            "processor_name": "other",
            "brand": "other",
            "ram_gb": "16",
            "ssd": "512",
        }
    ),
]


@pytest.mark.parametrize("spec", SPECS)
def test_local_client_gives_the_engines_quote(spec):
    expected = PricingEngine.load().price(spec)
    quote = LocalPricingClient().price(spec)
    assert (quote.price, quote.low, quote.high) == (expected.price, expected.low, expected.high)
    assert (quote.currency, quote.version) == (expected.currency, expected.version)


def test_local_and_http_clients_agree_on_the_same_handler():
    spec = SPECS[1]
    with fault_server() as server:
        over_http = HttpPricingClient(server.url("/handler")).price(spec)
    assert LocalPricingClient().price(spec) == over_http


def test_the_event_is_what_api_gateway_sends():
    spec = LaptopSpec.default()
    event = gateway_event(spec.to_payload())
    assert event["httpMethod"] == "POST" and event["isBase64Encoded"] is False
    assert json.loads(event["body"]) == spec.to_payload()
    assert "x-api-key" not in {k.lower() for k in event["headers"]}
    assert handler_module.handler(event, None)["statusCode"] == 200


def test_handler_answers_are_mapped_to_typed_errors():
    def refusing(event, context):
        body = {"message": "Invalid request", "errors": [{"field": "ram_gb", "value": 3}]}
        return {"statusCode": 400, "body": json.dumps(body)}

    with pytest.raises(BadRequest) as caught:
        LocalPricingClient(refusing).price(LaptopSpec.default())
    assert caught.value.fields == ["ram_gb"]
    with pytest.raises(UpstreamError):
        LocalPricingClient(lambda e, c: {"statusCode": 500, "body": "{}"}).price(
            LaptopSpec.default()
        )
    with pytest.raises(InvalidResponse):
        LocalPricingClient(lambda e, c: None).price(LaptopSpec.default())
