"""Helpers of the stock tests: a purchase scene (``purchase_support.Scene``) whose purchases
open stock items in the same real store (local folder or moto's S3), and change bodies to vary.
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

from laptop_pricing.purchase.purchase import Caller
from laptop_pricing.purchase.store import PurchaseStore
from laptop_pricing.stock.service import StockService
from laptop_pricing.stock.store import StockStore
from tests.purchase_support import SELLER, Scene, nth_cpf

_numbers = itertools.count()


class StockScene(Scene):
    """A purchase scene whose purchases open stock items; ``stock`` is the service the stock
    routes use (its own instance, as in production: only the store is shared)."""

    def __init__(self, store: PurchaseStore):
        super().__init__(store)
        self.service.stock = self.stock_service()
        self.stock = self.stock_service()

    def stock_service(self) -> StockService:
        return StockService(
            StockStore(self.store.store),
            self.policy.resale_share_pct,
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
