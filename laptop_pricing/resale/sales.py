"""The store's sale facts, typed once: ``StockedItem`` (bought, not sold yet) and ``SoldItem``.

Everything that learns from the store's own sales (the owner's "Estoque e revenda" figures, the
policy advisor, the store-trained model) reads these, never the stock events themselves: the
stock's records are adapted into them in one place. The laptop is a ``LaptopSpec`` and the
inspected condition a ``Condition``, so the fields and answers come from their one source.
Money is in whole reais; ``market_estimate`` is the model's estimate when the laptop was quoted.

A store's segments are the laptop's ``weight`` field (uso geral, gamer, fino e leve): the kind
of laptop, which is what sells differently used.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal

from laptop_pricing.pricing.laptop_spec import LaptopSpec
from laptop_pricing.pricing.schema import FIELDS_BY_NAME
from laptop_pricing.trade_in.condition import Condition

Channel = Literal["counter", "online", "parts"]
CHANNELS: tuple[Channel, ...] = ("counter", "online", "parts")
CHANNEL_LABELS: Mapping[str, str] = {
    "counter": "Balcão",
    "online": "Online",
    "parts": "Atacado/peças",
}

SEGMENT_FIELD = "weight"
SEGMENTS: tuple[str, ...] = tuple(str(v) for v in FIELDS_BY_NAME[SEGMENT_FIELD].values)
SEGMENT_LABELS: Mapping[str, str] = {
    str(o.value): o.label for o in FIELDS_BY_NAME[SEGMENT_FIELD].options
}
# How the owner's sentences name a segment's laptops ("notebooks gamer: vendemos a ...").
SEGMENT_PHRASES: Mapping[str, str] = {
    "casual": "notebooks de uso geral",
    "gaming": "notebooks gamer",
    "thinnlight": "notebooks finos e leves",
}
if set(SEGMENT_PHRASES) != set(SEGMENTS):  # the schema's values are the one source
    raise RuntimeError(f"SEGMENT_PHRASES must name exactly the {SEGMENT_FIELD} values {SEGMENTS}")


_BEST = Condition.best()


class InvalidSaleFact(ValueError):
    """A stock item or sale that cannot be (negative money, sold before bought)."""


@dataclass(frozen=True, kw_only=True)
class StockedItem:
    """A laptop the store bought: what it paid, what the model said it was worth, its state."""

    purchase_id: str
    store_id: str
    laptop: LaptopSpec
    condition: Condition
    market_estimate: int
    paid: int
    purchased_on: date
    preparation_cost: int = 0
    synthetic: bool = False

    def __post_init__(self) -> None:
        if self.market_estimate <= 0:
            raise InvalidSaleFact(f"{self.purchase_id}: market_estimate must be positive")
        if self.paid < 0 or self.preparation_cost < 0:
            raise InvalidSaleFact(f"{self.purchase_id}: paid and preparation_cost must be >= 0")

    @property
    def segment(self) -> str:
        return str(getattr(self.laptop, SEGMENT_FIELD))

    @property
    def perfect(self) -> bool:
        """Every condition question answered with its best answer (what the policy's resale
        share prices: a used laptop with nothing to deduct)."""
        return self.condition == _BEST

    def days_in_stock(self, today: date) -> int:
        return (today - self.purchased_on).days


@dataclass(frozen=True, kw_only=True)
class SoldItem(StockedItem):
    """A stock item the store sold: for how much, when and where."""

    sale_price: int
    sold_on: date
    channel: Channel = "counter"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.sale_price < 1:
            raise InvalidSaleFact(f"{self.purchase_id}: sale_price must be at least R$ 1")
        if self.sold_on < self.purchased_on:
            raise InvalidSaleFact(f"{self.purchase_id}: sold_on is before purchased_on")
        if self.channel not in CHANNELS:
            raise InvalidSaleFact(f"{self.purchase_id}: channel must be one of {CHANNELS}")

    @property
    def realized_share(self) -> float:
        """The sale price as a share of the market estimate (the policy's resale share, lived)."""
        return self.sale_price / self.market_estimate

    @property
    def margin(self) -> int:
        """What the store made on it: sale − paid − preparation."""
        return self.sale_price - self.paid - self.preparation_cost

    @property
    def days_to_sell(self) -> int:
        return (self.sold_on - self.purchased_on).days
