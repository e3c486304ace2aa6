"""What the owner learns from the stock and the sales: pure functions over the sale facts.

Laptops in stock and what was paid for them, days in stock (median, oldest), sell-through per
month, realized margin per segment (sale − paid − preparation), the policy's resale share
against the realized one (``advisor``), and how far the price predicted for a sale landed from
the actual sale price (MAPE and bias per segment, with n and a 95 % t interval) once the store
has ``MIN_SALES_FOR_ERROR`` sales. Today the prediction is the policy's rule (market estimate ×
resale share − condition deductions, ``rule_prediction``); a store-trained model is another
``Predictor``.

Synthetic and real items are never summed together: ``resale_figures`` refuses a mix
(``MixedSources``). No setting turns that off; a demo loads synthetic items on their own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from scipy import special  # not scipy.stats: its import costs the page ~0.5 s

from laptop_pricing.resale.advisor import Advice, advise
from laptop_pricing.resale.resale_terms import ResaleTerms
from laptop_pricing.resale.sales import SEGMENTS, SoldItem, StockedItem
from laptop_pricing.trade_in.offer import compute_offer
from laptop_pricing.trade_in.policy import StorePolicy

MIN_SALES_FOR_ERROR = 30
ALL_SEGMENTS = "all"
Predictor = Callable[[SoldItem], float | None]


class MixedSources(ValueError):
    """Synthetic and real items handed in together."""


@dataclass(frozen=True)
class StockFigures:
    count: int
    paid_value: int  # what the store paid for the laptops still in stock
    median_days: float | None
    oldest_days: int | None
    oldest_purchase_id: str | None


@dataclass(frozen=True)
class PredictionError:
    """How far predicted sale prices landed from the actual ones, in one segment (or all)."""

    segment: str
    n: int
    mape: float
    mape_low: float
    mape_high: float
    bias: float  # mean of (predicted − sale) ÷ sale: above 0, the prediction was too high
    bias_low: float
    bias_high: float


@dataclass(frozen=True)
class ResaleFigures:
    today: date
    stock: StockFigures
    sell_through: pd.DataFrame  # sell_through_by_month
    margins: pd.DataFrame  # margin_by_segment
    advice: Advice
    errors: tuple[PredictionError, ...] | None  # None below MIN_SALES_FOR_ERROR sales
    sales: int
    synthetic: bool


def stock_figures(stocked: Sequence[StockedItem], today: date) -> StockFigures:
    if not stocked:
        return StockFigures(0, 0, None, None, None)
    days = [item.days_in_stock(today) for item in stocked]
    oldest = max(stocked, key=lambda item: (item.days_in_stock(today), item.purchase_id))
    return StockFigures(
        len(stocked),
        sum(item.paid for item in stocked),
        float(np.median(days)),
        oldest.days_in_stock(today),
        oldest.purchase_id,
    )


def _month(day: date) -> int:
    return day.year * 12 + day.month - 1


def sell_through_by_month(sold: Sequence[SoldItem], stocked: Sequence[StockedItem]) -> pd.DataFrame:
    """Per month: laptops available (in stock at some point of the month), bought, sold, and
    sell-through = sold ÷ available."""
    columns = ["month", "available", "bought", "sold", "sell_through"]
    if not sold and not stocked:
        return pd.DataFrame(columns=columns)
    bought = np.array([_month(i.purchased_on) for i in (*sold, *stocked)])
    gone = np.array([_month(s.sold_on) for s in sold], dtype=int)
    # A laptop still in stock leaves after every month shown.
    leaves = np.concatenate([gone, np.full(len(stocked), np.iinfo(np.int64).max)])
    months = np.arange(bought.min(), max(bought.max(), gone.max(initial=0)) + 1)
    available = ((bought[None, :] <= months[:, None]) & (leaves[None, :] >= months[:, None])).sum(1)
    sold_in = (gone[None, :] == months[:, None]).sum(1)
    return pd.DataFrame(
        {
            "month": [f"{m // 12:04d}-{m % 12 + 1:02d}" for m in months],
            "available": available,
            "bought": (bought[None, :] == months[:, None]).sum(1),
            "sold": sold_in,
            "sell_through": np.where(available > 0, sold_in / np.maximum(available, 1), np.nan),
        },
        columns=columns,
    )


def margin_by_segment(sold: Sequence[SoldItem]) -> pd.DataFrame:
    """Per segment with sales, then all: n, revenue, paid, preparation, margin (sum, median per
    laptop, share of revenue)."""
    rows = []
    for segment in (*SEGMENTS, ALL_SEGMENTS):
        group = [s for s in sold if segment in (ALL_SEGMENTS, s.segment)]
        if not group:
            continue
        revenue = sum(s.sale_price for s in group)
        margin = sum(s.margin for s in group)
        rows.append(
            {
                "segment": segment,
                "n": len(group),
                "revenue": revenue,
                "paid": sum(s.paid for s in group),
                "preparation": sum(s.preparation_cost for s in group),
                "margin": margin,
                "median_margin": float(np.median([s.margin for s in group])),
                "margin_share": margin / revenue if revenue else float("nan"),
            }
        )
    return pd.DataFrame(rows)


def rule_prediction(policy: StorePolicy) -> Predictor:
    """The sale price the policy expects: resale value minus the condition deductions (before
    the store's margin and processing cost), None where the policy makes no condition offer."""

    def predict(sale: SoldItem) -> float | None:
        offer = compute_offer(sale.market_estimate, sale.condition, policy)
        if offer.basis != "condition":
            return None
        return float(offer.resale_value - sum(d.amount for d in offer.answer_deductions))

    return predict


def _t_interval(values: np.ndarray) -> tuple[float, float, float]:
    mean = float(values.mean())
    if len(values) < 2:
        return mean, float("nan"), float("nan")
    half = float(
        special.stdtrit(len(values) - 1, 0.975) * values.std(ddof=1) / np.sqrt(len(values))
    )
    return mean, mean - half, mean + half


def prediction_errors(
    sold: Sequence[SoldItem], predict: Predictor
) -> tuple[PredictionError, ...] | None:
    """MAPE and bias per segment and for all, or None below ``MIN_SALES_FOR_ERROR`` sales."""
    if len(sold) < MIN_SALES_FOR_ERROR:
        return None
    pairs = [(s, predict(s)) for s in sold]
    found = []
    for segment in (*SEGMENTS, ALL_SEGMENTS):
        group = [
            (p, s.sale_price)
            for s, p in pairs
            if p is not None and segment in (ALL_SEGMENTS, s.segment)
        ]
        if not group:
            continue
        predicted, actual = (np.array(v, dtype=float) for v in zip(*group, strict=True))
        signed = (predicted - actual) / actual
        mape = _t_interval(np.abs(signed))
        bias = _t_interval(signed)
        found.append(PredictionError(segment, len(group), *mape, *bias))
    return tuple(found)


def resale_figures(
    sold: Sequence[SoldItem],
    stocked: Sequence[StockedItem],
    policy: StorePolicy,
    terms: ResaleTerms,
    today: date,
    predict: Predictor | None = None,
) -> ResaleFigures:
    """Everything the "Estoque e revenda" section shows, computed once."""
    kinds = {item.synthetic for item in (*sold, *stocked)}
    if len(kinds) > 1:
        raise MixedSources("synthetic and real stock items cannot be summed together")
    return ResaleFigures(
        today=today,
        stock=stock_figures(stocked, today),
        sell_through=sell_through_by_month(sold, stocked),
        margins=margin_by_segment(sold),
        advice=advise(sold, policy, terms.min_sales_per_segment),
        errors=prediction_errors(sold, predict or rule_prediction(policy)),
        sales=len(sold),
        synthetic=kinds == {True},
    )
