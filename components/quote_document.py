"""The customer's PDF quote as a download button (built once per quote, kept in the session)."""

from __future__ import annotations

from datetime import date, datetime

import streamlit as st

from laptop_pricing.condition import Condition
from laptop_pricing.laptop_spec import LaptopSpec
from laptop_pricing.quote_pdf import QuoteDocument, pdf_file_name, quote_pdf
from laptop_pricing.trade_in import TradeInQuote

PDF_CACHE_KEY = "quote_pdfs"


def _pdf_bytes(document: QuoteDocument) -> bytes:
    cache = st.session_state.setdefault(PDF_CACHE_KEY, {})
    if document not in cache:
        cache.clear()  # only the quotes on screen are kept
        cache[document] = quote_pdf(document)
    return cache[document]


def document_download(document: QuoteDocument, key: str) -> None:
    st.download_button(
        "Baixar cotação em PDF para o cliente",
        data=_pdf_bytes(document),
        file_name=pdf_file_name(document),
        mime="application/pdf",
        key=key,
        on_click="ignore",
        icon=":material/picture_as_pdf:",
        width="stretch",
    )


def pdf_download(
    trade_in: TradeInQuote, spec: LaptopSpec | None, store_name: str, currency: str
) -> None:
    document = QuoteDocument(
        store_name=store_name,
        quote_id=trade_in.quote_id,
        quoted_at=trade_in.quoted_at,
        valid_until=trade_in.valid_until,
        offer=trade_in.offer.amount,
        no_offer_reason=trade_in.offer.no_offer_reason,
        spec=spec,
        condition=trade_in.condition,
        currency=currency,
    )
    document_download(document, key="quote_pdf")


def stored_pdf_download(
    quote_id: str,
    quoted_at: datetime,
    valid_until: date,
    offer: int | None,
    spec: LaptopSpec | None,
    condition: Condition | None,
    store_name: str,
) -> None:
    document = QuoteDocument(
        store_name=store_name,
        quote_id=quote_id,
        quoted_at=quoted_at,
        valid_until=valid_until,
        offer=offer,
        no_offer_reason=None if offer is not None else "A loja não fez oferta nesta cotação.",
        spec=spec,
        condition=condition,
    )
    document_download(document, key="lookup_pdf")
