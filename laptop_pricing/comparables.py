"""Comparable laptops: the closest real laptops of the training data, with their prices.

What a clerk shows a customer who asks "why so little?". The index is the training table itself
(``metadata.comparables``: 15 fields and the BRL price of each real row), shipped in the artifact.
Nearest means, in this order:

1. same processor family first (the processor name; for a v1 "other", the same processor brand
   among the rows a v1 client would also call "other");
2. the smallest distance: RAM, SSD and HD compared on a log2 scale (8 -> 16 GB is one step, like
   256 -> 512 GB of SSD), video memory in steps of 2 GB, one step per differing brand, category,
   OS and generation (generation and MS Office only when the request states them), half a step
   for RAM type, touchscreen, 32/64 bits, a quarter per year of warranty;
3. ties by the row's position in the data, so the answer is deterministic.

Each field's distance to every row depends only on the field's value, so the finder computes one
vector per allowed (field, value) when the model loads (a few dozen in all): a request sums 15
of them, then partitions for the nearest. About 20 µs per request, so it can ride along with
``explain``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from laptop_pricing.artifact import ComparablesIndex
from laptop_pricing.laptop_spec import LaptopSpec
from laptop_pricing.schema import COURSE_VALUES, FIELD_NAMES, FIELDS, Value

DEFAULT_COUNT = 4
_LOG_FIELDS = ("ram_gb", "ssd", "hdd")
# field -> weight of a mismatch
_CATEGORY_WEIGHTS = {
    "processor_brand": 1.0,
    "processor_name": 1.0,
    "brand": 1.0,
    "weight": 1.0,
    "os": 1.0,
    "ram_type": 0.5,
    "touchscreen": 0.5,
    "os_bit": 0.5,
}


@dataclass(frozen=True)
class Comparable:
    """One real laptop of the data and its price (BRL)."""

    fields: dict[str, Value | None]
    price: int
    same_processor: bool
    distance: float | None = None

    def as_body(self) -> dict[str, Any]:
        return {"price": self.price, "same_processor": self.same_processor, "data": self.fields}


def _course_processor(name: str) -> str:
    return name if name in COURSE_VALUES["processor_name"] else "other"


class ComparablesFinder:
    def __init__(self, index: ComparablesIndex):
        columns = {name: i for i, name in enumerate(index.columns)}
        self._fields = [
            dict(zip(FIELD_NAMES, row[: len(FIELD_NAMES)], strict=True)) for row in index.rows
        ]
        self._prices = [int(row[columns["price"]]) for row in index.rows]
        self._column = {
            name: np.array([row[columns[name]] for row in index.rows], dtype=object)
            for name in FIELD_NAMES
        }
        self._course_processor = np.array(
            [_course_processor(str(v)) for v in self._column["processor_name"]], dtype=object
        )
        # Row k of the matrix: one field's distance to every laptop for one of its values.
        keys = [(f.name, value) for f in FIELDS for value in f.form_values]
        self._key_row = {key: k for k, key in enumerate(keys)}
        self._matrix = np.array([self._field_distance(*key) for key in keys])
        self._same: dict[tuple[str, str], np.ndarray] = {}  # (brand, name) -> same family

    def __len__(self) -> int:
        return len(self._prices)

    def _field_distance(self, name: str, value: Value | None) -> np.ndarray:
        column = self._column[name]
        if name in _LOG_FIELDS:
            rows = np.log2(column.astype(np.float64) + 1.0)
            return np.abs(rows - np.log2(float(value) + 1.0))  # type: ignore[arg-type]
        if name == "graphic_card":
            return np.abs(column.astype(np.float64) - float(value)) / 2.0  # type: ignore[arg-type]
        if name == "warranty":
            return np.abs(column.astype(np.float64) - float(value)) / 4.0  # type: ignore[arg-type]
        if name == "processor_gnrtn":  # only when the request states it
            weight = 0.0 if value == "not available" else 1.0
        elif name == "msoffice":
            weight = 0.0 if value is None else 0.25
        else:
            weight = _CATEGORY_WEIGHTS[name]
        return weight * (column != value).astype(np.float64)

    def _same_family(self, processor_brand: str, processor_name: str) -> np.ndarray:
        if processor_name == "other":
            return (self._course_processor == "other") & (
                self._column["processor_brand"] == processor_brand
            )
        return self._column["processor_name"] == processor_name

    def nearest(self, spec: LaptopSpec, count: int = DEFAULT_COUNT) -> tuple[Comparable, ...]:
        rows, extra = [], 0.0
        for key in spec.as_dict().items():
            row = self._key_row.get(key)
            if row is None:  # a value the schema does not list (a hand-built spec)
                extra = extra + self._field_distance(*key)
            else:
                rows.append(row)
        family = (spec.processor_brand, spec.processor_name)
        same = self._same.get(family)
        if same is None:
            same = self._same.setdefault(family, self._same_family(*family))
        # Rounded so that the order does not hang on the order of a float sum.
        distance = np.round(np.einsum("ij->j", np.take(self._matrix, rows, axis=0)) + extra, 9)
        key = distance + np.where(same, 0.0, 1e6)  # the other families after every same one
        count = min(count, len(key))
        if count == 0:
            return ()
        kth = np.partition(key, count - 1)[count - 1]
        candidates = np.flatnonzero(key <= kth)
        order = candidates[np.argsort(key[candidates], kind="stable")][:count]
        return tuple(
            Comparable(
                fields=dict(self._fields[i]),
                price=self._prices[i],
                same_processor=bool(same[i]),
                distance=round(float(distance[i]), 3),
            )
            for i in order
        )
