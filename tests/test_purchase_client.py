"""The purchase client methods, over HTTP (the local server on 127.0.0.1) and in-process, read
into the same typed answers and errors; the owner key travels only on calls made as owner; and
the embedded client composed from the settings records a purchase end to end."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from PIL import Image

from laptop_pricing.api.gateway import Gateway
from laptop_pricing.api.handler import PricingHandler, get_engine
from laptop_pricing.api.purchase_route import PurchaseRoute
from laptop_pricing.api.server import build_app
from laptop_pricing.client import HttpPricingClient, LocalPricingClient, PricingClient
from laptop_pricing.client_event import EMBEDDED_OWNER_KEY_ID
from laptop_pricing.embedded import embedded_client
from laptop_pricing.errors import AuthError, BadRequest, PurchaseRefused, QuoteNotFound
from laptop_pricing.pricing.laptop_spec import LaptopSpec
from laptop_pricing.purchase.photos import normalize_photo
from laptop_pricing.purchase_answers import PurchaseAnswer
from laptop_pricing.settings import load_settings
from laptop_pricing.trade_in.condition import Condition
from tests.purchase_support import SELLER, WORN, Scene, local_purchase_store
from tests.service_fixtures import running

CLERK_KEY = "chave-do-balcao"
OWNER_KEY = "chave-do-dono"


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (10, 160, 90)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def scene(tmp_path) -> Scene:
    made = Scene(local_purchase_store(tmp_path))
    made.service.normalize = normalize_photo
    return made


class Clients:
    """A clerk's client and an owner's, over one transport."""

    def __init__(self, clerk: PricingClient, owner: PricingClient):
        self.clerk = clerk
        self.owner = owner


@pytest.fixture(params=["http", "local"])
def clients(request, scene) -> Iterator[Clients]:
    if request.param == "local":
        route = PurchaseRoute(scene.service, frozenset({EMBEDDED_OWNER_KEY_ID}))
        local = LocalPricingClient(PricingHandler(get_engine(), purchases=route))
        yield Clients(local, local)
        return
    gateway = Gateway((CLERK_KEY,), owner_keys=(OWNER_KEY,))
    route = PurchaseRoute(scene.service, gateway.owner_key_ids)
    with running(build_app(PricingHandler(get_engine(), purchases=route), gateway)) as url:
        clerk = HttpPricingClient(url + "/predict", CLERK_KEY)
        owner = HttpPricingClient(url + "/predict", CLERK_KEY, owner_api_key=OWNER_KEY)
        yield Clients(clerk, owner)


def recorded(clients: Clients, scene: Scene, **changes: Any) -> tuple[dict[str, Any], Any]:
    quote_id = scene.quote()
    photos = [clients.clerk.upload_photo(quote_id, png(), k).photo_id for k in ("lid", "label")]
    body = scene.body(quote_id, photos=photos, **changes)
    return body, clients.clerk.record_purchase(body)


def test_a_purchase_is_recorded_and_read_back_typed(clients, scene):
    body, answer = recorded(clients, scene, payout={"method": "store_credit"})
    assert isinstance(answer, PurchaseAnswer) and answer.created
    assert answer.purchase_id == answer.quote_id == body["quote_id"]
    assert (answer.serial, answer.label_brand) == (body["machine"]["serial"], "Dell")
    assert answer.payout_method == "store_credit" and answer.payout_bonus_percent == 10
    assert answer.payout_amount == round(answer.agreed_amount * 1.10)
    assert answer.bonus_amount == answer.payout_amount - answer.agreed_amount
    assert answer.photos == tuple(body["photos"]) and answer.recorded_at is not None
    assert answer.condition == WORN.as_dict() and answer.declaration_signed
    assert answer.seller is not None and answer.seller.masked
    assert (answer.seller.first_name, answer.seller.cpf_masked) == ("Maria", "***.982.247-**")
    assert answer.seller.cpf is None and answer.seller.phone is None
    again = clients.clerk.record_purchase(body)
    assert not again.created and again.purchase_id == answer.purchase_id


def test_find_full_for_the_owner_masked_for_its_clerk_none_for_another(clients, scene):
    body, answer = recorded(clients, scene)
    full = clients.owner.find_purchase(answer.purchase_id, as_owner=True)
    assert full is not None and full.seller is not None and not full.seller.masked
    assert (full.seller.name, full.seller.cpf) == (SELLER["name"], "52998224725")
    assert full.seller.document_number == SELLER["document_number"]
    mine = clients.clerk.find_purchase(
        answer.purchase_id, as_owner=False, clerk_email=body["clerk_email"]
    )
    assert mine is not None and mine.seller is not None and mine.seller.masked
    other = clients.clerk.find_purchase(
        answer.purchase_id, as_owner=False, clerk_email="outra@loja.com.br"
    )
    assert other is None
    by_serial = clients.owner.find_purchase_by_serial(body["machine"]["serial"])
    assert by_serial is not None and by_serial.purchase_id == answer.purchase_id
    assert clients.owner.find_purchase_by_serial("NAO-EXISTE-1") is None


def test_owner_calls_need_the_owner_key_a_clerk_gets_purchase_refused_403(scene):
    gateway = Gateway((CLERK_KEY,), owner_keys=(OWNER_KEY,))
    route = PurchaseRoute(scene.service, gateway.owner_key_ids)
    with running(build_app(PricingHandler(get_engine(), purchases=route), gateway)) as url:
        clerk_only = HttpPricingClient(url + "/predict", CLERK_KEY)  # no OWNER-API-KEY set
        with pytest.raises(PurchaseRefused) as refused:
            clerk_only.find_purchase_by_serial("SN-1")
        assert refused.value.status == 403 and refused.value.message_pt
        # The owner key goes only on calls made as owner: the same client as a clerk is one.
        both = HttpPricingClient(url + "/predict", CLERK_KEY, owner_api_key=OWNER_KEY)
        assert both.find_purchase_by_serial("SN-1") is None
        with pytest.raises(PurchaseRefused):
            both.record_purchase({**scene.body(scene.quote()), "owner_approval": True})
        with pytest.raises(AuthError):
            HttpPricingClient(url + "/predict", "chave-errada").find_purchase_by_serial("SN-1")


def test_refusals_are_typed_with_fields_purchase_id_and_a_pt_sentence(clients, scene):
    body, answer = recorded(clients, scene)
    with pytest.raises(PurchaseRefused) as conflict:
        clients.clerk.record_purchase({**body, "event_id": "outro-evento"})
    assert (conflict.value.status, conflict.value.purchase_id) == (409, answer.purchase_id)
    assert conflict.value.reason_code == "already_bought" and conflict.value.message_pt
    quote_id = scene.quote()
    bad = scene.body(quote_id, seller={**SELLER, "cpf": "000.000.000-00"})
    with pytest.raises(PurchaseRefused) as invalid:
        clients.clerk.record_purchase(bad)
    assert invalid.value.status == 400 and "seller.cpf" in invalid.value.fields
    unknown = scene.body(quote_id)
    del scene.rows[quote_id]
    with pytest.raises(QuoteNotFound):
        clients.clerk.record_purchase(unknown)
    with pytest.raises(PurchaseRefused) as not_image:
        clients.clerk.upload_photo(scene.quote(), b"nao sou uma foto", "lid")
    assert not_image.value.status == 400 and not_image.value.message_pt
    with pytest.raises(BadRequest):
        clients.clerk.upload_photo(scene.quote(), png(), "selfie")  # refused before sending


def test_the_preview_is_typed(clients, scene):
    quote_id = scene.quote()
    preview = clients.clerk.preview_purchase({"quote_id": quote_id})
    assert preview.quote_id == quote_id and preview.revised_offer == scene.offer(quote_id)
    assert not preview.revised and not preview.stopped
    assert {o.method for o in preview.payout_options} == {"pix", "cash", "store_credit"}
    assert all(lock.question and lock.what_to_do for lock in preview.locks)
    assert (preview.photos_min, preview.photos_max) == (2, 6) and preview.privacy_notice_pt


def test_the_embedded_client_records_and_finds_a_purchase(tmp_path, monkeypatch):
    monkeypatch.setenv("PREDICTIONS_DIR", str(tmp_path / "log"))
    client = embedded_client(load_settings({}))
    _, offer = client.price_trade_in(LaptopSpec.default(), Condition.from_payload(WORN.as_dict()))
    client.record_outcome(offer.quote_id, "evento-1", "accepted")
    photos = [client.upload_photo(offer.quote_id, png(), k).photo_id for k in ("lid", "screen")]
    preview = client.preview_purchase({"quote_id": offer.quote_id})
    answer = client.record_purchase(
        {
            "event_id": "compra-1",
            "quote_id": offer.quote_id,
            "clerk_email": "ana@loja.com.br",
            "condition": WORN.as_dict(),
            "agreed_amount": preview.revised_offer,
            "locks": {lock.id: True for lock in preview.locks},
            "machine": {"serial": "SN-EMB-1", "label_brand": "Dell", "label_model": "X"},
            "photos": photos,
            "seller": dict(SELLER),
            "privacy_notice_read": True,
            "payout": {"method": "cash"},
            "declaration_signed": True,
        }
    )
    assert answer.created and answer.payout_amount == preview.revised_offer
    found = client.find_purchase_by_serial("SN-EMB-1")  # the in-process owner mark
    assert found is not None and found.seller is not None and found.seller.name == SELLER["name"]
    kept = b"".join(p.read_bytes() for p in (tmp_path / "log").rglob("*") if p.is_file())
    assert b"52998224725" not in kept and SELLER["name"].encode() not in kept  # sealed at rest
