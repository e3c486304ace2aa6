"""Aggregates and figure builders: right numbers, right traces, and small JSON whatever the rows."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from laptop_pricing.monitoring import aggregate, charts, drift, view
from laptop_pricing.pricing import schema
from tests.request_rows_support import make_rows


def tiny_rows() -> pd.DataFrame:
    rows = make_rows(6, days=1)
    rows["timestamp"] = pd.to_datetime(
        [
            "2025-01-01 10:00",
            "2025-01-01 11:00",
            "2025-01-02 09:00",
            "2025-01-02 10:00",
            "2025-01-02 12:00",
            "2025-01-03 08:00",
        ],
        utc=True,
    )
    rows["model_version"] = pd.Categorical(["a", "a", "a", "b", "b", "b"])
    rows["price"] = [100.0, 300.0, 1000.0, 2000.0, 3000.0, 50.0]
    rows["ram_gb"] = pd.Categorical(["8", "8", "16", "252", "4", "8"])
    return rows


def test_daily_volume_counts_per_day_and_version():
    volume = aggregate.daily_volume(tiny_rows())
    as_dict = {(str(d.date()), v): n for d, v, n in volume.itertuples(index=False)}
    assert as_dict == {
        ("2025-01-01", "a"): 2,
        ("2025-01-02", "a"): 1,
        ("2025-01-02", "b"): 2,
        ("2025-01-03", "b"): 1,
    }
    figure = charts.volume_figure(volume)
    assert figure.layout.barmode == "stack"
    assert [t.name for t in figure.data] == ["versão a", "versão b"]
    assert sum(sum(t.y) for t in figure.data) == 6


def test_daily_price_median_and_band():
    daily = aggregate.daily_price(tiny_rows()).set_index("day")
    second = daily.loc[pd.Timestamp("2025-01-02")]
    assert second["median"] == 2000.0 and second["requests"] == 3
    assert second["p10"] == pytest.approx(1200.0) and second["p90"] == pytest.approx(2800.0)
    figure = charts.price_over_time_figure(daily.reset_index())
    assert [t.name for t in figure.data][1:] == ["faixa de 80% (p10–p90)", "mediana do dia"]
    assert figure.data[1].fill == "tonexty"
    assert list(figure.data[2].y) == list(daily["median"])
    assert figure.layout.separators == ",."


def test_histogram_is_pre_binned_and_folds_the_extremes():
    rows = make_rows(10_000)
    rows.loc[0, "price"] = 10_000_000.0  # one absurd quote
    histogram = aggregate.price_histogram(rows, bins=40)
    assert len(histogram) == 40 and histogram["requests"].sum() == len(rows)
    assert histogram["right"].max() < 1_000_000
    figure = charts.price_histogram_figure(histogram)
    assert len(figure.data) == 1 and len(figure.data[0].x) == 40


def test_field_shares_use_schema_labels_and_the_training_share():
    rows = tiny_rows()
    reference = drift.Reference(
        n_rows=4, fields={"ram_gb": {"4": 1, "8": 2, "16": 1, "32": 0}}, price=None
    )
    shares = aggregate.field_shares(rows, reference)
    ram = shares[shares["field"] == "ram_gb"].set_index("label")
    assert list(ram.index) == ["4 GB", "8 GB", "16 GB", "32 GB", aggregate.OUTSIDE_LABEL]
    assert ram.loc["8 GB", "requests"] == 3 and ram.loc["8 GB", "share"] == pytest.approx(0.5)
    assert ram.loc["8 GB", "reference_share"] == pytest.approx(0.5)
    assert ram.loc[aggregate.OUTSIDE_LABEL, "requests"] == 1
    ssd = shares[shares["field"] == "ssd"]
    assert "Nenhum" in set(ssd["label"]) and "1 TB" in set(ssd["label"])
    figures = charts.field_share_figures(shares)
    assert list(figures) == [f.name for f in schema.FIELDS]
    assert [f.layout.title.text for f in figures.values()] == [f.label for f in schema.FIELDS]
    for figure in figures.values():
        assert figure.data[0].type == "bar"
        assert figure.layout.height >= 90 + 24 * 2  # grows with the field's values
    ram = figures["ram_gb"]
    assert [t.name for t in ram.data] == ["pedidos", "treino"]


def test_version_timeline_and_kpis():
    rows = tiny_rows()
    timeline = aggregate.version_timeline(rows)
    assert list(timeline["model_version"]) == ["a", "b"]
    assert list(timeline["requests"]) == [3, 3]
    figure = charts.version_timeline_figure(timeline)
    assert list(figure.data[0].y) == ["versão a", "versão b"]
    previous = rows.iloc[:2]
    kpis = aggregate.kpis(rows.iloc[2:], previous, today=date(2025, 1, 2))
    assert kpis.requests == 4 and kpis.requests_today == 3 and kpis.versions_active == 2
    assert kpis.median_price == 1500.0 and kpis.previous_median_price == 200.0
    assert kpis.median_change == pytest.approx(6.5)
    assert aggregate.previous_period(date(2025, 1, 10), date(2025, 1, 19)) == (
        date(2024, 12, 31),
        date(2025, 1, 9),
    )


def test_filter_rows_by_range_version_and_schema():
    rows = tiny_rows()
    assert len(aggregate.filter_rows(rows, date(2025, 1, 2), date(2025, 1, 2))) == 3
    assert len(aggregate.filter_rows(rows, versions=["b"])) == 3
    kept = aggregate.filter_rows(rows, only_in_schema=True)
    assert "252" not in set(kept["ram_gb"].astype(str))


def figure_bytes(figure) -> int:
    """Size of the JSON the browser receives for this figure."""
    return len(figure.to_json().encode("utf-8"))


def test_empty_rows_give_empty_figures_not_errors():
    figures = view.figures(make_rows(0))
    assert list(figures)[:4] == ["volume", "price", "histogram", "versions"]
    assert len(figures) == 4 + len(schema.FIELDS)  # a share figure per field, all zero
    for figure in figures.values():
        assert figure_bytes(figure) < 50_000


def test_figure_json_stays_small_for_a_million_rows():
    sizes = [figure_bytes(f) for f in view.figures(make_rows(1_000_000)).values()]
    assert sum(sizes) < charts.MAX_FIGURE_BYTES
    assert max(sizes) < 200_000  # one point per day or category, not per request


def test_legends_sit_under_the_title_not_on_it():
    """Title and legend are placed in pixels from the top: the legend row starts below the title
    row and ends above the plots (and above the small multiples' own titles)."""
    rows = make_rows(2_000)
    figures = [
        charts.volume_figure(aggregate.daily_volume(rows)),
        charts.price_over_time_figure(aggregate.daily_price(rows)),
    ]
    title_row, legend_row, subplot_title_row = 24, 22, 20  # pixels, generous for 16/12/13 px text
    for figure in figures:
        layout = figure.layout
        assert layout.title.yref == layout.legend.yref == "container"
        assert layout.title.yanchor == layout.legend.yanchor == "top"
        height = layout.height
        title_top = (1 - layout.title.y) * height
        legend_top = (1 - layout.legend.y) * height
        assert legend_top >= title_top + title_row
        above_plots = legend_top + legend_row
        if layout.annotations:  # subplot titles stand above each plot
            above_plots += subplot_title_row
        assert above_plots <= layout.margin.t, layout.title.text
    for figure in (
        charts.price_histogram_figure(aggregate.price_histogram(rows)),
        charts.version_timeline_figure(aggregate.version_timeline(rows)),
        *charts.field_share_figures(aggregate.field_shares(rows)).values(),
    ):
        assert figure.layout.showlegend is False
        assert (
            1 - figure.layout.title.y
        ) * figure.layout.height + title_row <= figure.layout.margin.t


def test_one_day_of_few_requests_gets_one_day_tick_and_unit_count_steps():
    figures = view.figures(make_rows(3, days=1))
    for name in ("volume", "price", "versions"):
        axis = figures[name].layout.xaxis
        assert axis.tickmode == "array", name
        assert list(axis.ticktext) == ["01/01/25"], name
    for name in ("volume", "histogram"):
        axis = figures[name].layout.yaxis
        assert (axis.tickformat, axis.dtick) == (",d", 1), name


def test_a_week_ticks_every_day_and_a_year_leaves_whole_day_steps_to_plotly():
    week = view.figures(make_rows(700, days=7))
    assert len(week["volume"].layout.xaxis.ticktext) == 7
    year = view.figures(make_rows(20_000, days=365))
    for name in ("volume", "price", "versions"):
        axis = year[name].layout.xaxis
        assert axis.tickmode is None and axis.tickformat == "%d/%m/%y", name
    assert year["volume"].layout.yaxis.dtick is None  # big counts: Plotly's integer steps


def test_every_figure_has_plotly_whites_look_assigned_once_validated():
    """The look the change to how the template is assigned must keep (it is assigned as Plotly
    assigns its default, not copied and validated per figure: that is the speed, measured in
    docs/performance.md): the figure's JSON carries all of "plotly_white", and validation is on
    again afterwards."""
    import plotly.io as pio

    figure = charts.volume_figure(
        pd.DataFrame(
            {"day": pd.to_datetime(["2024-01-15"]), "model_version": ["1.0.0"], "requests": [3]}
        )
    )
    white = pio.templates["plotly_white"].to_plotly_json()
    assert figure.to_plotly_json()["layout"]["template"] == white
    assert figure.layout._validate  # validation is on again for everything after it
