"""Plotly figures of the monitoring page: pure functions from an aggregate table to a figure.

Every builder takes one of the small tables of ``aggregate`` (never the request rows), so a
figure's JSON has one point per day or category. Numbers use the Brazilian separators
(``layout.separators = ",."``) and dates the day-first order; labels come from the schema.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from laptop_pricing import log_columns
from laptop_pricing.monitoring.aggregate import NOT_INFORMED_LABEL, OUTSIDE_LABEL

VERSION = log_columns.VERSION_COLUMN
PALETTE = ("#2563eb", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#0ea5e9", "#84cc16", "#ec4899")
TRAINING_COLOR = "#111827"
BAND_FILL = "rgba(37, 99, 235, 0.18)"
OUTSIDE_COLOR = "#9ca3af"
DAY_FORMAT = "%d/%m/%Y"
TICK_DAY_FORMAT = "%d/%m/%y"
MAX_FIGURE_BYTES = 2_000_000
# Up to this many days every day gets its own tick; beyond it Plotly's automatic ticks already
# step by two days or more (it draws at most 10 ticks), so they never fall within a day.
MAX_DAY_TICKS = 10
MAX_MARKED_DAYS = 31
# Up to this count an automatic axis could step by 0.5 (shown rounded: "0 1 1 2 2 3").
MAX_UNIT_STEP_COUNT = 6

# The top margin, in pixels from the figure's top edge, holds the title row, then the legend row
# under it (never beside it: a long title or a narrow column would make them collide).
TITLE_TOP = 8
LEGEND_TOP = 38
PLOT_TOP_WITH_LEGEND = 70
PLOT_TOP_WITHOUT_LEGEND = 44


def _white(figure: go.Figure) -> None:
    """Plotly's "plotly_white" look, as Plotly itself sets a default template: the registered
    template object, already validated, assigned without validating it again. Named in
    ``update_layout`` it is copied and validated for each figure: 170 ms a figure here, more
    than the monitoring page's queries (19 figures); assigned so, 2 ms and the same JSON."""
    layout = figure.layout
    layout._validate = False
    try:
        layout.template = pio.templates["plotly_white"]
    finally:
        layout._validate = figure._validate


def _look(
    title: str,
    height: int = 360,
    legend: bool = True,
    extra_top: int = 0,
    title_size: int = 16,
) -> dict[str, object]:
    """Shared layout; the title and the legend are placed in pixels from the top (container
    coordinates), so they keep their rows whatever the figure's height or width."""
    top = (PLOT_TOP_WITH_LEGEND if legend else PLOT_TOP_WITHOUT_LEGEND) + extra_top
    return {
        "title": {
            "text": title,
            "x": 0,
            "xref": "container",
            "xanchor": "left",
            "y": 1 - TITLE_TOP / height,
            "yref": "container",
            "yanchor": "top",
            "font": {"size": title_size},
        },
        "height": height,
        "margin": {"l": 10, "r": 10, "t": top, "b": 10},
        "separators": ",.",
        "showlegend": legend,
        "legend": {
            "orientation": "h",
            "x": 0,
            "xref": "container",
            "xanchor": "left",
            "y": 1 - LEGEND_TOP / height,
            "yref": "container",
            "yanchor": "top",
        },
        "hoverlabel": {"namelength": -1},
    }


def _figure(
    traces: list[dict[str, object]],
    title: str,
    height: int = 360,
    show_legend: bool = True,
    title_size: int = 16,
    extra_top: int = 0,
    **layout: object,
) -> go.Figure:
    """A figure built by one constructor call: its traces, the shared look and its own
    ``layout`` (axes, gaps). Plotly validates the same properties either way, but each
    ``add_*`` or ``update_*`` call also walks the figure's property tree: a field's share figure
    cost 20 ms built by updates, 4 ms so (19 figures a page)."""
    look = _look(title, height, show_legend, extra_top, title_size)
    for name, value in layout.items():  # a part of the look given here is added to it
        shared = look.get(name)
        if isinstance(shared, dict) and isinstance(value, dict):
            value = {**shared, **value}
        look[name] = value
    figure = go.Figure({"data": traces, "layout": look})
    _white(figure)
    return figure


def day_axis(first: pd.Timestamp, last: pd.Timestamp) -> dict[str, object]:
    """Date ticks as whole days whatever the span: for a short span (one day, a week) Plotly's
    automatic ticks fall every few hours and repeat the day ("24/11/26 24/11/26 25/11/26")."""
    days = pd.date_range(pd.Timestamp(first).normalize(), pd.Timestamp(last).normalize())
    if len(days) <= MAX_DAY_TICKS:
        return {
            "tickmode": "array",
            "tickvals": list(days),
            "ticktext": [f"{day:{TICK_DAY_FORMAT}}" for day in days],
        }
    return {"tickformat": TICK_DAY_FORMAT}


