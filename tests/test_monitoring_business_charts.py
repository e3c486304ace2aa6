"""Few data points in the "Negócios" charts: whole-week ticks, no lone dot, small n hidden."""

from __future__ import annotations

import itertools
from datetime import date

import pandas as pd

from laptop_pricing.monitoring import business, business_charts
from laptop_pricing.monitoring.business_view import (
    compute_business_view,
    hidden_segments,
    segment_figure,
)
from tests import synthetic_business as synthetic
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


def test_a_year_of_weeks_gets_a_few_evenly_spaced_week_ticks_not_one_a_week():
    """52 labels of "semana de dd/mm" stand on end and still touch; a year keeps every week's
    bar but labels one week in every few, counted back from the latest, even across weeks
    that have no bar (no decided offer)."""
    quotes = synthetic.quotes_and_outcomes(END, days=365, quotes_per_day=4)
    year = business.acceptance_over_time(
        business.join_outcomes(quotes.quotes, quotes.outcomes_frame())
    )
    gap = year["period"].between(pd.Timestamp(2026, 3, 1), pd.Timestamp(2026, 4, 30))
    for weekly_rates in (year, year[~gap]):
        figure = business_charts.acceptance_figure(weekly_rates)
        axis = figure.layout.xaxis
        weeks = list(pd.to_datetime(figure.data[0].x))
        ticked = [pd.Timestamp(value) for value in axis.tickvals]
        assert 2 <= len(ticked) <= business_charts.MAX_WEEK_TICKS < len(weeks)
        assert ticked[-1] == weeks[-1] and set(ticked) <= set(weeks)
        steps = {(b - a).days for a, b in itertools.pairwise(ticked)}
        step = min(steps)
        assert step % 7 == 0 and all(s % step == 0 for s in steps)  # one calendar grid
        assert axis.ticktext == tuple(f"semana de {week:%d/%m}" for week in ticked)


def test_a_single_week_is_a_bar_not_a_lone_dot():
    figure = business_charts.acceptance_figure(weekly(END, END))
    assert [trace.type for trace in figure.data] == ["bar"]
    assert len(figure.data[0].x) == 1
    assert list(figure.layout.xaxis.ticktext) == ["semana de 30/11"]


def test_a_week_or_two_are_bars_of_a_week_s_width_not_as_wide_as_the_chart():
    """Plotly fits its axis to the bars it has, so one week's bar filled half the chart. The
    axis spans at least ``MIN_WEEKS_SHOWN`` weeks around them, and every bar is half a week
    wide, whatever the period."""
    week_ms = business_charts.WEEK_MS
    for start in (END, date(2026, 11, 20)):  # one week, two weeks
        figure = business_charts.acceptance_figure(weekly(start, END))
        low, high = (pd.Timestamp(value) for value in figure.layout.xaxis.range)
        bars = [pd.Timestamp(value) for value in figure.data[0].x]
        assert (high - low).days >= 7 * business_charts.MIN_WEEKS_SHOWN
        assert low < bars[0] and bars[-1] < high
        assert bars[0] - low == high - bars[-1]  # the bars in the middle
        assert figure.data[0].width == business_charts.BAR_WEEK_SHARE * week_ms
    year = synthetic.quotes_and_outcomes(END, days=365, quotes_per_day=4)
    figure = business_charts.acceptance_figure(
        business.acceptance_over_time(business.join_outcomes(year.quotes, year.outcomes_frame()))
    )
    assert figure.layout.xaxis.range is None  # a year fills the axis by itself
    assert figure.data[0].width == business_charts.BAR_WEEK_SHARE * week_ms


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


def test_the_segment_panels_are_laid_out_as_plotly_lays_out_shared_subplots():
    """The three panels are written as one layout, not built by ``make_subplots`` and a dozen
    updates (70 ms a figure): Plotly's own layout of the same grid is the reference."""
    from plotly.subplots import make_subplots

    titles = [label for _, label in business_charts.SEGMENT_PANELS]
    reference = make_subplots(
        rows=1, cols=len(titles), shared_yaxes=True, subplot_titles=titles,
        horizontal_spacing=business_charts.PANEL_GAP,
    ).layout  # fmt: skip
    weeks = known_weeks(END)
    rates = business.segment_rates(
        business.join_outcomes(weeks.quotes, weeks.outcomes_frame()), "brand"
    )
    drawn = business_charts.segment_figure(rates, "Por marca")
    empty = business_charts.segment_figure(rates.iloc[:0], "Por marca")
    for built in (drawn, empty):
        layout = built.layout
        for axis in ("xaxis", "xaxis2", "xaxis3", "yaxis", "yaxis2", "yaxis3"):
            ours, theirs = layout[axis], reference[axis]
            assert ours.domain == theirs.domain and ours.anchor == theirs.anchor, axis
            assert ours.matches == theirs.matches, axis
            assert ours.showticklabels == theirs.showticklabels, axis
        placed = [(a.text, a.x, a.y, a.xref, a.yref, a.yanchor) for a in layout.annotations]
        expected = [(a.text, a.x, a.y, a.xref, a.yref, a.yanchor) for a in reference.annotations]
        assert placed == expected
    assert empty.data == ()
    assert [(t.xaxis, t.yaxis) for t in drawn.data] == [("x", "y"), ("x2", "y2"), ("x3", "y3")]
