"""Where the "Negócios" section and the alerts get their data: the stored outcomes (cached with
the request log's TTL), the quotes already loaded by ``monitoring_data``, and the alert rules.

"Atualizar" clears these caches together with the request log's (``refresh``).
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import streamlit as st

from components import monitoring_data
from laptop_pricing.monitoring import alerts
from laptop_pricing.monitoring.aggregate import of_stores
from laptop_pricing.monitoring.alert_rules import AlertRules, load_rules
from laptop_pricing.monitoring.business_view import BusinessView, compute_business_view
from laptop_pricing.monitoring.outcome_reader import (
    OutcomeReadResult,
    outcome_location,
    read_outcomes,
)
from laptop_pricing.monitoring.owner_week import OwnerWeek, loaded_since
from laptop_pricing.monitoring.owner_week import owner_week as compute_owner_week
from laptop_pricing.monitoring.sources import LogLocation
from laptop_pricing.monitoring.view import Filters
from laptop_pricing.safe_csv import frame_to_csv
from laptop_pricing.settings import Settings

TTL_SECONDS = monitoring_data.TTL_SECONDS
# Outcome files are UTC days: a decision recorded after 21:00 in Brasília is in the next one.
NEXT_FILE = timedelta(days=1)


def outcome_location_for(settings: Settings, log_location: LogLocation) -> LogLocation:
    """Beside the request log being shown (the sample logs have no outcomes folder)."""
    if log_location == monitoring_data.SAMPLE_LOCATION:
        return outcome_location(settings, str(monitoring_data.SAMPLE_DIR))
    return outcome_location(settings)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False, max_entries=4)
def load_outcomes(
    location: LogLocation, start: date, end: date, scope: tuple[str, ...] | None = None
) -> OutcomeReadResult:
    """The outcomes of the visitor's ``scope`` of stores (None: the chain), read as the request
    log is: a store-limited owner's page never reads another store's outcomes. Raises
    ``LogUnavailable`` (not cached) when the folder or bucket cannot be listed."""
    return read_outcomes(location, start, end, stores=None if scope is None else set(scope))


def outcomes_csv(
    location: LogLocation, start: date, end: date, stores: tuple[str, ...] | None = None
) -> bytes:
    """The outcomes recorded from ``start`` to ``end``, one row per event, as the download
    offers them: every text cell formula-safe (the notes were neutralised on the way in too),
    and no author (the frame has none: a file leaves the app)."""
    frame = of_stores(load_outcomes(location, start, end, stores).outcomes, stores)
    return frame_to_csv(frame)


def alert_rules() -> AlertRules:
    """The rules file, read on every run (a few hundred bytes): an edit shows at once.
    Raises ``AlertRulesError``."""
    return load_rules()


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False, max_entries=8)
def business_view(
    log_location: LogLocation,
    outcome_location: LogLocation,
    start: date,
    end: date,
    today: date,
    alert_below: float | None,
    stores: tuple[str, ...] | None = None,
    scope: tuple[str, ...] | None = None,
) -> BusinessView:
    """The quotes made in the period with the outcomes recorded since its first day, of
    ``stores`` (None: all). The rows come from the page's own load of the request log (the same
    window and ``scope``, so the same cache)."""
    window = Filters(start, end).load_window()
    rows = monitoring_data.load_log(log_location, *window, scope).rows
    outcomes = load_outcomes(outcome_location, start, max(end, today) + NEXT_FILE, scope).outcomes
    return compute_business_view(
        of_stores(rows, stores), of_stores(outcomes, stores), start, end, alert_below
    )


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False, max_entries=8)
def owner_week(
    log_location: LogLocation, outcome_location: LogLocation, page: Filters, today: date
) -> OwnerWeek:
    """The week ending on the period's last day and the week before. It reads the page's own
    window when that holds both weeks (the default month does), else the two weeks alone."""
    window = page.load_window()
    first = loaded_since(page.end)
    if window[0] > first:
        window = (first, page.end + NEXT_FILE)  # its last evening is in the next file
    rows = of_stores(monitoring_data.load_log(log_location, *window, page.scope).rows, page.stores)
    outcomes = load_outcomes(
        outcome_location, first, max(page.end, today) + NEXT_FILE, page.scope
    ).outcomes
    return compute_owner_week(rows, of_stores(outcomes, page.stores), page.end)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False, max_entries=4)
def fired_alerts(
    log_location: LogLocation,
    outcome_location: LogLocation,
    rules: AlertRules,
    oldest: date,
    today: date,
    stores: tuple[str, ...] | None = None,
) -> list[alerts.Alert]:
    """The rules that fire over the windows ending today, over ``stores`` (None: all; the drift
    rule only when the model ships a training reference)."""
    start = max(oldest, today - timedelta(days=rules.longest_window_days - 1))
    rows = of_stores(monitoring_data.load_log(log_location, start, today, stores).rows, stores)
    outcomes = load_outcomes(outcome_location, start, today + NEXT_FILE, stores).outcomes
    outcomes = of_stores(outcomes, stores)
    reference, _ = monitoring_data.training_reference()
    if reference is None:
        rules = dataclasses.replace(
            rules, drift_band=dataclasses.replace(rules.drift_band, enabled=False)
        )
    return alerts.evaluate(rules, rows, outcomes, reference, today)


def refresh() -> None:
    load_outcomes.clear()
    business_view.clear()
    owner_week.clear()
    fired_alerts.clear()
