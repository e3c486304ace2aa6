"""An item's current state as the fold of its events (``fold``), and the rules a new change
must keep (``check_change``): the order of the states, who may correct a sale, and the bounds
of a price. Pure: the service, the API and the page read the same rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from laptop_pricing.formatting import BRASILIA, format_price
from laptop_pricing.pricing.laptop_spec import FieldError
from laptop_pricing.stock.errors import InvalidStockEvent, StockForbidden
from laptop_pricing.stock.events import (
    A_VENDA,
    CORRECAO_VENDA,
    DESCARTADO,
    EM_PREPARO,
    OWNER,
    PECAS,
    STATE_LABELS,
    VENDIDO,
    Actor,
    ItemFacts,
    Sale,
    StockEvent,
)

# From each state, the changes allowed (a price change of an item for sale is ``a_venda``
# again; back to preparation is ``em_preparo``; a sold item only takes an owner's correction).
NEXT: dict[str, frozenset[str]] = {
    EM_PREPARO: frozenset({A_VENDA, VENDIDO, DESCARTADO, PECAS}),
    A_VENDA: frozenset({A_VENDA, EM_PREPARO, VENDIDO, DESCARTADO, PECAS}),
    VENDIDO: frozenset({CORRECAO_VENDA}),
    DESCARTADO: frozenset(),
    PECAS: frozenset(),
}
IN_STOCK = frozenset({EM_PREPARO, A_VENDA})
MIN_PRICE = 1
MAX_TIMES_PAID = 10
NOT_IN_STOCK_PT = "Este notebook não está mais em estoque: não dá para registrar a venda."
OWNER_ONLY_PT = "Só o dono da loja pode corrigir uma venda."


@dataclass(frozen=True)
class HistoryLine:
    kind: str
    at: datetime
    by: Actor
    list_price: int | None
    sale: Sale | None


@dataclass(frozen=True)
class StockItem:
    """One laptop the store owns (or owned): its facts, current state and history.
    ``version``: how many events it has (a change names it, so a stale page is told)."""

    purchase_id: str
    facts: ItemFacts
    state: str
    version: int
    changed_at: datetime
    list_price: int | None
    listed_at: datetime | None
    sale: Sale | None
    sold_at: datetime | None
    history: tuple[HistoryLine, ...]
    store_id: str

    @property
    def in_stock(self) -> bool:
        return self.state in IN_STOCK

    def days_in_stock(self, today: date) -> int:
        """Days from the purchase to the sale or closing, else to ``today``."""
        end = self.sale.date if self.sale is not None else today
        if self.state in (DESCARTADO, PECAS):
            end = self.changed_at.astimezone(BRASILIA).date()
        return max(0, (end - self.facts.purchased_on).days)


def fold(events: Iterable[StockEvent]) -> StockItem | None:
    """The item the events (of one purchase) make, in ``seq`` order; None without an opening."""
    ordered = sorted(events, key=lambda e: e.seq)
    if not ordered or ordered[0].facts is None:
        return None
    first = ordered[0]
    facts = first.facts
    assert facts is not None
    state, list_price, sale = EM_PREPARO, None, None
    listed_at: datetime | None = None
    sold_at: datetime | None = None
    history = []
    for event in ordered:
        if event.kind == CORRECAO_VENDA:
            sale = event.sale or sale
        elif event.kind == VENDIDO:
            state, sale, sold_at = VENDIDO, event.sale, event.at
        elif event.kind == A_VENDA:
            state, list_price, listed_at = A_VENDA, event.list_price, event.at
        else:
            state = event.kind
        history.append(HistoryLine(event.kind, event.at, event.by, event.list_price, event.sale))
    return StockItem(
        purchase_id=first.purchase_id,
        facts=facts,
        state=state,
        version=len(ordered),
        changed_at=ordered[-1].at,
        list_price=list_price,
        listed_at=listed_at,
        sale=sale,
        sold_at=sold_at,
        history=tuple(history),
        store_id=first.store_id,
    )


def check_change(
    item: StockItem,
    kind: str,
    list_price: int | None,
    sale: Sale | None,
    role: str,
    today: date,
) -> None:
    """Raise ``StockForbidden`` (a clerk correcting a sale) or ``InvalidStockEvent`` (an order
    the states do not allow, a price out of bounds, a sale date outside the item's life)."""
    if kind == CORRECAO_VENDA and role != OWNER:
        raise StockForbidden(OWNER_ONLY_PT)
    if kind not in NEXT[item.state]:
        if kind == VENDIDO:
            message = NOT_IN_STOCK_PT
        elif kind == CORRECAO_VENDA:
            message = "Só dá para corrigir a venda de um notebook vendido."
        else:
            message = (
                f"Este notebook está {STATE_LABELS[item.state].lower()}: não pode passar para "
                f"{STATE_LABELS.get(kind, kind).lower()}. Recarregue a página."
            )
        allowed = tuple(sorted(NEXT[item.state]))
        raise InvalidStockEvent([FieldError("kind", kind, "not allowed now", allowed)], message)
    ceiling = MAX_TIMES_PAID * max(item.facts.paid, 1)
    if list_price is not None:
        _check_price("list_price", list_price, ceiling, "preço de venda sugerido")
    if sale is not None:
        _check_price("sale.price", sale.price, ceiling, "preço da venda")
        if sale.date < item.facts.purchased_on or sale.date > today:
            bought = item.facts.purchased_on
            raise InvalidStockEvent(
                [FieldError("sale.date", sale.date.isoformat(), "outside the item's life")],
                f"A data da venda precisa estar entre a compra ({bought:%d/%m/%Y}) e hoje.",
            )


def _check_price(name: str, price: int, ceiling: int, words: str) -> None:
    if price < MIN_PRICE:
        raise InvalidStockEvent(
            [FieldError(name, price, f"below R$ {MIN_PRICE}")],
            f"O {words} precisa ser de pelo menos R$ 1.",
        )
    if price > ceiling:
        raise InvalidStockEvent(
            [FieldError(name, price, f"above {MAX_TIMES_PAID}x the amount paid")],
            f"O {words} passa de 10 vezes o valor pago ({format_price(ceiling // 10)}): "
            "confira o valor.",
        )
