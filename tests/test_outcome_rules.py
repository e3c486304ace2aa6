"""Issue 21, outcome rules on the way in: free text, customer data, the amount band, the author.

Pure rules (``OutcomeRequest``, ``outcome.decide``); the same through the HTTP server is in
tests/test_outcome_api.py and the fuzz in tests/test_outcome_fuzz.py.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from laptop_pricing import free_text
from laptop_pricing.monitoring.outcome_reader import current_outcomes, outcomes_frame
from laptop_pricing.record_kinds import OUTCOMES
from laptop_pricing.storage.day_csv import decode_day_csv, encode_day_csv
from laptop_pricing.trade_in import outcome
from laptop_pricing.trade_in.outcome import InvalidOutcome, LatePolicy, Outcome, QuoteTerms
from laptop_pricing.trade_in.outcome_request import OutcomeRequest

NOW = datetime(2026, 3, 10, 15, 30, tzinfo=UTC)
TERMS = QuoteTerms("Q7K2M9PX", offer=2000, valid_until=date(2026, 3, 12))
VALID_CPF = "529.982.247-25"


def body(**overrides):
    base = {"quote_id": "q7k2m9px", "event_id": "evt-0001-abcd", "decision": "declined"}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def refused_fields(payload) -> dict[str, str]:
    with pytest.raises(InvalidOutcome) as caught:
        OutcomeRequest.from_payload(payload)
    return {e.field: e.reason for e in caught.value.errors}


@pytest.mark.parametrize(
    "note",
    ["a\x00b", "nul at end\x00", "esc \x1b[31m", "del\x7f", "c1 \x9b", "x\ud800y", "\u202eabc"],
)
def test_control_characters_and_lone_surrogates_in_a_note_are_refused_naming_it(note):
    """Item 8 (inbound): a NUL row broke every later compaction; a surrogate was a 500."""
    assert refused_fields(body(reason="other", note=note)) == {"note": free_text.CONTROL_REASON}


def test_white_space_controls_still_fold_to_one_line():
    request = OutcomeRequest.from_payload(body(reason="other", note="a\tb\r\nc\x1fd\x85e"))
    assert request.note == "a b c d e"


@pytest.mark.parametrize(
    "note",
    [
        f"cliente cpf {VALID_CPF}",
        "cpf 52998224725 confere",
        "ligar (11) 98765-4321",
        "tel 11987654321",
        "whats +55 21 3456-7890",
        "fixo 3456-7890 à tarde",
    ],
)
def test_a_cpf_or_phone_in_a_note_is_refused_and_not_echoed(note):
    """Item 17: notes must not carry customer data; the 400 never repeats it."""
    with pytest.raises(InvalidOutcome) as caught:
        OutcomeRequest.from_payload(body(reason="other", note=note))
    [error] = caught.value.errors
    assert (error.field, error.reason) == ("note", free_text.PERSONAL_DATA_REASON)
    assert error.value is None


@pytest.mark.parametrize(
    "note",
    [
        "achou baixo, pediu R$ 1.500,00",
        "cpf 123.456.789-00 não confere",  # not a valid CPF, not a phone's shape
        "tela 15,6 pol, serial 5CD1234XYZ, 16 GB",
        "voltará dia 12/03/2026",
    ],
)
def test_ordinary_notes_with_numbers_are_kept(note):
    assert OutcomeRequest.from_payload(body(reason="other", note=note)).note == note


def test_the_cpf_check_uses_the_library_check_digits():
    assert free_text.has_personal_data("52998224725")
    assert not free_text.has_personal_data("cpf 529.982.247-26")  # wrong check digit


@pytest.mark.parametrize(
    ("amount", "reason", "refused"),
    [
        (1000, None, None),
        (3000, None, None),
        (999, None, "reason"),
        (3001, None, "reason"),
        (999, "tela trincada na inspeção", None),
        (20_000, "lote com 3 aparelhos", None),
        (20_001, "lote", "amount"),
    ],
)
def test_an_amount_outside_half_to_one_and_a_half_times_the_offer_needs_a_reason(
    amount, reason, refused
):
    """Item 12: the band was 1..10x the offer with no explanation at all."""
    request = OutcomeRequest.from_payload(body(decision="negotiated", amount=amount, reason=reason))
    if refused is None:
        made = outcome.decide(request, TERMS, [], NOW, LatePolicy.REFUSE).outcome
        assert (made.paid, made.reason) == (amount, reason)
        return
    with pytest.raises(InvalidOutcome) as caught:
        outcome.decide(request, TERMS, [], NOW, LatePolicy.REFUSE)
    assert [e.field for e in caught.value.errors] == [refused]


def test_an_amount_reason_is_free_text_with_the_same_rules_as_a_note():
    payload = body(decision="revised", amount=500, changed_answer="screen", reason="a\x00b")
    assert refused_fields(payload) == {"reason": free_text.CONTROL_REASON}
    payload["reason"] = f"cpf {VALID_CPF}"
    assert refused_fields(payload) == {"reason": free_text.PERSONAL_DATA_REASON}
    assert refused_fields(body(decision="accepted", reason="qualquer")) == {
        "reason": "only a declined quote or an amount has a reason"
    }


@pytest.mark.parametrize("email", ["ana", "ana@loja.com.br\x00", "\u212aarl@loja.com.br", 7])
def test_a_clerk_email_that_is_no_address_is_refused_naming_it(email):
    assert list(refused_fields(body(reason="other", clerk_email=email))) == ["clerk_email"]


def test_the_author_is_stored_masked_read_back_and_kept_when_superseded():
    """Item 12: each outcome carries who recorded it, masked (the least that serves: never the
    address); a later decision by someone else supersedes the first and both stay, each with
    its author. The monitoring frame keeps no author."""
    first = outcome.decide(
        OutcomeRequest.from_payload(body(reason="other", clerk_email="Ana@Loja.com.br")),
        TERMS,
        [],
        NOW,
        LatePolicy.REFUSE,
    ).outcome
    second = outcome.decide(
        OutcomeRequest.from_payload(
            body(event_id="evt-0002-abcd", decision="accepted", clerk_email="dona@loja.com.br")
        ),
        TERMS,
        [],
        NOW + timedelta(hours=1),
        LatePolicy.REFUSE,
    ).outcome
    record = first.as_record()
    assert (record["clerk_email"], record["recorded_by"]) == ("", "a***@loja.com.br")
    assert first.as_dict()["recorded_by"] == "a***@loja.com.br"
    assert "clerk_email" not in first.as_dict()
    day_file = encode_day_csv(OUTCOMES, [first.as_record(), second.as_record()])
    assert b"ana@" not in day_file.lower() and b"dona@" not in day_file
    back = [Outcome.from_record(row) for row in decode_day_csv(OUTCOMES, day_file).rows]
    assert [o.recorded_by for o in back] == ["a***@loja.com.br", "d***@loja.com.br"]
    frame = outcomes_frame([o.as_record() for o in back])
    assert list(current_outcomes(frame)["decision"]) == ["accepted"]
    assert len(frame) == 2
    assert not {"clerk_email", "recorded_by"} & set(frame.columns)


def test_an_older_row_with_the_full_clerk_email_reads_masked():
    """Rows written before ``recorded_by`` held the address in ``clerk_email``: a read masks
    it, so it never leaves the store (nor through the API's answer)."""
    made = outcome.decide(
        OutcomeRequest.from_payload(body(reason="other")), TERMS, [], NOW, LatePolicy.REFUSE
    ).outcome
    old_layout = OUTCOMES.columns[: OUTCOMES.columns.index("recorded_by")]
    row = {k: v for k, v in made.as_record().items() if k in old_layout}
    day_file = encode_day_csv(OUTCOMES, [{**row, "clerk_email": "ana@loja.com.br"}])
    (read,) = decode_day_csv(OUTCOMES, day_file).rows
    found = Outcome.from_record(read)
    assert found.recorded_by == "a***@loja.com.br"
    assert "ana@loja.com.br" not in str(found.as_dict()) + str(found.as_record())


def test_an_outcome_without_author_reads_as_none():
    row = {
        k: v
        for k, v in outcome.decide(
            OutcomeRequest.from_payload(body(reason="other")), TERMS, [], NOW, LatePolicy.REFUSE
        )
        .outcome.as_record()
        .items()
        if k not in ("clerk_email", "recorded_by")
    }
    assert Outcome.from_record(row).recorded_by is None