def count_axis(largest: float, title: str) -> dict[str, object]:
    """Counts as integers: a step of one for small counts, where Plotly would step by halves."""
    axis: dict[str, object] = {"title": {"text": title}, "tickformat": ",d", "rangemode": "tozero"}
    if largest <= MAX_UNIT_STEP_COUNT:
        axis.update(tick0=0, dtick=1)
    return axis


def version_colors(versions: list[str]) -> dict[str, str]:
    """A stable colour per version (sorted order), shared by the volume and timeline charts."""
    return {v: PALETTE[i % len(PALETTE)] for i, v in enumerate(sorted(versions))}


def volume_figure(volume: pd.DataFrame) -> go.Figure:
    """Requests per day, stacked by the model version that answered them."""
    versions = sorted(volume[VERSION].unique()) if len(volume) else []
    colors = version_colors(versions)
    traces: list[dict[str, object]] = []
    for version in versions:
        part = volume[volume[VERSION] == version]
        traces.append(
            {
                "type": "bar",
                "x": part["day"],
                "y": part["requests"],
                "name": f"versão {version}",
                "marker": {"color": colors[version]},
                "hovertemplate": (
                    f"%{{x|{DAY_FORMAT}}}<br>versão {version}: %{{y:,}} pedidos<extra></extra>"
                ),
            }
        )
    days = day_axis(volume["day"].min(), volume["day"].max()) if len(volume) else {}
    largest = volume.groupby("day")["requests"].sum().max() if len(volume) else 0
    return _figure(
        traces,
        "Pedidos por dia e versão do modelo",
        barmode="stack",
        bargap=0.1,
        xaxis=days,
        yaxis=count_axis(largest, "pedidos por dia"),
    )


def band(x: pd.Series, low: pd.Series, high: pd.Series, name: str) -> list[dict[str, object]]:
    """A shaded band from ``low`` to ``high`` (an interval around a line drawn after it): an
    invisible upper edge, then the lower edge filled up to it, neither with a hover."""
    edge = {"type": "scatter", "x": x, "mode": "lines", "line": {"width": 0}, "hoverinfo": "skip"}
    return [
        {**edge, "y": high, "showlegend": False},
        {**edge, "y": low, "fill": "tonexty", "fillcolor": BAND_FILL, "name": name},
    ]


def price_over_time_figure(daily: pd.DataFrame, currency: str = "R$") -> go.Figure:
    """Daily median quoted price inside the band of the 10th to 90th percentile."""
    traces: list[dict[str, object]] = []
    days: dict[str, object] = {}
    if len(daily):
        traces = band(daily["day"], daily["p10"], daily["p90"], "faixa de 80% (p10–p90)")
        traces.append({
            "type": "scatter", "x": daily["day"], "y": daily["median"], "name": "mediana do dia",
            # A point per day is visible only with a marker when the days are few (one day
            # draws no line at all).
            "mode": "lines+markers" if len(daily) <= MAX_MARKED_DAYS else "lines",
            "line": {"color": PALETTE[0], "width": 2},
            "customdata": daily[["p10", "p90", "requests"]].to_numpy(),
            "hovertemplate": (
                f"%{{x|{DAY_FORMAT}}}<br>mediana {currency} %{{y:,.0f}}"
                f"<br>p10–p90: {currency} %{{customdata[0]:,.0f}} – %{{customdata[1]:,.0f}}"
                "<br>%{customdata[2]:,} pedidos<extra></extra>"
            ),
        })  # fmt: skip
        days = day_axis(daily["day"].min(), daily["day"].max())
    money = {"tickprefix": f"{currency} ", "tickformat": ",.0f"}
    return _figure(
        traces,
        "Preço estimado ao longo do tempo",
        xaxis=days,
        yaxis={"title": {"text": f"preço ({currency})"}, **money},
    )


def price_histogram_figure(histogram: pd.DataFrame, currency: str = "R$") -> go.Figure:
    """Pre-binned price histogram (bars placed at each bin's centre with its width)."""
    traces: list[dict[str, object]] = []
    if len(histogram):
        traces.append({
            "type": "bar",
            "x": (histogram["left"] + histogram["right"]) / 2,
            "y": histogram["requests"],
            "width": histogram["right"] - histogram["left"],
            "marker": {"color": PALETTE[0]},
            "customdata": histogram[["left", "right"]].to_numpy(),
            "hovertemplate": (
                f"{currency} %{{customdata[0]:,.0f}} – %{{customdata[1]:,.0f}}"
                "<br>%{y:,} pedidos<extra></extra>"
            ),
            "showlegend": False,
        })  # fmt: skip
    largest = histogram["requests"].max() if len(histogram) else 0
    return _figure(
        traces,
        "Distribuição dos preços estimados",
        show_legend=False,
        bargap=0.02,
        xaxis={
            "title": {"text": f"preço ({currency})"},
            "tickprefix": f"{currency} ",
            "tickformat": ",.0f",
        },
        yaxis=count_axis(largest, "pedidos"),
    )


