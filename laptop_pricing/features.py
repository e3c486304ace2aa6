"""Turn validated laptops into model input rows, in ``schema.FEATURE_ORDER``.

The course API built its one-hot columns by iterating sets, so the column order changed between
cold starts. Here every position comes from the explicit tuple in the schema.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from laptop_pricing.schema import FEATURE_ORDER, NUMERIC_FEATURES, ONE_HOT_FIELDS, LaptopSpec, Value

FEATURE_INDEX: Mapping[str, int] = {name: i for i, name in enumerate(FEATURE_ORDER)}


def encode(spec: LaptopSpec) -> np.ndarray:
    """One model input row (shape ``(1, n_features)``) for one laptop."""
    return encode_many([spec.as_dict()])


def encode_many(rows: Iterable[Mapping[str, Value]]) -> np.ndarray:
    """Model input rows for already-normalised field values (specs' ``as_dict`` or a table)."""
    rows = list(rows)
    matrix = np.zeros((len(rows), len(FEATURE_ORDER)), dtype=np.float64)
    for i, row in enumerate(rows):
        for name in NUMERIC_FEATURES:
            matrix[i, FEATURE_INDEX[name]] = float(row[name])
        for name in ONE_HOT_FIELDS:
            column = FEATURE_INDEX.get(f"{name}_{row[name]}")
            if column is None:
                raise ValueError(f"{name}={row[name]!r} is not an allowed value")
            matrix[i, column] = 1.0
    return matrix
