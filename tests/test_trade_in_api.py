"""The offer through the API: the handler in-process, and the local server over HTTP."""

from __future__ import annotations

import csv
import io
import json
import logging
from datetime import UTC, datetime, timedelta

import pytest
import requests

from laptop_pricing.api import handler as handler_module
from laptop_pricing.api.handler import get_engine, handler, set_issuer, set_observer
from laptop_pricing.api.service import PricingObserver
from laptop_pricing.client import HttpPricingClient, LocalPricingClient
from laptop_pricing.condition import Condition
from laptop_pricing.formatting import BRASILIA
from laptop_pricing.offer import compute_offer
from laptop_pricing.policy import DEFAULT_POLICY_PATH, load_policy
from laptop_pricing.quote_id import quote_id_day
from laptop_pricing.quote_lookup import QuoteLookup
from laptop_pricing.request_log import LocalRequestLog
from laptop_pricing.schema import CONTRACT_EXAMPLE, TRADE_IN_LOG_COLUMNS, LaptopSpec
from laptop_pricing.trade_in import QuoteIssuer
from tests.service_fixtures import ApiServer

SCRATCHED = {**Condition.best().as_dict(), "screen": "scratched", "battery": "weak"}
COURSE_ANSWER_KEYS = {"prediction", "version", "currency", "range"}


def body_of(response: dict) -> dict:
    return json.loads(response["body"])


@pytest.fixture(autouse=True)
def committed_policy():
    """Quote under the committed policy, whatever an earlier test in this process plugged in."""
    previous = set_issuer(QuoteIssuer(load_policy()))
    yield
    set_issuer(previous)


@pytest.fixture
def recorder():
    class Recorder:
        def __init__(self):
            self.calls = []

        def on_priced(self, spec, quote, latency_ms, trade_in=None):
            self.calls.append((spec, quote, trade_in))

    recorder = Recorder()
    previous = set_observer(recorder)
    yield recorder
    set_observer(previous)


def test_the_course_payload_gets_exactly_the_answer_it_gets_today(recorder):
    response = handler({"data": dict(CONTRACT_EXAMPLE)})
    body = body_of(response)
    assert response["statusCode"] == 200
    assert body == get_engine().price(LaptopSpec.from_payload(CONTRACT_EXAMPLE)).as_body()
    assert set(body) == COURSE_ANSWER_KEYS
    assert recorder.calls[-1][2] is None
    assert body_of(handler({"data": dict(CONTRACT_EXAMPLE), "condition": None})) == body


def test_a_condition_adds_the_offer_quote_id_validity_policy_and_deductions(recorder):
    before = datetime.now(UTC)
    body = body_of(handler({"data": dict(CONTRACT_EXAMPLE), "condition": SCRATCHED}))
    policy = load_policy()
    expected = compute_offer(body["prediction"], Condition.from_payload(SCRATCHED), policy)
    assert body["offer"] == expected.amount and isinstance(body["offer"], int)
    assert body["policy_version"] == policy.version
    assert quote_id_day(body["quote_id"]) in {before.date(), datetime.now(UTC).date()}
    today = datetime.now(BRASILIA).date()
    assert body["valid_until"] == (today + timedelta(days=policy.validity_days)).isoformat()
    assert body["no_offer_reason"] is None
    rules = [d["rule"] for d in body["deductions"]]
    assert rules[:2] == ["screen.scratched", "battery.weak"]
    assert all(isinstance(d["amount"], int) for d in body["deductions"])
    assert set(body) > COURSE_ANSWER_KEYS
    assert recorder.calls[-1][2].quote_id == body["quote_id"]


def test_no_offer_is_null_with_the_reason(recorder):
    condition = {**SCRATCHED, "powers_on": False}
    body = body_of(handler({"data": dict(CONTRACT_EXAMPLE), "condition": condition}))
    assert body["offer"] is None
    assert "não ligam" in body["no_offer_reason"]
    assert body["quote_id"] and body["deductions"] == []


def test_a_bad_condition_is_a_400_naming_each_field_and_the_laptop_fields_too(recorder):
    condition = {**SCRATCHED, "screen": "cracked", "charger": "sim", "colour": "red"}
    del condition["battery"]
    data = {**CONTRACT_EXAMPLE, "ram_gb": "252"}
    response = handler({"data": data, "condition": condition})
    assert response["statusCode"] == 400
    fields = [e["field"] for e in body_of(response)["errors"]]
    assert set(fields) == {
        "ram_gb",
        "condition.screen",
        "condition.charger",
        "condition.battery",
        "condition.colour",
    }
    assert (
        body_of(handler({"data": dict(CONTRACT_EXAMPLE), "condition": "good"}))["errors"][0][
            "field"
        ]
        == "condition"
    )
    assert recorder.calls == []


