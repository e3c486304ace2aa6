"""Where the monitoring page gets its data: aggregates of the request log (cached with a TTL)
and the model's training reference. The "Atualizar" button clears both caches.

The page's sections ask the window's warehouse (``laptop_pricing.monitoring.warehouse``: DuckDB
over the Parquet rollup, and the few days no month closed yet) for small aggregate frames, so
the period's rows are never held; the download streams them into its CSV. Only the alerts
banner still reads its own short window (the longest rule's days) as rows (``load_log``). The
day files that exist are listed once per TTL. The sample course logs the repo ships are read in
place from ``data/request-logs-sample/`` — never copied into the clerk's log folder, so
two-year-old course requests can never mix with the store's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
import streamlit as st

from laptop_pricing.monitoring import memory, quality, view, warehouse_view
from laptop_pricing.monitoring.drift import Reference, ReferenceMissing
from laptop_pricing.monitoring.reading import read_log
from laptop_pricing.monitoring.sources import DayFile, LogLocation, SetAside
from laptop_pricing.monitoring.warehouse import Warehouse, open_warehouse
from laptop_pricing.pricing.artifact import ArtifactError, read_metadata
from laptop_pricing.settings import REPO_ROOT, Settings

TTL_SECONDS = 300
SAMPLE_DIR = REPO_ROOT / "data" / "request-logs-sample"
SAMPLE_LOCATION = LogLocation(bucket=None, prefix="", directory=str(SAMPLE_DIR))
SAMPLE_STATE_KEY = "monitoring_use_sample"
Stores = tuple[str, ...] | None  # the stores a section reads (None: the whole chain)


@dataclass(frozen=True)
class LoadedLog:
    """Kept rows (with ``in_schema``), what was set aside, and the files read."""

    rows: pd.DataFrame
    set_aside: list[SetAside]
    files: list[DayFile]


def location_for(settings: Settings) -> LogLocation:
    if st.session_state.get(SAMPLE_STATE_KEY):
        return SAMPLE_LOCATION
    return LogLocation.from_settings(settings)


def use_sample(on: bool) -> None:
    st.session_state[SAMPLE_STATE_KEY] = on


def using_sample() -> bool:
    return bool(st.session_state.get(SAMPLE_STATE_KEY))


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def list_days(location: LogLocation) -> list[DayFile]:
    """Day files of the whole log (names only). Raises ``LogUnavailable``; errors are not cached."""
    return location.open().list_day_files().files


@st.cache_resource(ttl=TTL_SECONDS, show_spinner=False, max_entries=4)
def load_log(location: LogLocation, start: date, end: date) -> LoadedLog:
    """The rows of a short window (the alerts banner's longest rule, a few days), held once
    and shared, never copied. Read-only for every caller (pandas' copy-on-write keeps a derived
    frame from changing it). The page's period never goes through here (``load_warehouse``)."""
    memory.map_large_blocks()  # so a reload does not grow the process (see that module)
    result = read_log(location.open(), start, end)
    return LoadedLog(quality.with_in_schema(result.rows), result.set_aside, result.files)


@st.cache_resource(ttl=TTL_SECONDS, show_spinner=False, max_entries=4)
def load_warehouse(location: LogLocation, start: date, end: date) -> Warehouse:
    """The window's aggregates source, opened once and shared: DuckDB over the rollup's month
    files (only their footers read so far) and the small table of the days no month closed.
    The page asks it for aggregates; it never holds the window's rows."""
    return open_warehouse(location, start, end)


def _warehouse(location: LogLocation, filters: view.Filters) -> Warehouse:
    return load_warehouse(location, *filters.load_window())


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False, max_entries=16)
def period_versions(
    location: LogLocation, filters: view.Filters, stores: Stores = None
) -> tuple[int, list[str]]:
    """Requests in the period and the model versions that answered them."""
    return warehouse_view.period_versions(
        _warehouse(location, filters), filters.start, filters.end, stores
    )


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False, max_entries=16)
def set_aside(location: LogLocation, filters: view.Filters) -> list[SetAside]:
    """What the reader could not keep in the period's window (files and lines, with why)."""
    return list(_warehouse(location, filters).set_aside)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False, max_entries=16)
def monitoring_view(
    location: LogLocation, filters: view.Filters, today: date, stores: Stores = None
) -> view.MonitoringView:
    """KPIs, figures and tables for one filter choice: a rerun redraws from this small object."""
    reference, _ = training_reference()
    return warehouse_view.compute_view(
        _warehouse(location, filters), filters, today, reference, stores
    )


def filtered_csv(location: LogLocation, filters: view.Filters, stores: Stores = None) -> bytes:
    """The rows behind the current view as CSV (the download, built only when clicked),
    streamed from the warehouse batch by batch into the bytes Streamlit sends."""
    return b"".join(warehouse_view.csv_chunks(_warehouse(location, filters), filters, stores))


def quote_rows(
    location: LogLocation, start: date, end: date, stores: Stores = None
) -> pd.DataFrame:
    """The trade-in quotes in the UTC files ``start``..``end`` (the Brasília days they can
    hold: the evening before the first, the last's own): the rows the business section joins
    with the outcomes, read from the window's warehouse. Callers cache what they compute."""
    first = start - timedelta(days=1)
    return warehouse_view.quote_rows(load_warehouse(location, start, end), first, end, stores)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def training_reference() -> tuple[Reference | None, str | None]:
    """The training distribution from the shipped model's metadata, and its version."""
    try:
        metadata = read_metadata()
    except ArtifactError:
        return None, None
    try:
        return Reference.from_metadata(metadata), metadata.version
    except ReferenceMissing:
        return None, metadata.version


def refresh() -> None:
    """The "Atualizar" button: forget the listing, the loaded rows and the reference."""
    list_days.clear()
    load_log.clear()
    load_warehouse.clear()
    period_versions.clear()
    monitoring_view.clear()
    training_reference.clear()
