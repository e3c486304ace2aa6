"""The monitoring page's view from the warehouse's aggregates: the same KPIs, figures, drift and
quality tables as ``view.compute_view`` builds from rows, built from a few small frames (per
day, per value, per version), so the page never holds the period's rows.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from laptop_pricing import log_columns
from laptop_pricing.formatting import BRASILIA
from laptop_pricing.monitoring import aggregate, charts, drift
from laptop_pricing.monitoring import warehouse_sql as sql
from laptop_pricing.monitoring.view import SHARES, Filters, MonitoringView
from laptop_pricing.monitoring.warehouse import Warehouse
from laptop_pricing.monitoring.warehouse_quality import quality_report
from laptop_pricing.pricing import schema
from laptop_pricing.safe_csv import frame_to_csv

VERSION = log_columns.VERSION_COLUMN


def scope_of(filters: Filters, stores: tuple[str, ...] | None = None) -> sql.Scope:
    return sql.Scope(filters.start, filters.end, filters.versions, filters.only_in_schema, stores)


def period_versions(
    warehouse: Warehouse, start: date, end: date, stores: tuple[str, ...] | None = None
) -> tuple[int, list[str]]:
    """Requests in the period and the model versions that answered them."""
    table = warehouse.frame(sql.versions_sql(sql.Scope(start, end, stores=stores)))
    return int(table["requests"].sum()), sorted(str(v) for v in table[VERSION])


def kpis(warehouse: Warehouse, scope: sql.Scope, today: date) -> aggregate.Kpis:
    """``aggregate.kpis`` of the period (the median's change against the period before); the
    in-schema share is left empty (``in_schema_share`` fills it from the cube)."""
    row = warehouse.frame(sql.kpis_sql(scope, today)).iloc[0]
    requests = int(row["requests"])
    return aggregate.Kpis(
        requests=requests,
        requests_today=int(row["requests_today"]) if requests else 0,
        median_price=float(row["median_price"]) if requests else None,
        previous_median_price=(
            float(row["previous_median_price"]) if int(row["previous_requests"]) else None
        ),
        versions_active=int(row["versions_active"]),
        in_schema_share=None,
    )


def in_schema_share(
    cube: pd.DataFrame, versions: tuple[str, ...] = (), only_in_schema: bool = False
) -> float | None:
    """The in-schema share of the chosen versions' requests (the switch on: all of them are)."""
    flags = [c for c in cube.columns if c.startswith("g_")]
    per_version = cube[(cube[flags] == 1).all(axis=1)]
    if versions:
        per_version = per_version[per_version[VERSION].astype(str).isin(versions)]
    total = int(per_version["requests"].sum())
    if not total:
        return None
    if only_in_schema:
        return 1.0
    inside = per_version.loc[per_version["in_schema"].astype(bool), "requests"].sum()
    return float(inside) / total


def field_counts(
    cube: pd.DataFrame, versions: tuple[str, ...] = (), only_in_schema: bool = False
) -> pd.DataFrame:
    """Per field and value (the versions' own too): requests and the first row holding it,
    for one choice of versions and of the in-schema switch, from ``field_cube_sql``'s table."""
    chosen = cube
    if versions:
        chosen = chosen[chosen[VERSION].astype(str).isin(versions)]
    if only_in_schema:
        chosen = chosen[chosen["in_schema"].astype(bool)]
    flags = [c for c in chosen.columns if c.startswith("g_")]
    parts = []
    for name in (*schema.FIELD_NAMES, VERSION):
        if name == VERSION:
            rows = chosen[(chosen[flags] == 1).all(axis=1)]
        else:
            rows = chosen[chosen["g_" + name] == 0]
        ordered = rows.sort_values("first_seq", kind="stable")
        grouped = ordered.groupby(ordered[name].astype(str), sort=False)
        table = grouped.agg(
            requests=("requests", "sum"), first_seq=("first_seq", "first")
        ).reset_index(names="value")
        parts.append(table.assign(field=name))
    columns = ["field", "value", "requests", "first_seq"]
    return pd.concat(parts, ignore_index=True)[columns]


def version_timeline(versions: pd.DataFrame) -> pd.DataFrame:
    """``aggregate.version_timeline`` from the per-version aggregate."""
    table = versions[[VERSION, "first_seen", "last_seen", "requests"]].copy()
    for moment in ("first_seen", "last_seen"):
        stamps = pd.to_datetime(table[moment], utc=True)
        table[moment] = stamps.dt.tz_convert(BRASILIA)
    table[VERSION] = table[VERSION].astype(str)
    table["requests"] = table["requests"].astype("int64")
    return table.sort_values("first_seen", ignore_index=True)


def _days(column: pd.Series) -> pd.Series:
    """Brasília days as ``aggregate`` gives them (whole days, second resolution)."""
    return pd.to_datetime(column).astype("datetime64[s]")


def daily_volume(volume: pd.DataFrame) -> pd.DataFrame:
    """Per day and version (``aggregate.daily_volume``), in day then version order."""
    table = volume.assign(day=_days(volume["day"]), requests=volume["requests"].astype("int64"))
    table[VERSION] = table[VERSION].astype(str)
    table = table.sort_values(["day", VERSION], kind="stable", ignore_index=True)
    return table[["day", VERSION, "requests"]]


def daily_price(table: pd.DataFrame) -> pd.DataFrame:
    return table.assign(day=_days(table["day"]), requests=table["requests"].astype("int64"))[
        ["day", "requests", "p10", "median", "p90"]
    ]


def price_histogram(table: pd.DataFrame, bins: int = 40) -> pd.DataFrame:
    """Every bin (empty ones too) between the two bounds the query found."""
    if table.empty:
        return pd.DataFrame(columns=["left", "right", "requests"])
    low, high = float(table["low"].iloc[0]), float(table["high"].iloc[0])
    edges = np.linspace(low, high, bins + 1)
    counts = np.zeros(bins, dtype=np.int64)
    counts[table["bin"].to_numpy(dtype=np.int64)] = table["requests"].to_numpy(dtype=np.int64)
    return pd.DataFrame({"left": edges[:-1], "right": edges[1:], "requests": counts})


def value_counts(field_counts: pd.DataFrame) -> dict[str, pd.Series]:
    """Per field, its counts by value (missing values left out, as ``Series.value_counts``)."""
    found: dict[str, pd.Series] = {}
    for name, group in field_counts.groupby("field", sort=False):
        known = group[group["value"].notna()]
        series = pd.Series(
            known["requests"].to_numpy(dtype=np.int64), index=known["value"].astype(str)
        )
        found[str(name)] = series.sort_values(ascending=False, kind="stable")
    return found


def drift_table(
    warehouse: Warehouse,
    scope: sql.Scope,
    counts: Mapping[str, pd.Series],
    total: int,
    reference: drift.Reference,
) -> pd.DataFrame:
    found = [
        drift.comparison_of_counts(
            name, counts.get(name, pd.Series(dtype="int64")), total, reference
        )
        for name in schema.FIELD_NAMES
        if name in reference.fields
    ]
    if reference.price is not None:
        table = warehouse.frame(sql.price_bins_sql(scope, reference.price.edges))
        actual = np.zeros(len(reference.price.shares), dtype=np.float64)
        actual[table["bin"].to_numpy(dtype=np.int64)] = table["requests"].to_numpy(np.float64)
        found.append(drift.price_comparison_of_counts(actual, reference.price))
    return drift.table_of_comparisons(found)


def figures(
    warehouse: Warehouse,
    scope: sql.Scope,
    counts: Mapping[str, pd.Series],
    total: int,
    reference: drift.Reference | None,
) -> dict[str, go.Figure]:
    """``view.figures`` from aggregates: the same names and the same charts."""
    timeline = version_timeline(warehouse.frame(sql.versions_sql(scope)))
    shares = charts.field_share_figures(aggregate.field_shares_of_counts(counts, total, reference))
    return {
        "volume": charts.volume_figure(daily_volume(warehouse.frame(sql.daily_volume_sql(scope)))),
        "price": charts.price_over_time_figure(
            daily_price(warehouse.frame(sql.daily_price_sql(scope)))
        ),
        "histogram": charts.price_histogram_figure(
            price_histogram(warehouse.frame(sql.price_histogram_sql(scope)))
        ),
        "versions": charts.version_timeline_figure(timeline),
        **{SHARES + name: figure for name, figure in shares.items()},
    }


def compute_view(
    warehouse: Warehouse,
    filters: Filters,
    today: date,
    reference: drift.Reference | None,
    stores: tuple[str, ...] | None = None,
) -> MonitoringView:
    """``view.compute_view`` from the warehouse: small frames in, the same small view out."""
    shown = scope_of(filters, stores)
    names = {f.name for f in warehouse.files if filters.start <= f.day <= filters.end}
    kept_aside = tuple(s for s in warehouse.set_aside if s.file in names)
    found = kpis(warehouse, shown, today)
    if found.requests == 0:
        return MonitoringView(found, set_aside=kept_aside, files_read=len(names))
    cube = warehouse.frame(sql.field_cube_sql(shown))
    found = replace(
        found, in_schema_share=in_schema_share(cube, filters.versions, filters.only_in_schema)
    )
    share = in_schema_share(cube, filters.versions)
    counts_table = field_counts(cube, filters.versions, filters.only_in_schema)
    counts = value_counts(counts_table[counts_table["field"] != VERSION])
    in_range = field_counts(cube, filters.versions)
    return MonitoringView(
        kpis=found,
        figures=figures(warehouse, shown, counts, found.requests, reference),
        drift_table=(
            drift_table(warehouse, shown, counts, found.requests, reference) if reference else None
        ),
        quality_report=quality_report(warehouse, replace(shown, only_in_schema=False), in_range),
        in_schema_share=share if share is not None else 1.0,
        set_aside=kept_aside,
        files_read=len(names),
    )


def csv_chunks(
    warehouse: Warehouse,
    filters: Filters,
    stores: tuple[str, ...] | None = None,
    batch_rows: int = 65_536,
) -> Iterator[bytes]:
    """The rows behind the view as CSV, one chunk per batch the warehouse streams: the header
    once, every text cell formula-safe (``safe_csv``). The period is never one frame."""
    query = sql.rows_sql(scope_of(filters, stores), sql.DOWNLOAD_COLUMNS)
    header = True
    for batch in warehouse.batches(query, batch_rows):
        yield frame_to_csv(with_utc(batch.to_pandas()), header=header)
        header = False
    if header:  # nothing in the period: the header alone
        yield frame_to_csv(pd.DataFrame(columns=list(sql.DOWNLOAD_COLUMNS)))


def quote_rows(
    warehouse: Warehouse, start: date, end: date, stores: tuple[str, ...] | None = None
) -> pd.DataFrame:
    """The quotes with an offer whose Brasília day is ``start``..``end``, as the business and
    owner-week code reads request rows (their other rows it drops anyway, ``with_offer``)."""
    scope = sql.Scope(start, end, stores=stores)
    columns = [c for c in sql.DOWNLOAD_COLUMNS if c not in ("file", "line")]
    return with_utc(warehouse.frame(sql.quotes_sql(scope, columns)))


def with_utc(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame's timestamps as the UTC instants they are (the warehouse keeps them zoneless)."""
    stamps = frame.get(log_columns.TIMESTAMP_COLUMN)
    if stamps is not None and getattr(stamps.dt, "tz", None) is None:
        frame[log_columns.TIMESTAMP_COLUMN] = stamps.dt.tz_localize("UTC")
    return frame
