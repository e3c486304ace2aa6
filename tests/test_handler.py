"""The Lambda handler: every event shape, every kind of bad input answered 400 (never 500), the
observer seam, no secrets in logs, and a Hypothesis fuzz of >= 500 events."""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from laptop_pricing.api import handler as api
from laptop_pricing.pricing.engine import MarketEstimate, PricingEngine
from laptop_pricing.pricing.laptop_spec import LaptopSpec
from laptop_pricing.pricing.schema import CONTRACT_EXAMPLE, FIELD_NAMES, FIELDS, PROCESSORS_BY_BRAND

COURSE_SAMPLE = dict(CONTRACT_EXAMPLE)
SECRET_KEY = "k3y-SECRET-do-not-log-9f8e7d"


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[LaptopSpec, MarketEstimate, float]] = []
        self.request_ids: list[str] = []

    def on_priced(
        self,
        spec: LaptopSpec,
        quote: MarketEstimate,
        latency_ms: float,
        request_id: str,
        trade_in: object | None = None,
        store_id: str = "loja",
    ) -> None:
        self.calls.append((spec, quote, latency_ms))
        self.request_ids.append(request_id)


RECORDER = Recorder()
handle = api.PricingHandler(api.get_engine(), RECORDER)  # dependencies passed in, no global


@pytest.fixture
def recorder():
    RECORDER.calls.clear()
    RECORDER.request_ids.clear()
    return RECORDER


def rest_event(body: Any, method: str = "POST", base64_body: bool = False) -> dict[str, Any]:
    text = body if isinstance(body, str) or body is None else json.dumps(body)
    if base64_body and text is not None:
        text = base64.b64encode(text.encode()).decode()
    return {
        "resource": "/predict",
        "path": "/predict",
        "httpMethod": method,
        "headers": {"x-api-key": SECRET_KEY, "Content-Type": "application/json"},
        "requestContext": {"identity": {"apiKey": SECRET_KEY}},
        "body": text,
        "isBase64Encoded": base64_body,
    }


def url_event(body: Any, method: str = "POST", base64_body: bool = False) -> dict[str, Any]:
    text = body if isinstance(body, str) else json.dumps(body)
    if base64_body:
        text = base64.b64encode(text.encode()).decode()
    return {
        "version": "2.0",
        "rawPath": "/",
        "headers": {"x-api-key": SECRET_KEY},
        "requestContext": {"http": {"method": method, "path": "/"}},
        "body": text,
        "isBase64Encoded": base64_body,
    }


