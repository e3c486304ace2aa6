"""Few data points in the "Negócios" charts: whole-week ticks, no lone dot, small n hidden."""

from __future__ import annotations

from datetime import date

import pandas as pd

from laptop_pricing.monitoring import business, business_charts
from laptop_pricing.monitoring.business_view import (
    compute_business_view,
    hidden_segments,
    segment_figure,
)
from tests.synthetic_owner_week import known_weeks

END = date(2026, 11, 30)


def weekly(start: date, end: date) -> pd.DataFrame:
    weeks = known_weeks(END)
    joined = business.join_outcomes(weeks.quotes, weeks.outcomes_frame())
    return business.acceptance_over_time(
        joined[(business.quote_days(joined) >= pd.Timestamp(start))
               & (business.quote_days(joined) <= pd.Timestamp(end))]
    )  # fmt: skip


def test_weeks_get_one_tick_each_and_no_tick_repeats():
    figure = business_charts.acceptance_figure(weekly(date(2026, 11, 17), END))
    axis = figure.layout.xaxis
    assert axis.tickmode == "array"
    assert len(axis.ticktext) == len(set(axis.ticktext)) == len(figure.data[0].x)
    assert all(text.startswith("semana de ") for text in axis.ticktext)


def test_a_single_week_is_a_bar_not_a_lone_dot():
    figure = business_charts.acceptance_figure(weekly(END, END))
    assert [trace.type for trace in figure.data] == ["bar"]
    assert len(figure.data[0].x) == 1
    assert list(figure.layout.xaxis.ticktext) == ["semana de 30/11"]


def test_a_week_with_few_decided_offers_is_drawn_pale_and_says_so():
    figure = business_charts.acceptance_figure(weekly(END, END))  # one decided offer
    assert figure.data[0].marker.color == (business_charts.FEW_COLOR,)
    assert figure.data[0].customdata[0][-1] == " (poucos dados)"


def test_segments_below_the_minimum_are_left_out_and_counted():
    weeks = known_weeks(END)
    view = compute_business_view(weeks.quotes, weeks.outcomes_frame(), date(2026, 11, 17), END)
    # Every quote here is a Dell Core i5: one brand with 15 decided offers, kept.
    assert segment_figure(view, "brand") is not None and hidden_segments(view, "brand") == 0
    small = view.segments.assign(decided=1)
    tiny = type(view)(view.summary, view.sentence, view.figures, small, view.quotes)
    assert segment_figure(tiny, "brand") is None
    assert hidden_segments(tiny, "brand") == 1
