"""Comparable laptops: the closest real laptops of the training data, with their prices.

What a clerk shows a customer who asks "why so little?". The index is the training table itself
(``metadata.comparables``: 15 fields and the BRL price of each real row), shipped in the artifact.
Nearest means, in this order:

1. same processor family first (the processor name; for a v1 "other", the same processor brand
   among the rows a v1 client would also call "other");
2. the smallest distance: the sum of each field's ``distance`` in the schema (today RAM, SSD and
   HD on a log2 scale, 8 -> 16 GB being one step like 256 -> 512 GB of SSD; video memory in
   steps of 2 GB; one step per differing brand, category, OS and generation; half a step for RAM
   type, touchscreen, 32/64 bits; a quarter per year of warranty and for MS Office; an optional
   field only when the request states it);
3. ties (each field's distance counted in whole steps of 2**-20) by the row's position in the
   data, so the answer is deterministic.

Each field's distance to every row depends only on the field's value, so the finder computes one
vector per allowed (field, value) when the model loads (a few dozen in all, the processor's two
fields as one vector per family that also holds the penalty for another family and each row's
position). The vectors hold whole numbers (distance steps times the number of rows), so a
request's sum of one per field is exact in any order and its smallest few are the nearest, ties
included, with one partition. When the family holds at least the laptops asked for, the sum runs
over its own rows only (copies of the vectors narrowed per family when the model loads): about
13 µs per request.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from laptop_pricing.pricing.artifact import ComparablesIndex
from laptop_pricing.pricing.laptop_spec import LaptopSpec
from laptop_pricing.pricing.schema import COURSE_VALUES, FIELD_NAMES, FIELDS, FIELDS_BY_NAME, Value

DEFAULT_COUNT = 4
_SCALE = 2**20  # distance steps per unit (a mismatched brand is one unit)
_FAMILY = ("processor_brand", "processor_name")  # one row per family, with its penalty


@dataclass(frozen=True)
class Comparable:
    """One real laptop of the data and its price (BRL)."""

    fields: dict[str, Value | None]
    price: int
    same_processor: bool
    distance: float | None = None

    # json.dumps(fields), when the index encoded it already; not part of equality.
    encoded_fields: str | None = field(default=None, compare=False, repr=False)

    def as_body(self) -> dict[str, Any]:
        return {"price": self.price, "same_processor": self.same_processor, "data": self.fields}

    def as_json(self) -> str:
        """``json.dumps(self.as_body())``, with the row's encoded fields when known."""
        data = self.encoded_fields or json.dumps(self.fields)
        same = "true" if self.same_processor else "false"
        return f'{{"price": {self.price}, "same_processor": {same}, "data": {data}}}'


def _course_processor(name: str) -> str:
    return name if name in COURSE_VALUES["processor_name"] else "other"


