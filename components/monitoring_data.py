"""Where the monitoring page gets its data: the request log (cached with a TTL) and the model's
training reference. The "Atualizar" button clears both caches.

The day files that exist are listed once per TTL; a load reads only the files of the days asked
for, concurrently (``laptop_pricing.monitoring.reading``). The sample course logs the repo ships are
read in place from ``data/request-logs-sample/`` — never copied into the clerk's log folder, so
two-year-old course requests can never mix with the store's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
import streamlit as st

from laptop_pricing import log_columns
from laptop_pricing.monitoring import memory, quality, view
from laptop_pricing.monitoring.drift import Reference, ReferenceMissing
from laptop_pricing.monitoring.reading import read_log
from laptop_pricing.monitoring.sources import DayFile, LogLocation, SetAside
from laptop_pricing.pricing.artifact import ArtifactError, read_metadata
from laptop_pricing.settings import REPO_ROOT, Settings
from laptop_pricing.store_id import DEFAULT_STORE_ID, store_of

TTL_SECONDS = 300
SAMPLE_DIR = REPO_ROOT / "data" / "request-logs-sample"
SAMPLE_LOCATION = LogLocation(bucket=None, prefix="", directory=str(SAMPLE_DIR))
SAMPLE_STATE_KEY = "monitoring_use_sample"


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
def load_log(
    location: LogLocation, start: date, end: date, scope: tuple[str, ...] | None = None
) -> LoadedLog:
    """The rows of a window, held once and shared, never copied: ``st.cache_data`` would keep a
    pickled copy of a year (about 60 MB) and unpickle another on each of the run's four calls.
    Read-only for every caller (pandas' copy-on-write keeps a derived frame from changing it).
    ``scope``: the stores the visitor may read (None: all); only their rows are read."""
    memory.map_large_blocks()  # so a reload does not grow the process (see that module)
    result = read_log(location.open(), start, end, stores=None if scope is None else set(scope))
    return LoadedLog(quality.with_in_schema(result.rows), result.set_aside, result.files)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False, max_entries=16)
def period_versions(location: LogLocation, filters: view.Filters) -> tuple[int, list[str]]:
    """Requests in the period and the model versions that answered them."""
    rows = load_log(location, *filters.load_window(), filters.scope).rows
    return view.period_versions(rows, filters.start, filters.end, filters.stores)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False, max_entries=16)
def stores_seen(location: LogLocation, filters: view.Filters) -> tuple[str, ...]:
    """The stores with a request in the period's window (the store filter's choices)."""
    rows = load_log(location, *filters.load_window(), filters.scope).rows
    column = rows.get(log_columns.STORE_ID_COLUMN)
    if column is None:
        return (DEFAULT_STORE_ID,)
    values = column.cat.categories if isinstance(column.dtype, pd.CategoricalDtype) else column
    return tuple(sorted({store_of(value) for value in values}))


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False, max_entries=16)
def set_aside(location: LogLocation, filters: view.Filters) -> list[SetAside]:
    """What the reader could not keep in the period's window (files and lines, with why)."""
    return list(load_log(location, *filters.load_window(), filters.scope).set_aside)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False, max_entries=16)
def monitoring_view(
    location: LogLocation, filters: view.Filters, today: date
) -> view.MonitoringView:
    """KPIs, figures and tables for one filter choice: a rerun redraws from this small object."""
    loaded = load_log(location, *filters.load_window(), filters.scope)
    reference, _ = training_reference()
    return view.compute_view(loaded.rows, loaded.set_aside, loaded.files, filters, today, reference)


def filtered_rows(location: LogLocation, filters: view.Filters) -> pd.DataFrame:
    """The rows behind the current view (for the CSV download, built only when clicked)."""
    return filters.apply(load_log(location, *filters.load_window(), filters.scope).rows)


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
    period_versions.clear()
    stores_seen.clear()
    monitoring_view.clear()
    training_reference.clear()
