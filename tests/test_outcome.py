"""The outcome of a quote: body validation, amount and expiry rules, idempotency, supersede."""

from __future__ import annotations

import csv
import io
import random
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest

from laptop_pricing import safe_csv
from laptop_pricing.errors import QuoteExpired, QuoteNotFound
from laptop_pricing.monitoring.outcome_reader import current_outcomes, outcomes_frame
from laptop_pricing.record_kinds import OUTCOMES
from laptop_pricing.request_log import RequestLog
from laptop_pricing.settings import load_settings
from laptop_pricing.storage.day_csv import decode_day_csv, encode_day_csv
from laptop_pricing.storage.layout import LogLayout, day_of_day_file
from laptop_pricing.storage.stores import LocalRecordStore
from laptop_pricing.trade_in import outcome
from laptop_pricing.trade_in.outcome import InvalidOutcome, LatePolicy, Outcome, QuoteTerms
from laptop_pricing.trade_in.outcome_request import OutcomeRequest
from laptop_pricing.trade_in.outcome_service import OutcomeLog, OutcomeRecorder
from laptop_pricing.trade_in.quote_id import QuoteIdGenerator

NOW = datetime(2026, 3, 10, 15, 30, tzinfo=UTC)
TERMS = QuoteTerms("Q7K2M9PX", offer=2000, valid_until=date(2026, 3, 12))


def body(**overrides):
    base = {"quote_id": "q7k2m9px", "event_id": "evt-0001-abcd", "decision": "accepted"}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def csv_text(outcomes) -> str:
    """Outcomes as the compactor writes their day file."""
    return encode_day_csv(OUTCOMES, [item.as_record() for item in outcomes]).decode()


def frame_of(data: bytes):
    return outcomes_frame(decode_day_csv(OUTCOMES, data).rows)


def fields_at_fault(payload) -> list[str]:
    with pytest.raises(InvalidOutcome) as caught:
        OutcomeRequest.from_payload(payload)
    return [e.field for e in caught.value.errors]


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (body(decision="accepted"), ("accepted", None, None, None)),
        (body(decision="negotiated", amount=2300), ("negotiated", 2300, None, None)),
        (body(decision="negotiated", amount="2300"), ("negotiated", 2300, None, None)),
        (
            body(decision="declined", reason="offer_too_low"),
            ("declined", None, "offer_too_low", None),
        ),
        (
            body(decision="revised", amount=1500, changed_answer="screen"),
            ("revised", 1500, None, "screen"),
        ),
    ],
)
def test_each_decision_is_accepted_with_the_fields_it_needs(payload, expected):
    request = OutcomeRequest.from_payload(payload)
    assert (request.decision, request.amount, request.reason, request.changed_answer) == expected
    assert request.quote_id == "Q7K2M9PX"  # read aloud, typed in any case


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ([], ["body"]),
        ({}, ["quote_id", "event_id", "decision"]),
        (body(decision="sold"), ["decision"]),
        (body(decision="negotiated"), ["amount"]),
        (body(decision="negotiated", amount="dois mil"), ["amount"]),
        (body(decision="negotiated", amount=True), ["amount"]),
        (body(decision="accepted", amount=2000), ["amount"]),
        (body(decision="declined"), ["reason"]),
        (body(decision="declined", reason="too_cheap"), ["reason"]),
        (body(decision="accepted", reason="other"), ["reason"]),
        (body(decision="revised", amount=1500), ["changed_answer"]),
        (body(decision="revised", amount=1500, changed_answer="colour"), ["changed_answer"]),
        (body(event_id="short"), ["event_id"]),
        (body(event_id=12345678), ["event_id"]),
        (body(quote_id="Q7K2; DROP"), ["quote_id"]),
        (body(note=42), ["note"]),
        (body(note="x" * 201), ["note"]),
        (body(price=1), ["price"]),
        (
            body(decision="declined", reason="bad", note="y" * 300, event_id="x"),
            ["event_id", "reason", "note"],
        ),
    ],
)
def test_each_fault_names_its_field(payload, fields):
    assert fields_at_fault(payload) == fields


