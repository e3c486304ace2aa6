"""The trade-in flow in AppTest: laptop, condition, offer card, quote lookup, history, PDF."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import pandas as pd
import pytest
from pypdf import PdfReader

from components import messages
from components.condition_form import widget_key
from components.history import HISTORY_KEY, to_csv
from components.offer_card import ANSWER_THE_CONDITION, MARKET_LABEL, OFFER_LABEL
from components.quote_download import QUOTE_DOCUMENT_KEY
from components.quote_search import EXPIRED, INVALID, UNKNOWN
from laptop_pricing.formatting import BRASILIA
from laptop_pricing.trade_in.condition import QUESTIONS
from laptop_pricing.trade_in.policy import DEFAULT_POLICY_PATH
from laptop_pricing.trade_in.quote_id import QuoteIdGenerator
from laptop_pricing.trade_in.quote_pdf import quote_pdf
from tests.app_fixtures import SCRATCHED, answer, app, fill, submit, texts

pytestmark = pytest.mark.usefixtures("clean_env")


def offer_metric(at):
    return next(m for m in at.metric if m.label == OFFER_LABEL)


def test_the_condition_questions_come_from_the_module_unanswered():
    at = app()
    radios = {r.key: r for r in at.radio}
    for question in QUESTIONS:
        radio = radios[widget_key(question)]
        assert radio.label == question.label
        assert radio.options == [a.label for a in question.answers]
        assert radio.value is None


def test_without_answers_the_clerk_sees_the_market_estimate_and_is_asked_for_the_condition():
    at = submit(app())
    assert not at.exception and not at.error
    assert ANSWER_THE_CONDITION in [i.value for i in at.info]
    assert MARKET_LABEL in texts(at)
    assert not any(m.label == OFFER_LABEL for m in at.metric)


def test_half_answered_names_the_questions_left():
    at = submit(answer(app(), {"screen": "perfect", "battery": "normal"}))
    assert at.error and at.error[0].value.startswith(messages.UNANSWERED.split("{")[0])
    assert "Carregador original junto" in at.error[0].value


def test_the_whole_flow_offer_card_history_pdf_and_lookup(tmp_path):
    at = fill(app({"STORE-NAME": "Loja Teste Ação"}), {"brand": "lenovo", "ram_gb": 16})
    at = submit(answer(at, SCRATCHED))
    assert not at.exception and not at.error
    offer = offer_metric(at).value
    assert offer.startswith("R$\xa0") and offer.endswith(",00")
    page = texts(at)
    assert "Válida até" in page and "Cotação" in page and MARKET_LABEL in page
    assert "Tela: riscos leves (10 %)" in page and "Margem da loja (20 %)" in page
    history = at.session_state[HISTORY_KEY]
    quote_id = history[-1]["Cotação"]
    assert len(quote_id) == 14 and history[-1]["Oferta (R$)"] > 0

    csv_text = to_csv(pd.DataFrame(history)).decode("utf-8-sig")
    assert "Oferta (R$);Cotação" in csv_text.splitlines()[0] and quote_id in csv_text

    # The button builds the PDF when clicked (the browser test downloads it); here, the document
    # the card handed it, rendered the same way.
    pdf = quote_pdf(at.session_state[QUOTE_DOCUMENT_KEY]["quote_pdf"])
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "Loja Teste Ação" in text and quote_id in text
    assert offer.replace("\xa0", " ") in text.replace("\xa0", " ")
    assert "Válida até" in text and "confirmado na inspeção" in text

    at.text_input(key="quote_lookup").input(quote_id.lower().replace("-", "")).run()
    assert not at.exception
    assert any("Cotação válida até" in s.value for s in at.success)
    assert quote_id in texts(at)

    at.text_input(key="quote_lookup").input("ABCD").run()
    assert INVALID in [e.value for e in at.error]
    other = QuoteIdGenerator().new(datetime.now(BRASILIA) - timedelta(days=3))
    at.text_input(key="quote_lookup").input(other).run()
    assert UNKNOWN.format(quote_id=other) in [w.value for w in at.warning]


def test_a_quote_past_its_validity_reads_as_expired(monkeypatch, tmp_path):
    policy = tmp_path / "same-day.toml"
    policy.write_text(
        DEFAULT_POLICY_PATH.read_text().replace("validity_days = 7", "validity_days = 0")
    )
    monkeypatch.setenv("POLICY_PATH", str(policy))
    at = submit(answer(app(), SCRATCHED))
    quote_id = at.session_state[HISTORY_KEY][-1]["Cotação"]
    tomorrow = datetime.now(BRASILIA).date() + timedelta(days=1)
    monkeypatch.setattr("laptop_pricing.trade_in.quote_lookup.brasilia_today", lambda: tomorrow)
    at.text_input(key="quote_lookup").input(quote_id).run()
    today = datetime.now(BRASILIA).date()
    assert EXPIRED.format(day=f"{today:%d/%m/%Y}") in [w.value for w in at.warning]


def test_no_offer_shows_the_reason_instead_of_an_amount():
    at = submit(answer(app(), {**SCRATCHED, "powers_on": False}))
    assert not any(m.label == OFFER_LABEL for m in at.metric)
    assert "não ligam" in at.error[0].value and "Sem oferta" in at.error[0].value


def test_a_bad_policy_stops_the_page_with_one_message_naming_the_key(monkeypatch, tmp_path):
    policy = tmp_path / "bad.toml"
    policy.write_text(
        DEFAULT_POLICY_PATH.read_text().replace("margin_pct = 20", 'margin_pct = "vinte"')
    )
    at = app({"POLICY-PATH": str(policy)})
    assert not at.exception
    assert len(at.error) == 1 and "offer.margin_pct" in at.error[0].value
    assert not [b for b in at.button if b.key == "submit"]
