"""Helpers of the stock tests: a purchase scene (``purchase_support.Scene``) whose purchases
open stock items in the same real store (local folder or moto's S3), and change bodies to vary.
"""

from __future__ import annotations

import itertools
import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from laptop_pricing.purchase.purchase import Caller
from laptop_pricing.purchase.store import PURCHASE_OBJECTS, PurchaseStore
from laptop_pricing.settings import DEFAULT_PURCHASES_PREFIX
from laptop_pricing.stock.events import (
    A_VENDA,
    EM_PREPARO,
    VENDIDO,
    Actor,
    ItemFacts,
    Sale,
    StockEvent,
)
from laptop_pricing.stock.service import StockService
from laptop_pricing.stock.store import StockStore
from laptop_pricing.storage.layout import LogLayout
from laptop_pricing.storage.stores import LocalRecordStore
from laptop_pricing.store_id import DEFAULT_STORE_ID
from laptop_pricing.trade_in.quote_id import QuoteIdGenerator
from laptop_pricing.trade_in.store_policies import StorePolicies
from tests.purchase_support import NOW, SELLER, Scene, nth_cpf

_numbers = itertools.count()


class StockScene(Scene):
    """A purchase scene whose purchases open stock items; ``stock`` is the service the stock
    routes use (its own instance, as in production: only the store is shared)."""

    def __init__(self, store: PurchaseStore, now: datetime = NOW):
        super().__init__(store, now)
        self.service.stock = self.stock_service()
        self.stock = self.stock_service()

    def stock_service(self) -> StockService:
        return StockService(
            StockStore(self.store.store),
            StorePolicies.single(self.policy, DEFAULT_STORE_ID),
            self.vault.clerk_reference,
            clock=lambda: self.now,
        )

    def bought(self, market: int = 5000) -> str:
        """A laptop bought (an hour ago): its purchase id, its item em preparo."""
        quote_id = self.quote(market=market)
        seller = {**SELLER, "cpf": nth_cpf(next(_numbers))}  # no seller repeats past the limit
        decision = self.service.record(self.body(quote_id, seller=seller), caller_clerk())
        assert decision.status == 201
        return quote_id

    def later(self, hours: int = 1) -> None:
        self.now = self.now + timedelta(hours=hours)


def caller_clerk(email: str = "ana@loja.com.br") -> Caller:
    return Caller("clerk", email)


def caller_owner(email: str = "dono@loja.com.br") -> Caller:
    return Caller("owner", email)


def change(kind: str, **fields: Any) -> dict[str, Any]:
    """A change body with a fresh event id."""
    return {"event_id": f"stock-{next(_numbers):08d}", "kind": kind, **fields}


def sale(price: int, day: str = "2026-03-10", channel: str = "balcao") -> dict[str, Any]:
    return {"price": price, "date": day, "channel": channel}


BRANDS = ("dell", "lenovo", "hp", "asus", "acer", "apple")
PROCESSORS = ("intel core i5", "intel core i7", "amd ryzen 5", "intel core i3", "m1")


def seed_items(predictions_dir: Path, n: int, now: datetime, seed: int = 7) -> list[str]:
    """``n`` items written straight into the embedded default's stock (the settings' local
    folder, ``PURCHASES-PREFIX``), bought over about three years before ``now``: a quarter
    still in preparation, half for sale, the rest sold. Their purchase ids, newest last."""
    layout = LogLayout(DEFAULT_PURCHASES_PREFIX, PURCHASE_OBJECTS)
    store = StockStore(LocalRecordStore(predictions_dir, layout))
    chance = random.Random(seed)
    ids = QuoteIdGenerator(chance.getrandbits)
    made = []
    for i in range(n):
        bought = now - timedelta(days=(n - i) * 1095 / n, hours=1)
        purchase_id = ids.new(now)  # ids name days from 2024 on; the purchase date is apart
        market = chance.randrange(2000, 9000, 10)
        facts = ItemFacts(
            serial=f"SN-{i:06d}",
            brand=BRANDS[i % len(BRANDS)],
            processor=PROCESSORS[i % len(PROCESSORS)],
            label_model=f"Modelo {i % 40}",
            laptop={"brand": BRANDS[i % len(BRANDS)]},
            condition={"body": "worn"},
            market_estimate=market,
            quote_offer=market * 35 // 100,
            paid=market * 35 // 100,
            purchased_at=bought,
            policy_version="seed",
        )
        clerk = Actor("clerk", "clerk-seed")
        events = [StockEvent(f"open-{i}", purchase_id, 0, EM_PREPARO, bought, clerk, facts=facts)]
        if i % 4:
            listed = bought + timedelta(days=2)
            events.append(
                StockEvent(f"list-{i}", purchase_id, 1, A_VENDA, listed, clerk, market // 2)
            )
        if i % 4 == 3 and bought + timedelta(days=10) < now:
            day = (bought + timedelta(days=10)).date()
            sold = Sale(market * 45 // 100, day, "balcao")
            at = bought + timedelta(days=10)
            events.append(StockEvent(f"sale-{i}", purchase_id, 2, VENDIDO, at, clerk, sale=sold))
        for event in events:
            store.put_event(event)
        made.append(purchase_id)
    return made


SPEC = {
    "brand": "dell",
    "processor_brand": "intel",
    "processor_name": "core i5",
    "os": "windows",
    "weight": "gaming",
    "warranty": 1,
    "touchscreen": 0,
    "ram_gb": 16,
    "hdd": 0,
    "ssd": 512,
    "graphic_card": 4,
    "ram_type": "ddr4",
    "os_bit": 64,
}


def seed_sales(
    predictions_dir: Path, sales: list[tuple[int, int, int | None]], now: datetime
) -> list[str]:
    """Items with a whole laptop and a perfect condition written straight into the embedded
    default's stock, one per ``(market estimate, paid, sale price or None)``, bought 20 days
    before ``now`` and sold (when priced) 5 days before. Their purchase ids, in order."""
    from laptop_pricing.trade_in.condition import Condition

    store = StockStore(
        LocalRecordStore(predictions_dir, LogLayout(DEFAULT_PURCHASES_PREFIX, PURCHASE_OBJECTS))
    )
    ids = QuoteIdGenerator(random.Random(len(sales)).getrandbits)
    clerk = Actor("clerk", "clerk-seed")
    bought, sold_at = now - timedelta(days=20), now - timedelta(days=5)
    made = []
    for i, (market, paid, price) in enumerate(sales):
        purchase_id = ids.new(now)
        facts = ItemFacts(
            serial=f"SN-R{i:05d}",
            brand="dell",
            processor="intel core i5",
            label_model="Modelo R",
            laptop=dict(SPEC),
            condition=Condition.best().as_dict(),
            market_estimate=market,
            quote_offer=paid,
            paid=paid,
            purchased_at=bought,
            policy_version="seed",
        )
        store.put_event(
            StockEvent(f"open-r{i}", purchase_id, 0, EM_PREPARO, bought, clerk, facts=facts)
        )
        if price is not None:
            sale_ = Sale(price, sold_at.date(), "balcao")
            store.put_event(
                StockEvent(f"sale-r{i}", purchase_id, 1, VENDIDO, sold_at, clerk, sale=sale_)
            )
        made.append(purchase_id)
    return made