SHARE_ROW_HEIGHT = 24  # pixels per value of a field (one bar and its training mark)
SHARE_LABEL_LIMIT = 24


def _short(label: str, limit: int = SHARE_LABEL_LIMIT) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def field_share_figure(part: pd.DataFrame, title: str) -> go.Figure:
    """One field: the share of each value in the requests (bars) and in the training data
    (black marks). A figure per field, so the page can lay them out in columns that stack on a
    phone (one figure of small multiples cannot reflow and gets cut at 390 px)."""
    labels = [_short(label) for label in part["label"]]
    grey = (OUTSIDE_LABEL, NOT_INFORMED_LABEL)
    colors = [OUTSIDE_COLOR if label in grey else PALETTE[0] for label in part["label"]]
    traces: list[dict[str, object]] = [{
        "type": "bar", "x": part["share"], "y": labels, "orientation": "h",
        "marker": {"color": colors}, "name": "pedidos",
        "customdata": part["requests"].to_numpy(),
        "hovertemplate": "%{y}: %{x:.1%} (%{customdata:,} pedidos)<extra></extra>",
    }]  # fmt: skip
    if part["reference_share"].notna().any():
        traces.append({
            "type": "scatter", "x": part["reference_share"], "y": labels, "mode": "markers",
            "name": "treino",
            "marker": {
                "symbol": "line-ns", "size": 14, "line": {"width": 3, "color": TRAINING_COLOR}
            },
            "hovertemplate": "%{y} no treino: %{x:.1%}<extra></extra>",
        })  # fmt: skip
    return _figure(
        traces,
        title,
        height=90 + SHARE_ROW_HEIGHT * len(part),
        show_legend=False,
        title_size=14,
        bargap=0.25,
        yaxis={"autorange": "reversed", "automargin": True},
        xaxis={"tickformat": ".0%", "rangemode": "tozero", "nticks": 4},
    )


def field_share_figures(shares: pd.DataFrame) -> dict[str, go.Figure]:
    """``field_share_figure`` for every field of ``aggregate.field_shares``, in schema order."""
    fields = list(dict.fromkeys(shares["field"])) if len(shares) else []
    return {
        name: field_share_figure(
            part := shares[shares["field"] == name], str(part["field_label"].iloc[0])
        )
        for name in fields
    }


def version_timeline_figure(timeline: pd.DataFrame) -> go.Figure:
    """When each model version answered: a bar from its first to its last request."""
    traces: list[dict[str, object]] = []
    axes: dict[str, Any] = {}  # unpacked into the layout beside its typed parameters
    if len(timeline):
        colors = version_colors(list(timeline[VERSION]))
        first = pd.to_datetime(timeline["first_seen"]).dt.tz_localize(None)  # Brasília clock
        last = pd.to_datetime(timeline["last_seen"]).dt.tz_localize(None)
        duration_ms = ((last - first).dt.total_seconds() * 1000).clip(lower=3_600_000)
        traces.append({
            "type": "bar",
            "base": first,
            "x": duration_ms,
            "y": [f"versão {v}" for v in timeline[VERSION]],
            "orientation": "h",
            "marker": {"color": [colors[v] for v in timeline[VERSION]]},
            "customdata": list(zip(
                first.dt.strftime("%d/%m/%Y"), last.dt.strftime("%d/%m/%Y"), timeline["requests"],
                strict=True,
            )),
            "hovertemplate": (
                "%{y}<br>de %{customdata[0]} a %{customdata[1]}"
                "<br>%{customdata[2]:,} pedidos<extra></extra>"
            ),
            "showlegend": False,
        })  # fmt: skip
        # From the first day's midnight to the end of the last day, so the day ticks sit inside.
        start, end = first.min().normalize(), (last.max() + pd.Timedelta(days=1)).normalize()
        axes = {
            "xaxis": {
                "type": "date",
                "range": [start, end],
                **day_axis(start, end - pd.Timedelta(days=1)),
            },
            "yaxis": {"autorange": "reversed"},
        }
    return _figure(
        traces,
        "Versões do modelo em produção",
        height=120 + 40 * max(1, len(timeline)),
        show_legend=False,
        **axes,
    )
