"""The page's frame: the parsed files' Arrow tables turned into one pandas DataFrame.

Built column by column: each column of the tables is copied into the frame and its Arrow
buffers released at once, so a year (1.1 M rows, about 55 MB as a frame) never exists twice.
Dictionary columns become categoricals with one-byte codes wherever they fit; the request fields'
values are normalised as the API validator would see them (trimmed, lower-case, '016' -> '16'),
once per category. The quote id, one value per quote, stays Arrow-backed text.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

from laptop_pricing import log_columns
from laptop_pricing.monitoring.arrow_columns import code_type
from laptop_pricing.monitoring.parsing import (
    CATEGORY_COLUMNS,
    DICTIONARY_COLUMNS,
    FILE_COLUMN,
    LINE_COLUMN,
    ROW_COLUMNS,
    UNIQUE_TEXT_COLUMNS,
)
from laptop_pricing.request_log.normalised import normalise_value


def _empty_frame() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            **{c: pd.Categorical([]) for c in DICTIONARY_COLUMNS},
            **{c: pd.Series([], dtype="str") for c in UNIQUE_TEXT_COLUMNS},
            log_columns.PRICE_COLUMN: pd.Series([], dtype="float64"),
            log_columns.TIMESTAMP_COLUMN: pd.Series([], dtype="datetime64[us, UTC]"),
            FILE_COLUMN: pd.Categorical([]),
            LINE_COLUMN: pd.Series([], dtype="int32"),
        }
    )
    return frame[list(ROW_COLUMNS)]


def _categorical(chunks: Sequence[pa.DictionaryArray], rows: int) -> pd.Categorical:
    """One categorical from dictionary chunks with different dictionaries: their union of
    categories, and each chunk's indices translated into one preallocated code array."""
    dictionaries = [chunk.dictionary.to_pylist() for chunk in chunks]
    categories = list(dict.fromkeys(value for values in dictionaries for value in values))
    position = {value: i for i, value in enumerate(categories)}
    codes = np.empty(rows, dtype=code_type(len(categories)))
    at = 0
    for chunk, values in zip(chunks, dictionaries, strict=True):
        translate = np.array([position[v] for v in values] + [-1], dtype=codes.dtype)
        indices = chunk.indices.fill_null(len(values)).to_numpy()  # null: the -1 slot
        codes[at : at + len(chunk)] = translate[indices]
        at += len(chunk)
    dtype = pd.CategoricalDtype(pd.Index(categories, dtype="str"))
    return pd.Categorical.from_codes(codes, dtype=dtype, validate=False)


def to_frame(tables: list[pa.Table]) -> pd.DataFrame:
    """The page's frame from the tables, in order; empties ``tables``, whose buffers it takes
    over. Built column by column, each column's Arrow buffers released once it is copied, so
    the peak is about one frame, not the tables and their pandas copy together. Dictionaries of
    different files become one categorical per column (never text)."""
    kept = [t for t in tables if t.num_rows]
    tables.clear()
    if not kept:
        return _empty_frame()
    rows = sum(t.num_rows for t in kept)
    pool = pa.default_memory_pool()
    columns: dict[str, pd.Series] = {}
    for name in ROW_COLUMNS:
        chunks = [chunk for t in kept for chunk in t.column(name).chunks]
        if pa.types.is_dictionary(chunks[0].type):
            columns[name] = pd.Series(_categorical(chunks, rows), copy=False)
            if name in CATEGORY_COLUMNS:
                columns[name] = _normalise_categories(columns[name], name)
        else:
            columns[name] = pa.chunked_array(chunks).to_pandas()
        del chunks
        kept = [t.drop_columns([name]) for t in kept]
        pool.release_unused()  # hand the copied column's pages back (see ``reading``)
    return pd.DataFrame(columns, copy=False)


def _normalise_categories(series: pd.Series, field_name: str) -> pd.Series:
    categorical = series.astype("category") if series.dtype != "category" else series
    categories = [str(c) for c in categorical.cat.categories]
    normalised = [normalise_value(field_name, c) for c in categories]
    if normalised == categories:
        return categorical
    new_categories = list(dict.fromkeys(normalised))
    position = {c: i for i, c in enumerate(new_categories)}
    mapping = np.array([position[c] for c in normalised] + [-1], dtype=np.int32)
    codes = mapping[categorical.cat.codes.to_numpy()]  # code -1 (missing) maps to the last slot
    return pd.Series(
        pd.Categorical.from_codes(codes, categories=new_categories), index=series.index
    )