class ComparablesFinder:
    def __init__(self, index: ComparablesIndex):
        columns = {name: i for i, name in enumerate(index.columns)}
        width = len(FIELD_NAMES)
        self._fields = [dict(zip(FIELD_NAMES, row[:width], strict=True)) for row in index.rows]
        self._prices = [int(row[columns["price"]]) for row in index.rows]
        # Each row's JSON, encoded once: an answer copies four of them.
        self._encoded = [json.dumps(fields) for fields in self._fields]
        self._column = {
            name: np.array([row[columns[name]] for row in index.rows], dtype=object)
            for name in FIELD_NAMES
        }
        self._course_processor = np.array(
            [_course_processor(str(v)) for v in self._column["processor_name"]], dtype=object
        )
        self._n = len(self._prices)
        self._position = np.arange(self._n, dtype=np.float64)
        # Row k of the matrix: one field's keyed distance to every laptop for one of its values.
        keys = [(f.name, v) for f in FIELDS if f.name not in _FAMILY for v in f.form_values]
        self._key_row = {key: k for k, key in enumerate(keys)}
        self._matrix = np.array([self._keyed(name, value) for name, value in keys])
        self._ones = np.ones(len(FIELD_NAMES) - len(_FAMILY))
        # Other families go after every same one: a penalty above any sum of distances.
        self._penalty = self._largest_steps() + 1
        if (2 * self._penalty + 1) * self._n >= 2**53:
            raise ValueError("comparables index too large for exact float keys")
        brands, names = (FIELDS_BY_NAME[name].form_values for name in _FAMILY)
        self._family = {(b, p): self._family_row(b, p) for b in brands for p in names}
        # The same, narrowed to the family's own rows (a few hundred of 784): when the family
        # holds enough laptops, the nearest are all in it.
        self._narrow = {family: self._narrowed(row) for family, row in self._family.items()}

    def __len__(self) -> int:
        return len(self._prices)

    def _field_distance(self, name: str, value: Value | None) -> np.ndarray:
        """The field's ``distance`` (schema) from ``value`` to every row."""
        field = FIELDS_BY_NAME[name]
        column = self._column[name]
        scale, weight = field.distance.scale, field.distance.weight
        if not field.required and value == field.missing:
            weight = 0.0  # only when the request states it
        distance: np.ndarray
        if scale == "mismatch":
            distance = weight * (column != value).astype(np.float64)
            return distance
        rows = column.astype(np.float64)
        asked = float(str(value))
        if scale == "log2":
            distance = weight * np.abs(np.log2(rows + 1.0) - np.log2(asked + 1.0))
        else:
            distance = weight * np.abs(rows - asked)
        return distance

    def _largest_steps(self) -> int:
        """The largest distance any request can have to any row, in steps."""
        if self._n == 0:
            return 0
        largest = 2 * _SCALE  # the processor's two fields
        for f in FIELDS:
            if f.name not in _FAMILY:
                rows = [self._key_row[(f.name, value)] for value in f.form_values]
                largest += int(self._matrix[rows].max()) // self._n
        return largest

    def _keyed(self, name: str, value: Value | None) -> np.ndarray:
        """A field's distance to every row in whole steps of ``1 / _SCALE``, times the number
        of rows: sums of such keys are exact in any order (whole numbers below 2**53)."""
        return np.round(self._field_distance(name, value) * _SCALE) * self._n

    def _family_row(
        self, processor_brand: Value | None, processor_name: Value | None
    ) -> np.ndarray:
        """The processor's two fields, the penalty for another family and each row's position
        (so that every key is unique and ties go to the earlier row)."""
        if processor_name == "other":
            same = (self._course_processor == "other") & (
                self._column["processor_brand"] == processor_brand
            )
        else:
            same = self._column["processor_name"] == processor_name
        row: np.ndarray = (
            self._keyed("processor_brand", processor_brand)
            + self._keyed("processor_name", processor_name)
            + np.where(same, 0.0, self._penalty * self._n)
            + self._position
        )
        return row

    def _narrowed(self, family_row: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(matrix, family row) over the rows of the family only (no penalty among them)."""
        columns = np.flatnonzero(family_row < self._penalty * self._n)
        return np.ascontiguousarray(self._matrix[:, columns]), family_row[columns]

    def nearest(self, spec: LaptopSpec, count: int = DEFAULT_COUNT) -> tuple[Comparable, ...]:
        count = min(count, self._n)
        if count <= 0:
            return ()
        key_row = self._key_row
        rows = [key_row.get(key) for key in spec.as_dict().items() if key[0] not in _FAMILY]
        known = [row for row in rows if row is not None]
        family = (spec.processor_brand, spec.processor_name)
        matrix, base = self._narrow.get(family, (None, ()))
        if len(known) < len(rows) or len(base) < count or matrix is None:
            keys = self._all_keys(spec, rows)
        else:
            keys = self._ones[: len(rows)] @ np.take(matrix, known, axis=0) + base
        found = []
        for k in np.sort(np.partition(keys, count - 1)[:count]).tolist():
            steps, i = divmod(int(k), self._n)
            same = steps < self._penalty
            found.append(
                Comparable(
                    fields=dict(self._fields[i]),
                    price=self._prices[i],
                    same_processor=same,
                    distance=round((steps if same else steps - self._penalty) / _SCALE, 3),
                    encoded_fields=self._encoded[i],
                )
            )
        return tuple(found)

    def _all_keys(self, spec: LaptopSpec, rows: list[int | None]) -> np.ndarray:
        """Every row's key: the other families (after a penalty) and values the schema does not
        list (a hand-built spec) included."""
        family = (spec.processor_brand, spec.processor_name)
        keys = self._family.get(family)
        if keys is None:
            keys = self._family_row(*family)
        names = [name for name in FIELD_NAMES if name not in _FAMILY]
        for name, row in zip(names, rows, strict=True):
            keyed = self._keyed(name, getattr(spec, name)) if row is None else self._matrix[row]
            keys = keys + keyed
        return keys
