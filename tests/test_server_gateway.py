"""The gateway's rules with injected clocks, and the app's answers to broken handlers over HTTP."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from laptop_pricing.api.gateway import (
    DEFAULT_BURST,
    DEFAULT_QUOTA,
    DEFAULT_RATE,
    Gateway,
    UsagePlan,
)
from laptop_pricing.api.server import build_app, parse_args, plan_from
from laptop_pricing.pricing.laptop_spec import LaptopSpec
from tests.service_fixtures import running


class Clocks:
    def __init__(self) -> None:
        self.mono = 1000.0
        self.utc = datetime(2024, 1, 16, 23, 59, 0, tzinfo=UTC)

    def monotonic(self) -> float:
        return self.mono

    def utc_now(self) -> datetime:
        return self.utc


def gateway(plan: UsagePlan, keys: tuple[str, ...] = ("alpha", "beta")) -> tuple[Gateway, Clocks]:
    clocks = Clocks()
    return Gateway(keys, plan, monotonic=clocks.monotonic, utc_now=clocks.utc_now), clocks


def test_keys_are_checked_before_any_limit() -> None:
    gate, _ = gateway(UsagePlan(rate=1, burst=1))
    assert gate.admit(None).status == 403
    assert gate.admit("").status == 403
    assert gate.admit("ALPHA").status == 403  # keys are exact
    assert gate.admit("alpha").status == 200
    assert gate.admit("gamma").status == 403  # a refused key spends no token of anyone's


def test_token_bucket_burst_refill_and_retry_after() -> None:
    gate, clocks = gateway(UsagePlan(rate=2, burst=3))
    assert [gate.admit("alpha").status for _ in range(4)] == [200, 200, 200, 429]
    assert gate.admit("alpha").retry_after == 1  # half a second to the next token, rounded up
    assert gate.admit("beta").status == 200  # its own bucket
    clocks.mono += 0.5
    assert gate.admit("alpha").status == 200  # one token back after 1/rate seconds
    assert gate.admit("alpha").status == 429
    clocks.mono += 100
    assert [gate.admit("alpha").status for _ in range(4)] == [200, 200, 200, 429]  # capped at burst


def test_slow_rate_gives_a_long_retry_after() -> None:
    gate, _ = gateway(UsagePlan(rate=0.1, burst=1))
    assert gate.admit("alpha").status == 200
    refused = gate.admit("alpha")
    assert (refused.status, refused.retry_after, refused.reason) == (429, 10, "throttled")


def test_daily_quota_resets_at_utc_midnight() -> None:
    gate, clocks = gateway(UsagePlan(quota=2))
    assert [gate.admit("alpha").status for _ in range(3)] == [200, 200, 429]
    over = gate.admit("alpha")
    assert (over.reason, over.retry_after) == ("quota exceeded", 60)  # 23:59 -> midnight
    assert gate.admit("beta").status == 200
    clocks.utc += timedelta(minutes=1)  # 2024-01-17T00:00Z
    assert [gate.admit("alpha").status for _ in range(3)] == [200, 200, 429]


def test_throttled_requests_do_not_spend_quota() -> None:
    gate, clocks = gateway(UsagePlan(rate=1, burst=1, quota=2))
    assert [gate.admit("alpha").status for _ in range(3)] == [200, 429, 429]
    clocks.mono += 1
    assert gate.admit("alpha").status == 200  # second of two: the refusals were not counted
    clocks.mono += 1
    assert gate.admit("alpha").reason == "quota exceeded"


def test_no_keys_means_no_key_check_and_no_limits_unless_asked() -> None:
    gate = Gateway((), UsagePlan())
    assert not gate.requires_key
    assert all(gate.admit(None).status == 200 for _ in range(1000))
    assert plan_from(parse_args([]), keys_set=False) == UsagePlan()
    assert plan_from(parse_args([]), keys_set=True) == UsagePlan(
        DEFAULT_RATE, DEFAULT_BURST, DEFAULT_QUOTA
    )
    explicit = parse_args(["--rate", "5", "--burst", "7", "--quota", "0"])
    assert plan_from(explicit, keys_set=True) == UsagePlan(5, 7, None)


def test_limits_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRICING_API_RATE", "3")
    monkeypatch.setenv("PRICING_API_BURST", "4")
    monkeypatch.setenv("PRICING_API_QUOTA", "9")
    assert plan_from(parse_args([]), keys_set=False) == UsagePlan(3, 4, 9)


def post(url: str, **kwargs: Any) -> requests.Response:
    payload = kwargs.pop("json", LaptopSpec.default().to_payload())
    return requests.post(url + "/predict", json=payload, timeout=10, **kwargs)


def test_the_handler_gets_a_rest_proxy_event_like_api_gateway_sends() -> None:
    seen: list[dict] = []

    def handler(event: dict, context: Any) -> dict:
        seen.append(event)
        return {"statusCode": 201, "headers": {"X-Test": "yes"}, "body": '{"ok": true}'}

    gate = Gateway(("alpha",), UsagePlan())
    with running(build_app(handler, gate)) as url:
        response = post(url + "", headers={"x-api-key": "alpha"}, params={"q": "1"})
    assert (response.status_code, response.json()) == (201, {"ok": True})
    assert response.headers["X-Test"] == "yes"
    (event,) = seen
    assert event["httpMethod"] == "POST" and event["path"] == "/predict"
    assert json.loads(event["body"]) == LaptopSpec.default().to_payload()
    assert event["isBase64Encoded"] is False
    assert event["headers"]["x-api-key"] == "alpha"  # as API Gateway passes it on
    assert event["requestContext"]["identity"]["apiKeyId"] == "key-1"
    assert event["queryStringParameters"] == {"q": "1"}
    assert response.headers["x-amzn-RequestId"] == event["requestContext"]["requestId"]


def test_a_non_utf8_body_reaches_the_handler_base64_encoded() -> None:
    seen: list[dict] = []

    def handler(event: dict, context: Any) -> dict:
        seen.append(event)
        return {"statusCode": 200, "body": "{}"}

    with running(build_app(handler)) as url:
        requests.post(url + "/predict", data=b"\xff\xfe", timeout=10)
    assert seen[0]["isBase64Encoded"] is True
    assert base64.b64decode(seen[0]["body"]) == b"\xff\xfe"


@pytest.mark.parametrize(
    "broken",
    [
        lambda e, c: None,
        lambda e, c: {"statusCode": "200", "body": "{}"},
        lambda e, c: {"statusCode": 200, "body": {"not": "a string"}},
        lambda e, c: 1 / 0,
    ],
    ids=["none", "status-as-string", "body-not-string", "raises"],
)
def test_a_broken_lambda_answer_is_a_502(broken: Callable) -> None:
    with running(build_app(broken)) as url:
        response = post(url)
    assert (response.status_code, response.json()) == (502, {"message": "Internal server error"})


def test_a_slow_handler_is_a_504_after_the_integration_timeout() -> None:
    def slow(event: dict, context: Any) -> dict:
        time.sleep(1.0)
        return {"statusCode": 200, "body": "{}"}

    with running(build_app(slow, timeout=0.2)) as url:
        response = post(url)
    assert (response.status_code, response.json()) == (
        504,
        {"message": "Endpoint request timed out"},
    )


def test_unknown_routes_and_methods_answer_like_api_gateway() -> None:
    with running(build_app(lambda e, c: {"statusCode": 200, "body": "{}"})) as url:
        unknown = requests.get(url + "/nothing", timeout=10)
        wrong_method = requests.get(url + "/predict", timeout=10)
        too_big = requests.post(url + "/predict", data=b"x" * (1024 * 1024 + 1), timeout=10)
        health = requests.get(url + "/health", timeout=10)
    assert (unknown.status_code, unknown.json()) == (
        403,
        {"message": "Missing Authentication Token"},
    )
    assert wrong_method.status_code == 403  # API Gateway has no GET method there either
    assert too_big.status_code == 413
    assert health.json() == {"status": "ok", "keys_required": False}


def test_the_real_handler_answers_400_with_fields_through_the_server() -> None:
    with running(build_app()) as url:
        response = post(
            url, json={"data": {**LaptopSpec.default().to_payload()["data"], "ram_gb": "252"}}
        )
    assert response.status_code == 400
    body = response.json()
    assert body["message"] == "Invalid request"
    assert [e["field"] for e in body["errors"]] == ["ram_gb"]


def test_a_flag_that_is_not_a_boolean_is_a_400_naming_it_through_the_server() -> None:
    data = LaptopSpec.default().to_payload()["data"]
    with running(build_app()) as url:
        bad = post(url, json={"data": data, "explain": True, "comparables": "yes"})
        good = post(url, json={"data": data, "comparables": True})
    assert bad.status_code == 400
    assert [e["field"] for e in bad.json()["errors"]] == ["comparables"]
    assert good.status_code == 200 and "explanation" not in good.json()
    assert 3 <= len(good.json()["comparables"]) <= 5
