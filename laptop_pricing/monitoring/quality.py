"""Data quality of the kept rows: which values the schema would refuse, counted and explained.

The rules are ``schema.FIELDS`` and ``schema.PROCESSORS_BY_BRAND`` — the same ones
``LaptopSpec.from_payload`` applies — evaluated per category instead of per row, so a year of
requests is checked in milliseconds. ``tests/test_monitoring_reader.py`` proves the vectorised
verdict equals ``LaptopSpec.from_payload`` row by row on the real course logs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd

from laptop_pricing import log_columns
from laptop_pricing.monitoring.parsing import FILE_COLUMN, LINE_COLUMN
from laptop_pricing.pricing import schema
from laptop_pricing.record_kinds import PREDICTIONS
from laptop_pricing.request_log.normalised import IN_SCHEMA_COLUMN as IN_SCHEMA_COLUMN
from laptop_pricing.request_log.normalised import mismatched, refused
from laptop_pricing.storage.layout import day_of_day_file

# Kinds of problem (the page chooses the words).
MISSING = "missing"
NOT_ALLOWED = "not_allowed"
PROCESSOR_AS_BRAND = "processor_as_brand"
PROCESSOR_MISMATCH = "processor_mismatch"
UNKNOWN_VERSION = "unknown_version"
OUTSIDE_FILE_DAY = "outside_file_day"

QUALITY_COLUMNS = ("field", "issue", "rows", "share", "examples", "file", "line")
_VERSION_LIKE = re.compile(r"^[\w.@#+:/-]{1,64}$")
_NOT_A_VERSION = {"nan", "none", "null", "unknown", "undefined", "-"}
_PROCESSOR_NAMES = {str(v) for v in schema.FIELDS_BY_NAME["processor_name"].values} - {"other"}


def allowed_strings(field_name: str) -> tuple[str, ...]:
    return tuple(str(v) for v in schema.FIELDS_BY_NAME[field_name].values)


@dataclass(frozen=True)
class _Slots:
    """A categorical's rows by slot (0: a missing value, then its categories) and how many
    rows each slot holds: a rule of the values is decided per slot and counted per slot."""

    categories: tuple[str, ...]
    of_rows: np.ndarray
    counts: np.ndarray

    @classmethod
    def of(cls, series: pd.Series) -> _Slots:
        of_rows = series.cat.codes.to_numpy().astype(np.intp) + 1
        counts = np.bincount(of_rows, minlength=len(series.cat.categories) + 1)
        return cls(tuple(str(c) for c in series.cat.categories), of_rows, counts)

    def flags(self, predicate: Callable[[str], object], missing: bool) -> np.ndarray:
        """Per slot: does ``predicate`` hold of the category (``missing`` for slot 0)."""
        return np.array([missing, *(bool(predicate(c)) for c in self.categories)], dtype=bool)

    def any(self, flagged: np.ndarray) -> bool:
        return bool(self.counts[flagged].any())

    def rows(self, flagged: np.ndarray) -> np.ndarray:
        mask: np.ndarray = flagged[self.of_rows]
        return mask


def _missing(slots: _Slots) -> np.ndarray:
    """The slots of a missing value: none at all, or empty text."""
    return slots.flags(lambda c: c == "", missing=True)


def _refused(slots: _Slots, field_name: str) -> np.ndarray:
    """The slots whose value the schema refuses for this field: missing values included,
    except for an optional v2 field (empty there means "not informed", and v1 day files lack
    the column)."""
    required = schema.FIELDS_BY_NAME[field_name].required
    return slots.flags(partial(refused, field_name), missing=required)


def processor_mismatch_mask(rows: pd.DataFrame) -> np.ndarray:
    """Both values allowed, but that brand does not make that processor (intel + ryzen 7)."""
    brands = rows["processor_brand"].cat
    names = rows["processor_name"].cat
    table = np.zeros((len(brands.categories) + 1, len(names.categories) + 1), dtype=bool)
    for i, brand in enumerate(brands.categories):
        for j, name in enumerate(names.categories):
            table[i, j] = mismatched(str(brand), str(name))
    mask: np.ndarray = table[brands.codes.to_numpy(), names.codes.to_numpy()]
    return mask


def unknown_version_mask(rows: pd.DataFrame) -> np.ndarray:
    series = rows[log_columns.VERSION_COLUMN]

    def unknown(version: str) -> bool:
        text = version.strip()
        return (
            not text
            or text.lower() in _NOT_A_VERSION
            or not _VERSION_LIKE.match(text)
            or not any(ch.isdigit() for ch in text)
        )

    slots = _Slots.of(series)
    return slots.rows(slots.flags(unknown, missing=True))


def outside_file_day_mask(rows: pd.DataFrame) -> np.ndarray:
    files = rows[FILE_COLUMN].cat
    file_days = [day_of_day_file(str(name), PREDICTIONS) for name in files.categories]
    day_numbers = np.array(
        [np.datetime64(d, "D").astype(np.int64) if d else -(2**62) for d in file_days] + [-(2**62)],
        dtype=np.int64,
    )
    expected = day_numbers[files.codes.to_numpy()]
    stamps = rows[log_columns.TIMESTAMP_COLUMN]  # UTC instants read in place, one day array made
    stamped = stamps.to_numpy(dtype=f"datetime64[{stamps.dt.unit}]").astype("datetime64[D]")
    mask: np.ndarray = (expected != -(2**62)) & (stamped.view(np.int64) != expected)
    return mask


def in_schema_mask(rows: pd.DataFrame) -> np.ndarray:
    """True where ``LaptopSpec.from_payload`` would accept the row's fields: each field's
    refusal decided per category and spread over the rows only when some row has a refused
    value (the API refuses them, so a log written through it has none)."""
    bad = np.zeros(len(rows), dtype=bool)
    for name in schema.FIELD_NAMES:
        slots = _Slots.of(rows[name])
        refused_here = _refused(slots, name)
        if slots.any(refused_here):
            bad |= slots.rows(refused_here)
    bad |= processor_mismatch_mask(rows)
    return ~bad


def with_in_schema(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows plus an ``in_schema`` column (computed once, right after reading)."""
    flagged = rows.copy(deep=False)
    flagged[IN_SCHEMA_COLUMN] = in_schema_mask(rows) if len(rows) else np.zeros(0, dtype=bool)
    return flagged


