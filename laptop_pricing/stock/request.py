"""The body of ``POST /stock/{purchase_id}/events`` read into a ``ChangeRequest``, every field
at fault named at once (``InvalidStockEvent``, 400), whatever bytes were sent.

``{"event_id", "kind", "list_price"?, "sale"?: {"price", "date", "channel"}, "version"?,
"clerk_email"?}``. ``version``: how many events the page saw; when the item has more, someone
changed it meanwhile (409, reload). ``clerk_email``: who acts, kept only as a keyed hash.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from laptop_pricing.pricing.laptop_spec import FieldError, preview
from laptop_pricing.purchase.request import EVENT_ID, MAX_AMOUNT, clerk_email_field
from laptop_pricing.stock.errors import InvalidStockEvent
from laptop_pricing.stock.events import (
    A_VENDA,
    CHANNELS,
    CORRECAO_VENDA,
    EVENT_KINDS,
    VENDIDO,
    Sale,
)

MEMBERS = ("event_id", "kind", "list_price", "sale", "version", "clerk_email")
SALE_MEMBERS = ("price", "date", "channel")
CHECK_FIELDS_PT = "Confira os campos indicados e envie de novo."
MAX_VERSION = 100_000


@dataclass(frozen=True)
class ChangeRequest:
    event_id: str
    kind: str
    list_price: int | None
    sale: Sale | None
    version: int | None
    clerk_email: str | None

    @classmethod
    def from_payload(cls, body: object) -> ChangeRequest:
        if not isinstance(body, dict):
            fault = FieldError("body", preview(body), "must be a JSON object")
            raise InvalidStockEvent([fault], CHECK_FIELDS_PT)
        errors = [FieldError(str(k)[:40], None, "unknown member") for k in body if k not in MEMBERS]
        event_id = _event_id(body.get("event_id"), errors)
        kind = body.get("kind")
        if kind not in EVENT_KINDS:
            errors.append(FieldError("kind", preview(kind), "not a stock change", EVENT_KINDS))
        list_price = None
        if kind == A_VENDA:
            list_price = _amount(body.get("list_price"), "list_price", errors)
        elif body.get("list_price") is not None:
            errors.append(
                FieldError("list_price", preview(body.get("list_price")), "only for a_venda")
            )
        sale = None
        if kind in (VENDIDO, CORRECAO_VENDA):
            sale = _sale(body.get("sale"), errors)
        elif body.get("sale") is not None:
            errors.append(FieldError("sale", None, "only for vendido or correcao_venda"))
        version = _version(body.get("version"), errors)
        clerk_email = clerk_email_field(body.get("clerk_email"), errors)
        if errors:
            raise InvalidStockEvent(errors, CHECK_FIELDS_PT)
        assert event_id is not None and isinstance(kind, str)
        return cls(event_id, kind, list_price, sale, version, clerk_email)


def _event_id(raw: Any, errors: list[FieldError]) -> str | None:
    if not isinstance(raw, str) or not EVENT_ID.match(raw):
        reason = "missing" if raw is None else "must be 8 to 64 letters, digits, '-' or '_'"
        errors.append(FieldError("event_id", preview(raw), reason))
        return None
    return raw


def _amount(raw: Any, name: str, errors: list[FieldError]) -> int | None:
    """A whole number of reais; the bounds that depend on the item (R$ 1 to 10x the amount
    paid) are ``fold.check_change``'s, with their own sentence."""
    if isinstance(raw, bool) or not isinstance(raw, int) or not -MAX_AMOUNT <= raw <= MAX_AMOUNT:
        errors.append(FieldError(name, preview(raw), "a whole number of reais"))
        return None
    return raw


def _sale(raw: Any, errors: list[FieldError]) -> Sale | None:
    if not isinstance(raw, dict):
        errors.append(FieldError("sale", preview(raw), "must be {price, date, channel}"))
        return None
    errors += [
        FieldError(f"sale.{str(k)[:30]}", None, "unknown member")
        for k in raw
        if k not in SALE_MEMBERS
    ]
    price = _amount(raw.get("price"), "sale.price", errors)
    day = None
    text = raw.get("date")
    try:
        day = date.fromisoformat(text) if isinstance(text, str) and len(text) == 10 else None
    except ValueError:
        day = None
    if day is None:
        errors.append(FieldError("sale.date", preview(text), "a date as YYYY-MM-DD"))
    channel = raw.get("channel")
    if channel not in CHANNELS:
        errors.append(FieldError("sale.channel", preview(channel), "not a channel", CHANNELS))
    if price is None or day is None or not isinstance(channel, str) or channel not in CHANNELS:
        return None
    return Sale(price, day, channel)


def _version(raw: Any, errors: list[FieldError]) -> int | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= MAX_VERSION:
        errors.append(FieldError("version", preview(raw), "the number of events the page saw"))
        return None
    return raw
