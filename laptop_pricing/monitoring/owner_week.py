"""The owner's week in money: laptops bought and for how much, offers made, declines for price
with what the customers said, open offers, and the medians of estimate, offer and payment,
each beside the same figure for the week before.

Offers are read only through ``business.join_outcomes`` (the one place that decides what counts
as an offer), so this summary and the "Negócios" section always count the same quotes. Days are
Brasília days (``aggregate.brasilia_days``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from laptop_pricing.formatting import format_int, format_whole_price
from laptop_pricing.monitoring import aggregate, business
from laptop_pricing.monitoring.business_summary import in_days
from laptop_pricing.monitoring.business_view import with_offer
from laptop_pricing.monitoring.outcome_reader import current_outcomes
from laptop_pricing.trade_in import outcome

WEEK_DAYS = 7
MAX_NOTES = 20  # the newest notes of the week; the CSV download has every one


@dataclass(frozen=True)
class WeekFigures:
    """One week's figures. Medians are over the week's offers (estimate, offer) and its
    purchases (paid); ``None`` when there is nothing to take a median of."""

    start: date
    end: date
    offers: int
    bought: int
    spent: int  # sum of the agreed amounts (the offer when accepted as it was)
    declined_for_price: int
    open: int
    median_estimate: float | None  # the model's market estimate
    median_offer: float | None
    median_paid: float | None


@dataclass(frozen=True)
class OwnerWeek:
    week: WeekFigures
    previous: WeekFigures
    price_notes: tuple[str, ...]  # what the customers who declined for price said, newest first


def _median(values: pd.Series) -> float | None:
    numbers = pd.to_numeric(values, errors="coerce").dropna()
    return float(numbers.median()) if len(numbers) else None


def week_figures(joined: pd.DataFrame, start: date, end: date) -> WeekFigures:
    """The figures of the quotes made from ``start`` to ``end`` (``business.join_outcomes``)."""
    quotes = in_days(joined, start, end)
    if quotes.empty:
        return WeekFigures(start, end, 0, 0, 0, 0, 0, None, None, None)
    status = quotes[business.STATUS]
    deals = quotes[status == business.DEAL]
    paid = pd.to_numeric(deals[business.PAID], errors="coerce").fillna(0)
    estimate = quotes[business.PRICE] if business.PRICE in quotes else pd.Series(dtype=float)
    return WeekFigures(
        start=start,
        end=end,
        offers=len(quotes),
        bought=len(deals),
        spent=round(float(paid.sum())),
        declined_for_price=int(quotes[business.LOW_OFFER].sum()),
        open=int((status == business.OPEN).sum()),
        median_estimate=_median(estimate),
        median_offer=_median(quotes[business.OFFER]),
        median_paid=_median(deals[business.PAID]),
    )


def price_notes(
    joined: pd.DataFrame, outcomes: pd.DataFrame, start: date, end: date
) -> tuple[str, ...]:
    """The non-empty notes of the week's declines for price, newest first."""
    quotes = in_days(joined, start, end)
    low = set(quotes.loc[quotes[business.LOW_OFFER].to_numpy(dtype=bool), business.QUOTE_ID])
    if not low or outcomes.empty or outcome.NOTE not in outcomes:
        return ()
    current = current_outcomes(outcomes)
    chosen = current[current[outcome.QUOTE_ID].astype(str).isin(low)]
    chosen = chosen.sort_values(outcome.RECORDED_AT, ascending=False, kind="stable")
    notes = (str(note).strip() for note in chosen[outcome.NOTE].fillna(""))
    return tuple(note for note in notes if note)[:MAX_NOTES]


def owner_week(quotes: pd.DataFrame, outcomes: pd.DataFrame, end: date) -> OwnerWeek:
    """The week ending on ``end`` (inclusive) and the week before it, from the request-log
    rows (``quotes``) and the stored outcomes."""
    start = end - timedelta(days=WEEK_DAYS - 1)
    before = start - timedelta(days=WEEK_DAYS)
    # Only the two weeks are joined: the page hands over its whole window (a year, say).
    weeks = aggregate.filter_rows(with_offer(quotes), before, end)
    joined = business.join_outcomes(weeks, outcomes)
    return OwnerWeek(
        week=week_figures(joined, start, end),
        previous=week_figures(joined, before, start - timedelta(days=1)),
        price_notes=price_notes(joined, outcomes, start, end),
    )


def loaded_since(end: date) -> date:
    """The first Brasília day the owner week reads (the week before included)."""
    return end - timedelta(days=2 * WEEK_DAYS - 1)


def _plural(n: int, one: str, many: str) -> str:
    return f"{format_int(n)} {one if n == 1 else many}"


def week_sentence(week: WeekFigures) -> str:
    """The week in one sentence, e.g. 'De 24/11 a 30/11, a loja comprou 7 notebooks por
    R$ 8.250, de 13 ofertas feitas; 3 clientes recusaram pelo preço; 2 ofertas seguem em
    aberto.'"""
    period = f"De {week.start:%d/%m} a {week.end:%d/%m}"
    if not week.offers:
        return f"{period}, nenhuma oferta foi feita."
    if week.bought:
        bought = (
            f"a loja comprou {_plural(week.bought, 'notebook', 'notebooks')} por "
            f"{format_whole_price(week.spent)}"
        )
    else:
        bought = "a loja não comprou nenhum notebook"
    sentence = f"{period}, {bought}, de {_plural(week.offers, 'oferta feita', 'ofertas feitas')}"
    if week.declined_for_price:
        who = _plural(week.declined_for_price, "cliente recusou", "clientes recusaram")
        sentence += f"; {who} pelo preço"
    if week.open:
        still = "segue" if week.open == 1 else "seguem"
        sentence += f"; {_plural(week.open, 'oferta', 'ofertas')} {still} em aberto"
    return sentence + "."