def test_a_note_of_exactly_200_characters_is_kept():
    request = OutcomeRequest.from_payload(body(decision="declined", reason="other", note="a" * 200))
    assert request.note == "a" * 200


@pytest.mark.parametrize("lead", ["=", "+", "-", "@"])
def test_a_formula_note_is_neutralised_on_the_way_in(lead):
    note = f'{lead}HYPERLINK("http://evil.example","clique")'
    request = OutcomeRequest.from_payload(body(decision="declined", reason="other", note=note))
    assert request.note == "'" + note
    stored = outcome.decide(request, TERMS, [], NOW, LatePolicy.REFUSE).outcome
    cells = next(csv.DictReader(io.StringIO(csv_text([stored]))))
    assert cells["note"] == "'" + note
    assert not cells["note"].startswith(safe_csv.FORMULA_TRIGGERS)


def test_newlines_in_a_note_become_spaces_so_the_stored_row_stays_one_line():
    request = OutcomeRequest.from_payload(
        body(decision="declined", reason="other", note="linha 1\n=linha 2")
    )
    assert request.note == "linha 1 =linha 2"


@pytest.mark.parametrize(("amount", "ok"), [(1, True), (20_000, True), (0, False), (20_001, False)])
def test_an_amount_must_lie_between_one_real_and_ten_times_the_offer(amount, ok):
    why = "troca por outro aparelho"  # outside 0.5x-1.5x a reason is needed (test_outcome_rules)
    request = OutcomeRequest.from_payload(body(decision="negotiated", amount=amount, reason=why))
    if ok:
        assert outcome.decide(request, TERMS, [], NOW, LatePolicy.REFUSE).outcome.paid == amount
    else:
        with pytest.raises(InvalidOutcome) as caught:
            outcome.decide(request, TERMS, [], NOW, LatePolicy.REFUSE)
        assert [e.field for e in caught.value.errors] == ["amount"]


def test_a_quote_without_an_offer_can_only_be_declined():
    no_offer = QuoteTerms("Q7K2M9PX", offer=None, valid_until=TERMS.valid_until)
    accepted = OutcomeRequest.from_payload(body())
    with pytest.raises(InvalidOutcome) as caught:
        outcome.decide(accepted, no_offer, [], NOW, LatePolicy.REFUSE)
    assert caught.value.errors[0].field == "quote_id"
    declined = OutcomeRequest.from_payload(body(decision="declined", reason="kept_device"))
    assert outcome.decide(declined, no_offer, [], NOW, LatePolicy.REFUSE).status == 201


def test_the_validity_includes_its_last_day_then_the_policy_decides():
    request = OutcomeRequest.from_payload(body())
    # 23:59 in Brasília on the last day (UTC-3): already the next day in UTC, still valid.
    last_day = datetime(2026, 3, 13, 2, 59, tzinfo=UTC)
    assert outcome.decide(request, TERMS, [], last_day, LatePolicy.REFUSE).outcome.late is False
    day_after = last_day + timedelta(minutes=1)
    with pytest.raises(QuoteExpired) as caught:
        outcome.decide(request, TERMS, [], day_after, LatePolicy.REFUSE)
    assert "2026-03-12" in str(caught.value)
    accepted_late = outcome.decide(request, TERMS, [], day_after, LatePolicy.ACCEPT)
    assert accepted_late.status == 201 and accepted_late.outcome.late is True


