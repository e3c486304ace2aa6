"""Everything the monitoring page shows for one choice of filters, computed in one place.

The result is small (KPIs, five figures built from aggregates, the drift and quality tables), so
the page caches it per filter choice and a rerun redraws without touching the rows again.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import pandas as pd
import plotly.graph_objects as go

from laptop_pricing import log_columns
from laptop_pricing.monitoring import aggregate, charts, drift, quality
from laptop_pricing.monitoring.sources import DayFile, SetAside
from laptop_pricing.safe_csv import write_frame_csv


@dataclass(frozen=True)
class Filters:
    """One choice on the monitoring page: the period (Brasília days, inclusive), the model versions
    (empty: all), the in-schema switch and the stores (None: the whole chain; an owner limited
    to some stores always has theirs here). ``scope`` is what the visitor may read (None: the
    chain), so what is loaded: a store-limited owner's page never reads the other stores' rows.
    Frozen and hashable: it keys the page's caches."""

    start: date
    end: date
    versions: tuple[str, ...] = ()
    only_in_schema: bool = False
    stores: tuple[str, ...] | None = None
    scope: tuple[str, ...] | None = None

    def with_versions(self, versions: Sequence[str]) -> Filters:
        return replace(self, versions=tuple(versions))

    def with_stores(self, stores: tuple[str, ...] | None) -> Filters:
        return replace(self, stores=stores)

    def with_scope(self, scope: tuple[str, ...] | None) -> Filters:
        return replace(self, scope=scope)

    def load_window(self) -> tuple[date, date]:
        """The UTC day files to read: the period and the one before it (for the median's
        change), and the day after its end, whose first hours are still its last Brasília day."""
        return aggregate.previous_period(self.start, self.end)[0], self.end + timedelta(days=1)

    def apply(self, rows: pd.DataFrame) -> pd.DataFrame:
        versions = list(self.versions) or None
        return aggregate.filter_rows(
            rows, self.start, self.end, versions, self.only_in_schema, self.stores
        )


@dataclass(frozen=True)
class MonitoringView:
    kpis: aggregate.Kpis
    figures: dict[str, go.Figure] = field(default_factory=dict)
    drift_table: pd.DataFrame | None = None
    quality_report: pd.DataFrame | None = None
    in_schema_share: float = 1.0
    set_aside: tuple[SetAside, ...] = ()
    files_read: int = 0


def period_versions(
    rows: pd.DataFrame, start: date, end: date, stores: tuple[str, ...] | None = None
) -> tuple[int, list[str]]:
    """Requests in the period (of ``stores``; None: all) and the model versions that answered."""
    in_range = aggregate.filter_rows(rows, start, end, stores=stores)
    # Unique values first, text after: a year's column as text would be a million strings.
    versions = sorted({str(v) for v in in_range[aggregate.VERSION].unique()})
    return len(in_range), versions


SHARES = "shares."  # key prefix of the one-field share figures: "shares.ram_gb", ...


def figures(
    rows: pd.DataFrame,
    reference: drift.Reference | None = None,
    value_counts: Mapping[str, pd.Series] | None = None,
) -> dict[str, go.Figure]:
    """The page's figures, by name, each built from a small aggregate of ``rows``: volume,
    price, histogram, versions, then one share figure per field (``SHARES`` + field name). The
    one list of them: the page, the tests and the bench all use it. ``value_counts``:
    ``aggregate.field_value_counts(rows)``, when the caller has them."""
    counts = aggregate.field_value_counts(rows) if value_counts is None else value_counts
    shares = charts.field_share_figures(
        aggregate.field_shares_of_counts(counts, len(rows), reference)
    )
    return {
        "volume": charts.volume_figure(aggregate.daily_volume(rows)),
        "price": charts.price_over_time_figure(aggregate.daily_price(rows)),
        "histogram": charts.price_histogram_figure(aggregate.price_histogram(rows)),
        "versions": charts.version_timeline_figure(aggregate.version_timeline(rows)),
        **{SHARES + name: figure for name, figure in shares.items()},
    }


def compute_view(
    rows: pd.DataFrame,
    set_aside: Sequence[SetAside],
    files: Sequence[DayFile],
    filters: Filters,
    today: date,
    reference: drift.Reference | None,
) -> MonitoringView:
    start, end = filters.start, filters.end
    versions = list(filters.versions) or None
    in_range = aggregate.filter_rows(rows, start, end, versions, stores=filters.stores)
    shown = aggregate.filter_rows(in_range, only_in_schema=filters.only_in_schema)
    previous_start, previous_end = aggregate.previous_period(start, end)
    previous = replace(filters, start=previous_start, end=previous_end).apply(rows)
    names = {f.name for f in files if start <= f.day <= end}
    kept_aside = tuple(s for s in set_aside if s.file in names)
    kpis = aggregate.kpis(shown, previous, today)
    if shown.empty:
        return MonitoringView(kpis, set_aside=kept_aside, files_read=len(names))
    in_schema = in_range.get(quality.IN_SCHEMA_COLUMN)
    counts = aggregate.field_value_counts(shown)
    return MonitoringView(
        kpis=kpis,
        figures=figures(shown, reference, counts),
        drift_table=drift.drift_table(shown, reference, value_counts=counts) if reference else None,
        quality_report=quality.quality_report(in_range),
        in_schema_share=float(in_schema.mean()) if in_schema is not None and len(in_range) else 1.0,
        set_aside=kept_aside,
        files_read=len(names),
    )


# Never in a download: the clerk's e-mail is personal data, the request id leads back to the
# records, and the in-schema flag is the page's own working column.
NOT_DOWNLOADED = (
    log_columns.CLERK_EMAIL_COLUMN,
    log_columns.REQUEST_ID_COLUMN,
    quality.IN_SCHEMA_COLUMN,
)


# Above this many rows the download is the CSV inside a ZIP: a year of a chain is ~600 MB of
# text, ~10x less zipped, and the app holds the file while the visitor is connected.
ZIP_ABOVE_ROWS = 200_000


def download_csv(rows: pd.DataFrame) -> bytes:
    """The rows behind the view as a spreadsheet-safe CSV, without ``NOT_DOWNLOADED``."""
    buffer = io.BytesIO()
    write_frame_csv(_downloaded(rows), buffer)
    return buffer.getvalue()


def download_zip(rows: pd.DataFrame, csv_name: str) -> bytes:
    """``download_csv`` as ``csv_name`` inside a ZIP, compressed as it is written: the
    uncompressed text is never whole in memory."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
        archive.open(csv_name, "w", force_zip64=True) as stream,
    ):
        write_frame_csv(_downloaded(rows), stream)
    return buffer.getvalue()


def _downloaded(rows: pd.DataFrame) -> pd.DataFrame:
    return rows.drop(columns=list(NOT_DOWNLOADED), errors="ignore")
