"""Two weeks of quotes and outcomes whose owner figures are known by hand (``EXPECTED_WEEK``,
``EXPECTED_PREVIOUS``), with quotes placed across the 21:00–24:00 Brasília boundary: one at
23:30 Brasília on the week's last day (already the next day in UTC, so in the next UTC day
file) and one at 23:00 Brasília the day before the week starts (the week's first UTC day)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pandas as pd

from laptop_pricing import log_columns
from laptop_pricing.monitoring.outcome_reader import outcomes_frame
from laptop_pricing.pricing import schema
from laptop_pricing.record_kinds import OUTCOMES, PREDICTIONS
from laptop_pricing.storage.day_csv import encode_day_csv
from laptop_pricing.storage.layout import LogLayout
from laptop_pricing.trade_in import outcome
from laptop_pricing.trade_in.outcome import Outcome

BRASILIA_HOURS = 3  # UTC = Brasília + 3 h


@dataclass(frozen=True)
class Quote:
    days_before_end: int
    offer: int | None  # None: a market-only request (no condition, so no offer)
    decision: str | None = None
    amount: int | None = None
    reason: str | None = None
    note: str = ""
    brasilia_time: tuple[int, int] = (14, 0)


NOTES = ("Viu um igual por R$ 2.000 na OLX", "Achou pouco pelo estado da bateria")
# This week (days 0..6 before the end): 7 bought, 4 declined (3 for price), 2 open, 13 offers.
WEEK: tuple[Quote, ...] = (
    Quote(0, 1000, outcome.ACCEPTED, brasilia_time=(23, 30)),  # UTC: the next day
    Quote(1, 1100, outcome.ACCEPTED),
    Quote(2, 1200, outcome.ACCEPTED),
    Quote(3, 1300, outcome.ACCEPTED),
    Quote(4, 1000, outcome.NEGOTIATED, amount=1150),
    Quote(5, 900, outcome.NEGOTIATED, amount=1000),
    Quote(6, 2000, outcome.REVISED, amount=1500, brasilia_time=(0, 30)),
    Quote(1, 1500, outcome.DECLINED, reason=outcome.OFFER_TOO_LOW, note=NOTES[1]),
    Quote(2, 1600, outcome.DECLINED, reason=outcome.OFFER_TOO_LOW, note=NOTES[0]),
    Quote(3, 1700, outcome.DECLINED, reason=outcome.OFFER_TOO_LOW),
    Quote(4, 1800, outcome.DECLINED, reason=outcome.KEPT_DEVICE),
    Quote(5, 1400),
    Quote(6, 1450),
    Quote(2, None),
    Quote(3, None),
)
# The week before (days 7..13): 3 bought, 1 declined for price, 1 open, 5 offers.
PREVIOUS: tuple[Quote, ...] = (
    Quote(7, 1000, outcome.ACCEPTED, brasilia_time=(23, 0)),  # UTC: the week's first day
    Quote(8, 1000, outcome.ACCEPTED),
    Quote(9, 1000, outcome.ACCEPTED),
    Quote(10, 1200, outcome.DECLINED, reason=outcome.OFFER_TOO_LOW, note="Vai pensar"),
    Quote(13, 1100),
)
EXPECTED_WEEK = {
    "offers": 13,
    "bought": 7,
    "spent": 1000 + 1100 + 1200 + 1300 + 1150 + 1000 + 1500,
    "declined_for_price": 3,
    "open": 2,
    "median_estimate": 2 * 1400.0,  # the estimate is twice the offer here
    "median_offer": 1400.0,
    "median_paid": 1150.0,
}
EXPECTED_PREVIOUS = {"offers": 5, "bought": 3, "spent": 3000, "declined_for_price": 1, "open": 1}


def moment(end: date, quote: Quote) -> datetime:
    day = end - timedelta(days=quote.days_before_end)
    hour, minute = quote.brasilia_time
    local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
    return local + timedelta(hours=BRASILIA_HOURS)


@dataclass(frozen=True)
class KnownWeeks:
    quotes: pd.DataFrame
    outcomes: list[Outcome]

    def outcomes_frame(self) -> pd.DataFrame:
        return outcomes_frame([item.as_record() for item in self.outcomes])

    def files(self, log_prefix: str, outcomes_prefix: str) -> Iterator[tuple[str, bytes]]:
        """(key, bytes) of the request-log and outcome day files, by UTC day."""
        stamps = self.quotes[log_columns.TIMESTAMP_COLUMN]
        text = self.quotes.assign(
            **{log_columns.TIMESTAMP_COLUMN: stamps.dt.strftime("%Y-%m-%dT%H:%M:%S.%fZ")}
        )
        for day, rows in text.groupby(stamps.dt.date, sort=True):
            records = [
                {c: "" if pd.isna(v) else str(v) for c, v in row.items()}
                for row in rows.to_dict(orient="records")
            ]
            yield (
                LogLayout(log_prefix, PREDICTIONS).day_key(day),
                encode_day_csv(PREDICTIONS, records),
            )
        by_day: dict[date, list[Outcome]] = {}
        for item in self.outcomes:
            by_day.setdefault(item.recorded_at.date(), []).append(item)
        for day, items in sorted(by_day.items()):
            records = [item.as_record() for item in items]
            yield (
                LogLayout(outcomes_prefix, OUTCOMES).day_key(day),
                encode_day_csv(OUTCOMES, records),
            )


def _laptop() -> dict[str, str]:
    spec = {field.name: str(field.values[0]) for field in schema.FIELDS}
    return {**spec, "brand": "dell", "processor_brand": "intel", "processor_name": "core i5"}


def known_weeks(end: date) -> KnownWeeks:
    """``WEEK`` and ``PREVIOUS`` laid out for the week ending on ``end`` (a Brasília day)."""
    rows: list[dict[str, object]] = []
    history: list[Outcome] = []
    for index, quote in enumerate((*WEEK, *PREVIOUS)):
        at = moment(end, quote)
        quote_id = f"W{index:07d}" if quote.offer is not None else ""
        offer = quote.offer
        rows.append(
            {
                **_laptop(),
                log_columns.PRICE_COLUMN: 2 * (offer or 1000),
                log_columns.TIMESTAMP_COLUMN: at,
                log_columns.VERSION_COLUMN: "1.2.0",
                log_columns.REQUEST_ID_COLUMN: quote_id or f"m-{index}",
                outcome.QUOTE_ID: quote_id,
                outcome.OFFER: offer,
                "policy_version": "padrao-2026@a1b2c3d4",
                "valid_until": (at + timedelta(days=7)).date().isoformat(),
                **({} if offer is None else _condition()),
            }
        )
        if quote.decision is not None and offer is not None:
            history.append(
                Outcome(
                    quote_id=quote_id,
                    event_id=f"ev-{index:04d}",
                    decision=quote.decision,
                    amount=quote.amount,
                    reason=quote.reason,
                    note=quote.note,
                    changed_answer="screen" if quote.decision == outcome.REVISED else None,
                    offer=offer,
                    late=False,
                    recorded_at=at + timedelta(minutes=10),
                )
            )
    quotes = pd.DataFrame(rows)
    quotes[log_columns.TIMESTAMP_COLUMN] = pd.to_datetime(
        quotes[log_columns.TIMESTAMP_COLUMN], utc=True
    )
    return KnownWeeks(quotes, history)


def _condition() -> dict[str, str]:
    return {
        "condition_powers_on": "true",
        "condition_screen": "perfect",
        "condition_body": "like_new",
        "condition_keyboard_ports": "ok",
        "condition_battery": "normal",
        "condition_charger": "true",
        "condition_locks_removed": "true",
    }
