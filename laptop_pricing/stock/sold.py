"""The stock adapted into the sale facts of ``laptop_pricing.resale.sales``, in this one place:
``SoldItem`` per laptop sold (its sale as last corrected by an owner), ``StockedItem`` per
laptop still in stock (em preparo or à venda). What learns from the store's own sales (the
owner's figures, the advisor, the store-trained model) reads these, never the events.

An item whose opening lacks the quote's laptop or condition (a purchase recorded without a
valid spec), or a market estimate, cannot be a fact: it is counted in ``skipped``, not guessed.
``preparation_cost`` is 0: no stock event records one yet. Discarded and parts items are
neither sold nor in stock and are left out.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from laptop_pricing.pricing.laptop_spec import InvalidSpec, LaptopSpec
from laptop_pricing.resale.facts_wire import ResaleFacts
from laptop_pricing.resale.sales import Channel, InvalidSaleFact, SoldItem, StockedItem
from laptop_pricing.stock.events import VENDIDO, StockEvent
from laptop_pricing.stock.fold import StockItem, fold
from laptop_pricing.stock.store import StockStore
from laptop_pricing.trade_in.condition import Condition, InvalidCondition

# The stock's channel names (pt-BR, as the clerk picks them) in the facts' words.
FACT_CHANNELS: Mapping[str, Channel] = {
    "balcao": "counter",
    "online": "online",
    "atacado_pecas": "parts",
}


def _fact(item: StockItem) -> StockedItem | SoldItem:
    """Raises ``InvalidSpec``, ``InvalidCondition`` or ``InvalidSaleFact``."""
    facts = item.facts
    common: dict[str, Any] = {
        "purchase_id": item.purchase_id,
        "store_id": item.store_id,
        "laptop": LaptopSpec.from_payload(dict(facts.laptop)),
        "condition": Condition.from_payload(dict(facts.condition)),
        "market_estimate": facts.market_estimate,
        "paid": facts.paid,
        "purchased_on": facts.purchased_on,
    }
    if item.state == VENDIDO and item.sale is not None:
        return SoldItem(
            **common,
            sale_price=item.sale.price,
            sold_on=item.sale.date,
            channel=FACT_CHANNELS.get(item.sale.channel, "counter"),
        )
    return StockedItem(**common)


def facts_of(items: Iterable[StockItem], stores: Collection[str] | None = None) -> ResaleFacts:
    """The facts of ``items`` of ``stores`` (None: every store): sold oldest sale first, in
    stock oldest purchase first."""
    sold: list[SoldItem] = []
    stocked: list[StockedItem] = []
    skipped = 0
    for item in items:
        if stores is not None and item.store_id not in stores:
            continue
        if not (item.in_stock or (item.state == VENDIDO and item.sale is not None)):
            continue
        try:
            fact = _fact(item)
        except (InvalidSpec, InvalidCondition, InvalidSaleFact):
            skipped += 1
            continue
        if isinstance(fact, SoldItem):
            sold.append(fact)
        else:
            stocked.append(fact)
    sold.sort(key=lambda row: (row.sold_on, row.purchase_id))
    stocked.sort(key=lambda row: (row.purchased_on, row.purchase_id))
    return ResaleFacts(tuple(sold), tuple(stocked), skipped)


def _items(store: StockStore) -> list[StockItem]:
    by_item: Mapping[str, list[StockEvent]] = store.all_events()
    folded = (fold(events) for events in by_item.values())
    return [item for item in folded if item is not None]


def sold_items(store: StockStore) -> list[SoldItem]:
    """Every item sold, oldest sale first (one listing of the stock)."""
    return list(facts_of(_items(store)).sold)


def stocked_items(store: StockStore) -> list[StockedItem]:
    """Every item still in stock, oldest purchase first (one listing of the stock)."""
    return list(facts_of(_items(store)).stocked)
