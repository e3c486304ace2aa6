"""The sale facts of some stores as the API answers them (``GET /stock/resale``) and as both
clients read them back: ``ResaleFacts`` to JSON and back, the laptop and the condition in their
own payload forms, so they are validated again on arrival. No personal data travels: no seller,
no clerk, not even the serial; only the purchase id, the store, the laptop and the money.

Pure and light (no pandas): the Lambda answers with it, the app computes the figures from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from laptop_pricing.pricing.laptop_spec import InvalidSpec, LaptopSpec
from laptop_pricing.resale.sales import CHANNELS, InvalidSaleFact, SoldItem, StockedItem
from laptop_pricing.trade_in.condition import Condition, InvalidCondition


class UnreadableFacts(ValueError):
    """An answer that is not the facts' shape."""


@dataclass(frozen=True)
class ResaleFacts:
    """The stores' sold and stocked laptops, and how many items could not be a fact (an
    opening without the quote's laptop or condition)."""

    sold: tuple[SoldItem, ...]
    stocked: tuple[StockedItem, ...]
    skipped: int = 0


def _stocked_row(item: StockedItem) -> dict[str, Any]:
    return {
        "purchase_id": item.purchase_id,
        "store_id": item.store_id,
        "laptop": item.laptop.as_dict(),
        "condition": item.condition.as_dict(),
        "market_estimate": item.market_estimate,
        "paid": item.paid,
        "preparation_cost": item.preparation_cost,
        "purchased_on": item.purchased_on.isoformat(),
    }


def _sold_row(item: SoldItem) -> dict[str, Any]:
    return {
        **_stocked_row(item),
        "sale_price": item.sale_price,
        "sold_on": item.sold_on.isoformat(),
        "channel": item.channel,
    }


def facts_answer(facts: ResaleFacts) -> dict[str, Any]:
    return {
        "sold": [_sold_row(item) for item in facts.sold],
        "stocked": [_stocked_row(item) for item in facts.stocked],
        "skipped": facts.skipped,
    }


def _whole(row: Mapping[str, Any], key: str) -> int:
    value = row[key]
    if isinstance(value, bool) or not isinstance(value, int):
        raise UnreadableFacts(f"{key} is not a whole number")
    return value


def _common(row: Any) -> dict[str, Any]:
    if not isinstance(row, dict):
        raise UnreadableFacts("a row is not an object")
    return {
        "purchase_id": str(row["purchase_id"]),
        "store_id": str(row["store_id"]),
        "laptop": LaptopSpec.from_payload(row["laptop"]),
        "condition": Condition.from_payload(row["condition"]),
        "market_estimate": _whole(row, "market_estimate"),
        "paid": _whole(row, "paid"),
        "preparation_cost": _whole(row, "preparation_cost"),
        "purchased_on": date.fromisoformat(str(row["purchased_on"])),
    }


def _sold(row: Any) -> SoldItem:
    common = _common(row)
    channel = row["channel"]
    if channel not in CHANNELS:
        raise UnreadableFacts("channel is not a channel")
    return SoldItem(
        **common,
        sale_price=_whole(row, "sale_price"),
        sold_on=date.fromisoformat(str(row["sold_on"])),
        channel=channel,
    )


def facts_from_answer(payload: Mapping[str, Any]) -> ResaleFacts:
    """Raises ``UnreadableFacts`` naming what is wrong."""
    try:
        sold, stocked = payload["sold"], payload["stocked"]
        if not isinstance(sold, list) or not isinstance(stocked, list):
            raise UnreadableFacts("sold and stocked must be lists")
        return ResaleFacts(
            tuple(_sold(row) for row in sold),
            tuple(StockedItem(**_common(row)) for row in stocked),
            _whole(payload, "skipped"),
        )
    except (KeyError, TypeError, ValueError) as error:
        if isinstance(error, UnreadableFacts):
            raise
        if isinstance(error, InvalidSpec | InvalidCondition | InvalidSaleFact):
            raise UnreadableFacts(f"a row is not a valid fact: {type(error).__name__}") from None
        raise UnreadableFacts(f"not the facts' shape: {type(error).__name__} {error}") from None
