"""A stock event as stored: one object per event, never rewritten (``StockEvent``), and the
facts of the item that the opening event carries (``ItemFacts``), so that listing the stock
reads only stock objects, never the purchases or the request log.

Who acted is a role and a clerk reference (``Actor``): a keyed hash of the e-mail
(``PersonalDataVault.clerk_reference``), never the e-mail itself, so the stock, the advisor's
tables and the owner's figures can say "the same clerk" without naming anyone.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from laptop_pricing.formatting import BRASILIA
from laptop_pricing.purchase.purchase import parse_utc, utc_text
from laptop_pricing.store_id import DEFAULT_STORE_ID, store_of

EM_PREPARO = "em_preparo"
A_VENDA = "a_venda"
VENDIDO = "vendido"
DESCARTADO = "descartado"
PECAS = "pecas"
CORRECAO_VENDA = "correcao_venda"
STATES: tuple[str, ...] = (EM_PREPARO, A_VENDA, VENDIDO, DESCARTADO, PECAS)
# What a request may send: the opening (em preparo) is made by the purchase, a return to
# preparation by ``em_preparo`` on an item for sale.
EVENT_KINDS: tuple[str, ...] = (EM_PREPARO, A_VENDA, VENDIDO, DESCARTADO, PECAS, CORRECAO_VENDA)
CHANNELS: tuple[str, ...] = ("balcao", "online", "atacado_pecas")
STATE_LABELS = {
    EM_PREPARO: "Em preparo",
    A_VENDA: "À venda",
    VENDIDO: "Vendido",
    DESCARTADO: "Descartado",
    PECAS: "Peças",
}
CHANNEL_LABELS = {"balcao": "Balcão", "online": "Online", "atacado_pecas": "Atacado / peças"}
OWNER = "owner"
CLERK = "clerk"


@dataclass(frozen=True)
class Sale:
    price: int
    date: date
    channel: str

    def as_dict(self) -> dict[str, Any]:
        return {"price": self.price, "date": self.date.isoformat(), "channel": self.channel}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Sale:
        return cls(int(raw["price"]), date.fromisoformat(str(raw["date"])), str(raw["channel"]))


@dataclass(frozen=True)
class Actor:
    """Who made a change: ``role`` (clerk or owner) and ``ref``, the clerk's keyed hash."""

    role: str
    ref: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"role": self.role, "ref": self.ref}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Actor:
        ref = raw.get("ref")
        return cls(str(raw.get("role") or CLERK), None if ref is None else str(ref))


@dataclass(frozen=True)
class ItemFacts:
    """What the purchase knew of the item, copied once into the opening event. ``paid``: the
    amount agreed with the seller (what the store owes for the laptop; a store-credit bonus is
    a payment form, not a higher price). ``laptop``: the quote's spec, field by field."""

    serial: str
    brand: str
    processor: str
    label_model: str
    laptop: Mapping[str, Any]
    condition: Mapping[str, Any]
    market_estimate: int
    quote_offer: int | None
    paid: int
    purchased_at: datetime
    policy_version: str

    @property
    def purchased_on(self) -> date:
        """The store's day of the purchase (Brasília): after 21:00 there the UTC day is the
        next one, and a sale, days in stock and the owner's figures count the store's days."""
        return self.purchased_at.astimezone(BRASILIA).date()

    def as_dict(self) -> dict[str, Any]:
        return {
            "serial": self.serial,
            "brand": self.brand,
            "processor": self.processor,
            "label_model": self.label_model,
            "laptop": dict(self.laptop),
            "condition": dict(self.condition),
            "market_estimate": self.market_estimate,
            "quote_offer": self.quote_offer,
            "paid": self.paid,
            "purchased_at": utc_text(self.purchased_at),
            "policy_version": self.policy_version,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> ItemFacts:
        offer = raw.get("quote_offer")
        return cls(
            serial=str(raw["serial"]),
            brand=str(raw.get("brand") or ""),
            processor=str(raw.get("processor") or ""),
            label_model=str(raw.get("label_model") or ""),
            laptop=dict(raw.get("laptop") or {}),
            condition=dict(raw.get("condition") or {}),
            market_estimate=int(raw["market_estimate"]),
            quote_offer=None if offer is None else int(offer),
            paid=int(raw["paid"]),
            purchased_at=parse_utc(str(raw["purchased_at"])),
            policy_version=str(raw.get("policy_version") or ""),
        )


@dataclass(frozen=True)
class StockEvent:
    """One change of one item; ``seq`` is its place in the item's history (its key), so two
    changes made from the same view race for the same key and exactly one is stored."""

    event_id: str
    purchase_id: str
    seq: int
    kind: str
    at: datetime
    by: Actor
    list_price: int | None = None
    sale: Sale | None = None
    facts: ItemFacts | None = None  # only on the opening event
    store_id: str = field(default=DEFAULT_STORE_ID)

    def same_request(self, other: StockEvent) -> bool:
        """A retry of the same change: the same item, kind, price and sale."""
        return (self.purchase_id, self.kind, self.list_price, self.sale) == (
            other.purchase_id,
            other.kind,
            other.list_price,
            other.sale,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "purchase_id": self.purchase_id,
            "seq": self.seq,
            "kind": self.kind,
            "at": utc_text(self.at),
            "by": self.by.as_dict(),
            "list_price": self.list_price,
            "sale": None if self.sale is None else self.sale.as_dict(),
            "facts": None if self.facts is None else self.facts.as_dict(),
            "store_id": self.store_id,
        }

    def as_record(self) -> bytes:
        return json.dumps(self.as_dict(), ensure_ascii=False, sort_keys=True).encode("utf-8")

    @classmethod
    def from_record(cls, data: bytes) -> StockEvent:
        return cls.from_dict(json.loads(data.decode("utf-8")))

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> StockEvent:
        price, sale, facts = raw.get("list_price"), raw.get("sale"), raw.get("facts")
        return cls(
            event_id=str(raw["event_id"]),
            purchase_id=str(raw["purchase_id"]),
            seq=int(raw["seq"]),
            kind=str(raw["kind"]),
            at=parse_utc(str(raw["at"])),
            by=Actor.from_dict(raw.get("by") or {}),
            list_price=None if price is None else int(price),
            sale=None if sale is None else Sale.from_dict(sale),
            facts=None if facts is None else ItemFacts.from_dict(facts),
            store_id=store_of(raw.get("store_id")),
        )
