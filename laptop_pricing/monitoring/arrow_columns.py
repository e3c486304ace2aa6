"""Arrow columns as the page's frame wants them: dictionary-encoded text with the narrowest
indices (a field's few values in one byte), and plain text for one value per row (the quote
id). The parsers (``parsing``) build every file's table with these; ``frame`` turns them into
pandas.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def dictionary_column(
    column: pa.Array | pa.ChunkedArray | None, n: int, fill: str = ""
) -> pa.Array:
    """A dictionary column; absent (an older file), all ``fill``; an empty cell of a column
    with a default (``log_columns.LOG_COLUMN_DEFAULTS``) reads as that default."""
    if column is None:
        return pa.DictionaryArray.from_arrays(
            pa.array(np.zeros(n, dtype=np.int32)), pa.array([fill], pa.string())
        )
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    values = column.dictionary if pa.types.is_dictionary(column.type) else column
    if fill and pc.any(pc.equal(values.cast(pa.string()), "")).as_py():
        text = column.cast(pa.string())
        column = pc.if_else(pc.equal(text, ""), pa.scalar(fill), text)
    if pa.types.is_dictionary(column.type):
        return column
    return pc.dictionary_encode(column.cast(pa.string()))


def text_column(column: pa.Array | pa.ChunkedArray | None, n: int) -> pa.Array:
    """A plain text column; absent (an older file) or missing cells, empty text."""
    if column is None:
        return pa.array([""] * n, pa.string())
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    return pc.fill_null(column.cast(pa.string()), "")


def code_type(categories: int) -> type[np.signedinteger]:
    """The narrowest signed integer for codes 0..categories-1 and -1 (missing)."""
    for candidate in (np.int8, np.int16):
        if categories <= np.iinfo(candidate).max:
            return candidate
    return np.int32


def narrow_column(column: pa.Array) -> pa.Array:
    """A dictionary column with the narrowest indices (one byte for a field's few values, where
    Parquet and the CSV reader give four); any other column as it is."""
    if not pa.types.is_dictionary(column.type):
        return column
    index_type = pa.from_numpy_dtype(code_type(len(column.dictionary)))
    return column.cast(pa.dictionary(index_type, column.type.value_type))


def narrow(table: pa.Table) -> pa.Table:
    """``table`` with its dictionary columns narrowed (``narrow_column``): each file's table is
    narrowed as soon as it is parsed, so a year never waits with four-byte indices."""
    columns = [narrow_column(column.combine_chunks()) for column in table.columns]
    return pa.Table.from_arrays(columns, names=table.column_names)
