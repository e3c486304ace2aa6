"""Plotly figures of the "Negócios" section: pure functions from a ``business`` table to a figure.

Same look as ``charts`` (its layout, palette and Brazilian separators); every builder takes one
of the small tables of ``laptop_pricing.monitoring.business``, never the quotes themselves.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import plotly.graph_objects as go

from laptop_pricing.formatting import format_percent
from laptop_pricing.monitoring import business
from laptop_pricing.monitoring.charts import (
    DAY_FORMAT,
    PALETTE,
    _figure,
    _short,
)

STATUS_COLORS = {business.DEAL: "#10b981", business.DECLINED: "#ef4444", business.OPEN: "#9ca3af"}
THRESHOLD_COLOR = "#b91c1c"
# A label per week up to this many weeks, then one every few weeks counted back from the latest
# (a year: every seventh), so "semana de dd/mm" labels lie flat on a laptop instead of 52
# standing on end.
MAX_WEEK_TICKS = 8
WEEK_LABEL_ROOM = 80  # pixels right of the plot: a "semana de dd/mm" label slanted at 30°
MIN_WEEKS_SHOWN = 6  # the acceptance chart's axis spans at least this many weeks
WEEK_MS = 7 * 24 * 3600 * 1000  # a bar's width on a date axis is in milliseconds
BAR_WEEK_SHARE = 0.5  # of its week
FEW_COLOR = "#bfdbfe"  # a week with too few decided offers to read its rate
# Pixels above the plots for the panels' titles, two lines each: on a phone a panel is under
# 100 px wide, so a one-line title runs into its neighbour's.
SUBPLOT_TITLE_ROW = 42


def quotes_per_day_figure(per_day: pd.DataFrame) -> go.Figure:
    """Offers made per day, stacked by what became of them (closed, declined, still open)."""
    traces: list[dict[str, object]] = []
    for status in (business.DEAL, business.DECLINED, business.OPEN):
        part = per_day[per_day[business.STATUS] == status] if len(per_day) else per_day
        if not len(part):
            continue
        label = business.STATUS_LABELS[status].lower()
        traces.append(
            {
                "type": "bar",
                "x": part["day"],
                "y": part["quotes"],
                "name": business.STATUS_LABELS[status],
                "marker": {"color": STATUS_COLORS[status]},
                "hovertemplate": f"%{{x|{DAY_FORMAT}}}<br>{label}: %{{y:,}}<extra></extra>",
            }
        )
    return _figure(
        traces,
        "Ofertas por dia e o que aconteceu com elas",
        barmode="stack",
        bargap=0.1,
        # Stacked bars list their legend bottom-up unless told: keep the order written above.
        legend={"traceorder": "normal"},
        xaxis={"tickformat": "%d/%m/%y"},
        yaxis={"title": {"text": "ofertas por dia"}, "tickformat": ",d"},
    )


def _error_bars(
    low: npt.NDArray[np.float64], value: npt.NDArray[np.float64], high: npt.NDArray[np.float64]
) -> dict[str, object]:
    """A 95 % interval drawn around ``value``, from ``low`` to ``high``."""
    return {
        "type": "data",
        "symmetric": False,
        "array": high - value,
        "arrayminus": value - low,
        "color": "#1f2937",
        "thickness": 1.2,
    }


def _floats(rows: pd.DataFrame, column: str) -> npt.NDArray[np.float64]:
    return np.asarray(rows[column], dtype=np.float64)


def acceptance_figure(over_time: pd.DataFrame, alert_below: float | None = None) -> go.Figure:
    """Acceptance of each week's offers as one bar per week (never a lone dot) with its 95 %
    Wilson interval, one tick per week ("semana de 23/11"); a week with fewer than
    ``business.MIN_DECIDED`` decided offers is drawn pale and says so. The alert threshold,
    when given, as a dashed line."""
    traces: list[dict[str, object]] = []
    weeks_axis: dict[str, object] = {}
    rows = over_time[over_time["decided"] > 0] if len(over_time) else over_time
    if len(rows):
        acceptance = _floats(rows, "acceptance")
        few = rows["decided"].to_numpy() < business.MIN_DECIDED
        traces.append({
            "type": "bar",
            "x": rows["period"],
            "y": acceptance,
            "name": "aceitação",
            "marker": {"color": [FEW_COLOR if pale else PALETTE[0] for pale in few]},
            "error_y": _error_bars(
                _floats(rows, "acceptance_low"), acceptance, _floats(rows, "acceptance_high")
            ),
            "customdata": np.column_stack([
                rows[["acceptance_low", "acceptance_high", "deals", "decided"]].to_numpy(),
                np.where(few, " (poucos dados)", ""),
            ]),
            "hovertemplate": (
                f"semana de %{{x|{DAY_FORMAT}}}<br>aceitação %{{y:.0%}}"
                " (%{customdata[0]:.0%} a %{customdata[1]:.0%})"
                "<br>%{customdata[2]:,} de %{customdata[3]:,} ofertas decididas"
                "%{customdata[4]}<extra></extra>"
            ),
            "width": BAR_WEEK_SHARE * WEEK_MS,  # the same with one week as with fifty
            "showlegend": False,
        })  # fmt: skip
        weeks = list(pd.to_datetime(rows["period"]))  # in order; a week with no decided offer
        last = weeks[-1]  # is missing, so ticks count calendar weeks back from the latest
        spanned = (last - weeks[0]).days // 7 + 1
        step = -(-spanned // MAX_WEEK_TICKS)
        ticked = [week for week in weeks if (last - week).days // 7 % step == 0]
        weeks_axis = {
            "tickmode": "array",
            "tickvals": ticked,
            "ticktext": [f"semana de {week:%d/%m}" for week in ticked],
        }
        if spanned < MIN_WEEKS_SHOWN:  # a week or two would be bars as wide as the chart
            middle = weeks[0] + (last - weeks[0]) / 2
            half = pd.Timedelta(weeks=MIN_WEEKS_SHOWN / 2)
            weeks_axis["range"] = [middle - half, middle + half]
    threshold: dict[str, Any] = {}  # unpacked into the layout beside its typed parameters
    if alert_below is not None:
        at = {"xref": "x domain", "yref": "y"}
        threshold = {
            "shapes": [{
                "type": "line", "x0": 0, "x1": 1, "y0": alert_below, "y1": alert_below, **at,
                "line": {"color": THRESHOLD_COLOR, "dash": "dash", "width": 1},
            }],
            "annotations": [{
                "text": f"alerta abaixo de {format_percent(alert_below, 0)}", "showarrow": False,
                "x": 0, "xanchor": "left", "y": alert_below, "yanchor": "top", **at,
                "bgcolor": "rgba(255, 255, 255, 0.85)",  # readable over the bars it crosses
            }],
        }  # fmt: skip
    return _figure(
        traces,
        "Aceitação por semana (com intervalo de 95%)",
        show_legend=False,
        # The latest week's label sits under the last bar and runs past the figure's right
        # edge (slanted on a phone), where Plotly hides it: room for it.
        margin={"r": WEEK_LABEL_ROOM},
        xaxis=weeks_axis,
        yaxis={"title": {"text": "ofertas aceitas"}, "tickformat": ".0%", "range": [0, 1]},
        **threshold,
    )


SEGMENT_PANELS = (
    ("acceptance", "Aceitação"),
    ("low_offer_share", "Recusadas por<br>valor baixo"),
    ("paid_ratio", "Pago ÷ oferta<br>(média)"),
)
PERCENT_TICKS = {"tickvals": [0, 0.25, 0.5, 0.75], "ticktext": ["0%", "25%", "50%", "75%"]}


PANEL_GAP = 0.06  # of the figure's width, between two panels
PANEL_WIDTH = (1.0 - PANEL_GAP * (len(SEGMENT_PANELS) - 1)) / len(SEGMENT_PANELS)


def _panel_axes(panel: int, x_axis: dict[str, object]) -> dict[str, Any]:
    """The axes of one panel of a row sharing its categories (the y axis): laid out as Plotly's
    ``make_subplots(cols=3, shared_yaxes=True)`` lays them out, in one dict instead of a dozen
    updates of a figure (70 ms a figure, 8 ms so)."""
    start = panel * (PANEL_WIDTH + PANEL_GAP)
    suffix = str(panel + 1) if panel else ""
    y_axis: dict[str, object] = {"anchor": f"x{suffix}", "domain": [0.0, 1.0]}
    if panel:
        y_axis.update(matches="y", showticklabels=False)
    return {
        f"xaxis{suffix}": {
            "anchor": f"y{suffix}",
            "domain": [start, start + PANEL_WIDTH],
            **x_axis,
        },
        f"yaxis{suffix}": {**y_axis, "autorange": "reversed"},
    }


def _panel_title(panel: int, text: str) -> dict[str, object]:
    start = panel * (PANEL_WIDTH + PANEL_GAP)
    return {
        "text": text, "showarrow": False, "font": {"size": 13},
        "x": (start + start + PANEL_WIDTH) / 2.0, "xanchor": "center", "xref": "paper",
        "y": 1.0, "yanchor": "bottom", "yref": "paper",
    }  # fmt: skip


def segment_figure(rates: pd.DataFrame, title: str) -> go.Figure:
    """One segment (``business.segment_rates``): per value, acceptance with its 95 % interval,
    the share declined as too low, and the mean paid/offer ratio of the deals, in three panels
    side by side that share the values' axis."""
    traces: list[dict[str, object]] = []
    shapes: list[dict[str, object]] = []
    if len(rates):
        labels = [f"{_short(str(label))} ({n:,})" for label, n in zip(
            rates["label"], rates["decided"], strict=True
        )]  # fmt: skip
        labels = [label.replace(",", ".") for label in labels]
        acceptance = _floats(rates, "acceptance")
        traces = [
            {
                "type": "bar", "x": acceptance, "y": labels, "orientation": "h",
                "marker": {"color": PALETTE[0]},
                "error_x": _error_bars(
                    _floats(rates, "acceptance_low"), acceptance, _floats(rates, "acceptance_high")
                ),
                "customdata": rates[
                    ["acceptance_low", "acceptance_high", "deals", "decided"]
                ].to_numpy(),
                "hovertemplate": (
                    "%{y}: %{x:.0%} (%{customdata[0]:.0%} a %{customdata[1]:.0%})"
                    "<br>%{customdata[2]:,} de %{customdata[3]:,}<extra></extra>"
                ),
                "showlegend": False, "xaxis": "x", "yaxis": "y",
            },
            {
                "type": "bar", "x": rates["low_offer_share"], "y": labels, "orientation": "h",
                "marker": {"color": STATUS_COLORS[business.DECLINED]},
                "customdata": rates["declined_low_offer"].to_numpy(),
                "hovertemplate": "%{y}: %{x:.0%} (%{customdata:,})<extra></extra>",
                "showlegend": False, "xaxis": "x2", "yaxis": "y2",
            },
            # Around 100 %: below, inspections cut the price; above, customers negotiated it up.
            {
                "type": "scatter", "x": rates["paid_ratio"], "y": labels, "mode": "markers",
                "marker": {"color": STATUS_COLORS[business.DEAL], "size": 11},
                "hovertemplate": "%{y}: pago %{x:.1%} da oferta<extra></extra>",
                "showlegend": False, "xaxis": "x3", "yaxis": "y3",
            },
        ]  # fmt: skip
        shapes = [{
            "type": "line", "x0": 1, "x1": 1, "xref": "x3", "y0": 0, "y1": 1, "yref": "y3 domain",
            "line": {"color": "#6b7280", "width": 1, "dash": "dot"},
        }]  # fmt: skip
    ratios = rates["paid_ratio"].dropna() if len(rates) else pd.Series(dtype=float)
    low = min(0.8, float(ratios.min()) - 0.05) if len(ratios) else 0.8
    high = max(1.2, float(ratios.max()) + 0.05) if len(ratios) else 1.2
    percent = {"range": [0, 1], **PERCENT_TICKS}
    return _figure(
        traces,
        title,
        height=124 + SUBPLOT_TITLE_ROW + 34 * max(1, len(rates)),  # the plots keep their height
        show_legend=False,
        extra_top=SUBPLOT_TITLE_ROW,
        annotations=[_panel_title(i, label) for i, (_, label) in enumerate(SEGMENT_PANELS)],
        shapes=shapes,
        **_panel_axes(0, percent),
        **_panel_axes(1, percent),
        **_panel_axes(2, {"range": [low, high], "tickformat": ".0%", "dtick": 0.1}),
    )
