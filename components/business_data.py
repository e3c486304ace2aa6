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
from laptop_pricing.monitoring.alert_rules import AlertRules, load_rules
from laptop_pricing.monitoring.business_view import BusinessView, compute_business_view
from laptop_pricing.monitoring.outcome_reader import OutcomeReadResult, read_outcomes
from laptop_pricing.monitoring.sources import LogLocation
from laptop_pricing.monitoring.view import Filters
from laptop_pricing.safe_csv import frame_to_csv
from laptop_pricing.settings import Settings
from laptop_pricing.storage.layout import OUTCOMES
from laptop_pricing.trade_in import outcome

TTL_SECONDS = monitoring_data.TTL_SECONDS


def outcome_location_for(settings: Settings, log_location: LogLocation) -> LogLocation:
    """Beside the request log being shown (the sample logs have no outcomes folder)."""
    if log_location == monitoring_data.SAMPLE_LOCATION:
        sample = str(monitoring_data.SAMPLE_DIR)
        return LogLocation(None, settings.outcomes_prefix, sample, kind=OUTCOMES.name)
    return LogLocation.from_settings(settings, OUTCOMES)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False, max_entries=4)
def load_outcomes(location: LogLocation, start: date, end: date) -> OutcomeReadResult:
    """Raises ``LogUnavailable`` (not cached) when the folder or bucket cannot be listed."""
    return read_outcomes(location, start, end)


def outcomes_csv(location: LogLocation, start: date, end: date) -> bytes:
    """The outcomes recorded from ``start`` to ``end``, one row per event, as the download
    offers them: every text cell formula-safe (the notes were neutralised on the way in too),
    the author's e-mail masked (a file leaves the app: personal data stays in the records)."""
    frame = load_outcomes(location, start, end).outcomes.copy()
    if outcome.CLERK_EMAIL in frame:
        frame[outcome.CLERK_EMAIL] = frame[outcome.CLERK_EMAIL].map(outcome.masked_email)
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
) -> BusinessView:
    """The quotes made in the period with the outcomes recorded since its first day. The rows
    come from the page's own load of the request log (the same window, so the same cache)."""
    rows = monitoring_data.load_log(log_location, *Filters(start, end).load_window()).rows
    outcomes = load_outcomes(outcome_location, start, max(end, today)).outcomes
    return compute_business_view(rows, outcomes, start, end, alert_below)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False, max_entries=4)
def fired_alerts(
    log_location: LogLocation,
    outcome_location: LogLocation,
    rules: AlertRules,
    oldest: date,
    today: date,
) -> list[alerts.Alert]:
    """The rules that fire over the windows ending today (the drift rule only when the model
    ships a training reference)."""
    start = max(oldest, today - timedelta(days=rules.longest_window_days - 1))
    rows = monitoring_data.load_log(log_location, start, today).rows
    outcomes = load_outcomes(outcome_location, start, today).outcomes
    reference, _ = monitoring_data.training_reference()
    if reference is None:
        rules = dataclasses.replace(
            rules, drift_band=dataclasses.replace(rules.drift_band, enabled=False)
        )
    return alerts.evaluate(rules, rows, outcomes, reference, today)


def refresh() -> None:
    load_outcomes.clear()
    business_view.clear()
    fired_alerts.clear()
