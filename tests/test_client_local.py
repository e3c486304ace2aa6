"""LocalPricingClient: the Lambda handler in-process, read exactly like an HTTP answer."""

from __future__ import annotations

import json

import pytest

from laptop_pricing.api import handler as handler_module
from laptop_pricing.client import HttpPricingClient, LocalPricingClient, gateway_event
from laptop_pricing.errors import BadRequest, InvalidResponse, UpstreamError
from laptop_pricing.pricing.engine import PricingEngine
from laptop_pricing.pricing.laptop_spec import LaptopSpec
from tests.client_fault_server import fault_server


def embedded() -> LocalPricingClient:
    """The embedded client with its dependencies passed in (no request log: not under test)."""
    return LocalPricingClient(handler_module.PricingHandler(handler_module.get_engine()))


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
    quote = embedded().price(spec)
    assert (quote.price, quote.low, quote.high) == (expected.price, expected.low, expected.high)
    assert (quote.currency, quote.version) == (expected.currency, expected.version)


def test_local_and_http_clients_agree_on_the_same_handler():
    spec = SPECS[1]
    with fault_server() as server:
        over_http = HttpPricingClient(server.url("/handler")).price(spec)
    assert embedded().price(spec) == over_http


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


def test_embedded_client_from_settings_logs_to_the_settings_folder(tmp_path, monkeypatch):
    """The embedded client's request log is built from the settings and passed in: no module
    global decides where its rows go."""
    from laptop_pricing.client import client_from_settings
    from laptop_pricing.settings import load_settings
    from laptop_pricing.storage.records import decode_records

    monkeypatch.delenv("API_ENDPOINT", raising=False)
    monkeypatch.setenv("PREDICTIONS_DIR", str(tmp_path / "a"))
    first = client_from_settings(load_settings())
    monkeypatch.setenv("PREDICTIONS_DIR", str(tmp_path / "b"))
    second = client_from_settings(load_settings())
    first.price(LaptopSpec.default())
    second.price(LaptopSpec.default())
    second.price(LaptopSpec.default())
    counts = {
        name: sum(
            len(decode_records(p.read_bytes()).records)
            for p in (tmp_path / name).rglob("_records/*.jsonl")
        )
        for name in ("a", "b")
    }
    assert counts == {"a": 1, "b": 2}


def test_the_embedded_client_asks_for_explanation_and_comparables_separately():
    spec = SPECS[1]
    sent = []

    def recording(event, context):
        sent.append(json.loads(event["body"]))
        return handler_module.PricingHandler(PricingEngine.load())(event, context)

    client = LocalPricingClient(recording)
    plain = client.price(spec)
    explained = client.price(spec, explain=True)
    compared = client.price(spec, comparables=True)
    both = client.price(spec, explain=True, comparables=True)
    assert [{k for k in body if k != "data"} for body in sent] == [
        set(),
        {"explain"},
        {"comparables"},
        {"explain", "comparables"},
    ]
    assert plain.explanation is None and not plain.comparables
    assert explained.explanation is not None and not explained.comparables
    assert compared.explanation is None and compared.comparables
    assert (both.explanation, both.comparables) == (explained.explanation, compared.comparables)
