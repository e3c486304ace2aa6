"""Turn validated laptops into model input rows, in ``schema.FEATURE_ORDER``.

The course API built its one-hot columns by iterating sets, so the column order changed between
cold starts. Here every position comes from the explicit tuple in the schema. An optional field
that is not informed (``None``) leaves its one-hot group all zeros: the model learned that state
from copies of the training rows with the field removed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from laptop_pricing.pricing.laptop_spec import LaptopSpec
from laptop_pricing.pricing.schema import (
    FEATURE_ORDER,
    FIELDS_BY_NAME,
    NUMERIC_FEATURES,
    ONE_HOT_FIELDS,
    Value,
)

FEATURE_INDEX: Mapping[str, int] = {name: i for i, name in enumerate(FEATURE_ORDER)}
# The input columns of each field (one for a number, its one-hot group for a category): what a
# per-field explanation sums.
FIELD_COLUMNS: Mapping[str, list[int]] = {
    **{name: [FEATURE_INDEX[name]] for name in NUMERIC_FEATURES},
    **{
        name: [FEATURE_INDEX[f"{name}_{value}"] for value in FIELDS_BY_NAME[name].values]
        for name in ONE_HOT_FIELDS
    },
}


def encode(spec: LaptopSpec) -> np.ndarray:
    """One model input row (shape ``(1, n_features)``) for one laptop."""
    return encode_many([spec.as_dict()])


def encode_many(rows: Iterable[Mapping[str, Value | None]]) -> np.ndarray:
    """Model input rows for already-normalised field values (specs' ``as_dict`` or a table)."""
    rows = list(rows)
    matrix = np.zeros((len(rows), len(FEATURE_ORDER)), dtype=np.float64)
    for i, row in enumerate(rows):
        for name in NUMERIC_FEATURES:
            number = row[name]
            if number is None:  # numeric features are required fields: a spec always has them
                raise ValueError(f"{name} has no value")
            matrix[i, FEATURE_INDEX[name]] = float(number)
        for name in ONE_HOT_FIELDS:
            value = row.get(name)
            if value is None and not FIELDS_BY_NAME[name].required:
                continue  # not informed
            column = FEATURE_INDEX.get(f"{name}_{value}")
            if column is None:
                raise ValueError(f"{name}={value!r} is not an allowed value")
            matrix[i, column] = 1.0
    return matrix
