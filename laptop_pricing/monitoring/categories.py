"""A function of a column's values, computed once per category of the page's categoricals.

A chain's year is millions of rows but a handful of distinct answers, offers or stores: the
function runs over the categories and each row takes its category's result by its code, never
turning the column into millions of texts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd


def of_categories(
    values: pd.Series, compute: Callable[[pd.Series], Any], missing: object
) -> np.ndarray:
    """``compute`` (a Series in, one result per element out) of each row. A categorical runs
    it once over its categories and a missing row gets ``missing``; any other column runs it
    over its rows, and ``compute`` says what a missing value gives."""
    if not isinstance(values.dtype, pd.CategoricalDtype):
        result: np.ndarray = np.asarray(compute(values))
        return result
    per_category = np.asarray(compute(pd.Series(values.cat.categories, dtype=object)))
    by_code = np.append(per_category, np.array([missing], dtype=per_category.dtype))
    spread: np.ndarray = by_code[values.cat.codes.to_numpy()]  # code -1: the appended slot
    return spread
