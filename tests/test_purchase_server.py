"""The purchase routes through the local server on 127.0.0.1: API keys (a clerk key is refused
on owner routes, 403), the photo body limit (413 before the body is read), every status over
real HTTP with purchases in moto's S3, raw bytes thrown at every route never a 5xx, and the
``python -m laptop_pricing.api.server`` process wired from its environment end to end."""

from __future__ import annotations

import io
import random
import uuid

import pytest
import requests
from PIL import Image

from laptop_pricing.api.gateway import Gateway
from laptop_pricing.api.handler import PricingHandler, get_engine
from laptop_pricing.api.purchase_route import PurchaseRoute
from laptop_pricing.api.server import build_app
from laptop_pricing.client import HttpPricingClient
from laptop_pricing.pricing.laptop_spec import LaptopSpec
from laptop_pricing.purchase.photos import MAX_UPLOAD_BYTES, normalize_photo
from laptop_pricing.trade_in.condition import Condition
from tests.purchase_support import SELLER, WORN, Scene, s3_purchase_store
from tests.service_fixtures import MOTO_ENV, ApiServer, running

CLERK_KEY = "chave-do-balcao"
OWNER_KEY = "chave-do-dono"


def jpeg(width: int = 1200, height: int = 900) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 80, 40)).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


@pytest.fixture
def scene(moto_endpoint, bucket, monkeypatch) -> Scene:
    for name, value in MOTO_ENV.items():
        monkeypatch.setenv(name, value)
    made = Scene(s3_purchase_store(moto_endpoint, bucket))
    made.service.normalize = normalize_photo
    return made


@pytest.fixture
def url(scene):
    gateway = Gateway((CLERK_KEY,), owner_keys=(OWNER_KEY,))
    route = PurchaseRoute(scene.service, gateway.owner_key_ids)
    with running(build_app(PricingHandler(get_engine(), purchases=route), gateway)) as base:
        yield base


def send(url: str, method: str, path: str, key: str | None = CLERK_KEY, **kwargs):
    headers = dict(kwargs.pop("headers", {}))
    if key is not None:
        headers["x-api-key"] = key
    return requests.request(method, url + path, headers=headers, timeout=30, **kwargs)


def test_every_status_of_the_purchase_routes_over_http(url, scene):
    quote_id = scene.quote()
    photo = send(
        url,
        "POST",
        f"/purchase/{quote_id}/photos?kind=lid",
        data=jpeg(),
        headers={"Content-Type": "image/jpeg"},
    )
    assert photo.status_code == 201 and photo.json()["width"] == 1200
    body = scene.body(quote_id)
    assert send(url, "POST", "/purchase", json=body).status_code == 201
    assert send(url, "POST", "/purchase", json=body).status_code == 200
    refused = send(url, "POST", "/purchase", json={**body, "event_id": "outro-evento"})
    assert (refused.status_code, refused.json()["purchase_id"]) == (409, quote_id)
    bad = send(url, "POST", "/purchase", json={**body, "seller": {**SELLER, "cpf": "1"}})
    assert bad.status_code == 400 and "seller.cpf" in str(bad.json()["errors"])
    other = scene.quote()
    gone = scene.body(other)
    del scene.rows[other]
    assert send(url, "POST", "/purchase", json=gone).status_code == 404
    preview = send(url, "POST", "/purchase/preview", json={"quote_id": scene.quote()})
    assert preview.status_code == 200 and preview.json()["payout_options"]


def test_a_clerk_key_is_403_on_owner_routes_and_the_owner_key_is_served(url, scene):
    quote_id = scene.quote()
    body = scene.body(quote_id)
    send(url, "POST", "/purchase", json=body)
    serial = body["machine"]["serial"]
    refused = send(url, "GET", "/purchase", params={"serial": serial})
    assert refused.status_code == 403 and refused.json()["message_pt"]
    found = send(url, "GET", "/purchase", OWNER_KEY, params={"serial": serial})
    assert found.status_code == 200 and found.json()["seller"]["name"] == SELLER["name"]
    full = send(url, "GET", f"/purchase/{quote_id}", OWNER_KEY)
    assert full.status_code == 200 and full.json()["seller_access"] == "full"
    assert send(url, "GET", f"/purchase/{quote_id}").status_code == 404  # a clerk, no e-mail
    assert send(url, "GET", f"/purchase/{quote_id}", None).status_code == 403  # no key
    assert send(url, "GET", f"/purchase/{quote_id}", "chave-errada").status_code == 403


