"""Issue 21 in AppTest: who recorded a decision (item 12), the amount band's reason, and notes
that must not carry customer data (item 17)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from components import business_data
from components.outcome_form import NO_CUSTOMER_DATA
from components.quote_search import LOOKUP_KEY
from laptop_pricing.monitoring.outcome_reader import read_outcomes
from laptop_pricing.monitoring.sources import LogLocation
from laptop_pricing.record_kinds import OUTCOMES
from laptop_pricing.settings import load_settings
from tests.app_fixtures import CLERK, OWNER, SCRATCHED, answer, app, submit, texts

pytestmark = pytest.mark.usefixtures("clean_env", "fresh_caches")


def priced(user: str | None = None):
    at = submit(answer(app(user=user), SCRATCHED))
    assert not at.exception and not at.error, texts(at)
    return at


def quote_id_of(at) -> str:
    line = next(m.value for m in at.markdown if str(m.value).startswith("Cotação **"))
    return str(line).split("**")[1]


def offer_of(at) -> int:
    return int(at.number_input(key="outcome_card_amount_negotiated").value)


def stored():
    return read_outcomes(LogLocation.from_settings(load_settings(), OUTCOMES)).outcomes


def choose(at, place: str, decision: str):
    at.radio(key=f"outcome_{place}_decision").set_value(decision)
    return at.run()


def click_submit(at, place: str = "card"):
    at.button(key=f"outcome_{place}_submit").click()
    return at.run()


def test_each_decision_keeps_its_author_masked_and_the_lookup_shows_the_history():
    """Item 12: the clerk declines, the owner later records the sale; both stay, each with
    who recorded it, masked (the address is never stored); the monitoring frame and the
    download keep no author."""
    at = choose(priced(CLERK), "card", "declined")
    quote_id = quote_id_of(at)
    at = click_submit(at)
    assert "Registrado:" in texts(at)
    owner = app(user=OWNER)
    owner.text_input(key=LOOKUP_KEY).set_value(quote_id)
    owner = click_submit(choose(owner.run(), "lookup", "accepted"), "lookup")
    assert not owner.error, texts(owner)
    rows = stored()
    assert list(rows["decision"]) == ["declined", "accepted"]
    assert not {"clerk_email", "recorded_by"} & set(rows.columns)
    folder = load_settings().predictions_dir
    written = b"".join(p.read_bytes() for p in folder.rglob("*") if p.is_file())
    assert CLERK.encode() not in written and OWNER.encode() not in written

    again = app(user=CLERK)
    again.text_input(key=LOOKUP_KEY).set_value(quote_id)
    page = texts(again.run())
    assert f"por {CLERK}" not in page and OWNER not in page  # the sidebar names the visitor
    assert "por a***@loja.com.br" in page and "por d***@loja.com.br" in page
    assert "(vale esta)" in page

    today = datetime.now(UTC).date()
    location = LogLocation.from_settings(load_settings(), OUTCOMES)
    downloaded = business_data.outcomes_csv(location, today, today).decode()
    assert "***@" not in downloaded and CLERK not in downloaded and OWNER not in downloaded
    header = next(csv.reader(io.StringIO(downloaded)))
    assert "decision" in header and not {"clerk_email", "recorded_by"} & set(header)


def test_open_local_records_no_author():
    at = click_submit(priced())
    assert "Registrado:" in texts(at) and ", por " not in texts(at)
    assert len(stored()) == 1


def test_a_note_with_a_cpf_is_refused_in_the_clerks_words_and_nothing_is_stored():
    """Item 17: the field warns before, and the refusal says why after."""
    at = choose(priced(), "card", "declined")
    note = at.text_input(key="outcome_card_note")
    assert note.placeholder == NO_CUSTOMER_DATA and "CPF" in NO_CUSTOMER_DATA
    note.set_value("cliente 529.982.247-25 volta amanhã")
    at = click_submit(at.run())
    assert not at.exception
    assert [e.value for e in at.error] == [
        "Apague o CPF ou telefone do texto: não escreva CPF, telefone ou nome do cliente. "
        "Depois registre de novo."
    ]
    assert stored().empty


def test_an_amount_far_from_the_offer_asks_for_its_reason():
    """Item 12: below half the offer the clerk must say why; with the reason it is stored."""
    at = choose(priced(), "card", "negotiated")
    low = offer_of(at) // 2 - 10
    at.number_input(key="outcome_card_amount_negotiated").set_value(low)
    at = click_submit(at.run())
    assert "motivo do valor" in " ".join(e.value for e in at.error)
    assert stored().empty
    at.text_input(key="outcome_card_amount_reason").set_value("tela trincada, cliente aceitou")
    at = click_submit(at.run())
    assert not at.error, texts(at)
    assert "tela trincada, cliente aceitou" in texts(at)
    rows = stored()
    assert list(rows["amount"]) == [low] and list(rows["reason"]) == [
        "tela trincada, cliente aceitou"
    ]
