"""The stock routes' answers read into typed objects, the same way by both clients:
``StockListing`` (``GET /stock``), ``StockItemAnswer`` (``GET /stock/{id}``, and the item after
``POST /stock/{id}/events``), or ``StockRefused`` carrying the service's pt-BR sentence.
The UI reads only these objects.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from laptop_pricing.api_answers import error_for_status, field_errors_in
from laptop_pricing.errors import InvalidResponse, StockRefused
from laptop_pricing.json_members import (
    integer,
    items,
    json_object,
    maybe_object,
    moment,
    optional_text,
    text,
)
from laptop_pricing.resale.facts_wire import ResaleFacts, UnreadableFacts, facts_from_answer

REFUSALS = frozenset({400, 403, 404, 409, 503})


@dataclass(frozen=True)
class SaleAnswer:
    price: int
    date: date
    channel: str


@dataclass(frozen=True)
class HistoryAnswer:
    kind: str
    at: datetime | None
    by_role: str


@dataclass(frozen=True)
class StockItemAnswer:
    purchase_id: str
    state: str
    version: int
    serial: str
    brand: str
    processor: str
    label_model: str
    paid: int
    market_estimate: int
    suggested_list_price: int
    list_price: int | None
    sale: SaleAnswer | None
    purchased_at: datetime | None
    listed_at: datetime | None
    sold_at: datetime | None
    changed_at: datetime | None
    days_in_stock: int
    history: tuple[HistoryAnswer, ...]
    store_id: str


@dataclass(frozen=True)
class StockListing:
    items: tuple[StockItemAnswer, ...]
    total: int
    page: int
    pages: int
    counts: Mapping[str, int]
    brands: tuple[str, ...]
    processors: tuple[str, ...]


@dataclass(frozen=True)
class StockChange:
    """The item after a change; ``created`` False when this ``event_id`` was stored before."""

    item: StockItemAnswer
    created: bool


def item_from_body(payload: Mapping[str, Any]) -> StockItemAnswer:
    sale = payload.get("sale")
    if sale is not None and not isinstance(sale, dict):
        raise InvalidResponse("answer: sale is not an object")
    try:
        sold = (
            None
            if sale is None
            else SaleAnswer(
                integer(sale, "price") or 0,
                date.fromisoformat(text(sale, "date", required=True)),
                text(sale, "channel"),
            )
        )
    except ValueError:
        raise InvalidResponse("answer: the sale's date is not a date") from None
    return StockItemAnswer(
        purchase_id=text(payload, "purchase_id", required=True),
        state=text(payload, "state", required=True),
        version=integer(payload, "version") or 0,
        serial=text(payload, "serial"),
        brand=text(payload, "brand"),
        processor=text(payload, "processor"),
        label_model=text(payload, "label_model"),
        paid=integer(payload, "paid") or 0,
        market_estimate=integer(payload, "market_estimate") or 0,
        suggested_list_price=integer(payload, "suggested_list_price") or 0,
        list_price=integer(payload, "list_price"),
        sale=sold,
        purchased_at=moment(payload.get("purchased_at")),
        listed_at=moment(payload.get("listed_at")),
        sold_at=moment(payload.get("sold_at")),
        changed_at=moment(payload.get("changed_at")),
        days_in_stock=integer(payload, "days_in_stock") or 0,
        history=tuple(
            HistoryAnswer(text(line, "kind"), moment(line.get("at")), text(line, "by_role"))
            for line in items(payload, "history")
        ),
        store_id=text(payload, "store_id"),
    )


def _texts(payload: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = payload.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidResponse(f"answer: {key} is not a list of text")
    return tuple(value)


def listing_from_response(
    status: int, body: str | bytes | None, headers: Mapping[str, str]
) -> StockListing:
    if status != 200:
        raise stock_error(status, body, headers)
    payload = json_object(body)
    counts = payload.get("counts") or {}
    if not isinstance(counts, dict):
        raise InvalidResponse("answer: counts is not an object")
    return StockListing(
        items=tuple(item_from_body(item) for item in items(payload, "items")),
        total=integer(payload, "total") or 0,
        page=integer(payload, "page") or 1,
        pages=integer(payload, "pages") or 1,
        counts={str(k): int(v) for k, v in counts.items() if isinstance(v, int)},
        brands=_texts(payload, "brands"),
        processors=_texts(payload, "processors"),
    )


def found_item_from_response(
    status: int, body: str | bytes | None, headers: Mapping[str, str]
) -> StockItemAnswer | None:
    if status == 200:
        return item_from_body(json_object(body))
    if status == 404 and maybe_object(body).get("reason_code") == "not_found":
        return None
    raise stock_error(status, body, headers)


def change_from_response(
    status: int, body: str | bytes | None, headers: Mapping[str, str]
) -> StockChange:
    if status in (200, 201):
        return StockChange(item_from_body(json_object(body)), created=status == 201)
    raise stock_error(status, body, headers)


def resale_facts_from_response(
    status: int, body: str | bytes | None, headers: Mapping[str, str]
) -> ResaleFacts:
    """``GET /stock/resale``'s facts, each laptop and condition validated again."""
    if status != 200:
        raise stock_error(status, body, headers)
    try:
        return facts_from_answer(json_object(body))
    except UnreadableFacts as error:
        raise InvalidResponse(f"answer: {error}") from None


def stock_error(status: int, body: str | bytes | None, headers: Mapping[str, str]) -> Exception:
    """``StockRefused`` when the stock service refused (its answer has ``message_pt``); the
    gateway's own refusals (no key: 403 without it) stay the errors of any call."""
    payload = maybe_object(body)
    message_pt = optional_text(payload, "message_pt") if "message_pt" in payload else None
    if status in REFUSALS and message_pt:
        reason = optional_text(payload, "reason_code")
        return StockRefused(status, message_pt, field_errors_in(body), reason_code=reason)
    return error_for_status(status, body, headers)
