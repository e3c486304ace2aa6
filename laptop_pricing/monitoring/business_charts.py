"""Plotly figures of the "Negócios" section: pure functions from a ``business`` table to a figure.

Same look as ``charts`` (its layout, palette and Brazilian separators); every builder takes one
of the small tables of ``laptop_pricing.monitoring.business``, never the quotes themselves.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from laptop_pricing.formatting import format_percent
from laptop_pricing.monitoring import business
from laptop_pricing.monitoring.charts import (
    DAY_FORMAT,
    PALETTE,
    _layout,
    _short,
)

STATUS_COLORS = {business.DEAL: "#10b981", business.DECLINED: "#ef4444", business.OPEN: "#9ca3af"}
THRESHOLD_COLOR = "#b91c1c"
FEW_COLOR = "#bfdbfe"  # a week with too few decided offers to read its rate
SUBPLOT_TITLE_ROW = 26  # pixels: the first row's subplot titles sit above its plots


def quotes_per_day_figure(per_day: pd.DataFrame) -> go.Figure:
    """Offers made per day, stacked by what became of them (closed, declined, still open)."""
    figure = go.Figure()
    for status in (business.DEAL, business.DECLINED, business.OPEN):
        part = per_day[per_day[business.STATUS] == status] if len(per_day) else per_day
        if not len(part):
            continue
        label = business.STATUS_LABELS[status].lower()
        figure.add_bar(
            x=part["day"],
            y=part["quotes"],
            name=business.STATUS_LABELS[status],
            marker_color=STATUS_COLORS[status],
            hovertemplate=f"%{{x|{DAY_FORMAT}}}<br>{label}: %{{y:,}}<extra></extra>",
        )
    figure.update_xaxes(tickformat="%d/%m/%y")
    figure.update_yaxes(title_text="ofertas por dia", tickformat=",d")
    _layout(figure, "Ofertas por dia e o que aconteceu com elas")
    # Stacked bars list their legend bottom-up unless told: keep the order written above.
    figure.update_layout(barmode="stack", bargap=0.1, legend_traceorder="normal")
    return figure


def acceptance_figure(over_time: pd.DataFrame, alert_below: float | None = None) -> go.Figure:
    """Acceptance of each week's offers as one bar per week (never a lone dot) with its 95 %
    Wilson interval, one tick per week ("semana de 23/11"); a week with fewer than
    ``business.MIN_DECIDED`` decided offers is drawn pale and says so. The alert threshold,
    when given, as a dashed line."""
    figure = go.Figure()
    rows = over_time[over_time["decided"] > 0] if len(over_time) else over_time
    if len(rows):
        acceptance = rows["acceptance"].to_numpy(dtype=np.float64)
        few = rows["decided"].to_numpy() < business.MIN_DECIDED
        figure.add_bar(
            x=rows["period"],
            y=acceptance,
            name="aceitação",
            marker_color=[FEW_COLOR if pale else PALETTE[0] for pale in few],
            error_y={
                "type": "data",
                "symmetric": False,
                "array": rows["acceptance_high"].to_numpy(dtype=np.float64) - acceptance,
                "arrayminus": acceptance - rows["acceptance_low"].to_numpy(dtype=np.float64),
                "color": "#1f2937",
                "thickness": 1.2,
            },
            customdata=np.column_stack(
                [
                    rows[["acceptance_low", "acceptance_high", "deals", "decided"]].to_numpy(),
                    np.where(few, " (poucos dados)", ""),
                ]
            ),
            hovertemplate=(
                f"semana de %{{x|{DAY_FORMAT}}}<br>aceitação %{{y:.0%}}"
                " (%{customdata[0]:.0%} a %{customdata[1]:.0%})"
                "<br>%{customdata[2]:,} de %{customdata[3]:,} ofertas decididas"
                "%{customdata[4]}<extra></extra>"
            ),
            showlegend=False,
        )
        weeks = pd.to_datetime(rows["period"])
        figure.update_xaxes(
            tickmode="array",
            tickvals=list(weeks),
            ticktext=[f"semana de {week:%d/%m}" for week in weeks],
        )
    if alert_below is not None:
        figure.add_hline(
            y=alert_below,
            line={"color": THRESHOLD_COLOR, "dash": "dash", "width": 1},
            annotation_text=f"alerta abaixo de {format_percent(alert_below, 0)}",
            annotation_position="bottom left",
        )
    figure.update_yaxes(title_text="ofertas aceitas", tickformat=".0%", range=[0, 1])
    figure.update_layout(bargap=0.5)
    return _layout(figure, "Aceitação por semana (com intervalo de 95%)", legend=False)


SEGMENT_PANELS = (
    ("acceptance", "Aceitação"),
    ("low_offer_share", "Recusadas por valor baixo"),
    ("paid_ratio", "Pago ÷ oferta (média)"),
)
PERCENT_TICKS = {"tickvals": [0, 0.25, 0.5, 0.75], "ticktext": ["0%", "25%", "50%", "75%"]}


def segment_figure(rates: pd.DataFrame, title: str) -> go.Figure:
    """One segment (``business.segment_rates``): per value, acceptance with its 95 % interval,
    the share declined as too low, and the mean paid/offer ratio of the deals."""
    figure = make_subplots(
        rows=1,
        cols=len(SEGMENT_PANELS),
        shared_yaxes=True,
        subplot_titles=[label for _, label in SEGMENT_PANELS],
        horizontal_spacing=0.06,
    )
    if len(rates):
        labels = [f"{_short(str(label))} ({n:,})" for label, n in zip(
            rates["label"], rates["decided"], strict=True
        )]  # fmt: skip
        labels = [label.replace(",", ".") for label in labels]
        acceptance = rates["acceptance"].to_numpy(dtype=np.float64)
        figure.add_bar(
            x=acceptance,
            y=labels,
            orientation="h",
            marker_color=PALETTE[0],
            error_x={
                "type": "data",
                "symmetric": False,
                "array": rates["acceptance_high"].to_numpy(dtype=np.float64) - acceptance,
                "arrayminus": acceptance - rates["acceptance_low"].to_numpy(dtype=np.float64),
                "color": "#1f2937",
                "thickness": 1.2,
            },
            customdata=rates[["acceptance_low", "acceptance_high", "deals", "decided"]].to_numpy(),
            hovertemplate=(
                "%{y}: %{x:.0%} (%{customdata[0]:.0%} a %{customdata[1]:.0%})"
                "<br>%{customdata[2]:,} de %{customdata[3]:,}<extra></extra>"
            ),
            showlegend=False,
            row=1,
            col=1,
        )
        figure.add_bar(
            x=rates["low_offer_share"],
            y=labels,
            orientation="h",
            marker_color=STATUS_COLORS[business.DECLINED],
            customdata=rates["declined_low_offer"].to_numpy(),
            hovertemplate="%{y}: %{x:.0%} (%{customdata:,})<extra></extra>",
            showlegend=False,
            row=1,
            col=2,
        )
        # Around 100 %: below, inspections cut the price; above, customers negotiated it up.
        figure.add_scatter(
            x=rates["paid_ratio"],
            y=labels,
            mode="markers",
            marker={"color": STATUS_COLORS[business.DEAL], "size": 11},
            hovertemplate="%{y}: pago %{x:.1%} da oferta<extra></extra>",
            showlegend=False,
            row=1,
            col=3,
        )
        figure.add_vline(x=1, line={"color": "#6b7280", "width": 1, "dash": "dot"}, row=1, col=3)
    figure.update_yaxes(autorange="reversed")
    figure.update_xaxes(range=[0, 1], **PERCENT_TICKS, row=1, col=1)
    figure.update_xaxes(range=[0, 1], **PERCENT_TICKS, row=1, col=2)
    ratios = rates["paid_ratio"].dropna() if len(rates) else pd.Series(dtype=float)
    low = min(0.8, float(ratios.min()) - 0.05) if len(ratios) else 0.8
    high = max(1.2, float(ratios.max()) + 0.05) if len(ratios) else 1.2
    figure.update_xaxes(range=[low, high], tickformat=".0%", dtick=0.1, row=1, col=3)
    figure.update_annotations(font_size=13)
    return _layout(
        figure,
        title,
        height=150 + 34 * max(1, len(rates)),
        legend=False,
        extra_top=SUBPLOT_TITLE_ROW,
    )
