"""The quality report (``quality.quality_report``) from the warehouse's per-value counts.

The rules are the same ones, applied per value instead of per row: each (field, value) comes
with its count and the first row that held it, so the report's counts, examples and "first
seen at" need no row of the period.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from laptop_pricing import log_columns
from laptop_pricing.monitoring import quality
from laptop_pricing.monitoring import warehouse_sql as sql
from laptop_pricing.monitoring.warehouse import Warehouse
from laptop_pricing.pricing import schema

VERSION = log_columns.VERSION_COLUMN
_Record = tuple[str, str, int, float, str, str, int]


def _examples(
    chosen: pd.DataFrame,
    label: Callable[[pd.DataFrame], pd.Series],
    ties: tuple[str, ...] = ("first_seq",),
    limit: int = 3,
) -> str:
    """The most frequent values, ties in the order ``Series.value_counts`` gives them (each
    value's first appearance), or as ``chosen`` is already ordered when ``ties`` is empty."""
    order = ["requests", *ties]
    top = chosen[chosen["requests"] > 0].sort_values(
        order, ascending=[False] + [True] * len(ties), kind="stable"
    )
    top = top.head(limit)
    return ", ".join(
        f"{text} ({count})" for text, count in zip(label(top), top["requests"], strict=True)
    )


def _value_label(table: pd.DataFrame) -> pd.Series:
    return table["value"].astype(str).map(lambda value: value or "(vazio)")


def _record(
    field: str, issue: str, chosen: pd.DataFrame, total: int, examples: str
) -> _Record | None:
    """One line; its place is the first row's order, turned into file and line at the end."""
    count = int(chosen["requests"].sum())
    if not count:
        return None
    return (field, issue, count, count / total, examples, "", int(chosen["first_seq"].min()))


def _placed(warehouse: Warehouse, records: list[_Record]) -> list[_Record]:
    """Each record's first row (its order) as the file and line it came from, in one lookup."""
    if not records:
        return records
    found = warehouse.frame(sql.first_rows_sql(sorted({r[6] for r in records})))
    where = {int(seq): (str(file), int(line)) for seq, file, line in found.itertuples(False)}
    return [(*r[:5], *where.get(r[6], ("", 0))) for r in records]


def _unknown_version(version: str) -> bool:
    frame = pd.DataFrame({log_columns.VERSION_COLUMN: pd.Categorical([version])})
    return bool(quality.unknown_version_mask(frame)[0])


def quality_report(warehouse: Warehouse, scope: sql.Scope, counts: pd.DataFrame) -> pd.DataFrame:
    """One line per (field, issue): rows affected, their share, frequent values, a first place.
    ``counts``: the scope's per-value counts (``warehouse_view.field_counts``)."""
    counts = counts.copy()
    total = int(counts.loc[counts["field"] == VERSION, "requests"].sum())
    if total == 0:
        return pd.DataFrame(columns=list(quality.QUALITY_COLUMNS))
    counts["value"] = counts["value"].fillna("").astype(str)
    records: list[_Record | None] = []

    def add(field: str, issue: str, chosen: pd.DataFrame) -> None:
        records.append(_record(field, issue, chosen, total, _examples(chosen, _value_label)))

    for name in schema.FIELD_NAMES:
        values = counts[counts["field"] == name]
        allowed = set(quality.allowed_strings(name))
        missing = values["value"] == ""
        outside = ~values["value"].isin(allowed) & ~missing  # values are never null here
        if name == "brand":
            as_processor = values["value"].isin(quality._PROCESSOR_NAMES)
            add(name, quality.PROCESSOR_AS_BRAND, values[as_processor & outside])
            outside &= ~as_processor
        if schema.FIELDS_BY_NAME[name].required:
            add(name, quality.MISSING, values[missing])
        add(name, quality.NOT_ALLOWED, values[outside])
    pairs = warehouse.frame(sql.processor_pairs_sql(scope))
    # Ties go in the order pandas' groupby gives: each value's first appearance.
    for column in ("processor_brand", "processor_name"):
        pairs[f"{column}_first"] = pairs.groupby(column)["first_seq"].transform("min")
    pairs = pairs.sort_values(["processor_brand_first", "processor_name_first"], kind="stable")
    names = set(quality.allowed_strings("processor_name"))
    mismatch = [
        str(name) in names and str(name) not in schema.PROCESSORS_BY_BRAND.get(str(brand), names)
        for brand, name in zip(pairs["processor_brand"], pairs["processor_name"], strict=True)
    ]
    chosen = pairs[pd.Series(mismatch, index=pairs.index, dtype=bool)]
    records.append(
        _record(
            "processor_name",
            quality.PROCESSOR_MISMATCH,
            chosen,
            total,
            _examples(chosen, lambda t: t["processor_brand"] + " + " + t["processor_name"], ()),
        )
    )
    versions = counts[counts["field"] == VERSION]
    add(VERSION, quality.UNKNOWN_VERSION, versions[versions["value"].map(_unknown_version)])
    stamped = warehouse.frame(sql.outside_file_day_sql(scope))
    records.append(
        _record(
            log_columns.TIMESTAMP_COLUMN,
            quality.OUTSIDE_FILE_DAY,
            stamped,
            total,
            _examples(stamped, _value_label),
        )
    )
    kept = _placed(warehouse, [r for r in records if r is not None])
    report = pd.DataFrame.from_records(kept, columns=list(quality.QUALITY_COLUMNS))
    return report.sort_values("rows", ascending=False, kind="stable", ignore_index=True)
