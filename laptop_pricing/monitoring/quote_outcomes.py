"""Each quote of a period with its current outcome, without merging the quotes: a chain's year
is millions of quotes, the outcomes a fraction of them (``business.join_outcomes`` uses both)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from laptop_pricing.monitoring.arrow_columns import code_type
from laptop_pricing.monitoring.outcome_reader import current_outcomes
from laptop_pricing.trade_in import outcome

QUOTE_ID = outcome.QUOTE_ID


def _arrow_text(values: pd.Series) -> pa.Array | pa.ChunkedArray:
    """A text column as Arrow text without a Python string per row (pandas' ``str`` is
    Arrow-backed)."""
    return pa.array(values.astype(str).array).cast(pa.large_string())


def first_of_each_quote(quotes: pd.DataFrame) -> pd.DataFrame:
    """``drop_duplicates(subset=[QUOTE_ID])`` keeping the first, after Arrow counts the distinct
    ids: a chain's year of quotes is all distinct but for a retry or two. Of the ways measured
    (docs/performance.md) none is much cheaper: on 3.65 M random ids, 5.2 s here, a sort and a
    look at neighbours 4.2 s, pandas' ``duplicated`` 5.6 s."""
    if len(pc.unique(_arrow_text(quotes[QUOTE_ID]))) == len(quotes):
        return quotes
    return quotes.drop_duplicates(subset=[QUOTE_ID], keep="first")


def current_outcome_columns(quote_ids: pd.Series, outcomes: pd.DataFrame) -> dict[str, object]:
    """Each quote's current outcome (``current_outcomes``) as columns beside the quotes: its
    decision, reason, amount and time, missing for an open quote. The few outcomes are looked
    up by Arrow's hash of their quote ids; the quotes (a chain's year: 3.65 M) are never
    merged, so neither copied nor turned into Python texts."""
    current = current_outcomes(outcomes) if len(outcomes) else outcomes
    ids = quote_ids.astype(str)
    if not len(current):
        found = np.full(len(ids), -1, dtype=np.int32)
    else:
        known = _arrow_text(current[QUOTE_ID])
        found = pc.index_in(_arrow_text(ids), value_set=known).fill_null(-1)
        found = np.asarray(found.to_numpy(zero_copy_only=False), dtype=np.int32)
    hit = found >= 0
    at = np.maximum(found, 0)  # an open quote reads row 0 (or the one missing row), then masked
    present = len(current) > 0

    def text(column: str) -> pd.Categorical:
        values = current[column].astype(str).to_numpy(dtype=object) if present else [""]
        # Hashed, not sorted: sorting a million outcomes' texts took 1 s a column.
        codes, categories = pd.factorize(np.asarray(values, dtype=object), sort=True)
        codes = codes.astype(code_type(len(categories)))  # a few decisions: one byte a quote
        return pd.Categorical.from_codes(np.where(hit, codes[at], -1), categories=list(categories))

    def number(column: str, missing: object, dtype: str) -> pd.Series:
        values = current[column] if present else pd.Series([missing], dtype=dtype)
        picked = values.astype(dtype).reset_index(drop=True).iloc[at]
        return picked.set_axis(ids.index).where(hit, missing)

    return {
        QUOTE_ID: ids,
        outcome.DECISION: text(outcome.DECISION),
        outcome.REASON: text(outcome.REASON),
        outcome.AMOUNT: number(outcome.AMOUNT, np.nan, "float64"),
        outcome.RECORDED_AT: number(outcome.RECORDED_AT, pd.NaT, "datetime64[us, UTC]"),
    }
