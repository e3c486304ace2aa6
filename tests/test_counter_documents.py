"""The store's identity on the customer's PDF (read back with pypdf: one page, CNPJ, QR
caption), the new settings keys, and no-offer quotes kept out of the owner's price figures
(issue 22, items 4, 6 and 8)."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pandas as pd
import pytest
from pypdf import PdfReader

from laptop_pricing.monitoring import business, business_summary
from laptop_pricing.monitoring.outcome_reader import outcomes_frame
from laptop_pricing.pricing.laptop_spec import LaptopSpec
from laptop_pricing.settings import InvalidSettings, load_settings
from laptop_pricing.trade_in import outcome
from laptop_pricing.trade_in.condition import Condition
from laptop_pricing.trade_in.offer import CUSTOMER_NO_OFFER_TEXTS
from laptop_pricing.trade_in.outcome import InvalidOutcome, LatePolicy, QuoteTerms
from laptop_pricing.trade_in.outcome_request import OutcomeRequest
from laptop_pricing.trade_in.quote_document import QuoteDocument, StoreIdentity
from laptop_pricing.trade_in.quote_pdf import QR_CAPTION, quote_pdf

pytestmark = pytest.mark.usefixtures("clean_env")
STORE = StoreIdentity(
    "Loja Exemplo — Centro Comercial do Bairro",
    "Rua Exemplo, 1234, sala 5 — Centro, São Paulo/SP, 01001-000",
    "11.222.333/0001-81",
    "(11) 4000-1234",
)
NOW = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)


def document(offer: int | None = 1010, code: str | None = None) -> QuoteDocument:
    """The longest quote a clerk can make: every v2 field, every condition answer."""
    spec = LaptopSpec.from_payload(
        {**LaptopSpec.default().to_payload()["data"], "processor_gnrtn": "11th", "msoffice": 1}
    )
    condition = Condition.from_payload(
        {
            "powers_on": True,
            "screen": "scratched",
            "body": "worn",
            "keyboard_ports": "faulty",
            "battery": "weak",
            "charger": False,
            "locks_removed": code is None,
        }
    )
    reason = None if code is None else CUSTOMER_NO_OFFER_TEXTS[code]
    return QuoteDocument(
        STORE, "113G-3959-QF6V", NOW, date(2026, 12, 14), offer, reason, spec, condition
    )


def pdf_text(doc: QuoteDocument) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(quote_pdf(doc)))
    return len(reader.pages), reader.pages[0].extract_text()


@pytest.mark.parametrize("code", [None, "locks_removed.no"])
def test_the_pdf_names_the_store_and_keeps_everything_on_page_one(code):
    pages, text = pdf_text(document(None if code else 1010, code))
    flat = " ".join(text.split())
    assert pages == 1
    assert "CNPJ 11.222.333/0001-81" in flat and "Tel. (11) 4000-1234" in flat
    assert "Rua Exemplo, 1234" in flat
    assert " ".join(QR_CAPTION.split()[:3]) in flat
    assert "Importante" in flat and "Estado informado" in flat and "Carregador" in flat


def test_a_no_offer_pdf_speaks_to_the_customer_not_to_the_clerk():
    _, text = pdf_text(document(None, "locks_removed.no"))
    flat = " ".join(text.split())
    assert "Remova as senhas" in flat and "peça ao cliente" not in flat


def test_store_settings_are_read_and_the_cnpj_formatted():
    settings = load_settings(
        {"STORE-CNPJ": "11222333000181", "STORE-PHONE": "(11) 4000-1234", "STORE-ADDRESS": "Rua"}
    )
    assert settings.store_cnpj == "11.222.333/0001-81" and settings.store_phone == "(11) 4000-1234"
    assert settings.show_clerk_details is True
    assert load_settings({"SHOW-CLERK-DETAILS": False}).show_clerk_details is False
    assert load_settings({"SHOW-CLERK-DETAILS": "true"}).show_clerk_details is True


@pytest.mark.parametrize(
    ("key", "value", "code"),
    [("STORE-CNPJ", "11.222.333/0001-82", "cnpj"), ("SHOW-CLERK-DETAILS", "talvez", "flag")],
)
def test_a_bad_store_setting_is_one_problem_naming_its_key(key, value, code):
    with pytest.raises(InvalidSettings) as caught:
        load_settings({key: value})
    assert [(p.key, p.code) for p in caught.value.problems] == [(key, code)]


def test_a_quote_without_offer_takes_its_own_reasons_and_never_offer_too_low():
    no_offer = QuoteTerms("Q7K2M9PX", offer=None, valid_until=date(2026, 12, 14))
    with_offer = QuoteTerms("Q7K2M9PX", offer=1000, valid_until=date(2026, 12, 14))

    def request(reason):
        body = {"quote_id": "q7k2m9px", "event_id": f"evt-{reason}-1", "decision": "declined"}
        return OutcomeRequest.from_payload({**body, "reason": reason})

    for reason in outcome.NO_OFFER_REASONS:
        assert outcome.decide(request(reason), no_offer, [], NOW, LatePolicy.ACCEPT).status == 201
        with pytest.raises(InvalidOutcome):
            outcome.decide(request(reason), with_offer, [], NOW, LatePolicy.ACCEPT)
    with pytest.raises(InvalidOutcome) as caught:
        outcome.decide(request(outcome.OFFER_TOO_LOW), no_offer, [], NOW, LatePolicy.ACCEPT)
    assert caught.value.errors[0].field == "reason"


def test_market_only_requests_and_no_offer_quotes_are_not_offers_for_the_owner():
    """A market estimate without a condition (no quote id, no offer) and a "Sem oferta" quote
    with its own decision leave the offers and the declines for price untouched."""
    stamp = pd.to_datetime(["2026-12-07T13:00Z"] * 4, utc=True)
    quotes = pd.DataFrame(
        {
            "quote_id": ["A", "B", "", ""],
            "offer": [1000, None, None, None],
            "price": [2000, 2000, 2100, 2100],
            "timestamp": stamp,
        }
    )
    rows = [
        {"quote_id": qid, "event_id": f"e-{qid}", "decision": "declined", "reason": reason,
         "amount": "", "note": "", "changed_answer": "", "offer": offer, "late": "0",
         "recorded_at": "2026-12-07T14:00:00.000000Z"}
        for qid, reason, offer in (("A", "offer_too_low", "1000"), ("B", "took_back", ""))
    ]  # fmt: skip
    joined = business.join_outcomes(quotes, outcomes_frame(rows))
    assert joined["quote_id"].tolist() == ["A"]
    summary = business_summary.business_summary(joined, date(2026, 12, 7), days=7)
    assert summary.quotes == 1 and summary.declined_low_offer == 1
