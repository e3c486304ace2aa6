"""Model v2 on the shipped model/: both contracts price, each price explains itself in R$, the
constrained fields are monotone, and comparables are real rows of the data."""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from laptop_pricing.api.handler import handler
from laptop_pricing.log_columns import LOG_COLUMN_ALIASES
from laptop_pricing.pricing.artifact import read_metadata
from laptop_pricing.pricing.comparables import ComparablesFinder
from laptop_pricing.pricing.engine import PricingEngine
from laptop_pricing.pricing.features import encode_many
from laptop_pricing.pricing.laptop_spec import InvalidSpec, LaptopSpec
from laptop_pricing.pricing.schema import (
    CONTRACT_EXAMPLE,
    FIELD_NAMES,
    FIELDS_BY_NAME,
    MONOTONE_INCREASING,
)
from laptop_pricing.settings import REPO_ROOT
from laptop_pricing.training.prepare import prepare_table
from laptop_pricing.training.train import training_rows
from tests.laptops_support import random_laptops

REQUEST_LOGS = REPO_ROOT / "data" / "request-logs-sample"
V2_EXAMPLE = {
    **CONTRACT_EXAMPLE,
    "brand": "acer",
    "processor_name": "core i7",
    "processor_gnrtn": "11th",
    "msoffice": "1",
}


@pytest.fixture(scope="module")
def engine() -> PricingEngine:
    return PricingEngine.load()


def _answer(payload: dict) -> tuple[int, dict]:
    response = handler(payload)
    return response["statusCode"], json.loads(response["body"])


