"""What the stock page asks (``StockQuery``: filters, search, page) and what it gets
(``StockPage``: one page of items and the counts over all of them), computed in the package so
the page draws a page (50 items) whatever the stock's size.

Filters: ``state`` (one of ``events.STATES``), ``age`` (one of ``AGE_BUCKETS``: days since the
purchase), ``brand``, ``processor`` (exact, as the quote's spec names them), ``q`` (a serial or a
purchase id, or part of one; case and hyphens ignored).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from laptop_pricing.pricing.laptop_spec import FieldError, preview
from laptop_pricing.stock.errors import InvalidStockEvent
from laptop_pricing.stock.events import STATES
from laptop_pricing.stock.fold import StockItem
from laptop_pricing.stock.request import CHECK_FIELDS_PT

# Days since the purchase: (first, last) inclusive, last None for "and more".
AGE_BUCKETS: dict[str, tuple[int, int | None]] = {
    "ate_30": (0, 30),
    "31_90": (31, 90),
    "91_180": (91, 180),
    "mais_180": (181, None),
}
AGE_LABELS = {
    "ate_30": "Até 30 dias",
    "31_90": "31 a 90 dias",
    "91_180": "91 a 180 dias",
    "mais_180": "Mais de 180 dias",
}
PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_SEARCH = 64
PARAMETERS = ("state", "age", "brand", "processor", "q", "page", "page_size")


def _folded(text: str) -> str:
    return "".join(text.split()).replace("-", "").upper()


@dataclass(frozen=True)
class StockQuery:
    state: str | None = None
    age: str | None = None
    brand: str | None = None
    processor: str | None = None
    search: str | None = None
    page: int = 1
    page_size: int = PAGE_SIZE

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> StockQuery:
        """The query string of ``GET /stock``; 400 naming each parameter at fault."""
        errors = [
            FieldError(str(k)[:40], None, "unknown parameter")
            for k in params
            if k not in PARAMETERS
        ]
        state = params.get("state") or None
        if state is not None and state not in STATES:
            errors.append(FieldError("state", preview(state), "not a state", STATES))
        age = params.get("age") or None
        if age is not None and age not in AGE_BUCKETS:
            errors.append(FieldError("age", preview(age), "not an age bucket", tuple(AGE_BUCKETS)))
        search = (params.get("q") or "").strip() or None
        if search is not None and len(search) > MAX_SEARCH:
            errors.append(FieldError("q", None, f"at most {MAX_SEARCH} characters"))
        page = _whole(params.get("page"), "page", 1, 1_000_000, errors)
        size = _whole(params.get("page_size"), "page_size", PAGE_SIZE, MAX_PAGE_SIZE, errors)
        if errors:
            raise InvalidStockEvent(errors, CHECK_FIELDS_PT)
        brand = (params.get("brand") or "").strip()[:MAX_SEARCH] or None
        processor = (params.get("processor") or "").strip()[:MAX_SEARCH] or None
        return cls(state, age, brand, processor, search, page, size)

    def as_params(self) -> dict[str, str]:
        values = {
            "state": self.state,
            "age": self.age,
            "brand": self.brand,
            "processor": self.processor,
            "q": self.search,
            "page": str(self.page) if self.page != 1 else None,
            "page_size": str(self.page_size) if self.page_size != PAGE_SIZE else None,
        }
        return {k: v for k, v in values.items() if v}

    def matches(self, item: StockItem, today: date) -> bool:
        if self.state is not None and item.state != self.state:
            return False
        if self.brand is not None and item.facts.brand != self.brand:
            return False
        if self.processor is not None and item.facts.processor != self.processor:
            return False
        if self.age is not None:
            first, last = AGE_BUCKETS[self.age]
            days = item.days_in_stock(today)
            if days < first or (last is not None and days > last):
                return False
        if self.search is not None:
            wanted = _folded(self.search)
            if wanted not in _folded(item.facts.serial) and wanted not in _folded(item.purchase_id):
                return False
        return True


@dataclass(frozen=True)
class StockPage:
    """One page of the items that match, newest purchase first, and what the filters offer."""

    items: tuple[StockItem, ...]
    total: int  # items that match
    page: int
    pages: int
    counts: Mapping[str, int]  # items per state, over the whole stock
    brands: tuple[str, ...]
    processors: tuple[str, ...]


def select(items: Iterable[StockItem], query: StockQuery, today: date) -> StockPage:
    everything: Sequence[StockItem] = list(items)
    matching = [item for item in everything if query.matches(item, today)]
    matching.sort(key=lambda item: (item.facts.purchased_at, item.purchase_id), reverse=True)
    pages = max(1, math.ceil(len(matching) / query.page_size))
    page = min(query.page, pages)
    start = (page - 1) * query.page_size
    counts = Counter(item.state for item in everything)
    return StockPage(
        items=tuple(matching[start : start + query.page_size]),
        total=len(matching),
        page=page,
        pages=pages,
        counts={state: counts.get(state, 0) for state in STATES},
        brands=tuple(sorted({i.facts.brand for i in everything if i.facts.brand})),
        processors=tuple(sorted({i.facts.processor for i in everything if i.facts.processor})),
    )


def _whole(raw: str | None, name: str, default: int, top: int, errors: list[FieldError]) -> int:
    if raw is None or raw == "":
        return default
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= top:
        errors.append(FieldError(name, preview(raw), f"a whole number from 1 to {top}"))
        return default
    return int(raw)
