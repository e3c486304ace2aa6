"""A synthetic year on disk: written under a folder named ``synthetic-store-seed<N>``, read back.

Files (every row has ``synthetic=true``): ``quotes.csv`` (the quote, the offer, the decision),
``stock_events.csv`` (purchase id, state, day), ``items.csv`` (one row per purchase: laptop
fields, condition columns as the request log writes them, money, days; the sale columns empty
for a laptop still in stock) and ``planted_rule.json`` (the ground truth). ``read_items`` turns
``items.csv`` back into ``SoldItem`` and ``StockedItem`` and refuses a file not marked synthetic,
so a demo cannot take real records for synthetic ones or the other way round.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from laptop_pricing.pricing.laptop_spec import LaptopSpec
from laptop_pricing.pricing.schema import FIELD_NAMES
from laptop_pricing.resale.sales import CHANNELS, Channel, SoldItem, StockedItem
from laptop_pricing.resale.synthetic import SyntheticYear
from laptop_pricing.trade_in.condition import Condition

FOLDER_PREFIX = "synthetic-store-seed"
ITEM_COLUMNS: tuple[str, ...] = (
    "purchase_id",
    "store_id",
    "market_estimate",
    "paid",
    "preparation_cost",
    "purchased_on",
    "sale_price",
    "sold_on",
    "channel",
    "synthetic",
)


class NotSynthetic(ValueError):
    """A file read as synthetic that does not say it is."""


def year_folder(out: Path, seed: int) -> Path:
    return out / f"{FOLDER_PREFIX}{seed}"


def _item_row(item: StockedItem) -> dict[str, Any]:
    row: dict[str, Any] = {
        "purchase_id": item.purchase_id,
        "store_id": item.store_id,
        "market_estimate": item.market_estimate,
        "paid": item.paid,
        "preparation_cost": item.preparation_cost,
        "purchased_on": item.purchased_on.isoformat(),
        "sale_price": item.sale_price if isinstance(item, SoldItem) else "",
        "sold_on": item.sold_on.isoformat() if isinstance(item, SoldItem) else "",
        "channel": item.channel if isinstance(item, SoldItem) else "",
        "synthetic": "true" if item.synthetic else "false",
    }
    row.update({name: item.laptop.as_dict()[name] for name in FIELD_NAMES})
    row.update(item.condition.log_values())
    return row


def write_year(year: SyntheticYear, out: Path) -> Path:
    """Write the year under ``out/synthetic-store-seed<seed>/``; returns that folder."""
    folder = year_folder(out, year.seed)
    folder.mkdir(parents=True, exist_ok=True)
    quotes = [
        {
            "quote_id": q.quote_id,
            "quoted_on": q.quoted_on.isoformat(),
            "market_estimate": q.market_estimate,
            "offer": "" if q.offer is None else q.offer,
            "decision": q.decision,
            "paid": "" if q.paid is None else q.paid,
            "synthetic": "true",
            **{name: q.laptop.as_dict()[name] for name in FIELD_NAMES},
            **q.condition.log_values(),
        }
        for q in year.quotes
    ]
    pd.DataFrame(quotes).to_csv(folder / "quotes.csv", index=False)
    events = [
        {
            "purchase_id": e.purchase_id,
            "state": e.state,
            "on": e.on.isoformat(),
            "synthetic": "true",
        }
        for e in year.stock_events
    ]
    pd.DataFrame(events).to_csv(folder / "stock_events.csv", index=False)
    items = [_item_row(item) for item in (*year.sold, *year.stocked)]
    pd.DataFrame(items).to_csv(folder / "items.csv", index=False)
    truth = {
        "synthetic": True,
        "seed": year.seed,
        "policy_version": year.policy_version,
        "rule": asdict(year.rule),
        "plan": {k: str(v) if isinstance(v, date) else v for k, v in asdict(year.plan).items()},
    }
    (folder / "planted_rule.json").write_text(json.dumps(truth, indent=2), encoding="utf-8")
    return folder


def read_items(folder: Path) -> tuple[tuple[SoldItem, ...], tuple[StockedItem, ...]]:
    """The sold and still-stocked items of a synthetic year's folder."""
    if not folder.name.startswith(FOLDER_PREFIX):
        raise NotSynthetic(f"{folder}: not a {FOLDER_PREFIX}<N> folder")
    table = pd.read_csv(folder / "items.csv", dtype=str, keep_default_na=False)
    if not (table["synthetic"] == "true").all():
        raise NotSynthetic(f"{folder / 'items.csv'}: a row is not marked synthetic")
    sold: list[SoldItem] = []
    stocked: list[StockedItem] = []
    for row in table.to_dict("records"):
        condition = Condition.from_log_values(row)
        if condition is None:
            raise ValueError(f"{row['purchase_id']}: condition columns unreadable")
        common: dict[str, Any] = {
            "purchase_id": row["purchase_id"],
            "store_id": row["store_id"],
            "laptop": LaptopSpec.from_payload({name: row[name] for name in FIELD_NAMES}),
            "condition": condition,
            "market_estimate": int(row["market_estimate"]),
            "paid": int(row["paid"]),
            "preparation_cost": int(row["preparation_cost"]),
            "purchased_on": date.fromisoformat(row["purchased_on"]),
            "synthetic": True,
        }
        if row["sold_on"]:
            channel: Channel = next(c for c in CHANNELS if c == row["channel"])
            sold.append(
                SoldItem(
                    **common,
                    sale_price=int(row["sale_price"]),
                    sold_on=date.fromisoformat(row["sold_on"]),
                    channel=channel,
                )
            )
        else:
            stocked.append(StockedItem(**common))
    return tuple(sold), tuple(stocked)
