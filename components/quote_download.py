"""The customer's PDF quote as a download button, built only when the clerk asks for it.

Building the PDF takes about 80 ms (and importing fpdf2 about 0.4 s and 30 MB, once per
process), so it is not built while the offer card renders: ``st.download_button`` calls the
builder on its own thread when the button is clicked. ``QUOTE_DOCUMENT_KEY`` keeps the document
on screen (what the PDF will say), for the tests.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import partial

import streamlit as st

from laptop_pricing.pricing.laptop_spec import LaptopSpec
from laptop_pricing.settings import Settings
from laptop_pricing.trade_in.condition import Condition
from laptop_pricing.trade_in.offer import customer_no_offer_text
from laptop_pricing.trade_in.quote import TradeInQuote
from laptop_pricing.trade_in.quote_document import QuoteDocument, StoreIdentity, pdf_file_name

QUOTE_DOCUMENT_KEY = "quote_documents"


def _render(document: QuoteDocument) -> bytes:
    from laptop_pricing.trade_in.quote_pdf import quote_pdf

    return quote_pdf(document)


def store_identity(settings: Settings) -> StoreIdentity:
    return StoreIdentity(
        settings.store_name, settings.store_address, settings.store_cnpj, settings.store_phone
    )


def document_download(document: QuoteDocument, key: str, disabled: bool = False) -> None:
    st.session_state.setdefault(QUOTE_DOCUMENT_KEY, {})[key] = document
    st.download_button(
        "Baixar cotação em PDF para o cliente",
        data=partial(_render, document),
        file_name=pdf_file_name(document),
        mime="application/pdf",
        key=key,
        on_click="ignore",
        icon=":material/picture_as_pdf:",
        width="stretch",
        disabled=disabled,
    )


def pdf_download(
    trade_in: TradeInQuote,
    spec: LaptopSpec | None,
    store: StoreIdentity,
    currency: str,
    disabled: bool = False,
) -> None:
    """``disabled``: the offer is stale (the form changed since), so no PDF until recalculated."""
    offer = trade_in.offer
    document = QuoteDocument(
        store=store,
        quote_id=trade_in.quote_id,
        quoted_at=trade_in.quoted_at,
        valid_until=trade_in.valid_until,
        offer=offer.amount,
        no_offer_reason=customer_no_offer_text(offer.no_offer_code, offer.no_offer_reason),
        spec=spec,
        condition=trade_in.condition,
        currency=currency,
    )
    document_download(document, key="quote_pdf", disabled=disabled)


def stored_pdf_download(
    quote_id: str,
    quoted_at: datetime,
    valid_until: date,
    offer: int | None,
    spec: LaptopSpec | None,
    condition: Condition | None,
    store: StoreIdentity,
) -> None:
    document = QuoteDocument(
        store=store,
        quote_id=quote_id,
        quoted_at=quoted_at,
        valid_until=valid_until,
        offer=offer,
        no_offer_reason=None if offer is not None else "A loja não fez oferta nesta cotação.",
        spec=spec,
        condition=condition,
    )
    document_download(document, key="lookup_pdf")