def _request_log_payloads() -> list[dict]:
    """Rows of the course API's real request logs that describe a laptop the schema allows."""
    payloads = []
    for path in sorted(Path(REQUEST_LOGS).glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                data = {LOG_COLUMN_ALIASES.get(k, k): v for k, v in row.items() if k is not None}
                data = {k: v for k, v in data.items() if k in FIELDS_BY_NAME}
                try:
                    LaptopSpec.from_payload(data)
                except InvalidSpec:
                    continue
                payloads.append(data)
    return payloads


def test_v1_payloads_of_the_course_and_its_real_request_logs_still_price():
    payloads = [dict(CONTRACT_EXAMPLE), *_request_log_payloads()]
    assert len(payloads) >= 10
    for data in payloads:
        assert not set(data) - set(CONTRACT_EXAMPLE)  # the course's 13 fields, nothing more
        status, body = _answer({"data": data})
        assert status == 200, body
        assert isinstance(body["prediction"], int) and body["prediction"] > 0
        assert "explanation" not in body and "comparables" not in body  # only when asked


def test_v2_payload_prices_and_its_extra_fields_change_the_price(engine):
    status, body = _answer({"data": V2_EXAMPLE})
    assert status == 200 and body["prediction"] > 0
    v2 = LaptopSpec.from_payload(V2_EXAMPLE)
    assert (v2.brand, v2.processor_gnrtn, v2.msoffice) == ("acer", "11th", 1)
    assert engine.price(v2).price != engine.price(v2.course_view()).price


@pytest.mark.parametrize(
    ("field", "value"),
    [("processor_gnrtn", "13th"), ("processor_gnrtn", "11"), ("processor_name", "core i11")],
)
def test_wrong_generation_or_unknown_processor_is_a_400_naming_the_field(field, value):
    status, body = _answer({"data": {**V2_EXAMPLE, field: value}})
    assert status == 400
    assert [e["field"] for e in body["errors"]] == [field]


def test_processor_brand_still_bounds_the_processor():
    status, body = _answer({"data": {**V2_EXAMPLE, "processor_brand": "amd"}})  # AMD Core i7
    assert status == 400 and [e["field"] for e in body["errors"]] == ["processor_name"]
    status, _ = _answer({"data": {**V2_EXAMPLE, "processor_brand": "m1", "processor_name": "m1"}})
    assert status == 200


def test_explain_and_comparables_must_be_booleans():
    status, body = _answer({"data": V2_EXAMPLE, "explain": "yes"})
    assert status == 400 and [e["field"] for e in body["errors"]] == ["explain"]
    status, body = _answer({"data": V2_EXAMPLE, "comparables": 1})
    assert status == 400 and [e["field"] for e in body["errors"]] == ["comparables"]
    status, body = _answer({"data": V2_EXAMPLE, "explain": None, "comparables": "true"})
    assert status == 400 and [e["field"] for e in body["errors"]] == ["explain", "comparables"]


def test_explain_and_comparables_are_each_answered_only_when_asked():
    _, plain = _answer({"data": V2_EXAMPLE})
    _, explained = _answer({"data": V2_EXAMPLE, "explain": True})
    _, compared = _answer({"data": V2_EXAMPLE, "comparables": True})
    _, both = _answer({"data": V2_EXAMPLE, "explain": True, "comparables": True})
    assert "explanation" in explained and "comparables" not in explained
    assert "comparables" in compared and "explanation" not in compared
    assert both == {**plain, **explained, **compared}
    assert list(both) == [*plain, "explanation", "comparables"]


def test_explain_answers_one_contribution_per_field_adding_up_to_the_prediction():
    status, body = _answer({"data": V2_EXAMPLE, "explain": True, "comparables": True})
    assert status == 200
    explanation = body["explanation"]
    assert [c["field"] for c in explanation["contributions"]] == list(FIELD_NAMES)
    total = explanation["baseline"] + sum(c["amount"] for c in explanation["contributions"])
    assert abs(total - body["prediction"]) <= 1
    by_field = {c["field"]: c["value"] for c in explanation["contributions"]}
    assert by_field["processor_gnrtn"] == "11th" and by_field["msoffice"] == 1
    assert 3 <= len(body["comparables"]) <= 5


def test_contributions_add_up_to_the_price_for_1000_random_laptops(engine):
    baselines = set()
    for spec in random_laptops(1000, seed=12):
        quote = engine.price(spec)
        explanation = engine.explain(spec, quote)
        assert len(explanation.contributions) == len(FIELD_NAMES)
        total = explanation.baseline + sum(c.amount for c in explanation.contributions)
        assert abs(total - quote.price) <= 1
        # Exact in log space too: the path contributions and the expected value rebuild the price.
        per_field, expected = engine.field_log_contributions(spec)
        assert np.exp(expected + per_field.sum()) == pytest.approx(engine.predict_value(spec))
        # Each R$ amount has the sign of its log contribution (the conversion keeps direction).
        for phi, c in zip(per_field, explanation.contributions, strict=True):
            if abs(phi) > 1e-3:
                assert np.sign(c.amount) in (np.sign(phi), 0)
        baselines.add(explanation.baseline)
    assert len(baselines) == 1  # one stated baseline: the typical laptop


@pytest.fixture(scope="module")
def monotone_engine() -> PricingEngine:
    """The ``lightgbm_monotone`` family fitted as training fits it (the shipped model when it
    wins the CV; docs/training.md gives its cost when it does not)."""
    table = prepare_table()
    rows = training_rows(table)
    model = rows.fit("lightgbm_monotone", np.arange(len(rows.y)), seed=0)
    return PricingEngine(model, read_metadata())


def _never_lower(engine: PricingEngine, field: str, laptops: list[LaptopSpec]) -> None:
    """Each laptop priced at every value of ``field`` (all else equal): the rounded prices never
    go down. One batch predict (the same model the engine calls one row at a time)."""
    values = sorted(FIELDS_BY_NAME[field].values)
    rows = [replace(spec, **{field: v}).as_dict() for spec in laptops for v in values]
    prices = np.round(engine.model.predict(encode_many(rows))).reshape(len(laptops), len(values))
    spot = laptops[0]
    assert [engine.price(replace(spot, **{field: v})).price for v in values] == list(prices[0])
    drops = np.flatnonzero((np.diff(prices, axis=1) < 0).any(axis=1))
    assert drops.size == 0, (field, [laptops[i] for i in drops[:3]])


@pytest.mark.parametrize("field", MONOTONE_INCREASING)
def test_monotone_family_never_lowers_the_price_for_1000_random_laptops(monotone_engine, field):
    _never_lower(monotone_engine, field, random_laptops(1000, seed=7))


@pytest.mark.parametrize("field", MONOTONE_INCREASING)
def test_shipped_model_is_monotone_in_the_fields_it_was_constrained_on(engine, field):
    constrained = read_metadata().raw.get("monotone_constraints") or []
    if field not in constrained:
        pytest.skip(
            f"the shipped family ({read_metadata().family}) won the CV without constraints on "
            f"{field}; the constrained family's cost is in its CV row and docs/training.md"
        )
    _never_lower(engine, field, random_laptops(1000, seed=7))


def test_comparables_are_real_rows_nearest_first_and_deterministic(engine):
    table = prepare_table()
    real = {tuple(row) for row in table[[*FIELD_NAMES, "price"]].itertuples(index=False, name=None)}
    for spec in [*random_laptops(50, seed=3), LaptopSpec.from_payload(V2_EXAMPLE)]:
        found = engine.comparables(spec)
        assert 3 <= len(found) <= 5
        for comparable in found:
            assert (*(comparable.fields[n] for n in FIELD_NAMES), comparable.price) in real
        # Same processor family first, then nearest first within each group.
        keys = [(not c.same_processor, c.distance) for c in found]
        assert keys == sorted(keys)
        assert engine.comparables(spec) == found


def test_comparables_prefer_the_same_processor_family(engine):
    spec = LaptopSpec.from_payload(V2_EXAMPLE)
    found = engine.comparables(spec)
    assert all(c.fields["processor_name"] == "core i7" for c in found)
    exact = LaptopSpec(**{**dict(found[0].fields)})
    assert engine.comparables(exact)[0].distance == 0.0


def test_metadata_is_typed_and_names_what_the_explanation_means():
    metadata = read_metadata()
    assert metadata.explanation_baseline and "log(price)" in metadata.explanation_baseline
    assert metadata.comparables is not None and len(metadata.comparables.rows) > 700
    assert metadata.metrics["MAPE_v1"] > 0


def test_the_explained_answer_is_the_json_of_its_dict_for_random_laptops(engine):
    """The pre-encoded explanation and comparables write exactly what json.dumps would."""
    for spec in [*random_laptops(200, seed=5), LaptopSpec.from_payload(V2_EXAMPLE)]:
        data = spec.to_payload()["data"]
        text = handler({"data": data, "explain": True, "comparables": True})["body"]
        quote = engine.price_with_explanation(spec, comparables=True)
        assert text == json.dumps({**quote.as_body(), **quote.explanation_body()})
        text = handler({"data": data, "comparables": True})["body"]
        assert text == json.dumps({**quote.as_body(), **quote.explanation_body(explain=False)})


def test_the_family_narrowed_search_finds_what_the_search_over_every_row_finds(engine):
    finder = ComparablesFinder(read_metadata().comparables)
    for spec in random_laptops(300, seed=9):
        narrow = finder.nearest(spec)
        finder_all = finder.nearest(spec, count=len(finder))[: len(narrow)]
        assert narrow == finder_all
    # A value the schema does not list (a hand-built spec) is measured too, on every row.
    odd = replace(LaptopSpec.from_payload(V2_EXAMPLE), ram_gb=24, brand="unlisted")
    found = finder.nearest(odd)
    assert len(found) == 4 and all(c.same_processor for c in found)
    assert [c.distance for c in found] == sorted(c.distance for c in found)
