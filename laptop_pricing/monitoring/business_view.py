"""Everything the "Negócios" section shows for one period, computed in one place.

Like ``view.compute_view`` for the drift part: the result is small (a sentence, a few figures,
one table of segment rates), so the page caches it per period and a rerun only redraws.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd
import plotly.graph_objects as go

from laptop_pricing.monitoring import business, business_charts

SUMMARY_DAYS = 28


@dataclass(frozen=True)
class BusinessView:
    summary: business.BusinessSummary
    sentence: str
    figures: dict[str, go.Figure] = field(default_factory=dict)  # per_day, acceptance, segment
    segments: pd.DataFrame | None = None  # business.all_segment_rates of the period
    quotes: int = 0


def _in_period(joined: pd.DataFrame, start: date, end: date) -> pd.DataFrame:
    if joined.empty:
        return joined
    day = joined[business.TIMESTAMP].dt.tz_convert(None).dt.date
    return joined[(day >= start) & (day <= end)]


def compute_business_view(
    quotes: pd.DataFrame,
    outcomes: pd.DataFrame,
    start: date,
    end: date,
    alert_below: float | None = None,
    segment: str = "processor_name",
) -> BusinessView:
    """The quotes made from ``start`` to ``end`` with their current outcomes, and the figure of
    one ``segment`` (the page's "Dividir por"; the table has them all); the summary sentence
    always covers the last four weeks up to ``end``."""
    joined = business.join_outcomes(quotes, outcomes)
    summary = business.business_summary(joined, end, days=SUMMARY_DAYS)
    sentence = business.summary_sentence(summary)
    period = _in_period(joined, start, end)
    if period.empty:
        return BusinessView(summary, sentence)
    segments = business.all_segment_rates(period)
    figures = {
        "per_day": business_charts.quotes_per_day_figure(business.quotes_per_day(period)),
        "acceptance": business_charts.acceptance_figure(
            business.acceptance_over_time(period), alert_below=alert_below
        ),
    }
    chosen = business.SEGMENTS_BY_COLUMN[segment]
    rates = segments[segments["segment"] == chosen.column]
    if len(rates):
        figures["segment"] = business_charts.segment_figure(
            rates, f"Por {chosen.label.lower()} (entre parênteses: ofertas com resultado)"
        )
    return BusinessView(summary, sentence, figures, segments, quotes=len(period))