def test_the_same_event_id_answers_200_with_what_was_stored_first():
    first = outcome.decide(
        OutcomeRequest.from_payload(body(decision="negotiated", amount=2100)),
        TERMS,
        [],
        NOW,
        LatePolicy.REFUSE,
    )
    assert first.status == 201 and first.must_store
    stored = list(csv.DictReader(io.StringIO(csv_text([first.outcome]))))
    retry = outcome.decide(
        OutcomeRequest.from_payload(body(decision="negotiated", amount=2100)),
        TERMS,
        stored,
        NOW + timedelta(seconds=3),
        LatePolicy.REFUSE,
    )
    assert retry.status == 200 and not retry.must_store
    assert retry.outcome == first.outcome
    # Even after expiry, a retry of a stored event is still answered as stored.
    late = NOW + timedelta(days=30)
    assert (
        outcome.decide(
            OutcomeRequest.from_payload(body()), TERMS, stored, late, LatePolicy.REFUSE
        ).outcome
        == first.outcome
    )


def test_a_stored_outcome_reads_back_equal():
    made = outcome.decide(
        OutcomeRequest.from_payload(
            body(decision="declined", reason="offer_too_low", note='Disse: "baixo, né?"')
        ),
        TERMS,
        [],
        NOW,
        LatePolicy.REFUSE,
    ).outcome
    text = csv_text([made])
    frame = frame_of(text.encode())
    assert list(frame.columns) == list(outcome.FRAME_COLUMNS)  # no author (monitoring)
    back = Outcome.from_record(next(csv.DictReader(io.StringIO(text))))
    assert back == made
    assert frame.loc[0, "note"] == 'Disse: "baixo, né?"'


def _outcome(quote_id: str, event_id: str, decision: str, minutes: int) -> Outcome:
    return Outcome(
        quote_id, event_id, decision, None, None, "", None, 2000, False,
        NOW + timedelta(minutes=minutes),
    )  # fmt: skip


def test_the_latest_outcome_of_a_quote_wins_and_the_history_keeps_both():
    history = [
        _outcome("A", "e1", "accepted", 0),
        _outcome("B", "e2", "declined", 5),
        _outcome("A", "e3", "revised", 10),
        _outcome("A", "e1", "accepted", 0),  # a duplicate that slipped into the history
    ]
    frame = frame_of(csv_text(history).encode())
    assert len(frame) == 3  # the reader keeps one row per event id
    current = current_outcomes(frame)
    assert dict(zip(current["quote_id"], current["decision"], strict=True)) == {
        "A": "revised",
        "B": "declined",
    }


def reference_current_outcomes(frame):
    """What ``current_outcomes`` must give, the plain pandas way: first row of an event, the
    latest recorded per quote (file order breaks ties), in file order."""
    ordered = frame.reset_index(drop=True).assign(_order=range(len(frame)))
    ordered = ordered.drop_duplicates(subset=["event_id"], keep="first")
    ordered = ordered.sort_values(["recorded_at", "_order"], kind="stable")
    latest = ordered.drop_duplicates(subset=["quote_id"], keep="last")
    return latest.sort_values("_order").drop(columns="_order").reset_index(drop=True)


@pytest.mark.parametrize("canonical", [True, False], ids=["canonical ids", "other texts"])
def test_the_current_outcomes_are_the_plain_pandas_ones(canonical):
    """Canonical quote ids are told apart by their keys, other texts as texts: either way the
    latest outcome of each quote, with repeated events, equal times and missing times."""
    rng = random.Random(11)
    generator = QuoteIdGenerator(rng.getrandbits)
    quotes = [generator.new(NOW + timedelta(seconds=i)) for i in range(40)]
    if not canonical:
        quotes = [*quotes[:-1], "Q-OLD-FORM"]
    records = []
    for n in range(400):
        minute = rng.randrange(30)  # many outcomes share a minute: file order breaks ties
        records.append(
            {
                "quote_id": rng.choice(quotes),
                "event_id": f"evt-{rng.randrange(360):04d}",  # some events repeated
                "decision": rng.choice(["accepted", "declined", "negotiated"]),
                "recorded_at": "" if n % 37 == 0 else f"2026-03-10T10:{minute:02d}:00Z",
            }
        )
    frame = outcomes_frame(records)
    frame = pd.concat([frame, frame.iloc[:20]], ignore_index=True)  # events the reader kept twice
    expected = reference_current_outcomes(frame)
    assert expected["recorded_at"].isna().any() and len(expected) == len(set(frame["quote_id"]))
    pd.testing.assert_frame_equal(current_outcomes(frame), expected)


