"""Typed failures of a stock change, each with the HTTP status the API answers and one pt-BR
sentence for the clerk. None carries a clerk's e-mail or a seller's data."""

from __future__ import annotations

from collections.abc import Sequence

from laptop_pricing.pricing.laptop_spec import FieldError


class StockError(Exception):
    """Any reason a stock event was not stored. ``status``: the API's answer."""

    status = 500

    def __init__(self, message_pt: str, detail: str = ""):
        super().__init__(detail or message_pt)
        self.message_pt = message_pt


class InvalidStockEvent(StockError, ValueError):
    """400: the event cannot be stored as sent (a bad field, an order the states do not allow,
    a sale out of bounds, an event id reused with other content); names every field."""

    status = 400

    def __init__(self, errors: Sequence[FieldError], message_pt: str):
        self.errors = list(errors)
        super().__init__(message_pt, "; ".join(f"{e.field}: {e.reason}" for e in self.errors))

    @property
    def fields(self) -> list[str]:
        return list(dict.fromkeys(e.field for e in self.errors))


class StockForbidden(StockError):
    """403: only an owner may do this (correct a sale)."""

    status = 403


class StockItemNotFound(StockError):
    """404: no stock item under that purchase id."""

    status = 404


class StockChanged(StockError):
    """409: someone else changed the item since the page read it; reload and decide again."""

    status = 409


class StockNotStored(StockError):
    """503: the event could not be confirmed stored in time; sending the same ``event_id``
    again is safe (stored once)."""

    status = 503
