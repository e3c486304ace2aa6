"""A store-limited owner's outcomes (``read_outcomes(stores=...)``): the same outcomes as reading
the chain's and keeping the stores (``store_of``: no store is the default store's, spaces
around a value name the store), with the rollup months fetched by ranges, never whole."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest

from laptop_pricing.monitoring.aggregate import of_stores
from laptop_pricing.monitoring.outcome_reader import read_outcomes
from laptop_pricing.monitoring.sources import LogLocation
from laptop_pricing.request_log.compact import Compactor
from laptop_pricing.storage import rollup
from laptop_pricing.storage.day_csv import encode_day_csv
from laptop_pricing.storage.stores import LocalRecordStore
from laptop_pricing.store_id import DEFAULT_STORE_ID
from laptop_pricing.trade_in.outcome import OUTCOMES

END = date(2025, 6, 30)
DAYS = 40
STORES = ["centro", " sul ", "norte", "", "leste", "oeste"]  # "": older rows, the default's


@pytest.fixture
def outcomes(tmp_path, monkeypatch) -> LogLocation:
    """Forty days of outcomes of six stores, the closed days compacted into months of small row
    groups, the last two days left open."""
    monkeypatch.setattr(rollup, "ROW_GROUP_ROWS", 24)
    location = LogLocation(None, "outcomes", str(tmp_path), kind=OUTCOMES.name)
    store = location.open()
    days = [END - timedelta(days=n) for n in range(DAYS)]
    for day in days:
        rows = []
        for i in range(18):
            at = datetime(day.year, day.month, day.day, 12, i, tzinfo=UTC)
            row = {c: "" for c in OUTCOMES.columns}
            row |= {
                "quote_id": f"Q{day:%m%d}{i:02d}",
                "event_id": f"E{day:%m%d}{i:02d}",
                "decision": "accepted" if i % 3 else "declined",
                "recorded_at": at.isoformat(),
                "offer": "900",
                "store_id": STORES[i % len(STORES)],
            }
            rows.append(row)
        store.write_day_file(day, encode_day_csv(OUTCOMES, rows), None)
    later = datetime(END.year, END.month, END.day, tzinfo=UTC) - timedelta(days=1)
    Compactor(store, clock=lambda: later).compact_days([d for d in days if d < END - timedelta(1)])
    assert store.rollup_months()
    return location


def _by_event(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values("event_id").reset_index(drop=True)


@pytest.mark.parametrize("stores", [("sul",), ("centro", DEFAULT_STORE_ID), ("nenhuma",)])
def test_a_scoped_read_is_the_chains_outcomes_kept_to_the_stores(outcomes, stores, monkeypatch):
    start = END - timedelta(days=DAYS - 1)
    chain = read_outcomes(outcomes, start, END)
    assert len(chain.outcomes) == DAYS * 18
    whole: list[str] = []
    fetch = LocalRecordStore.fetch

    def spy_fetch(self: LocalRecordStore, key: str, size: int | None = None) -> bytes:
        whole.append(key)
        return fetch(self, key, size)

    monkeypatch.setattr(LocalRecordStore, "fetch", spy_fetch)
    scoped = read_outcomes(outcomes, start, END, stores=set(stores))
    expected = of_stores(chain.outcomes, stores)
    pd.testing.assert_frame_equal(_by_event(scoped.outcomes), _by_event(expected))
    assert [k for k in whole if "year=" in k] == []  # months by ranges only
    assert scoped.failed == chain.failed == []


def test_a_month_rewritten_while_its_outcomes_are_decoded_is_noted_and_its_days_read_again(
    outcomes, monkeypatch
):
    """As for the request log: a fetch failure named, never a traceback, and the month's days
    read from their day files, so no outcome is lost."""
    from laptop_pricing.monitoring import outcome_reader
    from laptop_pricing.storage import object_ranges
    from laptop_pricing.storage.object_ranges import ObjectRanges

    monkeypatch.setattr(object_ranges, "FOOTER_READ", 2_048)  # these months are small

    def footer_then_rewritten(source, month, stores):
        ranged = ObjectRanges(source, month.key)  # the footer only: decoding fetches the rest
        assert source.replace_object(month.key, (source.directory / month.key).read_bytes())
        return ranged

    start = END - timedelta(days=DAYS - 1)
    expected = of_stores(read_outcomes(outcomes, start, END).outcomes, ("sul",))
    monkeypatch.setattr(outcome_reader, "open_scoped_month", footer_then_rewritten)
    scoped = read_outcomes(outcomes, start, END, stores={"sul"})
    assert {failure for failure in scoped.failed} == {
        ("year=2025/month=05", "ObjectChanged"),
        ("year=2025/month=06", "ObjectChanged"),
    }
    pd.testing.assert_frame_equal(_by_event(scoped.outcomes), _by_event(expected))
