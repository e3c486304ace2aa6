"""Any text a client can put in a free-text field, through the handler: 400 naming the field,
never 5xx (issue 21 item 9: a lone surrogate in a note was a 500 from ``encode_record``)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from laptop_pricing.api.handler import PricingHandler
from laptop_pricing.client import gateway_event
from laptop_pricing.embedded import embedded_handler
from laptop_pricing.pricing.laptop_spec import LaptopSpec
from laptop_pricing.pricing.schema import FIELD_NAMES
from laptop_pricing.settings import load_settings
from laptop_pricing.trade_in.condition import QUESTION_KEYS, Condition

# Any character, with lone surrogates and control characters drawn often (hypothesis leaves
# surrogates out unless asked for them by category).
CHARACTERS = st.one_of(
    st.characters(), st.characters(categories=["Cs"]), st.characters(categories=["Cc"])
)
TEXT = st.text(CHARACTERS, max_size=40)
CHECKS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def handler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PricingHandler]:
    patch = pytest.MonkeyPatch()
    patch.setenv("PREDICTIONS_DIR", str(tmp_path_factory.mktemp("text-fields")))
    patch.delenv("PREDICTIONS_BUCKET", raising=False)
    yield embedded_handler(load_settings())
    patch.undo()


@pytest.fixture(scope="module")
def quote_id(handler: PricingHandler) -> str:
    payload = {**LaptopSpec.default().to_payload(), "condition": Condition.best().as_dict()}
    answer = handler(gateway_event(payload), None)
    assert answer["statusCode"] == 200
    return str(json.loads(answer["body"])["quote_id"])


def status_and_body(handler: PricingHandler, event: dict[str, Any]) -> tuple[int, Any]:
    answer = handler(event, None)
    json.dumps(answer["body"]).encode("utf-8")  # the answer itself is always sendable
    return answer["statusCode"], json.loads(answer["body"])


def fields_at_fault(body: Any) -> list[str]:
    return [error["field"] for error in body.get("errors", [])]


def outcome(quote_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    body = {"quote_id": quote_id, "event_id": f"ev-{uuid.uuid4().hex}", "decision": "accepted"}
    return gateway_event({**body, **fields}, "/outcome")


def test_a_lone_surrogate_in_a_note_is_a_400_naming_the_note(handler, quote_id):
    status, body = status_and_body(handler, outcome(quote_id, {"note": "x\ud800y"}))
    assert status == 400 and fields_at_fault(body) == ["note"]


@CHECKS
@given(note=TEXT)
def test_any_note_is_stored_or_refused_naming_it(handler, quote_id, note):
    status, body = status_and_body(handler, outcome(quote_id, {"note": note}))
    assert status in (200, 201) or (status == 400 and fields_at_fault(body) == ["note"])


@CHECKS
@given(
    field=st.sampled_from(["quote_id", "event_id", "decision", "reason", "changed_answer"]),
    text=TEXT,
)
def test_any_text_in_an_outcome_field_is_never_a_5xx(handler, quote_id, field, text):
    status, _ = status_and_body(handler, outcome(quote_id, {field: text}))
    assert status < 500


@CHECKS
@given(key=TEXT, text=TEXT)
def test_any_unknown_outcome_key_is_never_a_5xx(handler, quote_id, key, text):
    status, _ = status_and_body(handler, outcome(quote_id, {key: text}))
    assert status < 500


@CHECKS
@given(
    field=st.sampled_from(
        [*FIELD_NAMES, "clerk_email", *(f"condition.{k}" for k in QUESTION_KEYS)]
    ),
    text=TEXT,
)
def test_any_text_in_a_pricing_field_is_never_a_5xx(handler, field, text):
    payload: dict[str, Any] = {
        **LaptopSpec.default().to_payload(),
        "condition": Condition.best().as_dict(),
    }
    if field.startswith("condition."):
        payload["condition"][field.split(".", 1)[1]] = text
    elif field == "clerk_email":
        payload["clerk_email"] = text
    else:
        payload["data"][field] = text
    status, _ = status_and_body(handler, gateway_event(payload))
    assert status < 500


@CHECKS
@given(request_id=TEXT)
def test_any_request_id_header_is_never_a_5xx(handler, request_id):
    event = gateway_event(LaptopSpec.default().to_payload())
    event["headers"]["X-Request-Id"] = request_id
    status, _ = status_and_body(handler, event)
    assert status == 200


@CHECKS
@given(text=TEXT)
def test_any_text_as_a_quote_id_is_a_400_naming_it_or_a_404(handler, text):
    event = gateway_event(None, "/quote/" + text, "GET")
    status, body = status_and_body(handler, event)
    assert status == 404 or (status == 400 and fields_at_fault(body) == ["quote_id"])
