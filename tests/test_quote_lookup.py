"""Buscar cotação: a quote found again in its day of the request log, local folder and S3."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import pytest

from laptop_pricing.api.service import prediction_values
from laptop_pricing.pricing.laptop_spec import LaptopSpec
from laptop_pricing.request_log import RequestLog
from laptop_pricing.request_log.writer import Fate
from laptop_pricing.storage.day_reader import day_rows
from laptop_pricing.trade_in.condition import Condition
from laptop_pricing.trade_in.outcome import Outcome
from laptop_pricing.trade_in.policy import load_policy
from laptop_pricing.trade_in.quote import QuoteIssuer
from laptop_pricing.trade_in.quote_id import InvalidQuoteId, QuoteIdGenerator
from laptop_pricing.trade_in.quote_lookup import OUTCOME_DAYS, QuoteLookup
from tests.request_log_support import compact_closed, local_store, s3_store
from tests.service_fixtures import MOTO_ENV

NOON = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
WORN = dataclasses.replace(Condition.best(), body="worn", charger=False)


def write(log: RequestLog, values: dict, at: datetime) -> None:
    """Store one record in the day of ``at`` (the day a quote id names), as the service does."""
    assert log.write(values, at=at).fate is Fate.STORED


def issue_and_log(log: RequestLog, moment: datetime, market: int = 5000):
    issuer = QuoteIssuer(load_policy(), QuoteIdGenerator(), clock=lambda: moment)
    quote = issuer.issue(market, WORN)
    spec = LaptopSpec.default().as_dict()
    values = prediction_values(spec, market, "v1", f"q-{moment:%H%M%S}", quote.quoted_at)
    write(log, {**values, **quote.log_values()}, quote.quoted_at)
    return quote


def check_found_expired_and_unknown(store, compact: bool) -> None:
    log = RequestLog(store, deadline=5.0)
    for i in range(20):  # other quotes and plain requests around it in the same day
        issue_and_log(log, NOON - timedelta(minutes=i + 1), market=3000 + i)
        at = NOON - timedelta(seconds=i)
        values = prediction_values(LaptopSpec.default().as_dict(), 1234, "v1", f"p-{i}", at)
        write(log, values, at)
    quote = issue_and_log(log, NOON)
    if compact:  # found in the compacted day file as well as in the records of the day
        compact_closed(store, NOON.date())

    def rows(day):
        return day_rows(store, day)

    on_the_day = QuoteLookup(rows, today=lambda: date(2026, 3, 10))
    found = on_the_day.find(quote.quote_id)
    assert found.status == "valid"
    assert found.quote.offer == quote.offer.amount and found.quote.market_estimate == 5000
    assert found.quote.condition == WORN and found.quote.spec == LaptopSpec.default()
    assert found.quote.valid_until == quote.valid_until == date(2026, 3, 17)
    assert found.quote.quoted_at == NOON
    last_day = QuoteLookup(rows, today=lambda: date(2026, 3, 17))
    assert last_day.find(quote.quote_id).status == "valid"
    later = QuoteLookup(rows, today=lambda: date(2026, 3, 18))
    expired = later.find(quote.quote_id)
    assert expired.status == "expired" and expired.quote.offer == quote.offer.amount
    unknown_same_day = QuoteIdGenerator().new(NOON + timedelta(hours=1))
    assert on_the_day.find(unknown_same_day).status == "unknown"
    unknown_no_file = QuoteIdGenerator().new(NOON - timedelta(days=40))
    assert on_the_day.find(unknown_no_file).status == "unknown"
    with pytest.raises(InvalidQuoteId):
        on_the_day.find("ABCD")


@pytest.mark.parametrize("compact", [False, True], ids=["records", "compacted"])
def test_lookup_in_the_local_folder(tmp_path, compact):
    check_found_expired_and_unknown(local_store(tmp_path), compact)


@pytest.mark.parametrize("compact", [False, True], ids=["records", "compacted"])
def test_lookup_in_s3(monkeypatch, moto_endpoint, bucket, compact):
    for name, value in MOTO_ENV.items():  # the store's client reads the standard AWS chain
        monkeypatch.setenv(name, value)
    store = s3_store(moto_endpoint, bucket)
    store.warm()  # as the service does at start, not inside the first record's deadline
    check_found_expired_and_unknown(store, compact)


def test_a_quote_record_lands_in_the_day_its_id_names(tmp_path):
    """The observer stores a quote under its quote's day, not the day the write happens, so a
    quote issued just before midnight UTC is found by its id."""
    from laptop_pricing.api.service import RecordingObserver
    from laptop_pricing.trade_in.quote_id import quote_id_day

    @dataclasses.dataclass
    class Priced:
        price: int
        version: str

    store = local_store(tmp_path)
    moment = datetime(2026, 3, 10, 23, 59, 59, tzinfo=UTC)
    quote = QuoteIssuer(load_policy(), QuoteIdGenerator(), clock=lambda: moment).issue(5000, WORN)
    observer = RecordingObserver(RequestLog(store, deadline=5.0))
    observer.on_priced(LaptopSpec.default(), Priced(5000, "v1"), 1.0, "r-1", trade_in=quote)
    assert quote_id_day(quote.quote_id) == date(2026, 3, 10)
    assert [r["quote_id"] for r in day_rows(store, date(2026, 3, 10))] == [quote.quote_id]


def recorded(quote_id: str, event_id: str, decision: str, at: datetime) -> dict[str, str]:
    amount = 4000 if decision == "negotiated" else None
    outcome = Outcome(quote_id, event_id, decision, amount, None, "", None, 4500, False, at)
    return outcome.as_record()


def test_the_decisions_of_a_quote_are_read_from_its_day_to_today_oldest_first_once_each():
    """Outcome day files (UTC days) from the quote's day on: another quote's rows are left
    out, a repeated event id is shown once, and no day after tomorrow (UTC) is read."""
    quote = QuoteIdGenerator().new(NOON)
    other = QuoteIdGenerator().new(NOON)
    days = {
        date(2026, 3, 10): [
            recorded(other, "ev-other-1", "accepted", NOON),
            recorded(quote, "ev-first-1", "negotiated", NOON + timedelta(hours=1)),
        ],
        date(2026, 3, 12): [
            recorded(quote, "ev-second-1", "accepted", NOON + timedelta(days=2)),
            recorded(quote, "ev-first-1", "negotiated", NOON + timedelta(days=2, hours=1)),
        ],
    }
    read: list[date] = []

    def outcome_rows(day: date):
        read.append(day)
        return days.get(day, [])

    def quote_rows(day: date):
        values = prediction_values(LaptopSpec.default().as_dict(), 5000, "v1", "r-1", NOON)
        return [{**values, "quote_id": quote, "offer": "4500", "valid_until": "2026-03-17"}]

    lookup = QuoteLookup(quote_rows, today=lambda: date(2026, 3, 12), outcome_rows=outcome_rows)
    found = lookup.find(quote)
    assert [(o.event_id, o.decision) for o in found.outcomes] == [
        ("ev-first-1", "negotiated"),
        ("ev-second-1", "accepted"),
    ]
    assert found.outcomes[0].amount == 4000
    assert read == [date(2026, 3, 10) + timedelta(days=i) for i in range(4)]  # to today + 1
    assert QuoteLookup(quote_rows).find(quote).outcomes == ()  # no outcomes log: none shown


def test_decisions_are_looked_for_at_most_the_window_after_the_quote():
    quote = QuoteIdGenerator().new(NOON)
    read: list[date] = []

    def outcome_rows(day: date):
        read.append(day)
        return []

    years_later = QuoteLookup(
        lambda day: [], today=lambda: date(2028, 1, 1), outcome_rows=outcome_rows
    )
    assert years_later.outcomes_of(quote, NOON.date()) == ()
    assert len(read) == OUTCOME_DAYS + 1 and read[-1] == NOON.date() + timedelta(OUTCOME_DAYS)
