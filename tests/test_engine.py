"""The engine with the committed model/: the course sample's price, the range, caching, and the
same price in processes with different string hashing (the course's cold-start bug)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from laptop_pricing.pricing.artifact import REPO_MODEL_DIR, read_metadata
from laptop_pricing.pricing.engine import MarketEstimate, PricingEngine
from laptop_pricing.pricing.laptop_spec import LaptopSpec
from laptop_pricing.pricing.schema import CONTRACT_EXAMPLE, FIELDS, PROCESSORS_BY_BRAND
from laptop_pricing.settings import REPO_ROOT

COURSE_SAMPLE = dict(CONTRACT_EXAMPLE)
COURSE_BRL_ANSWER = 6700  # what the course's BRL API answered for COURSE_SAMPLE, about


@pytest.fixture(scope="module")
def engine() -> PricingEngine:
    return PricingEngine.load()


def test_course_sample_priced_near_the_course_brl_api(engine):
    quote = engine.price(LaptopSpec.from_payload(COURSE_SAMPLE))
    assert abs(quote.price - COURSE_BRL_ANSWER) <= 0.25 * COURSE_BRL_ANSWER


def test_quote_is_whole_brl_with_a_range_around_the_price(engine):
    metadata = read_metadata()
    for spec in (LaptopSpec.from_payload(COURSE_SAMPLE), LaptopSpec.default()):
        quote = engine.price(spec)
        assert isinstance(quote, MarketEstimate)
        assert all(isinstance(v, int) for v in (quote.price, quote.low, quote.high))
        assert quote.low < quote.price < quote.high
        assert quote.currency == "BRL"
        assert quote.version == metadata.version
        assert quote.coverage == metadata.price_range.nominal_coverage
        factors = metadata.price_range
        assert quote.low == pytest.approx(quote.price * factors.low_factor, abs=1)
        assert quote.high == pytest.approx(quote.price * factors.high_factor, abs=1)


def test_price_is_deterministic_and_differs_with_the_laptop(engine):
    spec = LaptopSpec.from_payload(COURSE_SAMPLE)
    assert engine.price(spec) == engine.price(spec)
    cheaper = LaptopSpec.from_payload(
        {**COURSE_SAMPLE, "processor_name": "core i3", "ram_gb": "4", "graphic_card": "0"}
    )
    assert engine.price(cheaper).price < engine.price(spec).price


def test_every_allowed_value_prices_to_a_plausible_amount(engine):
    base = LaptopSpec.default().as_dict()
    for field in FIELDS:
        for value in field.values:
            payload = {**base, field.name: value}
            if field.name == "processor_brand":
                payload["processor_name"] = "other"
            if field.name == "processor_name":
                payload["processor_brand"] = next(
                    b for b, names in PROCESSORS_BY_BRAND.items() if value in names
                )
            quote = engine.price(LaptopSpec.from_payload(payload))
            assert 500 < quote.price < 50_000, (field.name, value, quote)


def test_load_is_cached_per_folder(engine):
    assert PricingEngine.load() is engine
    assert PricingEngine.load(REPO_MODEL_DIR) is engine
    assert engine.metadata.feature_order == read_metadata().feature_order


def test_quote_body_keeps_the_contract_fields(engine):
    body = engine.price(LaptopSpec.from_payload(COURSE_SAMPLE)).as_body()
    assert isinstance(body["prediction"], int) and isinstance(body["version"], str)
    assert set(body["range"]) == {"low", "high", "coverage"}


PRICE_IN_SUBPROCESS = """
import json, sys
from laptop_pricing.pricing.engine import PricingEngine
from laptop_pricing.pricing.laptop_spec import LaptopSpec
payloads = json.loads(sys.argv[1])
engine = PricingEngine.load()
print(json.dumps([engine.price(LaptopSpec.from_payload(p)).price for p in payloads]))
"""


@pytest.mark.slow
def test_same_prices_in_processes_with_different_hash_seeds():
    payloads = [
        COURSE_SAMPLE,
        {**COURSE_SAMPLE, "brand": "asus", "processor_brand": "amd", "processor_name": "ryzen 7"},
        {**COURSE_SAMPLE, "processor_brand": "m1", "processor_name": "other", "os": "other"},
        {**COURSE_SAMPLE, "weight": "thinnlight", "ram_type": "other", "ssd": "1024"},
    ]
    answers = set()
    for seed in ("0", "random"):  # no hash randomisation, and a random seed (as this process)
        env = {**os.environ, "PYTHONHASHSEED": seed}
        env.pop("MODEL_DIR", None)
        out = subprocess.run(
            [sys.executable, "-c", PRICE_IN_SUBPROCESS, json.dumps(payloads)],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        answers.add(out.stdout.strip())
    assert len(answers) == 1
    in_process = [PricingEngine.load().price(LaptopSpec.from_payload(p)).price for p in payloads]
    assert json.loads(answers.pop()) == in_process