def answer(response: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    assert set(response) == {"statusCode", "headers", "body"}
    assert response["headers"]["Content-Type"] == "application/json"
    return response["statusCode"], json.loads(response["body"])


def error_fields(response: dict[str, Any]) -> list[str]:
    status, body = answer(response)
    assert status == 400, body
    assert body["message"] == "Invalid request"
    for error in body["errors"]:
        assert set(error) == {"field", "value", "reason", "allowed"}
    return [e["field"] for e in body["errors"]]


@pytest.mark.parametrize(
    "event",
    [
        {"data": COURSE_SAMPLE},
        rest_event({"data": COURSE_SAMPLE}),
        rest_event({"data": COURSE_SAMPLE}, base64_body=True),
        url_event({"data": COURSE_SAMPLE}),
        url_event({"data": COURSE_SAMPLE}, base64_body=True),
    ],
    ids=["direct", "rest-proxy", "rest-proxy-base64", "function-url", "function-url-base64"],
)
def test_every_event_shape_is_priced(event, recorder):
    status, body = answer(handle(event, None))
    assert status == 200
    expected = PricingEngine.load().price(LaptopSpec.from_payload(COURSE_SAMPLE))
    assert body == {
        "prediction": expected.price,
        "version": expected.version,
        "currency": "BRL",
        "range": {"low": expected.low, "high": expected.high, "coverage": expected.coverage},
    }
    assert isinstance(body["prediction"], int)
    assert len(recorder.calls) == 1


def test_observer_gets_spec_quote_and_latency_once_per_priced_request(recorder):
    handle({"data": COURSE_SAMPLE})
    handle({"data": {**COURSE_SAMPLE, "ram_gb": 8}})
    handle({"data": {**COURSE_SAMPLE, "ram_gb": 252}})  # refused: not observed
    assert [spec.ram_gb for spec, _, _ in recorder.calls] == [16, 8]
    spec, quote, latency_ms = recorder.calls[0]
    assert spec == LaptopSpec.from_payload(COURSE_SAMPLE)
    assert isinstance(quote, MarketEstimate) and quote.price > 0
    assert 0 < latency_ms < 60_000


def test_a_handler_without_an_observer_prices_and_records_nothing(recorder):
    status, _ = answer(api.PricingHandler(api.get_engine())({"data": COURSE_SAMPLE}))
    assert status == 200
    assert recorder.calls == []


def test_the_lambda_entry_point_builds_its_handler_once_from_the_environment():
    first = api.lambda_entry()
    assert api.lambda_entry() is first
    assert answer(api.handler({"data": COURSE_SAMPLE}))[0] == 200


class Context:
    aws_request_id = "lambda-context-id"


def test_the_request_id_is_the_clients_then_the_gateways_then_the_lambdas(recorder):
    event = rest_event({"data": COURSE_SAMPLE})
    event["headers"]["X-Request-Id"] = "click-42"
    event["requestContext"]["requestId"] = "gateway-1"
    handle(event, Context())
    del event["headers"]["X-Request-Id"]
    handle(event, Context())
    del event["requestContext"]["requestId"]
    handle(event, Context())
    event["headers"]["x-request-id"] = "not allowed/../" * 3  # unsafe: ignored
    handle(event, None)
    assert recorder.request_ids[:3] == ["click-42", "gateway-1", "lambda-context-id"]
    assert len(recorder.request_ids[3]) == 32  # a fresh uuid4


def test_missing_and_invalid_fields_are_all_listed(recorder):
    data = {**COURSE_SAMPLE, "ram_gb": "252", "brand": "core i3", "color": "red"}
    del data["ssd"]
    fields = error_fields(handle(rest_event({"data": data})))
    assert sorted(fields) == sorted(["ram_gb", "brand", "ssd", "color"])
    assert recorder.calls == []


@pytest.mark.parametrize(
    ("event", "field"),
    [
        (rest_event("{not json"), "body"),
        (rest_event(""), "body"),
        (rest_event(None), "body"),
        (url_event('"just a string"'), "body"),
        (url_event("[1, 2, 3]"), "body"),
        (rest_event({"brand": "dell"}), "data"),  # fields not wrapped in "data"
        (rest_event({"data": "dell"}), "data"),
        (rest_event({"data": None}), "data"),
        ({**rest_event("x"), "body": "!!!not base64!!!", "isBase64Encoded": True}, "body"),
        (url_event(base64.b64encode(b"\xff\xfe\x00").decode()) | {"isBase64Encoded": True}, "body"),
        (rest_event('{"data": {"ram_gb": ' + "9" * 5000 + "}}"), "body"),
        (rest_event("[" * 50_000), "body"),
        (rest_event(" " * 100_000), "body"),
        (rest_event({"data": {**COURSE_SAMPLE, "ram_gb": 1e308 * 10}}), "ram_gb"),
        (rest_event({"data": {**COURSE_SAMPLE, "hdd": 10**40}}), "hdd"),
        ({"body": {"data": COURSE_SAMPLE}}, "body"),  # body must be a string
        ("not an event", "body"),
        ([{"data": COURSE_SAMPLE}], "body"),
        ({"requestContext": "odd", "data": COURSE_SAMPLE, "body": None}, "body"),
    ],
)
def test_bad_bodies_get_400_with_the_field_at_fault(event, field):
    assert field in error_fields(handle(event, None))


def test_huge_integer_in_a_direct_invoke_is_echoed_safely():
    response = handle({"data": {**COURSE_SAMPLE, "ram_gb": 10**5000}})
    assert "ram_gb" in error_fields(response)
    assert len(response["body"]) < 5000


@pytest.mark.parametrize("make", [rest_event, url_event])
def test_other_methods_get_405(make):
    status, body = answer(handle(make({"data": COURSE_SAMPLE}, method="GET")))
    assert status == 405
    assert body["errors"][0]["field"] == "method"


def test_internal_failure_is_a_500_without_the_request(caplog, capsys):
    class Broken:
        def price(self, spec):
            raise RuntimeError("model file vanished")

    caplog.set_level(logging.DEBUG)
    broken = api.PricingHandler(Broken(), RECORDER)  # type: ignore[arg-type]
    status, body = answer(broken(rest_event({"data": COURSE_SAMPLE})))
    assert status == 500
    assert body == {"message": "Internal error"}
    assert "pricing failed" in caplog.text
    logged = caplog.text + capsys.readouterr().out
    assert SECRET_KEY not in logged and "x-api-key" not in logged


def test_event_headers_and_key_are_never_logged(caplog, capsys, recorder):
    caplog.set_level(logging.DEBUG)
    events = [
        rest_event({"data": COURSE_SAMPLE}),
        url_event({"data": COURSE_SAMPLE}),
        rest_event({"data": {**COURSE_SAMPLE, "brand": SECRET_KEY}}),  # echoed to the client only
        rest_event("{broken"),
        rest_event({"data": COURSE_SAMPLE}, method="DELETE"),
    ]
    for event in events:
        handle(event, None)
    captured = capsys.readouterr()
    logged = caplog.text + captured.out + captured.err
    assert SECRET_KEY not in logged
    assert "x-api-key" not in logged


# ---- fuzz ---------------------------------------------------------------------------------------

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def _allowed(field) -> st.SearchStrategy:
    return st.sampled_from(field.values).flatmap(
        lambda v: st.sampled_from([v, str(v), f" {str(v).upper()} "])
    )


field_values = {f.name: _allowed(f) | json_values for f in FIELDS}
processor_pairs = st.sampled_from(
    [(brand, name) for brand, names in PROCESSORS_BY_BRAND.items() for name in names]
)
valid_data = st.builds(
    lambda values, pair: {**values, "processor_brand": pair[0], "processor_name": pair[1]},
    st.fixed_dictionaries({f.name: _allowed(f) for f in FIELDS}),
    processor_pairs,
)
mutated_data = st.builds(
    lambda base, changes, drop, extra: {
        **{k: v for k, v in base.items() if k not in drop},
        **changes,
        **extra,
    },
    valid_data,
    st.fixed_dictionaries({}, optional=field_values),
    st.sets(st.sampled_from(FIELD_NAMES), max_size=3),
    st.dictionaries(st.text(max_size=10), json_values, max_size=2),
)
wrapped_valid = st.builds(lambda d: {"data": d}, valid_data)
# Weighted so that about a third of the events are priced and the rest probe the refusals.
requests = st.one_of(
    wrapped_valid, wrapped_valid, st.builds(lambda d: {"data": d}, mutated_data), json_values
)


@st.composite
def events(draw) -> Any:
    request = draw(requests)
    shape = draw(st.sampled_from(["direct", "rest", "url", "raw-body", "odd-event"]))
    if shape == "direct":
        return request
    if shape == "odd-event":
        keys = st.sampled_from(["body", "httpMethod", "requestContext", "isBase64Encoded", "data"])
        return draw(st.dictionaries(keys, json_values | st.just(request), max_size=5))
    if shape == "raw-body":
        body = draw(
            st.text(max_size=200) | st.binary(max_size=200).map(lambda b: b.decode("latin-1"))
        )
    else:
        body = json.dumps(request)
    make = rest_event if shape == "rest" else url_event
    method = draw(st.sampled_from(["POST"] * 6 + ["GET", "PUT", "post"]))
    encode = draw(st.booleans())
    event = make(body, method=method, base64_body=encode)
    if encode and draw(st.integers(0, 3)) == 0:
        event["body"] = draw(st.text(max_size=40))  # claims base64 but is not
    return event


@settings(
    max_examples=600,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(event=events())
def test_fuzzed_events_never_get_a_500(event, recorder):
    before = len(recorder.calls)
    status, body = answer(handle(event, None))
    assert status in (200, 400, 405), body
    if status == 200:
        assert isinstance(body["prediction"], int) and body["prediction"] > 0
        assert body["range"]["low"] <= body["prediction"] <= body["range"]["high"]
        assert len(recorder.calls) == before + 1
    else:
        assert body["message"] == "Invalid request" and body["errors"]
        assert len(recorder.calls) == before


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=valid_data, shape=st.sampled_from([lambda d: d, rest_event, url_event]))
def test_every_valid_laptop_is_priced_like_the_engine_prices_it(data, shape, recorder):
    status, body = answer(handle(shape({"data": data}), None))
    assert status == 200, body
    assert body["prediction"] == PricingEngine.load().price(LaptopSpec.from_payload(data)).price
