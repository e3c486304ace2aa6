"""The purchase routes of the handler (issue 23 item 10), driven with the events API Gateway
sends: each status with its body, who is an owner (the key id), photos as base64 bytes, and
events of every shape answered without a 5xx and without a seller's data in a log line."""

from __future__ import annotations

import base64
import io
import json
import logging
import random
from typing import Any

import pytest
from PIL import Image

from laptop_pricing.api.handler import PricingHandler, get_engine
from laptop_pricing.api.purchase_route import PurchaseRoute
from laptop_pricing.client_event import gateway_event
from laptop_pricing.purchase.photos import MAX_UPLOAD_BYTES, normalize_photo
from laptop_pricing.purchase.service import PurchaseService
from tests.purchase_support import SELLER, Scene, local_purchase_store, s3_purchase_store
from tests.service_fixtures import free_port

OWNER_KEY_ID = "owner-1"


@pytest.fixture
def scene(tmp_path) -> Scene:
    made = Scene(local_purchase_store(tmp_path))
    made.service.normalize = normalize_photo  # the real photo pipeline at the API
    return made


@pytest.fixture
def handler(scene) -> PricingHandler:
    route = PurchaseRoute(scene.service, frozenset({OWNER_KEY_ID}))
    return PricingHandler(get_engine(), purchases=route)


def call(
    handler: PricingHandler,
    path: str,
    payload: dict[str, Any] | None = None,
    method: str = "POST",
    *,
    owner: bool = False,
    raw: bytes | None = None,
) -> tuple[int, dict[str, Any]]:
    event = gateway_event(
        payload,
        path,
        method,
        raw=raw,
        content_type="image/jpeg" if raw is not None else "application/json",
        api_key_id=OWNER_KEY_ID if owner else "key-1",
    )
    answer = handler(event, None)
    return answer["statusCode"], json.loads(answer["body"])


