"""Everything the monitoring page shows for one choice of filters, computed in one place.

The result is small (KPIs, five figures built from aggregates, the drift and quality tables), so
the page caches it per filter choice and a rerun redraws without touching the rows again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import pandas as pd
import plotly.graph_objects as go

from laptop_pricing.monitoring import aggregate, charts, drift, quality
from laptop_pricing.monitoring.sources import DayFile, SetAside


@dataclass(frozen=True)
class MonitoringView:
    kpis: aggregate.Kpis
    figures: dict[str, go.Figure] = field(default_factory=dict)
    drift_table: pd.DataFrame | None = None
    quality_report: pd.DataFrame | None = None
    in_schema_share: float = 1.0
    set_aside: tuple[SetAside, ...] = ()
    files_read: int = 0


def period_versions(rows: pd.DataFrame, start: date, end: date) -> tuple[int, list[str]]:
    """Requests in the period and the model versions that answered them."""
    in_range = aggregate.filter_rows(rows, start, end)
    versions = sorted(in_range[aggregate.VERSION].astype(str).unique()) if len(in_range) else []
    return len(in_range), versions


def compute_view(
    rows: pd.DataFrame,
    set_aside: Sequence[SetAside],
    files: Sequence[DayFile],
    start: date,
    end: date,
    versions: Sequence[str],
    only_in_schema: bool,
    today: date,
    reference: drift.Reference | None,
) -> MonitoringView:
    in_range = aggregate.filter_rows(rows, start, end, versions=list(versions))
    shown = aggregate.filter_rows(in_range, only_in_schema=only_in_schema)
    previous_start, previous_end = aggregate.previous_period(start, end)
    previous = aggregate.filter_rows(
        rows, previous_start, previous_end, list(versions), only_in_schema
    )
    names = {f.name for f in files if start <= f.day <= end}
    kept_aside = tuple(s for s in set_aside if s.file in names)
    kpis = aggregate.kpis(shown, previous, today)
    if shown.empty:
        return MonitoringView(kpis, set_aside=kept_aside, files_read=len(names))
    figures = {
        "volume": charts.volume_figure(aggregate.daily_volume(shown)),
        "price": charts.price_over_time_figure(aggregate.daily_price(shown)),
        "histogram": charts.price_histogram_figure(aggregate.price_histogram(shown)),
        "shares": charts.shares_figure(aggregate.field_shares(shown, reference)),
        "versions": charts.version_timeline_figure(aggregate.version_timeline(shown)),
    }
    in_schema = in_range.get(quality.IN_SCHEMA_COLUMN)
    return MonitoringView(
        kpis=kpis,
        figures=figures,
        drift_table=drift.drift_table(shown, reference) if reference else None,
        quality_report=quality.quality_report(in_range),
        in_schema_share=float(in_schema.mean()) if in_schema is not None and len(in_range) else 1.0,
        set_aside=kept_aside,
        files_read=len(names),
    )