def test_a_photo_over_8_mb_is_413_before_the_body_is_read(url, scene):
    quote_id = scene.quote()
    too_big = b"\xff\xd8" + b"\x00" * MAX_UPLOAD_BYTES
    answer = send(
        url,
        "POST",
        f"/purchase/{quote_id}/photos?kind=lid",
        data=too_big,
        headers={"Content-Type": "image/jpeg"},
    )
    assert answer.status_code == 413
    assert scene.store.store.list_keys(scene.store.root) == []
    not_image = send(
        url,
        "POST",
        f"/purchase/{quote_id}/photos?kind=lid",
        data=b"GIF89a... no",
        headers={"Content-Type": "image/gif"},
    )
    assert not_image.status_code == 400 and not_image.json()["message_pt"]


def test_raw_bytes_on_every_route_never_get_a_5xx(url, scene):
    quote_id = scene.quote()
    rng = random.Random(2323)
    paths = [
        "/purchase",
        "/purchase/preview",
        f"/purchase/{quote_id}",
        f"/purchase/{quote_id}/photos?kind=damage",
        "/purchase/%2E%2E/photos?kind=lid",
        "/purchase?serial=" + "%FF" * 10,
    ]
    types = ["application/json", "image/png", "application/octet-stream", "text/plain", ""]
    statuses = set()
    for _ in range(120):
        data = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 2000)))
        method = rng.choice(["POST", "GET", "PUT"])
        key = rng.choice([CLERK_KEY, OWNER_KEY])
        headers = {"Content-Type": rng.choice(types)}
        answer = send(url, method, rng.choice(paths), key, data=data, headers=headers)
        statuses.add(answer.status_code)
        assert answer.status_code < 500, (method, answer.status_code, answer.text[:200])
    assert statuses & {400, 405}


def test_the_server_process_serves_purchases_with_owner_keys_from_its_environment(tmp_path):
    env = {
        "PREDICTIONS_DIR": str(tmp_path / "log"),
        "PRICING_API_KEYS": CLERK_KEY,
        "PRICING_OWNER_API_KEYS": OWNER_KEY,
    }
    with ApiServer(tmp_path, env) as server:
        clerk = HttpPricingClient(server.url + "/predict", CLERK_KEY)
        _, offer = clerk.price_trade_in(
            LaptopSpec.default(), Condition.from_payload(WORN.as_dict())
        )
        clerk.record_outcome(offer.quote_id, uuid.uuid4().hex, "accepted")
        photos = [
            clerk.upload_photo(offer.quote_id, jpeg(), kind).photo_id for kind in ("lid", "screen")
        ]
        preview = clerk.preview_purchase({"quote_id": offer.quote_id})
        serial = f"SN-{uuid.uuid4().hex[:10].upper()}"
        payload = {
            "event_id": uuid.uuid4().hex,
            "quote_id": offer.quote_id,
            "clerk_email": "ana@loja.com.br",
            "condition": WORN.as_dict(),
            "agreed_amount": preview.revised_offer,
            "owner_approval": False,
            "locks": {lock.id: True for lock in preview.locks},
            "machine": {"serial": serial, "label_brand": "Dell", "label_model": "Inspiron"},
            "photos": photos,
            "seller": dict(SELLER),
            "privacy_notice_read": True,
            "payout": {"method": "pix"},
            "declaration_signed": True,
            "declaration_photo": None,
        }
        recorded = clerk.record_purchase(payload)
        assert recorded.created and recorded.seller is not None and recorded.seller.masked
        owner = HttpPricingClient(server.url + "/predict", CLERK_KEY, owner_api_key=OWNER_KEY)
        found = owner.find_purchase_by_serial(serial)
        assert found is not None and found.seller is not None
        assert (found.purchase_id, found.seller.name) == (offer.quote_id, SELLER["name"])
    log = server.output()
    for secret in (SELLER["name"], "529.982.247-25", "52998224725", CLERK_KEY, OWNER_KEY):
        assert secret not in log
