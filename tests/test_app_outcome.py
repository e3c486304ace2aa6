"""Recording what the customer decided, in AppTest: from the offer card right after the offer,
from *Buscar cotação*, a retry stored once, and the outcome seen on the monitoring page."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from components import business_data, messages, monitoring_data
from components.outcome_form import ANOTHER, HISTORY_TITLE
from components.quote_search import LOOKUP_KEY
from laptop_pricing.errors import QuoteExpired
from laptop_pricing.monitoring.outcome_reader import read_outcomes
from laptop_pricing.monitoring.sources import LogLocation
from laptop_pricing.record_kinds import OUTCOMES
from laptop_pricing.safe_csv import FORMULA_TRIGGERS
from laptop_pricing.settings import load_settings
from laptop_pricing.trade_in.quote_lookup import QuoteLookup
from tests.app_fixtures import SCRATCHED, answer, app, submit, texts

pytestmark = pytest.mark.usefixtures("clean_env", "fresh_caches")


def priced():
    at = submit(answer(app(), SCRATCHED))
    assert not at.exception and not at.error, texts(at)
    return at


def quote_id_of(at) -> str:
    line = next(m.value for m in at.markdown if str(m.value).startswith("Cotação **"))
    return str(line).split("**")[1]


def stored():
    return read_outcomes(LogLocation.from_settings(load_settings(), OUTCOMES)).outcomes


def choose(at, place: str, decision: str):
    at.radio(key=f"outcome_{place}_decision").set_value(decision)
    return at.run()


def test_the_offer_card_offers_the_four_decisions_right_after_the_offer():
    at = priced()
    radio = at.radio(key="outcome_card_decision")
    assert radio.options == [
        "Aceitou a oferta",
        "Negociou outro valor",
        "Recusou",
        "Valor revisto na inspeção",
    ]
    at = choose(at, "card", "revised")
    changed = at.selectbox(key="outcome_card_changed")
    assert "Tela" in changed.options and "Bateria" in changed.options
    at = choose(at, "card", "declined")
    assert at.radio(key="outcome_card_reason").options == [
        "Achou a oferta baixa",
        "Decidiu ficar com o notebook",
        "Outro motivo",
    ]
    assert at.text_input(key="outcome_card_note").max_chars == 200


def test_a_negotiated_amount_is_recorded_once_and_shown_as_registered():
    at = choose(priced(), "card", "negotiated")
    at.number_input(key="outcome_card_amount_negotiated").set_value(1234)
    at.run()
    at.button(key="outcome_card_submit").click()
    at.run()
    assert not at.exception and not at.error, texts(at)
    page = texts(at)
    assert "Registrado:" in page and "Negociou outro valor (R$\xa01.234,00)" in page
    assert at.button(key="outcome_card_another").label == ANOTHER
    rows = stored()
    assert list(rows["decision"]) == ["negotiated"] and list(rows["amount"]) == [1234]


def test_a_retry_of_a_decision_the_service_already_stored_is_stored_once():
    """The answer to the first click was lost (the page kept its event id): the second click
    sends the same id, the service answers 200 and the card shows what was stored."""
    at = choose(priced(), "card", "declined")
    quote_id = quote_id_of(at)
    event_id = "app-retry-0001"
    at.session_state[f"outcome_event_{quote_id}"] = event_id
    from laptop_pricing.client import client_from_settings

    client_from_settings(load_settings()).record_outcome(
        quote_id, event_id, "declined", reason="kept_device"
    )
    at.radio(key="outcome_card_reason").set_value("offer_too_low")
    at.text_input(key="outcome_card_note").set_value('=HYPERLINK("http://x","y")')
    at.run()
    at.button(key="outcome_card_submit").click()
    at.run()
    assert "decidiu ficar com o notebook" in texts(at)  # what was stored the first time
    rows = stored()
    assert list(rows["event_id"]) == [event_id]


def test_a_formula_note_is_stored_neutralised():
    at = choose(priced(), "card", "declined")
    at.text_input(key="outcome_card_note").set_value('=HYPERLINK("http://x","y")')
    at.run()
    at.button(key="outcome_card_submit").click()
    at.run()
    assert list(stored()["note"]) == ['\'=HYPERLINK("http://x","y")']
    location = LogLocation.from_settings(load_settings(), OUTCOMES)
    today = datetime.now(UTC).date()
    downloaded = business_data.outcomes_csv(location, today, today).decode()
    (row,) = csv.DictReader(io.StringIO(downloaded))
    assert row["note"] == '\'=HYPERLINK("http://x","y")'
    assert not any(cell.startswith(FORMULA_TRIGGERS) for cell in row.values())


def test_buscar_cotacao_records_a_decision_for_a_quote_found_by_its_id():
    quote_id = quote_id_of(priced())
    at = app()
    at.text_input(key=LOOKUP_KEY).set_value(quote_id)
    at.run()
    at = choose(at, "lookup", "accepted")
    at.button(key="outcome_lookup_submit").click()
    at.run()
    assert "Registrado:** Aceitou a oferta" in texts(at)
    assert list(stored()["quote_id"]) == [quote_id]


def test_an_expired_quote_gets_the_clerks_words():
    expired = QuoteExpired("113G-3959-QF6V", None)
    assert messages.for_outcome_error(expired).startswith("Cotação vencida")


def test_the_recorded_outcome_shows_in_the_negocios_section():
    at = priced()
    at.button(key="outcome_card_submit").click()  # accepted, the first choice
    at.run()
    assert "Registrado:" in texts(at)
    monitoring_data.refresh()
    business_data.refresh()
    at.switch_page("views/monitoring.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert "Negócios" in [h.value for h in at.subheader]
    assert "100% das ofertas foram aceitas" in texts(at)


def test_buscar_cotacao_in_another_session_shows_the_decisions_already_recorded():
    """A decision recorded on the offer card, then a later one: a clerk who opens the quote
    again in a new session sees both, the last marked as the one that counts."""
    at = choose(priced(), "card", "negotiated")
    quote_id = quote_id_of(at)
    at.number_input(key="outcome_card_amount_negotiated").set_value(1234)
    at.run()
    at.button(key="outcome_card_submit").click()
    at.run()
    at.button(key="outcome_card_another").click()
    at.run()
    at.button(key="outcome_card_submit").click()  # accepted, the first choice
    at.run()
    assert not at.exception and not at.error, texts(at)
    later = app()
    later.text_input(key=LOOKUP_KEY).set_value(quote_id)
    later.run()
    history = next(m.value for m in later.markdown if HISTORY_TITLE in str(m.value))
    lines = str(history).splitlines()[1:]
    assert len(lines) == 2, history
    assert lines[0].startswith("- Negociou outro valor (R$\xa01.234,00), em ")
    assert lines[1].startswith("- Aceitou a oferta, em ") and lines[1].endswith("(vale esta)")


def test_a_lookup_reads_the_logs_once_across_reruns_and_again_after_a_decision(monkeypatch):
    """The page reruns on every widget change; the lookup's reads (the quote's day and its
    outcome days) happen once per text, and again once a decision is recorded for it."""
    reads: list[str] = []
    original = QuoteLookup.find

    def counted(self, text):
        reads.append(text)
        return original(self, text)

    monkeypatch.setattr(QuoteLookup, "find", counted)
    quote_id = quote_id_of(priced())
    at = app()
    at.text_input(key=LOOKUP_KEY).set_value(quote_id)
    at.run()
    at.run()
    at = choose(at, "lookup", "accepted")  # a widget change: another rerun
    assert len(reads) == 1
    at.button(key="outcome_lookup_submit").click()
    at.run()
    assert len(reads) == 2
    history = next(m.value for m in at.markdown if HISTORY_TITLE in str(m.value))
    assert "Aceitou a oferta, em " in str(history)