def png(width: int = 900, height: int = 700) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (30, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def fields(body: dict[str, Any]) -> list[str]:
    return [error["field"] for error in body["errors"]]


def test_a_purchase_is_201_then_200_for_the_same_event(handler, scene):
    quote_id = scene.quote()
    body = scene.body(quote_id)
    status, first = call(handler, "/purchase", body)
    assert status == 201
    assert (
        first["purchase_id"] == quote_id and first["machine"]["serial"] == body["machine"]["serial"]
    )
    assert first["seller"] == {"first_name": "Maria", "cpf_masked": "***.982.247-**"}
    status, again = call(handler, "/purchase", body)
    assert status == 200 and again == first


def test_bad_input_is_400_naming_each_field_with_a_pt_sentence(handler, scene):
    quote_id = scene.quote()
    locks = {lock: False for lock in scene.body(quote_id)["locks"]}
    body = scene.body(
        quote_id,
        seller={**SELLER, "cpf": "123.456.789-00"},
        declaration_signed=False,
        locks=locks,
    )
    status, answer = call(handler, "/purchase", body)
    assert status == 400
    named = fields(answer)
    assert "seller.cpf" in named and "declaration_signed" in named
    assert answer["message_pt"]
    assert "123.456.789-00" not in json.dumps(answer)  # a refused CPF is never echoed


def test_a_lock_answered_no_is_400_naming_the_lock(handler, scene):
    quote_id = scene.quote()
    body = scene.body(quote_id)
    first_lock = next(iter(body["locks"]))
    body["locks"][first_lock] = False
    status, answer = call(handler, "/purchase", body)
    assert status == 400 and f"locks.{first_lock}" in fields(answer)


def test_an_unknown_quote_is_404_naming_it(handler, scene):
    quote_id = scene.quote()
    body = scene.body(quote_id)
    del scene.rows[quote_id]
    status, answer = call(handler, "/purchase", body)
    assert (status, answer["quote_id"]) == (404, quote_id)


def test_a_quote_bought_under_another_event_is_409_naming_the_purchase(handler, scene):
    quote_id = scene.quote()
    assert call(handler, "/purchase", scene.body(quote_id))[0] == 201
    status, answer = call(handler, "/purchase", scene.body(quote_id))
    assert status == 409
    assert (answer["reason_code"], answer["purchase_id"]) == ("already_bought", quote_id)
    assert answer["message_pt"]


def test_an_owner_approval_is_403_for_a_clerk_and_201_for_an_owner(handler, scene):
    quote_id = scene.quote()
    body = scene.body(
        quote_id,
        agreed_amount=scene.offer(quote_id) + 300,
        amount_reason="cliente trouxe a nota fiscal",
        owner_approval=True,
        clerk_email="dono@loja.com.br",
    )
    status, answer = call(handler, "/purchase", body)
    assert (status, answer["reason_code"]) == (403, "owner_required") and answer["message_pt"]
    status, answer = call(handler, "/purchase", body, owner=True)
    assert status == 201
    (override,) = answer["overrides"]
    assert (override["role"], override["email"]) == ("owner", "dono@loja.com.br")


def test_find_is_full_for_an_owner_masked_for_its_clerk_and_404_for_another(handler, scene):
    quote_id = scene.quote()
    call(handler, "/purchase", scene.body(quote_id))
    status, full = call(handler, f"/purchase/{quote_id}", method="GET", owner=True)
    assert status == 200
    assert (full["seller"]["name"], full["seller"]["cpf"]) == (SELLER["name"], "52998224725")
    path = f"/purchase/{quote_id}?clerk_email=ana@loja.com.br"
    status, masked = call(handler, path, method="GET")
    assert status == 200
    assert masked["seller"] == {"first_name": "Maria", "cpf_masked": "***.982.247-**"}
    other = f"/purchase/{quote_id}?clerk_email=outra@loja.com.br"
    assert call(handler, other, method="GET")[0] == 404
    assert call(handler, f"/purchase/{quote_id}", method="GET")[0] == 404  # no e-mail, no view
    bad = f"/purchase/{quote_id}?clerk_email=not-an-email"
    status, answer = call(handler, bad, method="GET")
    assert (status, fields(answer)) == (400, ["clerk_email"])


def test_the_serial_lookup_is_for_owners_only(handler, scene):
    quote_id = scene.quote()
    body = scene.body(quote_id)
    call(handler, "/purchase", body)
    serial = body["machine"]["serial"]
    status, answer = call(handler, f"/purchase?serial={serial}", method="GET")
    assert (status, answer["reason_code"]) == (403, "owner_required")
    status, found = call(handler, f"/purchase?serial={serial}", method="GET", owner=True)
    assert (status, found["purchase_id"]) == (200, quote_id)
    assert found["seller"]["name"] == SELLER["name"]
    assert call(handler, "/purchase?serial=NOPE-123", method="GET", owner=True)[0] == 404
    status, answer = call(handler, "/purchase", method="GET", owner=True)
    assert (status, fields(answer)) == (400, ["serial"])


def test_the_preview_revises_the_offer_and_lists_locks_payouts_and_notice(handler, scene):
    quote_id = scene.quote()
    payload = {"quote_id": quote_id, "condition": None, "agreed_amount": None}
    status, preview = call(handler, "/purchase/preview", payload)
    assert status == 200
    assert preview["quote_id"] == quote_id and preview["revised_offer"] == scene.offer(quote_id)
    assert {option["method"] for option in preview["payout_options"]} == {
        "pix",
        "cash",
        "store_credit",
    }
    assert preview["locks"] and preview["privacy_notice_pt"]
    assert preview["photos"] == {"min": 2, "max": 6}


def test_a_photo_is_normalized_stored_and_answered_201(handler, scene, tmp_path):
    quote_id = scene.quote()
    status, answer = call(handler, f"/purchase/{quote_id}/photos?kind=lid", raw=png(3000, 2000))
    assert status == 201
    assert (answer["width"], answer["height"]) == (1600, 1067)
    assert answer["photo_id"].startswith("lid-") and 0 < answer["bytes"] <= 500_000
    body = scene.body(quote_id)
    again = call(handler, f"/purchase/{quote_id}/photos?kind=screen", raw=png())[1]
    body["photos"] = [answer["photo_id"], again["photo_id"]]
    assert call(handler, "/purchase", body)[0] == 201


def test_a_photo_over_the_limit_is_413_and_not_an_image_400(handler, scene):
    quote_id = scene.quote()
    path = f"/purchase/{quote_id}/photos?kind=lid"
    status, answer = call(handler, path, raw=b"\xff" * (MAX_UPLOAD_BYTES + 1))
    assert status == 413 and answer["message_pt"]
    status, answer = call(handler, path, raw=b"%PDF-1.7 not a photo at all")
    assert status == 400 and answer["message_pt"]
    status, answer = call(handler, f"/purchase/{quote_id}/photos", raw=png())
    assert (status, fields(answer)) == (400, ["kind"])
    status, answer = call(handler, f"/purchase/{quote_id}/photos?kind=selfie", raw=png())
    assert status == 400 and fields(answer) == ["kind"]


def test_wrong_methods_are_405(handler, scene):
    quote_id = scene.quote()
    assert call(handler, f"/purchase/{quote_id}", {"x": 1})[0] == 405
    assert call(handler, f"/purchase/{quote_id}/photos", method="GET")[0] == 405
    assert call(handler, "/purchase/preview", method="GET")[0] == 405


def test_without_the_personal_data_key_purchases_are_503_naming_it(scene):
    service = PurchaseService(scene.lookup, scene.store, None, scene.policy, scene.terms)
    handler = PricingHandler(get_engine(), purchases=PurchaseRoute(service))
    status, answer = call(handler, "/purchase", scene.body(scene.quote()))
    assert status == 503
    assert "PERSONAL-DATA-KEY" in answer["message"] and "PERSONAL-DATA-KEY" in answer["message_pt"]


def test_a_store_that_cannot_be_reached_is_503(scene, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    nowhere = s3_purchase_store(f"http://127.0.0.1:{free_port()}", "no-bucket")
    service = PurchaseService(scene.lookup, nowhere, scene.vault, scene.policy, scene.terms)
    route = PurchaseRoute(service, frozenset({OWNER_KEY_ID}))
    status, answer = call(
        PricingHandler(get_engine(), purchases=route),
        f"/purchase/{scene.quote()}",
        method="GET",
        owner=True,
    )
    assert status == 503 and answer["message_pt"]


def test_without_a_purchase_service_the_routes_are_404():
    handler = PricingHandler(get_engine())
    answer = handler(gateway_event({"quote_id": "x"}, "/purchase"), None)
    assert answer["statusCode"] == 404
    assert json.loads(answer["body"])["reason_code"] == "no_route"


def hostile_events(quote_id: str) -> list[dict[str, Any]]:
    rng = random.Random(23)
    events: list[dict[str, Any]] = []
    bodies: list[Any] = [
        None,
        "",
        "[]",
        "null",
        "{",
        '{"quote_id": 1e999}',
        '{"quote_id": "' + "9" * 5000 + '"}',
        json.dumps({"event_id": {"a": [1]}, "seller": "x", "photos": "abc", "payout": 3}),
        json.dumps({"quote_id": quote_id, "condition": {"powers_on": "talvez"}}),
        "[" * 5000,
        "\x00\x01\x02",
    ]
    bodies += [bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300))) for _ in range(40)]
    paths = [
        "/purchase",
        "/purchase/preview",
        f"/purchase/{quote_id}",
        f"/purchase/{quote_id}/photos?kind=lid",
        "/purchase/%00%ff/photos?kind=label",
        "/purchase/" + "A" * 3000,
        "/purchase?serial=%0A%0D",
    ]
    for body in bodies:
        for path in paths:
            for method in ("POST", "GET", "DELETE"):
                if isinstance(body, bytes):
                    event = gateway_event(None, path, method, raw=body, api_key_id=OWNER_KEY_ID)
                else:
                    event = gateway_event(None, path, method, api_key_id=OWNER_KEY_ID)
                    event["body"] = body
                events.append(event)
    events.append({"resource": "/purchase", "body": 5})
    events.append({"rawPath": "/purchase/preview", "requestContext": {"http": {"method": "POST"}}})
    events.append(
        {"path": "/purchase", "httpMethod": "POST", "isBase64Encoded": True, "body": "%%"}
    )
    return events


def test_events_of_every_shape_get_an_answer_never_a_5xx_nor_a_logged_seller(
    handler, scene, caplog
):
    quote_id = scene.quote()
    call(handler, "/purchase", scene.body(quote_id))  # one stored purchase to collide with
    caplog.set_level(logging.DEBUG)
    statuses = set()
    for event in hostile_events(quote_id):
        answer = handler(event, None)
        statuses.add(answer["statusCode"])
        assert answer["statusCode"] < 500, (event.get("path"), event.get("body"))
        json.loads(answer["body"])
    assert statuses <= {200, 400, 403, 404, 405, 409, 413}
    for secret in (SELLER["name"], "529.982.247-25", "52998224725", SELLER["document_number"]):
        assert secret not in caplog.text


def test_a_photo_arrives_as_api_gateways_base64(handler, scene):
    """API Gateway with a binary media type hands the bytes on as base64 in the body."""
    quote_id = scene.quote()
    event = gateway_event(None, f"/purchase/{quote_id}/photos?kind=label", raw=png())
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == png()
    assert handler(event, None)["statusCode"] == 201
