"""The sentence at the top of the "Negócios" section: acceptance, low-offer declines and where
they concentrate, over the quotes of the chosen period (``business.join_outcomes``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from laptop_pricing.formatting import format_int, format_percent
from laptop_pricing.monitoring.business import (
    CONDITION,
    DEAL,
    LOW_OFFER,
    OPEN,
    PAID_RATIO,
    PRICE_BAND,
    SEGMENTS_BY_COLUMN,
    STATUS,
    quote_days,
    wilson_interval,
)


@dataclass(frozen=True)
class BusinessSummary:
    start: date
    end: date
    quotes: int
    decided: int
    deals: int
    declined_low_offer: int
    open: int
    paid_ratio: float | None  # mean over the deals
    low_offer_focus: str | None  # the segment value where the low-offer declines concentrate

    @property
    def acceptance(self) -> float | None:
        return self.deals / self.decided if self.decided else None

    @property
    def low_offer_share(self) -> float | None:
        return self.declined_low_offer / self.decided if self.decided else None

    @property
    def acceptance_interval(self) -> tuple[float, float] | None:
        """95 % Wilson interval of the acceptance."""
        if not self.decided:
            return None
        low, high = wilson_interval([self.deals], [self.decided])
        return float(low[0]), float(high[0])


FOCUS_SEGMENTS = ("processor_name", "brand", PRICE_BAND, CONDITION)
FOCUS_MIN_DECLINES = 5
FOCUS_MIN_LIFT = 1.5
FOCUS_MIN_SHARE = 0.25


def _low_offer_focus(window: pd.DataFrame) -> str | None:
    """The segment value most over-represented among the low-offer declines: at least
    ``FOCUS_MIN_SHARE`` of them and ``FOCUS_MIN_LIFT`` times its share of decided quotes."""
    decided = (window[STATUS] != OPEN).to_numpy(dtype=bool)  # masks: the quotes never copied
    low = decided & window[LOW_OFFER].to_numpy(dtype=bool)
    if low.sum() < FOCUS_MIN_DECLINES:
        return None
    best: tuple[float, str] | None = None
    for column in FOCUS_SEGMENTS:
        if column not in window:
            continue
        share_low = _shares(window[column][low])
        share_all = _shares(window[column][decided])
        for value, share in share_low.items():
            lift = share / share_all[value]
            if (
                share >= FOCUS_MIN_SHARE
                and lift >= FOCUS_MIN_LIFT
                and (best is None or lift > best[0])
            ):
                best = (lift, SEGMENTS_BY_COLUMN[column].value_label(str(value)))
    return best[1] if best else None


def _shares(values: pd.Series) -> pd.Series:
    """Each value's share of ``values`` (a missing one left out), indexed by its text. A
    categorical is counted per category, never turned into a text a row: a chain's year has a
    million decided quotes."""
    if not isinstance(values.dtype, pd.CategoricalDtype):
        return values.astype(str).value_counts(normalize=True)
    shares = values.value_counts(normalize=True)
    shares = shares[shares > 0]
    return shares.set_axis(shares.index.astype(str))


def in_days(joined: pd.DataFrame, start: date, end: date) -> pd.DataFrame:
    """The quotes made from ``start`` to ``end`` (Brasília days, inclusive)."""
    if joined.empty:
        return joined
    day = quote_days(joined).to_numpy(dtype="datetime64[D]")
    inside = (day >= np.datetime64(start, "D")) & (day <= np.datetime64(end, "D"))
    return joined if inside.all() else joined[inside]  # a whole period: no copy of the quotes


def business_summary(joined: pd.DataFrame, end: date, days: int = 28) -> BusinessSummary:
    """The quotes made in the ``days`` days up to ``end`` (inclusive)."""
    start = end - timedelta(days=days - 1)
    window = in_days(joined, start, end)
    ratios = window[PAID_RATIO].dropna() if len(window) else pd.Series(dtype=float)
    return BusinessSummary(
        start=start,
        end=end,
        quotes=len(window),
        decided=int((window[STATUS] != OPEN).sum()) if len(window) else 0,
        deals=int((window[STATUS] == DEAL).sum()) if len(window) else 0,
        declined_low_offer=int(window[LOW_OFFER].sum()) if len(window) else 0,
        open=int((window[STATUS] == OPEN).sum()) if len(window) else 0,
        paid_ratio=float(ratios.mean()) if len(ratios) else None,
        low_offer_focus=_low_offer_focus(window) if len(window) else None,
    )


def period_words(days: int) -> str:
    """How a sentence opens for the last ``days`` days: 'No último dia', 'Na última semana',
    'Nas últimas 4 semanas', 'Nos últimos 30 dias'."""
    if days == 1:
        return "No último dia"
    if days == 7:
        return "Na última semana"
    if days % 7 == 0:
        return f"Nas últimas {days // 7} semanas"
    return f"Nos últimos {format_int(days)} dias"


def _offers(n: int) -> str:
    return f"{format_int(n)} oferta{'s' if n != 1 else ''}"


def summary_sentence(summary: BusinessSummary) -> str:
    """One sentence for the top of the section, e.g. 'Nas últimas 4 semanas, 62% das ofertas
    decididas foram aceitas; 21% recusadas por valor baixo, concentradas em Ryzen 7.'"""
    period = period_words((summary.end - summary.start).days + 1)
    if not summary.quotes:
        return f"{period}, nenhuma oferta foi feita."
    if not summary.decided:
        made = "foi feita e não tem" if summary.quotes == 1 else "foram feitas e nenhuma tem"
        return f"{period}, {_offers(summary.quotes)} {made} resultado registrado."
    sentence = f"{period}, {format_percent(summary.acceptance or 0, 0)} das ofertas foram aceitas"
    sentence += f"; {format_percent(summary.low_offer_share or 0, 0)} recusadas por valor baixo"
    if summary.low_offer_focus:
        sentence += f", concentradas em {summary.low_offer_focus}"
    if summary.open:
        sentence += f"; {_offers(summary.open)} ainda em aberto"
    return sentence + "."
