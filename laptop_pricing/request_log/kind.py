"""The request log's record kind: one row per priced request, laid out as the course's day
files (``YYYY-MM-DD_laptop_prediction_data.csv``) under ``PREDICTIONS-PREFIX``."""

from __future__ import annotations

from operator import attrgetter
from typing import TYPE_CHECKING

from laptop_pricing import log_columns
from laptop_pricing.storage.layout import RecordKind

if TYPE_CHECKING:
    import pyarrow as pa


def _rollup_columns(table: pa.Table) -> pa.Table:
    """``normalised.with_normalised_requests``, imported when the compactor calls it: serving
    imports this kind to write a record and never loads Arrow for it."""
    from laptop_pricing.request_log.normalised import with_normalised_requests

    return with_normalised_requests(table)


def _stored_row(row: dict[str, str]) -> dict[str, str]:
    """The row as a day file keeps it: no clerk's e-mail (the column is frozen in the layout and
    written empty; a row logged before that loses it when its day is compacted again)."""
    if not row.get(log_columns.CLERK_EMAIL_COLUMN):
        return row
    return {**row, log_columns.CLERK_EMAIL_COLUMN: ""}


PREDICTIONS = RecordKind(
    name="prediction",
    columns=log_columns.LOG_COLUMNS,
    id_column=log_columns.REQUEST_ID_COLUMN,
    timestamp_column=log_columns.TIMESTAMP_COLUMN,
    day_file_suffix="_laptop_prediction_data.csv",
    prefix_of=attrgetter("predictions_prefix"),
    aliases=log_columns.LOG_COLUMN_ALIASES,
    price_column=log_columns.PRICE_COLUMN,
    defaults=log_columns.LOG_COLUMN_DEFAULTS,
    rollup_columns=_rollup_columns,
    stored_row=_stored_row,
)
