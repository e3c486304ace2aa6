"""The stock routes of the handler (issue #24 items 1 and 2), over ``StockService``:

* ``GET /stock?state=&age=&brand=&processor=&q=&page=&page_size=``: one page of items and the
  counts over the whole stock (``StockQuery``); 200.
* ``GET /stock/{purchase_id}``: one item; 404 when there is none.
* ``POST /stock/{purchase_id}/events``: a change (``ChangeRequest``); 201 stored, 200 this
  ``event_id`` stored before.
* ``GET /stock/resale?stores=centro,sul``: owners only (403 otherwise), the sold and stocked
  laptops of those stores (absent: every store) as sale facts (``resale.facts_wire``), for the
  owner's "Estoque e revenda" figures. ``resale`` is never a purchase id, so it rides the item
  route (and its API Gateway resource) without a template change.

Errors: 400 naming each field (any body, any byte), 403 a clerk correcting a sale, 404 no such
item, 405 another method, 409 the item changed since the page read it (reload), 503 not
confirmed stored or the store unavailable (send again). Refusals carry ``message_pt``. Who calls
comes from the transport, as for the purchases (``purchase_route.caller_of``).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from laptop_pricing.api.events import (
    InvalidEvent,
    field_errors,
    http_method,
    request_object,
    route_path,
)
from laptop_pricing.api.events import response as proxy_response
from laptop_pricing.api.purchase_route import INVALID_PT, caller_of, query_of
from laptop_pricing.pricing.laptop_spec import FieldError
from laptop_pricing.resale.facts_wire import facts_answer
from laptop_pricing.stock.errors import InvalidStockEvent, StockError, StockForbidden
from laptop_pricing.stock.query import StockQuery
from laptop_pricing.stock.request import CHECK_FIELDS_PT
from laptop_pricing.stock.service import StockService
from laptop_pricing.storage.stores import StoreError
from laptop_pricing.store_id import is_store_id

logger = logging.getLogger(__name__)
_STOCK_PATH = re.compile(r"^(?:.*/)?stock(?:/(?P<id>[^/]*)(?P<events>/events)?)?/?$")
UNAVAILABLE_PT = "O estoque não pode ser lido ou gravado agora; tente de novo em instantes."
RESALE = "resale"  # GET /stock/resale: the sale facts (never a purchase id)
RESALE_OWNERS_PT = "Só o dono da loja vê os números de estoque e revenda."
REASONS = {400: "invalid", 403: "owner_required", 404: "not_found", 409: "changed", 503: "retry"}


@dataclass(frozen=True)
class StockTarget:
    """``kind``: ``list`` (``/stock``), ``one`` (``/stock/{id}``) or ``events``."""

    kind: str
    purchase_id: str = ""


def stock_target(event: Any) -> StockTarget | None:
    """The stock route of an event (its resource, else ``rawPath``, else ``path``); None for
    any other route."""
    found = route_path(event, _STOCK_PATH, "purchase_id")
    if found is None:
        return None
    if found.segment is None:
        return StockTarget("list")
    return StockTarget("events" if found.match.group("events") else "one", found.segment)


class StockRoute:
    def __init__(self, service: StockService, owner_key_ids: frozenset[str] = frozenset()):
        self.service = service
        self.owner_key_ids = owner_key_ids

    def __call__(self, event: Any, target: StockTarget) -> dict[str, Any]:
        caller = caller_of(event, self.owner_key_ids)
        method = http_method(event) if isinstance(event, dict) else None
        try:
            if target.kind == "list":
                _method(method, "GET")
                query = StockQuery.from_params(query_of(event))
                return proxy_response(200, self.service.page_answer(self.service.page(query)))
            if not target.purchase_id:
                raise InvalidEvent([FieldError("purchase_id", None, "missing")])
            if target.kind == "one" and target.purchase_id == RESALE:
                _method(method, "GET")
                stores = resale_stores(query_of(event))
                if not caller.is_owner:
                    raise StockForbidden(RESALE_OWNERS_PT)
                facts = self.service.resale_facts(stores)
                return proxy_response(200, facts_answer(facts))
            if target.kind == "one":
                _method(method, "GET")
                item = self.service.item(target.purchase_id)
                if item is None:
                    answer = {"message": "Stock item not found", "reason_code": "not_found"}
                    return proxy_response(404, answer)
                return proxy_response(200, self.service.item_answer(item))
            _method(method, "POST")
            decision = self.service.change(target.purchase_id, request_object(event), caller)
            return proxy_response(decision.status, self.service.item_answer(decision.item))
        except Exception as error:  # each typed error is an answer; the rest a logged 500
            return refusal(error)


def resale_stores(params: dict[str, str]) -> frozenset[str] | None:
    """The ``stores`` parameter (comma-separated store ids; absent or empty: every store);
    400 naming ``stores`` or any other parameter."""
    errors = [FieldError(str(k)[:40], None, "unknown parameter") for k in params if k != "stores"]
    raw = params.get("stores", "").strip()
    stores = frozenset(s.strip() for s in raw.split(",") if s.strip()) if raw else None
    if stores is not None and not all(is_store_id(s) for s in stores):
        errors.append(FieldError("stores", raw[:80], "store ids separated by commas"))
    if errors:
        raise InvalidStockEvent(errors, CHECK_FIELDS_PT)
    return stores


def refusal(error: Exception) -> dict[str, Any]:
    if isinstance(error, InvalidEvent):
        headers = {"Allow": "GET, POST"} if error.status == 405 else None
        body = {"message": "Invalid request", "message_pt": INVALID_PT}
        return proxy_response(error.status, {**body, "errors": field_errors(error.errors)}, headers)
    if isinstance(error, InvalidStockEvent):
        body = {"message": "Invalid request", "message_pt": error.message_pt}
        return proxy_response(400, {**body, "errors": field_errors(error.errors)})
    if isinstance(error, StockError):
        if error.status == 503:
            logger.warning("stock event not confirmed stored in time (503)")
        answer = {"message": type(error).__name__, "reason_code": REASONS.get(error.status, "")}
        return proxy_response(error.status, {**answer, "message_pt": error.message_pt})
    if isinstance(error, StoreError | OSError):
        logger.warning("stock store unavailable: %s", type(error).__name__)
        answer = {"message": "The stock cannot be read or stored right now; try again"}
        return proxy_response(503, {**answer, "message_pt": UNAVAILABLE_PT})
    trace = error.__traceback__
    while trace is not None and trace.tb_next is not None:
        trace = trace.tb_next
    where = f"{trace.tb_frame.f_code.co_filename}:{trace.tb_lineno}" if trace else "?"
    logger.error("stock route failed: %s at %s", type(error).__name__, where)
    return proxy_response(500, {"message": "Internal error"})


def _method(method: str | None, allowed: str) -> None:
    if method not in (None, allowed):
        error = FieldError("method", (method or "")[:16], f"use {allowed}", (allowed,))
        raise InvalidEvent([error], status=405)


def stock_route_from_settings(settings: Any, owner_key_ids: frozenset[str]) -> StockRoute:
    """The stock routes over the service the settings name (beside the purchases)."""
    from laptop_pricing.stock.service import stock_service_from_settings

    return StockRoute(stock_service_from_settings(settings), owner_key_ids)
