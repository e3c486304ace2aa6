"""The stock routes of the pricing API as client methods, shared by the HTTP and the
in-process client (``laptop_pricing.client.PricingClient`` inherits them). A sale's correction
is sent ``as_owner`` (the owner key over HTTP, the owner mark in-process), like the purchase's
owner-only calls.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any, TypeVar
from urllib.parse import quote, unquote, urlencode

from laptop_pricing.errors import BadRequest
from laptop_pricing.pricing.laptop_spec import FieldError
from laptop_pricing.resale.facts_wire import ResaleFacts
from laptop_pricing.stock.query import StockQuery
from laptop_pricing.stock_answers import (
    StockChange,
    StockItemAnswer,
    StockListing,
    change_from_response,
    found_item_from_response,
    listing_from_response,
    resale_facts_from_response,
)

STOCK_PATH = "/stock"
EVENTS_SUFFIX = "/events"
RESALE = "resale"  # the sale facts ride the item route: never a purchase id
T = TypeVar("T")


class StockRoutes:
    """``list_stock``, ``find_stock_item``, ``resale_facts`` and ``change_stock`` over the
    transport's ``_send``. Each raises ``StockRefused`` (400 naming the fields, 403 owner
    needed, 404, 409 reload, 503 send again) or the errors of any call."""

    def _send(
        self,
        payload: dict[str, Any] | None,
        read: Callable[..., T],
        path: str,
        method: str = "POST",
        *,
        raw: bytes | None = None,
        content_type: str | None = None,
        as_owner: bool = False,
    ) -> T:
        raise NotImplementedError

    def list_stock(self, query: StockQuery) -> StockListing:
        """``GET /stock``: one page of the items that match and the counts of the whole stock."""
        params = query.as_params()
        path = STOCK_PATH + (f"?{urlencode(params)}" if params else "")
        return self._send(None, listing_from_response, path, "GET")

    def find_stock_item(self, purchase_id: str) -> StockItemAnswer | None:
        return self._send(None, found_item_from_response, _item_path(purchase_id), "GET")

    def resale_facts(self, stores: Collection[str] | None = None) -> ResaleFacts:
        """``GET /stock/resale``, as the owner: the sold and stocked laptops of ``stores``
        (None: every store) as sale facts. A clerk's call is refused (``StockRefused`` 403)."""
        params = {"stores": ",".join(sorted(stores))} if stores else {}
        path = _item_path(RESALE) + (f"?{urlencode(params)}" if params else "")
        return self._send(None, resale_facts_from_response, path, "GET", as_owner=True)

    def change_stock(
        self, purchase_id: str, payload: Mapping[str, Any], *, as_owner: bool = False
    ) -> StockChange:
        """``POST /stock/{purchase_id}/events``; ``payload["event_id"]`` is made once per
        intended change, so sending it again stores it once (``created`` False)."""
        path = _item_path(purchase_id) + EVENTS_SUFFIX
        return self._send(dict(payload), change_from_response, path, as_owner=as_owner)


def _item_path(purchase_id: str) -> str:
    if not purchase_id.strip():
        raise BadRequest("empty purchase id", [FieldError("purchase_id", "", "empty")])
    return f"{STOCK_PATH}/{quote(purchase_id, safe='')}"


def stock_resource(path: str) -> tuple[str, dict[str, str] | None] | None:
    """The REST resource template and path parameters of a stock path (without its query),
    as API Gateway would name them; None for any other route."""
    if path == STOCK_PATH:
        return path, None
    if not path.startswith(STOCK_PATH + "/"):
        return None
    rest = path[len(STOCK_PATH) + 1 :]
    events = rest.endswith(EVENTS_SUFFIX)
    segment = rest[: -len(EVENTS_SUFFIX)] if events else rest
    if "/" in segment:
        return None
    resource = STOCK_PATH + "/{purchase_id}" + (EVENTS_SUFFIX if events else "")
    return resource, {"purchase_id": unquote(segment)}
