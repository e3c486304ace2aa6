"""Reading only some stores' rows: a store-limited owner's page never decodes the chain.

A rollup month is sorted by ``store_id`` and cut into row groups (``storage.rollup``), so the
row groups whose ``store_id`` statistics cannot hold a wanted store are never read. The rule is
``store_of``'s, per distinct value: a row with no store (older than stores) is the default
store's, and a value with spaces around it is the store it names. A row group is skipped only
when no such value can lie between its minimum and maximum.
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from laptop_pricing import log_columns
from laptop_pricing.storage.listing import RollupMonth
from laptop_pricing.storage.object_ranges import ObjectRanges, open_row_groups
from laptop_pricing.storage.stores import RecordStore
from laptop_pricing.store_id import store_of

STORE = log_columns.STORE_ID_COLUMN
# Slugs are lower-case letters, digits and hyphens. A value outside "0"..."z…" (empty, or
# starting with a space, a sign or a non-ASCII space) may be any store's once stripped, so a
# row group whose minimum or maximum lies there is always read.
_AFTER_PREFIX = "\U0010ffff"
_SLUG_FLOOR = "0"
_SLUG_CEILING = "z" + _AFTER_PREFIX


@dataclass(frozen=True)
class RowGroups:
    """How many of a month's row groups a read decoded, of how many: pruning, counted."""

    read: int
    total: int


def row_groups_of(metadata: pq.FileMetaData, stores: Set[str] | None) -> list[int]:
    """The row groups of a month that may hold a row of ``stores``: all of them for the chain
    (None), when the month has no ``store_id``, or for a group with no statistics for it."""
    groups = list(range(metadata.num_row_groups))
    names = [metadata.schema.column(i).name for i in range(metadata.num_columns)]
    if stores is None or STORE not in names:
        return groups
    column = names.index(STORE)
    return [g for g in groups if _may_hold(metadata.row_group(g).column(column), stores)]


def _may_hold(chunk: pq.ColumnChunkMetaData, stores: Set[str]) -> bool:
    statistics = chunk.statistics
    if statistics is None:
        return True
    if not statistics.has_min_max:  # all missing (the default store's), or not recorded
        all_missing = statistics.has_null_count and statistics.null_count == chunk.num_values
        return default_store_in(stores) if all_missing else True
    low, high = str(statistics.min), str(statistics.max)
    if statistics.null_count and default_store_in(stores):
        return True
    if low < _SLUG_FLOOR or high > _SLUG_CEILING:
        return True
    return any(low <= store + _AFTER_PREFIX and store <= high for store in stores)


def default_store_in(stores: Set[str]) -> bool:
    """Rows with no store (older than stores) are the default store's."""
    return store_of("") in stores


def table_of_stores(table: pa.Table, stores: Set[str]) -> pa.Table:
    """The rows of ``table`` that belong to ``stores`` (``store_of``, once per distinct
    value); a table without ``store_id`` is all the default store's."""
    if STORE not in table.column_names:
        return table if default_store_in(stores) else table.slice(0, 0)
    return table.filter(rows_of(table.column(STORE), stores))


def rows_of(values: pa.Array | pa.ChunkedArray, stores: Set[str]) -> pa.Array:
    """Per row: does its store value name one of ``stores``."""
    text = values.cast(pa.string()) if not pa.types.is_string(values.type) else values
    distinct = pc.unique(text)
    wanted = [v for v in distinct.to_pylist() if store_of(v) in stores]
    mask = pc.is_in(text, value_set=pa.array(wanted, pa.string()))
    if default_store_in(stores):
        mask = pc.or_kleene(mask, pc.is_null(text))
    result: pa.Array = pc.fill_null(mask, False)
    if isinstance(result, pa.ChunkedArray):
        result = result.combine_chunks()
    return result


def open_scoped_month(store: RecordStore, month: RollupMonth, stores: Set[str]) -> ObjectRanges:
    """A month's footer and only the row groups that may hold ``stores``, fetched by ranges:
    the rest of the month is never fetched, so one store's read does not grow with the chain."""
    return open_row_groups(store, month.key, lambda metadata: row_groups_of(metadata, stores))
