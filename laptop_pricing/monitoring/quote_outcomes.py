"""Each quote of a period with its current outcome, without merging the quotes: a chain's year
is millions of quotes, the outcomes a fraction of them (``business.join_outcomes`` uses both)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from laptop_pricing.monitoring.arrow_columns import code_type
from laptop_pricing.monitoring.outcome_reader import current_outcomes
from laptop_pricing.monitoring.quote_id_keys import (
    NO_KEY,
    arrow_text,
    canonical_keys,
    quote_id_keys,
)
from laptop_pricing.trade_in import outcome

QUOTE_ID = outcome.QUOTE_ID


def first_of_each_quote(quotes: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray | None]:
    """``drop_duplicates(subset=[QUOTE_ID])`` keeping the first, and the kept quotes' id keys
    (``quote_id_keys``; None when some id is not canonical). A chain's year of quotes is all
    distinct but for a retry or two, so the ids are checked first: as sorted 64-bit keys (3.65 M
    in about 0.3 s with their decoding), or, for an id that is not canonical, as texts hashed by
    Arrow (1.1 s on a quiet machine, 2.5–3.4 s on a busy one)."""
    ids = arrow_text(quotes[QUOTE_ID])
    keys = canonical_keys(ids)
    if keys is None:
        if len(pc.unique(ids)) == len(quotes):
            return quotes, None
        return quotes.drop_duplicates(subset=[QUOTE_ID], keep="first"), None
    ordered = np.sort(keys)
    if not (ordered[1:] == ordered[:-1]).any():
        return quotes, keys
    first = ~pd.Series(keys).duplicated(keep="first").to_numpy()
    return quotes[first], keys[first]


def current_outcome_columns(
    quote_ids: pd.Series, outcomes: pd.DataFrame, keys: np.ndarray | None = None
) -> dict[str, object]:
    """Each quote's current outcome (``current_outcomes``) as columns beside the quotes: its
    decision, reason, amount and time, missing for an open quote. The few outcomes are looked
    up by a hash of their quote ids (``keys``: the quotes' id keys, when every id has one); the
    quotes (a chain's year: 3.65 M) are never merged, so neither copied nor turned into Python
    texts."""
    current = current_outcomes(outcomes) if len(outcomes) else outcomes
    ids = quote_ids.astype(str)
    if not len(current):
        found = np.full(len(ids), -1, dtype=np.int32)
    else:
        found = _positions(arrow_text(ids), keys, arrow_text(current[QUOTE_ID]))
    hit = found >= 0
    at = np.maximum(found, 0)  # an open quote reads row 0 (or the one missing row), then masked
    present = len(current) > 0

    def text(column: str) -> pd.Categorical:
        values = current[column].astype(str).to_numpy(dtype=object) if present else [""]
        # Hashed, not sorted: sorting a million outcomes' texts took 1 s a column.
        codes, categories = pd.factorize(np.asarray(values, dtype=object), sort=True)
        codes = codes.astype(code_type(len(categories)))  # a few decisions: one byte a quote
        return pd.Categorical.from_codes(np.where(hit, codes[at], -1), categories=list(categories))

    def picked(values: np.ndarray, missing: object) -> np.ndarray:
        """``values`` of each quote's outcome, ``missing`` for an open quote: numpy's take,
        not a Series of 3.65 M positions aligned again."""
        column = np.full(len(ids), missing, dtype=values.dtype)
        column[hit] = values[found[hit]]
        return column

    amounts, moments = np.zeros(0), np.zeros(0, dtype="datetime64[us]")
    if present:
        amounts = current[outcome.AMOUNT].to_numpy(dtype=np.float64, na_value=np.nan)
        recorded = current[outcome.RECORDED_AT].astype("datetime64[us, UTC]")
        moments = recorded.dt.tz_localize(None).to_numpy()
    return {
        QUOTE_ID: ids,
        outcome.DECISION: text(outcome.DECISION),
        outcome.REASON: text(outcome.REASON),
        outcome.AMOUNT: pd.Series(picked(amounts, np.nan), index=ids.index),
        outcome.RECORDED_AT: pd.Series(
            picked(moments, np.datetime64("NaT", "us")),
            index=ids.index,
        ).dt.tz_localize("UTC"),
    }


def _positions(
    ids: pa.Array | pa.ChunkedArray, keys: np.ndarray | None, known: pa.Array | pa.ChunkedArray
) -> np.ndarray:
    """Where each quote id is among ``known`` (distinct ids), -1 where it is not. With the
    quotes' keys, by the keys: an outcome whose id is not canonical matches no quote, as its
    text would match none of theirs."""
    if keys is None:
        found = pc.index_in(ids, value_set=known).fill_null(-1)
        return np.asarray(found.to_numpy(zero_copy_only=False), dtype=np.int32)
    known_keys = quote_id_keys(known)
    keyed = np.flatnonzero(known_keys != NO_KEY)
    if not len(keyed):
        return np.full(len(keys), -1, dtype=np.int32)
    at = pd.Index(known_keys[keyed]).get_indexer(keys)
    found = np.full(len(keys), -1, dtype=np.int32)
    hit = at >= 0
    found[hit] = keyed[at[hit]]
    return found
