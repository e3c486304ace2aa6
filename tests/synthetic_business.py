"""Synthetic quotes and their outcomes, with an exact, known acceptance per processor.

For tests, benchmarks and demos of the "Negócios" section. Within each processor the number of
deals among decided quotes is exactly ``round(rate * decided)``, so a test can check the
computed rates to the last quote. Some quotes get an earlier outcome that a later one
supersedes, some outcome rows are repeated (a retry that slipped through), and a share stays
open, so the supersede and idempotency rules are exercised too.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pandas as pd

from laptop_pricing import log_columns
from laptop_pricing.monitoring.drift import Reference
from laptop_pricing.monitoring.outcome_reader import outcomes_frame
from laptop_pricing.pricing import schema
from laptop_pricing.record_kinds import OUTCOMES, PREDICTIONS
from laptop_pricing.storage.day_csv import encode_day_csv
from laptop_pricing.storage.layout import LogLayout
from laptop_pricing.trade_in import outcome
from laptop_pricing.trade_in.outcome import Outcome
from tests.synthetic_logs import year_of_days

ACCEPTANCE_BY_PROCESSOR: Mapping[str, float] = {
    "core i3": 0.8,
    "core i5": 0.7,
    "core i7": 0.6,
    "ryzen 5": 0.5,
    "ryzen 7": 0.2,
    "other": 0.65,
}
POLICY_VERSION = "padrao-2026@a1b2c3d4"
VALIDITY_DAYS = 7


@dataclass(frozen=True)
class SyntheticBusiness:
    quotes: pd.DataFrame
    outcomes: list[Outcome]  # the whole history: superseded and repeated rows included

    def outcomes_frame(self) -> pd.DataFrame:
        """The history as the outcome reader returns it (one row per event id)."""
        return outcomes_frame([item.as_record() for item in self.outcomes])

    def day_files(self, prefix: str) -> Iterator[tuple[str, bytes]]:
        """(key, bytes) of the outcome day files, by the UTC day each outcome was recorded."""
        by_day: dict[date, list[Outcome]] = {}
        for item in self.outcomes:
            by_day.setdefault(item.recorded_at.astimezone(UTC).date(), []).append(item)
        for day in sorted(by_day):
            yield (
                LogLayout(prefix, OUTCOMES).day_key(day),
                encode_day_csv(OUTCOMES, [item.as_record() for item in by_day[day]]),
            )


def quote_day_files(business: SyntheticBusiness, prefix: str) -> Iterator[tuple[str, bytes]]:
    """(key, bytes) of request-log day files holding the quotes, as the API would log them."""
    frame = business.quotes.assign(
        **{
            log_columns.TIMESTAMP_COLUMN: business.quotes[log_columns.TIMESTAMP_COLUMN].dt.strftime(
                "%Y-%m-%dT%H:%M:%S.%fZ"
            ),
            log_columns.REQUEST_ID_COLUMN: business.quotes[outcome.QUOTE_ID],
        }
    )
    days = business.quotes[log_columns.TIMESTAMP_COLUMN].dt.date
    for day, rows in frame.groupby(days, sort=True):
        records = [{c: str(v) for c, v in row.items()} for row in rows.to_dict(orient="records")]
        yield LogLayout(prefix, PREDICTIONS).day_key(day), encode_day_csv(PREDICTIONS, records)


def quotes_and_outcomes(
    end: date,
    days: int = 91,
    quotes_per_day: int = 40,
    acceptance: Mapping[str, float] = ACCEPTANCE_BY_PROCESSOR,
    open_share: float = 0.1,
    low_offer_share_of_declines: float = 0.6,
    seed: int = 11,
) -> SyntheticBusiness:
    """``days`` days of quotes up to ``end`` and their outcomes; deals among decided quotes of
    each processor are exactly ``round(acceptance[processor] * decided)``."""
    rng = np.random.default_rng(seed)
    day_list = year_of_days(end, days)
    n = days * quotes_per_day
    names = np.array(list(acceptance), dtype=object)
    processor_name = rng.choice(names, size=n)
    processor_brand = np.array([_brand_of(name) for name in processor_name], dtype=object)
    columns: dict[str, object] = {}
    for field in schema.FIELDS:
        columns[field.name] = rng.choice(np.array([str(v) for v in field.values]), size=n)
    columns["processor_name"] = processor_name
    columns["processor_brand"] = processor_brand
    price = np.round(rng.lognormal(np.log(4300), 0.45, n))
    offer = np.maximum(100, np.floor(price * 0.55 / 10) * 10).astype(int)
    seconds = rng.integers(9 * 3600, 20 * 3600, n)
    moments = [
        datetime(d.year, d.month, d.day, tzinfo=UTC) + timedelta(seconds=int(s))
        for d, s in zip(np.repeat(day_list, quotes_per_day), seconds, strict=True)
    ]
    quote_ids = [f"S{i:07d}" for i in range(n)]
    quotes = pd.DataFrame(
        {
            outcome.QUOTE_ID: quote_ids,
            **columns,
            log_columns.PRICE_COLUMN: price,
            log_columns.TIMESTAMP_COLUMN: pd.to_datetime(moments, utc=True),
            log_columns.VERSION_COLUMN: np.where(np.arange(n) < n // 2, "1.1.0", "1.2.0"),
            outcome.OFFER: offer,
            "policy_version": POLICY_VERSION,
            "valid_until": [
                (m + timedelta(days=VALIDITY_DAYS)).date().isoformat() for m in moments
            ],
            "condition_powers_on": "true",
            "condition_screen": rng.choice(
                ["perfect", "scratched", "broken"], n, p=[0.6, 0.3, 0.1]
            ),
            "condition_body": rng.choice(["like_new", "worn", "damaged"], n, p=[0.5, 0.4, 0.1]),
            "condition_keyboard_ports": rng.choice(["ok", "faulty"], n, p=[0.9, 0.1]),
            "condition_battery": rng.choice(["normal", "weak", "dead"], n, p=[0.6, 0.3, 0.1]),
            "condition_charger": rng.choice(["true", "false"], n, p=[0.8, 0.2]),
            "condition_locks_removed": "true",
        }
    )
    history: list[Outcome] = []
    open_mask = rng.random(n) < open_share
    for name, rate in acceptance.items():
        decided = np.flatnonzero((processor_name == name) & ~open_mask)
        rng.shuffle(decided)
        deals = round(rate * len(decided))
        for position, index in enumerate(decided):
            history += _history(
                rng,
                quote_ids[index],
                int(offer[index]),
                moments[index],
                deal=position < deals,
                low_offer_share=low_offer_share_of_declines,
            )
    order = np.argsort([item.recorded_at for item in history], kind="stable")
    return SyntheticBusiness(quotes, [history[i] for i in order])


def _brand_of(processor_name: str) -> str:
    for brand, made in schema.PROCESSORS_BY_BRAND.items():
        if processor_name in made:
            return brand
    raise ValueError(processor_name)


def _history(
    rng: np.random.Generator,
    quote_id: str,
    offer: int,
    quoted_at: datetime,
    deal: bool,
    low_offer_share: float,
) -> list[Outcome]:
    """The outcome rows of one quote: its final outcome, sometimes after one it supersedes,
    sometimes stored twice."""
    final_at = quoted_at + timedelta(minutes=int(rng.integers(2, 600)))
    rows: list[Outcome] = []
    if rng.random() < 0.1:  # first recorded the other way round, then corrected
        rows.append(_outcome(rng, quote_id, offer, quoted_at + timedelta(minutes=1), not deal, 0.5))
    rows.append(_outcome(rng, quote_id, offer, final_at, deal, low_offer_share))
    if rng.random() < 0.05:
        rows.append(rows[-1])
    return rows


def _outcome(
    rng: np.random.Generator,
    quote_id: str,
    offer: int,
    at: datetime,
    deal: bool,
    low_offer_share: float,
) -> Outcome:
    amount = reason = changed = None
    if deal:
        decision = rng.choice(
            [outcome.ACCEPTED, outcome.NEGOTIATED, outcome.REVISED], p=[0.7, 0.2, 0.1]
        )
        if decision == outcome.NEGOTIATED:
            amount = int(offer * rng.uniform(1.02, 1.15))
        elif decision == outcome.REVISED:
            amount = int(offer * rng.uniform(0.6, 0.95))
            changed = "screen"
    else:
        decision = outcome.DECLINED
        reason = (
            outcome.OFFER_TOO_LOW
            if rng.random() < low_offer_share
            else rng.choice([outcome.KEPT_DEVICE, outcome.OTHER])
        )
    return Outcome(
        quote_id=quote_id,
        event_id=f"ev-{rng.integers(1 << 62):016x}",
        decision=str(decision),
        amount=amount,
        reason=None if reason is None else str(reason),
        note="",
        changed_answer=changed,
        offer=offer,
        late=False,
        recorded_at=at,
    )


def reference_day_csv(
    reference: Reference, day: date, rows: int, seed: int = 0, version: str = "1.0.0"
) -> bytes:
    """A request-log day file drawn from the training reference itself: each field from its
    training counts (the processor brand follows from the name, as in the training data, whose
    'other' names split into the brands' remainders), the price from the reference bins. A
    window of these is what "nothing changed" looks like to the drift band."""
    rng = np.random.default_rng(seed)
    columns: dict[str, np.ndarray] = {}
    for field in schema.FIELDS:
        counts = reference.fields[field.name]
        values = np.array([str(v) for v in field.values], dtype=object)
        weights = np.array([float(counts.get(v, 0)) for v in values])
        columns[field.name] = rng.choice(values, size=rows, p=weights / weights.sum())
    brand_counts = reference.fields["processor_brand"]
    name_counts = reference.fields["processor_name"]
    leftover = {
        brand: float(brand_counts.get(brand, 0))
        - sum(float(name_counts.get(n, 0)) for n in made if n != "other")
        for brand, made in schema.PROCESSORS_BY_BRAND.items()
    }
    brands = np.array(list(leftover), dtype=object)
    weights = np.clip(np.array(list(leftover.values())), 0, None)
    columns["processor_brand"] = np.array(
        [
            _brand_of(name) if name != "other" else rng.choice(brands, p=weights / weights.sum())
            for name in columns["processor_name"]
        ],
        dtype=object,
    )
    prices = np.zeros(rows)
    if reference.price is not None:
        edges = np.asarray(reference.price.edges)
        bounds = np.concatenate([[edges[0] * 0.8], edges, [edges[-1] * 1.2]])
        shares = np.asarray(reference.price.shares)
        bins = rng.choice(len(shares), size=rows, p=shares / shares.sum())
        prices = rng.uniform(bounds[bins], bounds[bins + 1])
    seconds = np.sort(rng.integers(0, 86_400, rows))
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
    writer.writerow(log_columns.LOG_COLUMNS)
    for i in range(rows):
        moment = start + timedelta(seconds=int(seconds[i]), microseconds=i)
        record = {
            **{name: columns[name][i] for name in schema.FIELD_NAMES},
            log_columns.PRICE_COLUMN: round(float(prices[i])),
            log_columns.TIMESTAMP_COLUMN: moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            log_columns.VERSION_COLUMN: version,
            log_columns.REQUEST_ID_COLUMN: f"ref-{day:%Y%m%d}-{seed}-{i:06d}",
        }
        writer.writerow([record.get(column, "") for column in log_columns.LOG_COLUMNS])
    return buffer.getvalue().encode()
