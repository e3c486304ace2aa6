"""Everything the "Negócios" section shows for one period, computed in one place.

Like ``view.compute_view`` for the drift part: the result is small (a sentence, a few figures,
one table of segment rates), so the page caches it per period and a rerun only redraws.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd
import plotly.graph_objects as go

from laptop_pricing.monitoring import business, business_charts, business_summary, store_split


@dataclass(frozen=True)
class BusinessView:
    summary: business_summary.BusinessSummary  # the chosen period
    sentence: str
    figures: dict[str, go.Figure] = field(default_factory=dict)  # per_day, acceptance
    segments: pd.DataFrame | None = None  # business.all_segment_rates of the period
    quotes: int = 0
    chain_sentences: tuple[str, ...] = ()  # a store far from the others (store_split)


def compute_business_view(
    quotes: pd.DataFrame,
    outcomes: pd.DataFrame,
    start: date,
    end: date,
    alert_below: float | None = None,
) -> BusinessView:
    """The quotes made from ``start`` to ``end`` with their current outcomes: the summary
    sentence, the two time figures and the rates of every segment."""
    joined = business.join_outcomes(with_offer(quotes), outcomes)
    summary = business_summary.business_summary(joined, end, days=(end - start).days + 1)
    sentence = business_summary.summary_sentence(summary)
    period = business_summary.in_days(joined, start, end)
    if period.empty:
        return BusinessView(summary, sentence)
    figures = {
        "per_day": business_charts.quotes_per_day_figure(business.quotes_per_day(period)),
        "acceptance": business_charts.acceptance_figure(
            business.acceptance_over_time(period), alert_below=alert_below
        ),
    }
    return BusinessView(
        summary,
        sentence,
        figures,
        business.all_segment_rates(period),
        quotes=len(period),
        chain_sentences=tuple(store_split.chain_sentences(store_split.per_store_counts(period))),
    )


def with_offer(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows whose offer is a positive number (those ``join_outcomes`` keeps), tested once
    per distinct offer: a year of request rows, most without a trade-in, is never read as a
    million texts to find the few quotes."""
    offers = rows.get(business.OFFER)
    if offers is None or not isinstance(offers.dtype, pd.CategoricalDtype):
        return rows
    return rows[(business.numbers(offers) > 0).to_numpy()]


def segment_figure(view: BusinessView, column: str) -> go.Figure | None:
    """The figure of one segment of the view (the page's "Dividir por" choice), without the
    values that have fewer than ``business.MIN_DECIDED`` decided offers (n = 1 reads as 0 % or
    100 %); ``None`` when no value has that many."""
    if view.segments is None:
        return None
    chosen = business.SEGMENTS_BY_COLUMN[column]
    rates = view.segments[view.segments["segment"] == column]
    rates = rates[rates["decided"] >= business.MIN_DECIDED]
    title = f"Por {chosen.label.lower()}"  # what its parentheses count: SEGMENT_NOTE
    return business_charts.segment_figure(rates, title) if len(rates) else None


# Under the "Dividir por" figure, not in its title: a phone has no room for it there.
SEGMENT_NOTE = "O número entre parênteses é o de ofertas com resultado (fechadas ou recusadas)."


def hidden_segments(view: BusinessView, column: str) -> int:
    """How many values of the segment the figure leaves out for having too few decided offers."""
    if view.segments is None:
        return 0
    rates = view.segments[view.segments["segment"] == column]
    return int((rates["decided"] < business.MIN_DECIDED).sum())
