"""Who recorded a decision, at rest: the masked author only (PRODUCT.md, personal data).

Outcomes recorded with the clerk's e-mail through the real API (the embedded client, a local
folder), then the day compacted into its CSV and the month's rollup: no byte
written holds the address; the lookup answers the masked author; the rollup, the monitoring
frame and the outcome download hold no author. A month rolled up before this (with the old
``clerk_email`` column, full addresses) reads without it, and the next compaction of that month
rewrites it without it. No key is needed for any of it.
"""

from __future__ import annotations

import dataclasses
import io
from datetime import UTC, date, datetime, timedelta

import pyarrow.parquet as pq
import pytest

from laptop_pricing.client import PricingClient
from laptop_pricing.embedded import embedded_client
from laptop_pricing.monitoring.outcome_reader import read_outcomes
from laptop_pricing.monitoring.sources import LogLocation
from laptop_pricing.pricing.laptop_spec import LaptopSpec
from laptop_pricing.record_kinds import OUTCOMES
from laptop_pricing.request_log import request_log_from_settings, store_from_settings
from laptop_pricing.request_log.compact import Compactor
from laptop_pricing.settings import load_settings
from laptop_pricing.storage import rollup
from laptop_pricing.storage.day_csv import encode_day_csv
from laptop_pricing.trade_in.condition import Condition
from laptop_pricing.trade_in.outcome import Outcome

CLERK = "ana@loja.com.br"
OWNER = "dona@loja.com.br"
AUTHORS = {"clerk_email", "recorded_by"}


@pytest.fixture
def settings(clean_env, monkeypatch):
    monkeypatch.delenv("PERSONAL_DATA_KEY", raising=False)  # outcomes need no key
    return load_settings({})


@pytest.fixture
def client(settings) -> PricingClient:
    return embedded_client(settings)


def written(settings) -> bytes:
    folder = settings.predictions_dir
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def decoded(month: bytes) -> str:
    """A rollup's rows as CSV text (its pages may be compressed or dictionary encoded)."""
    return str(pq.read_table(io.BytesIO(month)).to_pandas().to_csv())


def compact_closed(settings) -> None:
    later = datetime.now(UTC) + timedelta(days=2)
    compactor = Compactor(store_from_settings(settings, OUTCOMES), clock=lambda: later)
    assert all(result.closed for result in compactor.compact_days(compactor.days()))


def test_the_author_is_stored_masked_and_kept_out_of_the_rollup_and_monitoring(settings, client):
    _, trade_in = client.price_trade_in(LaptopSpec.default(), Condition.best())
    quote_id = trade_in.quote_id
    first = client.record_outcome(quote_id, "author-0001", "declined", reason="other")
    assert first.outcome.recorded_by is None  # the app open: no author
    recorded = client.record_outcome(
        quote_id, "author-0002", "declined", reason="other", clerk_email=CLERK
    )
    assert recorded.outcome.recorded_by == "a***@loja.com.br"
    client.record_outcome(quote_id, "author-0003", "accepted", clerk_email=OWNER)
    assert CLERK.encode() not in written(settings)  # the records

    compact_closed(settings)
    data = written(settings)
    assert CLERK.encode() not in data and OWNER.encode() not in data
    assert b"a***@loja.com.br" in data  # the day file keeps the masked author
    found = client.find_quote(quote_id)
    assert [o.recorded_by for o in found.outcomes] == [None, "a***@loja.com.br", "d***@loja.com.br"]

    today = datetime.now(UTC)
    month, _ = store_from_settings(settings, OUTCOMES).read_rollup(today.year, today.month)
    assert month is not None
    table = pq.read_table(io.BytesIO(month))
    assert table.num_rows == 3 and not AUTHORS & set(table.column_names)
    frame = read_outcomes(LogLocation.from_settings(settings, OUTCOMES)).outcomes
    assert len(frame) == 3 and not AUTHORS & set(frame.columns)


