"""The stock as sale facts (``stock/sold.py``, ``resale/facts_wire.py``) and their route
``GET /stock/resale`` through the real local server on 127.0.0.1: owners only, cut to the stores
asked, the same facts over HTTP as in the service; and each item's suggested list price from
its own store's policy."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import datetime

import pytest
import urllib3

from laptop_pricing.api.gateway import Gateway
from laptop_pricing.api.handler import PricingHandler, get_engine
from laptop_pricing.api.server import build_app
from laptop_pricing.api.stock_route import StockRoute
from laptop_pricing.client import HttpPricingClient
from laptop_pricing.errors import PricingError, StockRefused
from laptop_pricing.formatting import BRASILIA
from laptop_pricing.resale.facts_wire import facts_answer, facts_from_answer
from laptop_pricing.stock.events import A_VENDA, EM_PREPARO, VENDIDO, Actor, StockEvent
from laptop_pricing.stock.fold import fold
from laptop_pricing.store_id import DEFAULT_STORE_ID
from laptop_pricing.trade_in.store_policies import StorePolicies
from tests.purchase_support import local_purchase_store
from tests.service_fixtures import running
from tests.stock_support import StockScene, caller_clerk, change, sale

CLERK_KEY = "chave-do-balcao"
OWNER_KEY = "chave-do-dono"
HTTP = urllib3.PoolManager()


@pytest.fixture(scope="module")
def scene(tmp_path_factory) -> StockScene:
    return StockScene(local_purchase_store(tmp_path_factory.mktemp("stock-sold")))


@pytest.fixture(scope="module")
def sold_id(scene) -> str:
    """Three laptops: one sold (R$ 2.300 online, its id), one for sale, one in preparation."""
    sold, listed, _ = (scene.bought(market=m) for m in (5000, 6000, 4000))
    scene.stock.change(listed, change(A_VENDA, list_price=3000), caller_clerk())
    scene.stock.change(sold, change(VENDIDO, sale=sale(2300, channel="online")), caller_clerk())
    return sold


@pytest.fixture(scope="module")
def url(scene) -> Iterator[str]:
    gateway = Gateway((CLERK_KEY,), owner_keys=(OWNER_KEY,))
    handler = PricingHandler(get_engine(), stock=StockRoute(scene.stock, gateway.owner_key_ids))
    with running(build_app(handler, gateway)) as served:
        yield served


def test_the_stock_gives_sold_and_stocked_items_as_facts(scene, sold_id):
    facts = scene.stock.resale_facts()
    assert [s.purchase_id for s in facts.sold] == [sold_id]
    assert [s.market_estimate for s in facts.stocked] == [6000, 4000]
    assert facts.skipped == 0
    sold = facts.sold[0]
    assert (sold.sale_price, sold.channel, sold.margin) == (2300, "online", 2300 - sold.paid)
    assert sold.laptop.brand == "dell" and not sold.synthetic
    assert facts_from_answer(facts_answer(facts)) == facts  # the wire keeps every fact


def test_only_an_owner_gets_the_facts_and_only_of_the_stores_asked(url, scene, sold_id):
    clerk = HttpPricingClient(url, CLERK_KEY)
    with pytest.raises(StockRefused) as refused:
        clerk.resale_facts()
    assert refused.value.status == 403 and "dono" in refused.value.message_pt
    owner = HttpPricingClient(url, CLERK_KEY, owner_api_key=OWNER_KEY)
    assert owner.resale_facts() == scene.stock.resale_facts()
    assert owner.resale_facts({DEFAULT_STORE_ID}) == scene.stock.resale_facts()
    other = owner.resale_facts({"outra-loja"})
    assert other.sold == () and other.stocked == ()


def test_bad_stores_are_400_naming_the_parameter(url):
    headers = {"x-api-key": OWNER_KEY}
    answer = HTTP.request("GET", url + "/stock/resale?stores=Centro!&x=1", headers=headers)
    assert answer.status == 400
    assert {e["field"] for e in answer.json()["errors"]} == {"stores", "x"}


def test_the_suggested_list_price_is_the_items_own_stores_policy(scene, sold_id):
    home = scene.policy
    sul = dataclasses.replace(home, resale_share_pct=60.0)
    service = scene.stock_service()
    service.policies = StorePolicies(DEFAULT_STORE_ID, {DEFAULT_STORE_ID: home, "sul": sul})
    facts = scene.stock.item(sold_id).facts
    moment = datetime(2026, 3, 1, tzinfo=BRASILIA)
    opening = StockEvent("open-x", sold_id, 0, EM_PREPARO, moment, Actor("clerk", None))
    at_home = fold([dataclasses.replace(opening, facts=facts)])
    at_sul = fold([dataclasses.replace(opening, facts=facts, store_id="sul")])
    assert at_home is not None and at_sul is not None
    assert service.suggested_price(at_home) == round(5000 * home.resale_share_pct / 1000) * 10
    assert service.suggested_price(at_sul) == 3000  # 60 % of R$ 5.000, not the home's share


def test_the_embedded_stock_client_reads_the_settings_stock(clean_env):
    from laptop_pricing.client import stock_client_from_settings
    from laptop_pricing.settings import load_settings
    from tests.stock_support import seed_sales

    seed_sales(clean_env / "predictions", [(6000, 2000, 3500)], datetime.now(BRASILIA))
    client = stock_client_from_settings(load_settings())
    facts = client.resale_facts()
    assert [s.margin for s in facts.sold] == [1500] and facts.stocked == ()
    with pytest.raises(PricingError):  # it answers the stock routes only
        client.price(facts.sold[0].laptop)
