"""The offer through the API: the handler in-process, and the local server over HTTP."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import requests

from laptop_pricing.api import handler as handler_module
from laptop_pricing.api.handler import PricingHandler, get_engine, issuer_or_exit
from laptop_pricing.api.service import RecordingObserver
from laptop_pricing.client import HttpPricingClient, LocalPricingClient, client_from_settings
from laptop_pricing.formatting import BRASILIA
from laptop_pricing.log_columns import TRADE_IN_LOG_COLUMNS
from laptop_pricing.pricing.laptop_spec import LaptopSpec
from laptop_pricing.pricing.schema import CONTRACT_EXAMPLE
from laptop_pricing.request_log import RequestLog
from laptop_pricing.settings import load_settings
from laptop_pricing.storage.day_reader import day_rows
from laptop_pricing.trade_in.condition import Condition
from laptop_pricing.trade_in.offer import compute_offer
from laptop_pricing.trade_in.policy import DEFAULT_POLICY_PATH, PolicyError, load_policy
from laptop_pricing.trade_in.quote import QuoteIssuer
from laptop_pricing.trade_in.quote_id import quote_id_day
from laptop_pricing.trade_in.quote_lookup import QuoteLookup
from tests.request_log_support import local_store, logged_rows
from tests.service_fixtures import ApiServer

SCRATCHED = {**Condition.best().as_dict(), "screen": "scratched", "battery": "weak"}
COURSE_ANSWER_KEYS = {"prediction", "version", "currency", "range"}


def body_of(response: dict) -> dict:
    return json.loads(response["body"])


class Recorder:
    def __init__(self):
        self.calls = []
        self.stores = []

    def on_priced(self, spec, quote, latency_ms, request_id, trade_in=None, store_id="loja"):
        self.calls.append((spec, quote, trade_in))
        self.stores.append(store_id)


@pytest.fixture
def recorder():
    return Recorder()


@pytest.fixture
def handler(recorder):
    """The handler quoting under the committed policy, its observer the recorder."""
    return PricingHandler(get_engine(), recorder, QuoteIssuer(load_policy()))


def test_the_course_payload_gets_exactly_the_answer_it_gets_today(handler, recorder):
    response = handler({"data": dict(CONTRACT_EXAMPLE)})
    body = body_of(response)
    assert response["statusCode"] == 200
    assert body == get_engine().price(LaptopSpec.from_payload(CONTRACT_EXAMPLE)).as_body()
    assert set(body) == COURSE_ANSWER_KEYS
    assert recorder.calls[-1][2] is None
    assert body_of(handler({"data": dict(CONTRACT_EXAMPLE), "condition": None})) == body


def test_a_condition_adds_the_offer_quote_id_validity_policy_and_deductions(handler, recorder):
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


def test_no_offer_is_null_with_the_reason(handler):
    condition = {**SCRATCHED, "powers_on": False}
    body = body_of(handler({"data": dict(CONTRACT_EXAMPLE), "condition": condition}))
    assert body["offer"] is None
    assert "não ligam" in body["no_offer_reason"]
    assert body["quote_id"] and body["deductions"] == []


def test_a_bad_condition_is_a_400_naming_each_field_and_the_laptop_fields_too(handler, recorder):
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


@pytest.mark.usefixtures("clean_env")
def test_a_bad_policy_is_refused_before_anything_is_priced_naming_the_key(monkeypatch, tmp_path):
    bad = tmp_path / "policy.toml"
    bad.write_text(DEFAULT_POLICY_PATH.read_text().replace("broken = 70", "broken = 170"))
    monkeypatch.setenv("POLICY_PATH", str(bad))
    settings = load_settings()
    with pytest.raises(SystemExit) as stopped:
        issuer_or_exit(settings)
    message = str(stopped.value.code)
    assert message.startswith("Refusing to start:") and "deductions.screen.broken" in message
    assert "Traceback" not in message and stopped.value.__suppress_context__
    with pytest.raises(PolicyError) as refused:  # the embedded app's client is never built
        client_from_settings(settings)
    assert refused.value.key == "deductions.screen.broken"
    # A Lambda cold start fails its init the same way: no request reaches a half-read policy.
    monkeypatch.setattr(handler_module, "_entry", None)
    with pytest.raises(SystemExit) as cold_start:
        handler_module.handler({"data": dict(CONTRACT_EXAMPLE)})
    assert "deductions.screen.broken" in str(cold_start.value.code)
    assert handler_module._entry is None


def test_the_embedded_client_logs_the_quote_and_it_can_be_found_again(tmp_path):
    store = local_store(tmp_path)
    observer = RecordingObserver(RequestLog(store, deadline=5.0))
    issuer = QuoteIssuer(load_policy())
    client = LocalPricingClient(PricingHandler(get_engine(), observer, issuer))
    spec = LaptopSpec.default()
    quote, trade_in = client.price_trade_in(spec, Condition.from_payload(SCRATCHED))
    client.price(spec)  # a plain request in the same day
    assert observer.failures == 0

    def lookup() -> QuoteLookup:
        return QuoteLookup(lambda day: day_rows(store, day))

    before_compaction = lookup().find(trade_in.quote_id)  # from the records of the day
    assert before_compaction.status == "valid"
    assert before_compaction.quote.offer == trade_in.offer.amount
    rows = logged_rows(store, quote_id_day(trade_in.quote_id))  # the day file, compacted
    assert len(rows) == 2
    assert rows[0]["quote_id"] == trade_in.quote_id and rows[0]["condition_screen"] == "scratched"
    assert rows[0]["offer"] == str(trade_in.offer.amount)
    assert all(rows[1][c] == "" for c in TRADE_IN_LOG_COLUMNS)
    found = lookup().find(trade_in.quote_id.lower())
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
    store = local_store(tmp_path / "log")
    found = QuoteLookup(lambda day: day_rows(store, day)).find(trade_in.quote_id)
    assert found.status == "valid" and found.quote.offer == trade_in.offer.amount


def test_the_local_server_refuses_to_start_on_a_bad_policy(tmp_path):
    bad = tmp_path / "policy.toml"
    bad.write_text(
        DEFAULT_POLICY_PATH.read_text().replace("validity_days = 7", "validity_days = -1")
    )
    env = {"PREDICTIONS_DIR": str(tmp_path / "log"), "POLICY_PATH": str(bad)}
    server = ApiServer(tmp_path, env)
    with pytest.raises(RuntimeError, match="server exited early") as caught, server:
        pass
    assert server.process is not None and server.process.returncode == 1
    output = str(caught.value)
    assert "Refusing to start" in output and "offer.validity_days" in output
    assert "Traceback" not in output