def test_an_older_rollup_with_full_emails_reads_without_them_and_is_rewritten_without(
    settings,
):
    """A month rolled up before: its ``clerk_email`` column holds the address. The next
    outcome of that month makes the compactor write the month again, without it."""
    store = store_from_settings(settings, OUTCOMES)
    old_day, new_day = date(2026, 1, 10), date(2026, 1, 11)
    row = {c: "" for c in OUTCOMES.columns}
    row |= {"quote_id": "Q-OLD", "event_id": "author-old-1", "decision": "accepted"}
    row |= {"recorded_at": f"{old_day}T12:00:00.000000Z", "clerk_email": CLERK, "late": "0"}
    before = dataclasses.replace(OUTCOMES, rollup_columns=None)  # as the compactor was
    table, notes = rollup.day_table(before, old_day, [row])
    closed = {old_day: (table.drop_columns(["recorded_by"]), rollup.ClosedDay(1, "d", notes))}
    old_month = rollup.with_days(rollup.MonthRollup(None, {}), closed)
    assert CLERK in decoded(old_month)
    assert store.write_rollup(2026, 1, old_month, None)
    store.write_day_file(old_day, encode_day_csv(OUTCOMES, [row]), None)  # kept beside it

    location = LogLocation.from_settings(settings, OUTCOMES)
    frame = read_outcomes(location, old_day, old_day).outcomes
    assert list(frame["event_id"]) == ["author-old-1"]
    assert not AUTHORS & set(frame.columns)

    at = datetime(2026, 1, 11, 12, tzinfo=UTC)
    later = Outcome("Q-NEW", "author-new-1", "declined", None, "other", "", None, 900, False,
                    at, recorded_by="d***@loja.com.br")  # fmt: skip
    log = request_log_from_settings(settings, OUTCOMES)
    assert log.write(later.as_record(), at=later.recorded_at).fate.value == "stored"
    (result,) = Compactor(store).compact_days([new_day])  # the old day is kept as rolled up
    assert result.closed and result.rolled_up
    month, _ = store.read_rollup(2026, 1)
    assert month is not None
    rewritten = pq.read_table(io.BytesIO(month))
    assert set(rewritten.column("event_id").to_pylist()) == {"author-old-1", "author-new-1"}
    assert not AUTHORS & set(rewritten.column_names) and CLERK not in decoded(month)
    assert new_day in rollup.closed_days_of(month)


def test_compacting_every_day_again_masks_older_day_files_and_their_month(settings):
    """Day files and a month written before masking hold the full address; ``compact --all``
    (every day again) leaves no byte with it: the day file keeps the masked author, the month
    is rolled up again without any."""
    store = store_from_settings(settings, OUTCOMES)
    old_day = date(2026, 1, 10)
    before = dataclasses.replace(  # the layout and the compactor as they were
        OUTCOMES,
        columns=tuple(c for c in OUTCOMES.columns if c != "recorded_by"),
        rollup_columns=None,
        stored_row=None,
    )
    row = {c: "" for c in before.columns}
    row |= {"quote_id": "Q-OLD", "event_id": "author-old-2", "decision": "accepted"}
    row |= {"recorded_at": f"{old_day}T12:00:00.000000Z", "clerk_email": CLERK, "late": "0"}
    day_file = encode_day_csv(before, [row])
    table, notes = rollup.day_table(before, old_day, [row])
    closed = {old_day: (table, rollup.ClosedDay(1, rollup.digest(day_file), notes))}
    assert store.write_rollup(2026, 1, rollup.with_days(rollup.MonthRollup(None, {}), closed), None)
    store.write_day_file(old_day, day_file, None)
    assert CLERK.encode() in written(settings)

    later = datetime(2026, 1, 12, tzinfo=UTC)
    compactor = Compactor(store, clock=lambda: later)
    (result,) = compactor.compact_days(compactor.days(everything=True))
    assert result.wrote_day_file and result.rolled_up
    assert CLERK.encode() not in written(settings)
    data, _ = store.read_day_file(old_day)
    assert data is not None and b"a***@loja.com.br" in data
    month, _ = store.read_rollup(2026, 1)
    assert month is not None and not AUTHORS & set(pq.read_table(io.BytesIO(month)).column_names)
    (again,) = compactor.compact_days([old_day])  # a second run: nothing left to change
    assert not again.wrote_day_file and not again.rolled_up
