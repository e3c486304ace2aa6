"""A quote found by its id as a key (one object, not its day), before and after compaction, in the
local folder and on S3; and the put-if-absent the store offers for it."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from laptop_pricing.api.service import prediction_values
from laptop_pricing.pricing.laptop_spec import LaptopSpec
from laptop_pricing.request_log import RequestLog
from laptop_pricing.request_log.writer import Fate
from laptop_pricing.storage.day_reader import day_rows
from laptop_pricing.storage.stores import RecordStore
from laptop_pricing.trade_in.condition import Condition
from laptop_pricing.trade_in.policy import load_policy
from laptop_pricing.trade_in.quote import QuoteIssuer, TradeInQuote
from laptop_pricing.trade_in.quote_id import QuoteIdGenerator
from laptop_pricing.trade_in.quote_keys import ClaimState, QuoteKeys
from laptop_pricing.trade_in.quote_lookup import QuoteLookup
from tests.request_log_support import compact_closed, local_store, s3_store
from tests.service_fixtures import MOTO_ENV

NOON = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
WORN = dataclasses.replace(Condition.best(), body="worn", charger=False)


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    if request.param == "local":
        return local_store(tmp_path)
    for name, value in MOTO_ENV.items():
        monkeypatch.setenv(name, value)
    request.getfixturevalue("atomic_conditional_puts")
    endpoint = request.getfixturevalue("moto_endpoint")
    return s3_store(endpoint, request.getfixturevalue("bucket"))


def issue(log: RequestLog, keys: QuoteKeys | None, moment: datetime, n: int) -> TradeInQuote:
    """A quote logged as the service logs it: its row, and (with ``keys``) its row by id."""
    issuer = QuoteIssuer(load_policy(), QuoteIdGenerator(), clock=lambda: moment)
    quote = issuer.issue(4000 + n, WORN)
    spec = LaptopSpec.default().as_dict()
    row = {
        **prediction_values(spec, 4000 + n, "v1", f"r-{n}", quote.quoted_at),
        **quote.log_values(),
    }
    if keys is not None:
        assert keys.put_quote(row) is True
    assert log.write(row, at=quote.quoted_at).fate is Fate.STORED
    return quote


def unread_day(day: date) -> Iterable[Mapping[str, str]]:
    raise AssertionError(f"the whole day {day} was read to find one quote")


@pytest.mark.parametrize("compact", [False, True], ids=["records", "compacted"])
def test_a_kept_quote_is_found_by_its_key_without_reading_its_day(
    store: RecordStore, compact: bool
) -> None:
    keys = QuoteKeys(store, deadline=5.0)
    log = RequestLog(store, deadline=5.0)
    quotes = [issue(log, keys, NOON - timedelta(minutes=n), n) for n in range(30)]
    if compact:
        compact_closed(store, NOON.date())
    lookup = QuoteLookup(unread_day, today=lambda: NOON.date(), quote_row=keys.quote_row)
    wanted = quotes[7]
    found = lookup.find(wanted.quote_id.replace("-", "").lower())
    assert found.status == "valid" and found.quote is not None
    assert found.quote.quote_id == wanted.quote_id
    assert found.quote.offer == wanted.offer.amount and found.quote.market_estimate == 4007
    assert found.quote.valid_until == wanted.valid_until
    assert found.quote.spec == LaptopSpec.default() and found.quote.condition == WORN
    # The key holds the same row the day holds, so both readers agree.
    by_day = QuoteLookup(lambda day: day_rows(store, day), today=lambda: NOON.date())
    assert by_day.find(wanted.quote_id).quote == found.quote


def test_a_quote_not_kept_by_id_is_still_found_in_its_day(store: RecordStore) -> None:
    keys = QuoteKeys(store, deadline=5.0)
    log = RequestLog(store, deadline=5.0)
    older = issue(log, None, NOON, 1)  # issued before quotes were kept by id
    days_read: list[date] = []

    def rows(day: date) -> list[dict[str, str]]:
        days_read.append(day)
        return day_rows(store, day)

    lookup = QuoteLookup(rows, today=lambda: NOON.date(), quote_row=keys.quote_row)
    found = lookup.find(older.quote_id)
    assert found.status == "valid" and found.quote is not None
    assert found.quote.offer == older.offer.amount
    assert days_read == [NOON.date()]


def test_put_new_stores_a_key_once_whoever_races_for_it(store: RecordStore) -> None:
    key = f"{store.layout.root}_quotes/2026-03-10/race.json"
    with ThreadPoolExecutor(20) as pool:
        won = list(pool.map(lambda n: store.put_new(key, f"{n}".encode(), 1e12), range(20)))
    assert won.count(True) == 1
    assert store.read_object(key) == str(won.index(True)).encode()
    assert store.read_object(f"{store.layout.root}_quotes/2026-03-10/absent.json") is None


def test_a_claim_replays_the_same_body_and_refuses_another(store: RecordStore) -> None:
    keys = QuoteKeys(store, deadline=5.0)
    assert keys.claim("click-1", "digest-a", '{"quote_id": "A"}').state is ClaimState.NEW
    again = keys.claim("click-1", "digest-a", '{"quote_id": "B"}')
    assert again.state is ClaimState.REPLAY and again.answer == '{"quote_id": "A"}'
    assert keys.claim("click-1", "digest-b", "{}").state is ClaimState.CONFLICT
    assert keys.claim("click-2", "digest-b", "{}").state is ClaimState.NEW
