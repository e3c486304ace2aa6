"""The sold items as plain rows, for what learns from the store's own sales (the resale
advisor, the owner's figures, the store-trained model): one ``SoldItem`` per laptop sold, its
sale as last corrected by an owner.

``preparation_cost`` is 0: the stock records no preparation cost yet (no event carries one).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from laptop_pricing.stock.events import VENDIDO, StockEvent
from laptop_pricing.stock.fold import StockItem, fold
from laptop_pricing.stock.store import StockStore


@dataclass(frozen=True)
class SoldItem:
    purchase_id: str
    store_id: str
    laptop: Mapping[str, Any]  # the quote's spec, field by field
    condition: Mapping[str, Any]  # the answers as inspected at the purchase
    market_estimate: int  # at quote time
    paid: int
    preparation_cost: int  # always 0 for now: not recorded
    sale_price: int
    sale_date: date
    purchase_date: date
    channel: str


def sold_of(items: Iterable[StockItem]) -> list[SoldItem]:
    rows = []
    for item in items:
        if item.state != VENDIDO or item.sale is None:
            continue
        facts = item.facts
        rows.append(
            SoldItem(
                purchase_id=item.purchase_id,
                store_id=item.store_id,
                laptop=dict(facts.laptop),
                condition=dict(facts.condition),
                market_estimate=facts.market_estimate,
                paid=facts.paid,
                preparation_cost=0,
                sale_price=item.sale.price,
                sale_date=item.sale.date,
                purchase_date=facts.purchased_at.date(),
                channel=item.sale.channel,
            )
        )
    return sorted(rows, key=lambda row: (row.sale_date, row.purchase_id))


def sold_items(store: StockStore) -> list[SoldItem]:
    """Every item sold, oldest sale first (one listing of the stock)."""
    by_item: Mapping[str, list[StockEvent]] = store.all_events()
    folded = (fold(events) for events in by_item.values())
    return sold_of(item for item in folded if item is not None)
