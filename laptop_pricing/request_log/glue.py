"""The Glue table of the request log's rollup (``RequestLogRollupTable``, ``infra/template.yaml``).

The template is deployed as written, so its columns cannot be generated at deploy time;
``tests/test_infra.py`` checks them against ``rollup_table_columns`` and prints the lines to paste
when a field was added. The rollup's Parquet is read by column name; the table lists the layout
frozen in ``log_columns``, the rollup's own two columns, then every column added since in the
order it came: the request log's, and ``in_schema`` (the compactor's verdict, ``normalised``;
empty in months rolled up before it) after ``pricing_source``.
"""

from __future__ import annotations

from dataclasses import dataclass

from laptop_pricing import log_columns
from laptop_pricing.request_log.normalised import IN_SCHEMA_COLUMN
from laptop_pricing.storage import rollup

# Columns the rollup types (``storage.rollup.day_table``); every other one is text.
_TYPES = {
    log_columns.PRICE_COLUMN: "double",
    log_columns.TIMESTAMP_COLUMN: "timestamp",
    rollup.DAY_COLUMN: "date",
    rollup.SOURCE_LINE_COLUMN: "int",
    IN_SCHEMA_COLUMN: "boolean",
}

# The log's last column when the rollup gained ``in_schema``.
IN_SCHEMA_AFTER = log_columns.PRICING_SOURCE_COLUMN


@dataclass(frozen=True)
class GlueColumn:
    name: str
    type: str

    def as_yaml(self) -> str:
        """The line of the template's ``Columns`` list."""
        return f"- {{Name: {self.name}, Type: {self.type}}}"


def rollup_table_columns(
    columns: tuple[str, ...] = log_columns.LOG_COLUMNS,
    written: tuple[str, ...] = log_columns.WRITTEN_LOG_COLUMNS,
) -> tuple[GlueColumn, ...]:
    """The table's columns in order, for the request log's ``columns``."""
    if columns[: len(written)] != written:
        raise ValueError("the request log's columns must start with its frozen layout")
    later = columns[len(written) :]
    # ``in_schema`` came after the log's columns up to this one; a column added later follows it.
    cut = later.index(IN_SCHEMA_AFTER) + 1 if IN_SCHEMA_AFTER in later else len(later)
    names = (
        *written,
        rollup.DAY_COLUMN,
        rollup.SOURCE_LINE_COLUMN,
        *later[:cut],
        IN_SCHEMA_COLUMN,  # the compactor's verdict (``normalised``); empty in older months
        *later[cut:],
    )
    return tuple(GlueColumn(name, _TYPES.get(name, "string")) for name in names)