def test_an_old_file_without_the_newer_columns_still_reads():
    data = b"quote_id,event_id,decision,recorded_at\nQ1,e-000001,accepted,2026-03-10T10:00:00Z\n"
    frame = frame_of(data)
    assert frame.loc[0, "decision"] == "accepted"
    assert frame["amount"].isna().all() and frame.loc[0, "note"] == ""


def test_day_file_names_round_trip_and_the_prefix_setting_has_its_default(monkeypatch):
    key = LogLayout("/laptop-trade-in-outcomes/", OUTCOMES).day_key(date(2026, 3, 10))
    assert key == "laptop-trade-in-outcomes/2026-03-10_trade_in_outcomes.csv"
    assert day_of_day_file(key, OUTCOMES) == date(2026, 3, 10)
    assert day_of_day_file("2026-03-10_laptop_prediction_data.csv", OUTCOMES) is None
    monkeypatch.delenv("OUTCOMES_PREFIX", raising=False)
    assert load_settings({}).outcomes_prefix == "laptop-trade-in-outcomes"
    monkeypatch.setenv("OUTCOMES_PREFIX", "loja-1/resultados/")
    assert load_settings({"OUTCOMES-PREFIX": "ignored"}).outcomes_prefix == "loja-1/resultados"


# ---------------------------------------------------------------------------------------------
# The recorder: the order of the steps, and a retry stored once under concurrency


def _recorder(folder, policy=LatePolicy.REFUSE, now=NOW):
    quotes = {f"Q{i:04d}": QuoteTerms(f"Q{i:04d}", 2000, date(2026, 3, 12)) for i in range(50)}
    log = RequestLog(LocalRecordStore(folder, LogLayout("resultados", OUTCOMES)), deadline=5.0)
    return OutcomeRecorder(quotes.get, OutcomeLog(log), policy, lambda: now), log


def _stored_events(log) -> list[str]:
    return [r["event_id"] for r in log.store.read_records(NOW.date()).records]


def test_the_recorder_answers_each_case_with_its_typed_result(tmp_path):
    recorder, log = _recorder(tmp_path)
    assert recorder.record(body(quote_id="Q0001")).status == 201
    assert recorder.record(body(quote_id="Q0001")).status == 200
    assert _stored_events(log) == ["evt-0001-abcd"]
    with pytest.raises(QuoteNotFound):
        recorder.record(body(quote_id="ZZZZ9999", event_id="evt-unknown-1"))
    with pytest.raises(InvalidOutcome):
        recorder.record(
            body(quote_id="Q0002", event_id="evt-amount-01", decision="negotiated", amount=99_999)
        )
    with pytest.raises(InvalidOutcome) as reused:  # an event id belongs to one quote
        recorder.record(body(quote_id="Q0002"))
    assert [e.field for e in reused.value.errors] == ["event_id"]
    late, _ = _recorder(tmp_path, now=NOW + timedelta(days=10))
    with pytest.raises(QuoteExpired):
        late.record(body(quote_id="Q0003", event_id="evt-late-0001"))
    assert _stored_events(log) == ["evt-0001-abcd"]


def test_concurrent_copies_of_the_same_event_are_stored_once(tmp_path):
    recorder, log = _recorder(tmp_path)
    events = [(f"Q{i % 50:04d}", f"evt-{i:06d}-x") for i in range(1000)]
    sent = events + events[::5]  # 20 % of the requests sent twice
    random.Random(3).shuffle(sent)
    with ThreadPoolExecutor(50) as pool:
        statuses = list(
            pool.map(lambda e: recorder.record(body(quote_id=e[0], event_id=e[1])).status, sent)
        )
    assert statuses.count(201) == 1000 and statuses.count(200) == 200
    assert sorted(_stored_events(log)) == sorted(e for _, e in events)
