"""The estimate page with the v2 fields: why this price, comparable laptops, "não sei"."""

from __future__ import annotations

import json

import pytest

from components.comparables_table import comparable_line
from components.laptop_form import NOT_INFORMED
from components.price_explanation import explanation_lines
from laptop_pricing.pricing.engine import PricingEngine
from laptop_pricing.pricing.laptop_spec import LaptopSpec
from tests.app_fixtures import app, fill, submit, texts, widget
from tests.client_fault_server import fault_server

pytestmark = pytest.mark.usefixtures("clean_env")
V2_VALUES = {"brand": "acer", "processor_gnrtn": "11th", "msoffice": 1, "ram_gb": 16}


def test_embedded_estimate_explains_the_price_and_lists_comparable_laptops():
    at = submit(fill(app(), V2_VALUES))
    assert not at.exception and not at.error
    spec = LaptopSpec.from_payload({**LaptopSpec.default().as_dict(), **V2_VALUES})
    engine = PricingEngine.load()
    quote = engine.price(spec)
    page = texts(at)
    assert "Por que este preço" in page
    for line in explanation_lines(engine.explain(spec, quote), quote.currency):
        assert line in page
    assert "Notebooks parecidos" in page
    for comparable in engine.comparables(spec):
        assert comparable_line(comparable) in page


def test_the_form_offers_the_v2_fields_with_not_sure_as_a_choice():
    at = app()
    assert widget(at, "msoffice").value == NOT_INFORMED  # "Não sei" is chosen by default
    assert widget(at, "msoffice").options[0] == "Não sei"
    generation = widget(at, "processor_gnrtn")
    assert generation.value == "not available" and "11ª geração" in generation.options
    assert "i5-1135G7 → 11ª geração" in generation.help


def test_http_request_asks_for_the_explanation_and_leaves_out_what_is_not_known():
    with fault_server() as api:
        secrets = {"API-ENDPOINT": api.url("/ok"), "API-KEY": "app-test-key"}
        at = submit(app(secrets))
        sent = json.loads(api.requests[-1]["body"])
        assert sent["explain"] is True and sent["comparables"] is True
        assert "msoffice" not in sent["data"] and "processor_gnrtn" not in sent["data"]
        assert not at.exception
        submit(fill(at, {"msoffice": 0, "processor_gnrtn": "10th"}))
        sent = json.loads(api.requests[-1]["body"])
        assert sent["data"]["msoffice"] == "0" and sent["data"]["processor_gnrtn"] == "10th"
