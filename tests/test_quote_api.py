"""``GET /quote/{quote_id}`` through the local server (a real process, real HTTP, its key and
usage plan), the HTTP client and the in-process client."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from laptop_pricing.client import HttpPricingClient
from laptop_pricing.embedded import embedded_client
from laptop_pricing.errors import AuthError, BadRequest, QuoteNotFound
from laptop_pricing.pricing.laptop_spec import LaptopSpec
from laptop_pricing.settings import load_settings
from laptop_pricing.trade_in.condition import Condition
from laptop_pricing.trade_in.policy import DEFAULT_POLICY_PATH, load_policy
from laptop_pricing.trade_in.quote_answer import FoundQuote
from laptop_pricing.trade_in.quote_id import QuoteIdGenerator
from laptop_pricing.trade_in.quote_lookup import LookupResult
from tests.service_fixtures import ApiServer

KEY = "quote-route-test-key"
WORN = dataclasses.replace(Condition.best(), screen="scratched", battery="weak")


def priced_quote(session: requests.Session, url: str) -> dict:
    payload = {**LaptopSpec.default().to_payload(), "condition": WORN.as_dict()}
    answer = session.post(url + "/predict", json=payload, headers={"x-api-key": KEY}, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_the_local_server_answers_200_404_400_and_403_without_the_key(tmp_path: Path) -> None:
    env = {"PREDICTIONS_DIR": str(tmp_path / "p"), "PRICING_API_KEYS": KEY}
    with ApiServer(tmp_path, env) as server, requests.Session() as session:
        priced = priced_quote(session, server.url)
        quote_id = priced["quote_id"]
        keyed = {"x-api-key": KEY}
        no_key = session.get(f"{server.url}/quote/{quote_id}", timeout=30)
        found = session.get(f"{server.url}/quote/{quote_id.lower()}", headers=keyed, timeout=30)
        unknown_id = QuoteIdGenerator().new(datetime.now(UTC))
        unknown = session.get(f"{server.url}/quote/{unknown_id}", headers=keyed, timeout=30)
        malformed = session.get(f"{server.url}/quote/ABCD-1234", headers=keyed, timeout=30)
    assert (no_key.status_code, no_key.json()) == (403, {"message": "Forbidden"})
    assert found.status_code == 200, found.text
    body = found.json()
    assert body["quote_id"] == quote_id and body["state"] == "valid"
    assert body["offer"] == priced["offer"] and body["market_estimate"] == priced["prediction"]
    assert body["valid_until"] == priced["valid_until"]
    assert body["policy_version"] == priced["policy_version"]
    assert body["deductions"] == priced["deductions"]  # each deduction in R$, as quoted
    assert body["laptop"] == LaptopSpec.default().to_payload()["data"]
    assert body["condition"] == WORN.as_dict() and body["outcomes"] == []
    assert (unknown.status_code, unknown.json()["quote_id"]) == (404, unknown_id)
    assert malformed.status_code == 400
    assert [e["field"] for e in malformed.json()["errors"]] == ["quote_id"]


def test_both_clients_find_the_same_quote_with_its_decisions(tmp_path: Path, monkeypatch) -> None:
    folder = tmp_path / "p"
    monkeypatch.setenv("PREDICTIONS_DIR", str(folder))  # the in-process client's folder too
    env = {"PREDICTIONS_DIR": str(folder), "PRICING_API_KEYS": KEY}
    with ApiServer(tmp_path, env) as server:
        http = HttpPricingClient(server.url + "/predict", KEY)
        _, trade_in = http.price_trade_in(LaptopSpec.default(), WORN)
        http.record_outcome(trade_in.quote_id, "ev-quote-route-1", "negotiated", amount=1000)
        over_http = http.find_quote(trade_in.quote_id)
        with pytest.raises(AuthError):
            HttpPricingClient(server.url + "/predict", "wrong").find_quote(trade_in.quote_id)
        with pytest.raises(QuoteNotFound):
            http.find_quote(QuoteIdGenerator().new(trade_in.quoted_at))
    in_process = embedded_client(load_settings()).find_quote(trade_in.quote_id)
    assert over_http == in_process
    assert over_http.quote.offer == trade_in.offer.amount and over_http.state == "valid"
    assert over_http.deductions == trade_in.offer.deductions
    assert over_http.resale_value == trade_in.offer.resale_value
    total = sum(d.amount for d in over_http.deductions or ())
    assert over_http.resale_value - total == trade_in.offer.amount  # the lines add up
    assert [(o.event_id, o.amount) for o in over_http.outcomes] == [("ev-quote-route-1", 1000)]


@pytest.mark.parametrize("text", ["ABCD", "", "113G-3959-QF6W", "1/3G-3959-QF6V"])
def test_text_that_is_not_a_quote_id_is_a_bad_request_naming_quote_id(tmp_path, monkeypatch, text):
    monkeypatch.setenv("PREDICTIONS_DIR", str(tmp_path / "p"))
    with pytest.raises(BadRequest) as raised:
        embedded_client(load_settings()).find_quote(text)
    assert raised.value.fields == ["quote_id"]


def test_deductions_are_unknown_once_the_policy_changed(tmp_path: Path) -> None:
    """The request log keeps the offer, not its lines: under another policy they are not
    recomputed (they would not be the ones the customer was quoted)."""
    from laptop_pricing.trade_in.quote import QuoteIssuer
    from laptop_pricing.trade_in.quote_lookup import StoredQuote

    policy = load_policy()
    issued = QuoteIssuer(policy).issue(5000, WORN)
    stored = StoredQuote(
        issued.quote_id, issued.quoted_at, LaptopSpec.default(), WORN, 5000,
        issued.offer.amount, issued.policy_version, issued.valid_until, "v1",
    )  # fmt: skip
    found = LookupResult("valid", issued.quote_id, stored)
    same = FoundQuote.from_lookup(found, policy)
    assert same.deductions == issued.offer.deductions
    other_file = tmp_path / "other.toml"
    other_file.write_text(
        DEFAULT_POLICY_PATH.read_text().replace("margin_pct = 20", "margin_pct = 25")
    )
    changed = FoundQuote.from_lookup(found, load_policy(other_file))
    assert changed.deductions is None and changed.resale_value is None
    assert FoundQuote.from_body(changed.as_body()) == changed
    assert FoundQuote.from_body(same.as_body()) == same
