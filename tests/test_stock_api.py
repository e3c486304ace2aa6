"""The stock routes (issue 24 items 1 and 2) through the real local server on 127.0.0.1 and
the client methods over HTTP and in-process: 201 then 200 for one event, 400 naming the field
for any body (any byte), 403 for a clerk correcting a sale, 409 for a stale view, and the
embedded client composed from the settings taking a purchase to a sale."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
import urllib3
from PIL import Image

from laptop_pricing.api.gateway import Gateway
from laptop_pricing.api.handler import PricingHandler, get_engine
from laptop_pricing.api.server import build_app
from laptop_pricing.api.stock_route import StockRoute
from laptop_pricing.client import HttpPricingClient, LocalPricingClient, PricingClient
from laptop_pricing.client_event import EMBEDDED_OWNER_KEY_ID
from laptop_pricing.embedded import embedded_client
from laptop_pricing.errors import StockRefused
from laptop_pricing.formatting import BRASILIA
from laptop_pricing.pricing.laptop_spec import LaptopSpec
from laptop_pricing.settings import load_settings
from laptop_pricing.stock.query import StockQuery
from laptop_pricing.trade_in.condition import Condition
from tests.purchase_support import WORN, local_purchase_store
from tests.service_fixtures import running
from tests.stock_support import StockScene, change, sale

CLERK_KEY = "chave-do-balcao"
OWNER_KEY = "chave-do-dono"


@pytest.fixture(scope="module")
def scene(tmp_path_factory) -> StockScene:
    return StockScene(local_purchase_store(tmp_path_factory.mktemp("stock-api")))


@pytest.fixture(scope="module")
def url(scene) -> Iterator[str]:
    gateway = Gateway((CLERK_KEY,), owner_keys=(OWNER_KEY,))
    handler = PricingHandler(get_engine(), stock=StockRoute(scene.stock, gateway.owner_key_ids))
    with running(build_app(handler, gateway)) as served:
        yield served


HTTP = urllib3.PoolManager()


def send(
    url: str, method: str, path: str, body: bytes | None = None, key: str = CLERK_KEY
) -> tuple[int, dict[str, Any]]:
    headers = {"x-api-key": key, "Content-Type": "application/json"}
    answer = HTTP.request(method, url + path, body=body, headers=headers, timeout=20, retries=False)
    return answer.status, answer.json()


def post(url: str, purchase_id: str, body: dict[str, Any], key: str = CLERK_KEY) -> Any:
    return send(url, "POST", f"/stock/{purchase_id}/events", json.dumps(body).encode(), key)


def test_an_event_is_201_then_200_and_the_listing_shows_it(url, scene):
    purchase_id = scene.bought()
    body = change("a_venda", list_price=2600, version=1)
    status, first = post(url, purchase_id, body)
    assert status == 201 and first["state"] == "a_venda" and first["list_price"] == 2600
    status, again = post(url, purchase_id, body)
    assert status == 200 and again == first
    status, listing = send(url, "GET", "/stock?state=a_venda&q=" + purchase_id)
    assert status == 200 and [i["purchase_id"] for i in listing["items"]] == [purchase_id]
    assert listing["items"][0]["suggested_list_price"] == 2500
    assert "@" not in str(listing)  # no clerk e-mail, not even its hash, in an answer
    status, one = send(url, "GET", f"/stock/{purchase_id}")
    assert status == 200 and one["version"] == 2


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b"", "body"),
        (b"\xff\xfe\x00garbage", "body"),
        (b"not json", "body"),
        (b"[]", "body"),
        (b'{"event_id": 5, "kind": "vendido"}', "event_id"),
        (b'{"event_id": "abcdefgh", "kind": "vendido", "sale": {"price": "x"}}', "sale.price"),
        (b'{"event_id": "abcdefgh", "kind": "a_venda", "list_price": 0}', "list_price"),
    ],
)
def test_any_bad_body_is_400_naming_the_field_with_a_pt_sentence(url, scene, raw, field):
    purchase_id = scene.bought()
    status, answer = send(url, "POST", f"/stock/{purchase_id}/events", raw)
    assert status == 400 and field in [e["field"] for e in answer["errors"]]
    assert answer["message_pt"]


def test_a_bad_query_is_400_naming_the_parameter(url):
    status, answer = send(url, "GET", "/stock?state=roubado&page=abc")
    assert status == 400 and {e["field"] for e in answer["errors"]} == {"state", "page"}


def test_a_clerk_correcting_a_sale_is_403_an_owner_201(url, scene):
    purchase_id = scene.bought()
    post(url, purchase_id, change("vendido", sale=sale(2000)))
    status, answer = post(url, purchase_id, change("correcao_venda", sale=sale(1900)))
    assert status == 403 and answer["reason_code"] == "owner_required" and answer["message_pt"]
    status, fixed = post(url, purchase_id, change("correcao_venda", sale=sale(1900)), OWNER_KEY)
    assert status == 201 and fixed["sale"]["price"] == 1900


def test_a_stale_view_is_409_and_an_unknown_item_404(url, scene):
    purchase_id = scene.bought()
    post(url, purchase_id, change("a_venda", list_price=2600, version=1))
    status, answer = post(url, purchase_id, change("descartado", version=1))
    assert status == 409 and "recarregue" in answer["message_pt"]
    status, answer = post(url, "0000-0000-0000", change("descartado"))
    assert status == 404 and answer["message_pt"]


@pytest.fixture(params=["http", "local"])
def client(request, scene, url) -> PricingClient:
    if request.param == "local":
        route = StockRoute(scene.stock, frozenset({EMBEDDED_OWNER_KEY_ID}))
        return LocalPricingClient(PricingHandler(get_engine(), stock=route))
    return HttpPricingClient(url + "/predict", CLERK_KEY, owner_api_key=OWNER_KEY)


def test_the_client_lists_changes_and_refuses_typed(client, scene):
    purchase_id = scene.bought()
    listing = client.list_stock(StockQuery(search=purchase_id))
    assert [i.purchase_id for i in listing.items] == [purchase_id]
    assert listing.items[0].state == "em_preparo" and listing.counts["em_preparo"] >= 1
    changed = client.change_stock(purchase_id, change("vendido", sale=sale(2100), version=1))
    assert changed.created and changed.item.sale is not None and changed.item.sale.price == 2100
    with pytest.raises(StockRefused) as refused:
        client.change_stock(purchase_id, change("correcao_venda", sale=sale(1)))
    assert refused.value.status == 403 and refused.value.message_pt
    fixed = client.change_stock(
        purchase_id, change("correcao_venda", sale=sale(2050)), as_owner=True
    )
    assert fixed.item.sale is not None and fixed.item.sale.price == 2050
    with pytest.raises(StockRefused) as refused:
        client.change_stock(purchase_id, change("vendido", sale=sale(2100)))
    assert refused.value.status == 400 and refused.value.fields == ["kind"]
    assert client.find_stock_item("0000-0000-0000") is None


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (10, 160, 90)).save(buffer, "PNG")
    return buffer.getvalue()


def test_the_embedded_client_takes_a_purchase_to_a_sale(tmp_path, monkeypatch):
    monkeypatch.setenv("PREDICTIONS_DIR", str(tmp_path / "log"))
    client = embedded_client(load_settings({}))
    _, offer = client.price_trade_in(LaptopSpec.default(), Condition.from_payload(WORN.as_dict()))
    client.record_outcome(offer.quote_id, "evento-1", "accepted")
    photos = [client.upload_photo(offer.quote_id, png(), k).photo_id for k in ("lid", "screen")]
    preview = client.preview_purchase({"quote_id": offer.quote_id})
    client.record_purchase(
        {
            "event_id": "compra-1",
            "quote_id": offer.quote_id,
            "clerk_email": "ana@loja.com.br",
            "condition": WORN.as_dict(),
            "agreed_amount": preview.revised_offer,
            "locks": {lock.id: True for lock in preview.locks},
            "machine": {"serial": "SN-EMB-1", "label_brand": "Dell", "label_model": "X"},
            "photos": photos,
            "seller": {
                "name": "Maria Souza",
                "cpf": "529.982.247-25",
                "document_type": "rg",
                "document_number": "12.345.678-9",
                "phone": "(11) 98765-4321",
            },
            "privacy_notice_read": True,
            "payout": {"method": "pix"},
            "declaration_signed": True,
        }
    )
    item = client.list_stock(StockQuery(search="sn-emb-1")).items[0]
    assert item.purchase_id == offer.quote_id and item.state == "em_preparo"
    listed = client.change_stock(
        item.purchase_id,
        {**change("a_venda", list_price=item.suggested_list_price), "version": item.version},
    )
    assert listed.item.list_price == item.suggested_list_price
    day = datetime.now(BRASILIA).date().isoformat()  # the store's today, as the service's
    sold = client.change_stock(
        item.purchase_id, change("vendido", sale=sale(item.suggested_list_price, day=day))
    )
    assert sold.item.state == "vendido" and [h.kind for h in sold.item.history] == [
        "em_preparo",
        "a_venda",
        "vendido",
    ]