def test_a_bad_policy_prices_nothing_and_logs_one_line_naming_the_key(
    monkeypatch, tmp_path, caplog, recorder
):
    bad = tmp_path / "policy.toml"
    bad.write_text(DEFAULT_POLICY_PATH.read_text().replace("broken = 70", "broken = 170"))
    monkeypatch.setenv("POLICY_PATH", str(bad))
    previous = set_issuer(None)
    try:
        with caplog.at_level(logging.ERROR, logger=handler_module.__name__):
            response = handler({"data": dict(CONTRACT_EXAMPLE)})
        assert response["statusCode"] == 500
        assert "deductions.screen.broken" in caplog.text and "Traceback" not in caplog.text
        with pytest.raises(SystemExit) as stopped:
            handler_module.refuse_to_start_on_a_bad_policy()
        assert "deductions.screen.broken" in str(stopped.value.code)
        assert recorder.calls == []
    finally:
        set_issuer(previous)


def test_the_embedded_client_logs_the_quote_and_it_can_be_found_again(tmp_path):
    log = LocalRequestLog(tmp_path, "p")
    previous = set_observer(PricingObserver(log))
    try:
        spec = LaptopSpec.default()
        quote, trade_in = LocalPricingClient().price_trade_in(
            spec, Condition.from_payload(SCRATCHED)
        )
        LocalPricingClient().price(spec)  # a plain request in the same day file
    finally:
        set_observer(previous)
    text = log.path_for(quote_id_day(trade_in.quote_id)).read_text()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 2
    assert rows[0]["quote_id"] == trade_in.quote_id and rows[0]["condition_screen"] == "scratched"
    assert rows[0]["offer"] == str(trade_in.offer.amount)
    assert all(rows[1][c] == "" for c in TRADE_IN_LOG_COLUMNS)
    found = QuoteLookup(log.read_day).find(trade_in.quote_id.lower())
    assert found.status == "valid"
    assert found.quote.offer == trade_in.offer.amount
    assert found.quote.market_estimate == quote.price
    assert found.quote.condition == Condition.from_payload(SCRATCHED)
    assert found.quote.spec == spec


def test_the_local_server_with_and_without_a_condition(tmp_path):
    env = {"PREDICTIONS_DIR": str(tmp_path / "log"), "POWERTOOLS_METRICS_DISABLED": "true"}
    with ApiServer(tmp_path, env) as server:
        client = HttpPricingClient(server.url + "/predict")
        spec = LaptopSpec.from_payload(CONTRACT_EXAMPLE)
        plain = requests.post(server.url + "/predict", json={"data": CONTRACT_EXAMPLE}, timeout=30)
        assert set(plain.json()) == COURSE_ANSWER_KEYS
        quote, trade_in = client.price_trade_in(spec, Condition.from_payload(SCRATCHED))
        assert quote.price == plain.json()["prediction"]
        bad = requests.post(
            server.url + "/predict",
            json={"data": CONTRACT_EXAMPLE, "condition": {**SCRATCHED, "body": "bent"}},
            timeout=30,
        )
        assert bad.status_code == 400
        assert [e["field"] for e in bad.json()["errors"]] == ["condition.body"]
    log = LocalRequestLog(tmp_path / "log", "laptop-prediction-real-data")
    found = QuoteLookup(log.read_day).find(trade_in.quote_id)
    assert found.status == "valid" and found.quote.offer == trade_in.offer.amount


def test_the_local_server_refuses_to_start_on_a_bad_policy(tmp_path):
    bad = tmp_path / "policy.toml"
    bad.write_text(
        DEFAULT_POLICY_PATH.read_text().replace("validity_days = 7", "validity_days = -1")
    )
    env = {"PREDICTIONS_DIR": str(tmp_path / "log"), "POLICY_PATH": str(bad)}
    with (
        pytest.raises(RuntimeError, match="server exited early") as caught,
        ApiServer(tmp_path, env),
    ):
        pass
    output = str(caught.value)
    assert "offer.validity_days" in output and "Traceback" not in output