def _examples(values: pd.Series, limit: int = 3) -> str:
    counts = values.value_counts()  # per category for categoricals: no per-row strings
    counts = counts[counts > 0].head(limit)
    return ", ".join(f"{value or '(vazio)'} ({count})" for value, count in counts.items())


def quality_report(rows: pd.DataFrame) -> pd.DataFrame:
    """One line per (field, issue): rows affected, their share, frequent values, a first place.
    A field's issues are counted per category (one ``bincount`` of its codes); only an issue
    that some row has is spread over the rows, to find its first place and its examples."""
    total = len(rows)
    records: list[tuple[str, str, int, float, str, str, int]] = []
    if total == 0:
        return pd.DataFrame(columns=list(QUALITY_COLUMNS))

    def add(
        field_name: str,
        issue: str,
        mask: np.ndarray,
        values: pd.Series | Callable[[np.ndarray], str],
    ) -> None:
        count = int(mask.sum())
        if not count:
            return
        first = int(np.flatnonzero(mask)[0])
        examples = values(mask) if callable(values) else _examples(values[mask])
        records.append(
            (
                field_name,
                issue,
                count,
                count / total,
                examples,
                str(rows[FILE_COLUMN].iloc[first]),
                int(rows[LINE_COLUMN].iloc[first]),
            )
        )

    for name in schema.FIELD_NAMES:
        series = rows[name]
        slots = _Slots.of(series)
        missing = _missing(slots)
        outside = _refused(slots, name) & ~missing
        found = []
        if name == "brand":
            as_processor = slots.flags(lambda c: c in _PROCESSOR_NAMES, missing=False) & outside
            found.append((PROCESSOR_AS_BRAND, as_processor))
            outside &= ~as_processor
        if schema.FIELDS_BY_NAME[name].required:
            found.append((MISSING, missing))
        found.append((NOT_ALLOWED, outside))
        for issue, flagged in found:
            if slots.any(flagged):  # only then a mask of the rows
                add(name, issue, slots.rows(flagged), series)
    mismatch = processor_mismatch_mask(rows)

    def pairs(mask: np.ndarray) -> str:
        chosen = rows.loc[mask, ["processor_brand", "processor_name"]]
        counts = chosen.groupby(["processor_brand", "processor_name"], observed=True).size()
        top = counts.sort_values(ascending=False).head(3)
        return ", ".join(f"{b} + {n} ({c})" for (b, n), c in top.items())

    add("processor_name", PROCESSOR_MISMATCH, mismatch, pairs)
    version = rows[log_columns.VERSION_COLUMN]
    add(log_columns.VERSION_COLUMN, UNKNOWN_VERSION, unknown_version_mask(rows), version)

    def stamp_days(mask: np.ndarray) -> str:
        return _examples(rows.loc[mask, log_columns.TIMESTAMP_COLUMN].dt.strftime("%Y-%m-%d"))

    add(log_columns.TIMESTAMP_COLUMN, OUTSIDE_FILE_DAY, outside_file_day_mask(rows), stamp_days)
    report = pd.DataFrame.from_records(records, columns=list(QUALITY_COLUMNS))
    return report.sort_values("rows", ascending=False, kind="stable", ignore_index=True)
