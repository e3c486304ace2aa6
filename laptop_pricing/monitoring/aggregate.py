"""Small tables from the request rows: what each chart and KPI needs, and no more.

Charts get these aggregates, never the rows, so the figure sent to the browser has one point per
day or per category whatever the number of requests (a year of a busy store stays a few kB).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from laptop_pricing import log_columns
from laptop_pricing.formatting import BRASILIA
from laptop_pricing.monitoring.categories import of_categories
from laptop_pricing.monitoring.drift import Reference
from laptop_pricing.monitoring.quality import IN_SCHEMA_COLUMN, allowed_strings
from laptop_pricing.pricing import schema
from laptop_pricing.store_id import DEFAULT_STORE_ID, store_of

PRICE = log_columns.PRICE_COLUMN
TIMESTAMP = log_columns.TIMESTAMP_COLUMN
VERSION = log_columns.VERSION_COLUMN
OUTSIDE_LABEL = "Fora do esquema"
NOT_INFORMED_LABEL = "Não informado"
# The store counts its days in Brasília time: a request at 23:30 on Monday there is Monday's,
# though it is already Tuesday in UTC (and in the UTC day file that holds it).
BRASILIA_OFFSET = np.timedelta64(int(BRASILIA.utcoffset(None).total_seconds()), "s")


def brasilia_days(stamps: pd.Series) -> np.ndarray:
    """The Brasília day of each UTC instant as numpy ``datetime64[D]`` (read in place, not
    copied into a naive column first)."""
    instants = stamps.to_numpy(dtype=f"datetime64[{stamps.dt.unit}]")
    days: np.ndarray = (instants + BRASILIA_OFFSET).astype("datetime64[D]")
    return days


def row_days(rows: pd.DataFrame) -> np.ndarray:
    """The Brasília day of each row (``brasilia_days`` of its timestamp)."""
    return brasilia_days(rows[TIMESTAMP])


def filter_rows(
    rows: pd.DataFrame,
    start: date | None = None,
    end: date | None = None,
    versions: list[str] | None = None,
    only_in_schema: bool = False,
    stores: tuple[str, ...] | None = None,
) -> pd.DataFrame:
    mask = np.ones(len(rows), dtype=bool)
    if stores is not None:
        mask &= store_mask(rows, stores)
    if start is not None or end is not None:
        days = row_days(rows)
        if start is not None:
            mask &= days >= np.datetime64(start, "D")
        if end is not None:
            mask &= days <= np.datetime64(end, "D")
    if versions is not None:
        mask &= rows[VERSION].isin(versions).to_numpy()
    if only_in_schema and IN_SCHEMA_COLUMN in rows:
        mask &= rows[IN_SCHEMA_COLUMN].to_numpy()
    return rows if mask.all() else rows[mask]


def store_mask(rows: pd.DataFrame, stores: tuple[str, ...]) -> np.ndarray:
    """Which rows belong to one of ``stores`` (a row with no store, or from before stores
    existed, is the default store's), tested once per distinct value."""
    column = rows.get(log_columns.STORE_ID_COLUMN)
    if column is None:
        return np.full(len(rows), DEFAULT_STORE_ID in stores)
    return of_categories(
        column, lambda v: np.isin(_stores_of(v), list(stores)), DEFAULT_STORE_ID in stores
    )


def row_stores(rows: pd.DataFrame) -> np.ndarray:
    """Each row's store (``store_of``: none, or a row from before stores, is the default
    store's), read once per category of the page's categorical column."""
    column = rows.get(log_columns.STORE_ID_COLUMN)
    if column is None:
        return np.full(len(rows), DEFAULT_STORE_ID, dtype=object)
    return of_categories(column, _stores_of, DEFAULT_STORE_ID)


def store_groups(rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Each row's store (``row_stores``) as its index in the sorted stores, and those stores:
    a chain's year is millions of rows and a few hundred stores, so a categorical column is
    read once per category and no row becomes a text."""
    column = rows.get(log_columns.STORE_ID_COLUMN)
    if column is None or not isinstance(column.dtype, pd.CategoricalDtype):
        codes, stores = pd.factorize(row_stores(rows), sort=True)
        return codes, np.asarray(stores, dtype=object)
    per_category = _stores_of(pd.Series(column.cat.categories, dtype=object))
    # The default store last: a missing value's code (-1) picks it.
    stores, slot = np.unique(np.append(per_category, DEFAULT_STORE_ID), return_inverse=True)
    group: np.ndarray = slot[column.cat.codes.to_numpy()]
    return group, stores


def _stores_of(values: pd.Series) -> np.ndarray:
    stores: np.ndarray = values.astype(object).where(values.notna(), "").map(store_of).to_numpy()
    return stores


def of_stores(rows: pd.DataFrame, stores: tuple[str, ...] | None) -> pd.DataFrame:
    """The rows of ``stores`` (None: every store, the frame as it is)."""
    return rows if stores is None else rows[store_mask(rows, stores)]


def _day_offsets(rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Each row's Brasília day as an offset from the first (int32), and the calendar of days from
    the first to the last (``datetime64[D]``): what grouping by day needs, with no per-row
    frame or sort (a year's groupby by day held several copies of the rows)."""
    days = row_days(rows).view(np.int64)
    first = days.min()
    offsets = (days - first).astype(np.int32)
    del days
    calendar = np.datetime64(int(first), "D") + np.arange(int(offsets.max()) + 1)
    return offsets, calendar


def _codes(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Category codes (-1: missing) and categories, from a categorical as it is."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.codes.to_numpy(), values.cat.categories
    codes, uniques = pd.factorize(values, sort=True)
    return codes, pd.Index(uniques)


def daily_volume(rows: pd.DataFrame) -> pd.DataFrame:
    """Requests per day and model version (long format: day, model_version, requests)."""
    if rows.empty:
        return pd.DataFrame({"day": pd.to_datetime([]), VERSION: [], "requests": []})
    offsets, calendar = _day_offsets(rows)
    codes, versions = _codes(rows[VERSION])
    known = codes >= 0
    width = max(len(versions), 1)
    cells = offsets[known].astype(np.int64) * width + codes[known]
    counts = np.bincount(cells, minlength=len(calendar) * width).reshape(len(calendar), width)
    day, version = np.nonzero(counts)  # day order, then the versions' order
    return pd.DataFrame(
        {
            "day": pd.to_datetime(calendar[day]),
            VERSION: np.asarray(versions.astype(str))[version],
            "requests": counts[day, version],
        }
    )


def daily_price(rows: pd.DataFrame) -> pd.DataFrame:
    """Per day: requests, 10th percentile, median and 90th percentile of the quoted price."""
    columns = ["day", "requests", "p10", "median", "p90"]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    offsets, calendar = _day_offsets(rows)
    order = np.argsort(offsets, kind="stable")  # a no-op pass: the reader gives day order
    prices = rows[PRICE].to_numpy(dtype=np.float64)[order]
    del order
    counts = np.bincount(offsets, minlength=len(calendar))
    ends = np.cumsum(counts)
    present = np.flatnonzero(counts)
    bands = np.full((len(present), 3), np.nan)
    for row, day in enumerate(present):
        chunk = prices[ends[day] - counts[day] : ends[day]]
        chunk = chunk[~np.isnan(chunk)]
        if chunk.size:
            bands[row] = np.quantile(chunk, [0.1, 0.5, 0.9])
    return pd.DataFrame(
        {
            "day": pd.to_datetime(calendar[present]),
            "requests": counts[present],
            "p10": bands[:, 0],
            "median": bands[:, 1],
            "p90": bands[:, 2],
        }
    )[columns]


def price_histogram(rows: pd.DataFrame, bins: int = 40) -> pd.DataFrame:
    """Pre-binned prices. The 0.5% at each end are folded into the outer bins, so one absurd
    quote cannot squash the rest of the histogram into a single bar."""
    prices = rows[PRICE].dropna().to_numpy(dtype=np.float64)
    if prices.size == 0:
        return pd.DataFrame(columns=["left", "right", "requests"])
    low, high = np.quantile(prices, [0.005, 0.995])
    if high <= low:
        low, high = low - 0.5, high + 0.5
    edges = np.linspace(low, high, bins + 1)
    counts, _ = np.histogram(np.clip(prices, low, high), bins=edges)
    return pd.DataFrame({"left": edges[:-1], "right": edges[1:], "requests": counts})


def field_value_counts(rows: pd.DataFrame) -> dict[str, pd.Series]:
    """Each field's value counts (missing values left out): the shares and the drift table
    both start from them, so a chain's year is counted once, not twice (20 ms a field)."""
    return {
        f.name: rows[f.name].value_counts() if len(rows) else pd.Series(dtype="int64")
        for f in schema.FIELDS
    }


def field_shares(rows: pd.DataFrame, reference: Reference | None = None) -> pd.DataFrame:
    """Share of each allowed value per field (plus 'Fora do esquema'), next to training's."""
    return field_shares_of_counts(field_value_counts(rows), len(rows), reference)


def field_shares_of_counts(
    value_counts: Mapping[str, pd.Series], total: int, reference: Reference | None = None
) -> pd.DataFrame:
    """``field_shares`` from each field's value counts (missing values left out) among
    ``total`` requests: what the page gets from the warehouse's per-value counts."""
    records = []
    for field in schema.FIELDS:
        allowed = allowed_strings(field.name)
        counts = value_counts.get(field.name, pd.Series(dtype="int64")).copy()
        counts.index = counts.index.astype(str)
        reference_counts = reference.fields.get(field.name, {}) if reference else {}
        reference_total = sum(reference_counts.values())
        inside = 0
        for value, raw in zip(allowed, field.values, strict=True):
            count = int(counts.get(value, 0))
            inside += count
            records.append(
                (
                    field.name,
                    field.label,
                    value,
                    field.option_label(raw),
                    count,
                    count / total if total else 0.0,
                    reference_counts.get(value, 0) / reference_total if reference_total else None,
                )
            )
        # An optional field left empty was not informed (v1 day files lack the column): the
        # validator accepts it, so it is not "fora do esquema" here either.
        not_informed = 0 if field.required else total - int(counts.sum()) + int(counts.get("", 0))
        outside = total - inside - not_informed
        if not_informed:
            share = not_informed / total
            records.append(
                (field.name, field.label, "", NOT_INFORMED_LABEL, not_informed, share, None)
            )
        if outside:
            records.append(
                (field.name, field.label, "", OUTSIDE_LABEL, outside, outside / total, 0.0)
            )
    return pd.DataFrame.from_records(
        records,
        columns=["field", "field_label", "value", "label", "requests", "share", "reference_share"],
    )


def version_timeline(rows: pd.DataFrame) -> pd.DataFrame:
    """Each model version: first and last moment it answered (Brasília time), and how many
    requests."""
    columns = [VERSION, "first_seen", "last_seen", "requests"]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    grouped = rows.groupby(VERSION, observed=True)[TIMESTAMP]
    table = grouped.agg(first_seen="min", last_seen="max", requests="size").reset_index()
    for moment in ("first_seen", "last_seen"):  # the store's clock, as every other day here
        table[moment] = table[moment].dt.tz_convert(BRASILIA)
    table[VERSION] = table[VERSION].astype(str)
    return table.sort_values("first_seen", ignore_index=True)[columns]


@dataclass(frozen=True)
class Kpis:
    requests: int
    requests_today: int
    median_price: float | None
    previous_median_price: float | None
    versions_active: int
    in_schema_share: float | None

    @property
    def median_change(self) -> float | None:
        """Relative change of the median price against the previous period of the same length."""
        if not self.median_price or not self.previous_median_price:
            return None
        return self.median_price / self.previous_median_price - 1


def previous_period(start: date, end: date) -> tuple[date, date]:
    length = (end - start).days + 1
    return start - timedelta(days=length), start - timedelta(days=1)


def _median(prices: pd.Series) -> float | None:
    """``Series.median`` (missing prices skipped) with one working copy instead of three."""
    values = prices.to_numpy(dtype=np.float64)
    missing = np.isnan(values)
    if missing.any():
        values = values[~missing]
    return float(np.median(values)) if values.size else None


def kpis(rows: pd.DataFrame, previous: pd.DataFrame, today: date) -> Kpis:
    days = row_days(rows) if len(rows) else np.array([], dtype="datetime64[D]")
    median = _median(rows[PRICE]) if len(rows) else None
    previous_median = _median(previous[PRICE]) if len(previous) else None
    in_schema = (
        float(rows[IN_SCHEMA_COLUMN].mean()) if len(rows) and IN_SCHEMA_COLUMN in rows else None
    )
    return Kpis(
        requests=len(rows),
        requests_today=int((days == np.datetime64(today, "D")).sum()),
        median_price=median,
        previous_median_price=previous_median,
        versions_active=int(rows[VERSION].nunique()) if len(rows) else 0,
        in_schema_share=in_schema,
    )
