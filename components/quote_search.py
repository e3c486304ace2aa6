"""*Buscar cotação*: the clerk types a quote id and sees that quote again, or why not."""

from __future__ import annotations

import logging

import streamlit as st

from components.outcome_form import outcome_controls, outcome_history, recorded_outcome
from components.quote_download import stored_pdf_download
from laptop_pricing.formatting import format_price
from laptop_pricing.pricing.schema import FIELDS_BY_NAME
from laptop_pricing.request_log import store_from_settings
from laptop_pricing.request_log.compact import day_rows
from laptop_pricing.settings import Settings
from laptop_pricing.storage.day_csv import UnreadableDayFile
from laptop_pricing.storage.layout import OUTCOMES
from laptop_pricing.storage.stores import StoreError
from laptop_pricing.trade_in.quote_id import InvalidQuoteId
from laptop_pricing.trade_in.quote_lookup import LookupResult, QuoteLookup

logger = logging.getLogger(__name__)
LOOKUP_KEY = "quote_lookup"
RESULT_KEY = "quote_lookup_result"
INVALID = "Código inválido: confira. São 12 letras e números, como 113G-3959-QF6V."
UNKNOWN = "Nenhuma cotação com o código {quote_id}. Confira o código com o cliente."
UNAVAILABLE = "Não foi possível consultar as cotações agora. Tente de novo em instantes."
EXPIRED = "Cotação vencida em {day}: faça uma nova avaliação."
VALID = "Cotação válida até {day}."


@st.cache_resource(show_spinner=False)
def _lookup(settings: Settings) -> QuoteLookup:
    store = store_from_settings(settings)
    outcomes = store_from_settings(settings, OUTCOMES)
    return QuoteLookup(
        lambda day: day_rows(store, day), outcome_rows=lambda day: day_rows(outcomes, day)
    )


def find(text: str, settings: Settings) -> LookupResult | str:
    """The lookup's result, or the clerk's message when there is none to show."""
    try:
        return _lookup(settings).find(text)
    except InvalidQuoteId:
        return INVALID
    except (StoreError, UnreadableDayFile, OSError) as error:
        logger.warning("quote lookup failed: %s: %s", type(error).__name__, error)
        return UNAVAILABLE


def _recorded_event(result: LookupResult | str) -> str | None:
    recorded = None if isinstance(result, str) else recorded_outcome(result.quote_id)
    return None if recorded is None else recorded.outcome.event_id


def remembered_find(text: str, settings: Settings) -> LookupResult | str:
    """``find``, read once per text: the page reruns on every widget change, and a lookup
    reads the quote's day and its outcome days. Read again when the text changes, when a
    decision was recorded for the quote in this session, or after a failure to read."""
    remembered = st.session_state.get(RESULT_KEY)
    if remembered is not None:
        old_text, result, event = remembered
        if old_text == text and event == _recorded_event(result):
            return result
    result = find(text, settings)
    if result != UNAVAILABLE:
        st.session_state[RESULT_KEY] = (text, result, _recorded_event(result))
    return result


def quote_lookup_section(settings: Settings, clerk_email: str | None = None) -> None:
    text = st.text_input(
        "Buscar cotação",
        key=LOOKUP_KEY,
        placeholder="Código, ex.: 113G-3959-QF6V",
        help="O código está na cotação em PDF do cliente (também no QR code).",
        icon=":material/search:",
    )
    if not text.strip():
        return
    result = remembered_find(text, settings)
    if isinstance(result, str):
        st.error(result)
        return
    if result.status == "unknown" or result.quote is None:
        st.warning(UNKNOWN.format(quote_id=result.quote_id))
        return
    quote = result.quote
    day = f"{quote.valid_until:%d/%m/%Y}"
    with st.container(border=True, key="lookup_card"):
        if result.status == "expired":
            st.warning(EXPIRED.format(day=day), icon=":material/event_busy:")
        else:
            st.success(VALID.format(day=day), icon=":material/event_available:")
        offer = "sem oferta" if quote.offer is None else format_price(quote.offer)
        st.markdown(
            f"Cotação **{quote.quote_id}**  \nOferta: **{offer}**  \n"
            f"Estimativa de mercado: {format_price(quote.market_estimate)}"
        )
        if quote.spec is not None:
            values = quote.spec.as_dict()
            shown = ("brand", "processor_name", "ram_gb", "ssd")
            st.caption(" · ".join(FIELDS_BY_NAME[n].option_label(values[n]) for n in shown))
        outcome_history(result.outcomes)
        if result.status == "valid":
            outcome_controls(quote.quote_id, quote.offer, settings, "lookup", clerk_email)
            stored_pdf_download(
                quote.quote_id,
                quote.quoted_at,
                quote.valid_until,
                quote.offer,
                quote.spec,
                quote.condition,
                settings.store_name,
            )
