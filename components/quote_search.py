"""*Buscar cotação*: the clerk types a quote id and sees that quote again, or why not.

The quote comes through the pricing client (``GET /quote/{quote_id}``: the API, or the same
handler in-process), so the page needs no storage access of its own in any mode.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import streamlit as st

from components.deduction_words import deduction_label
from components.outcome_form import outcome_controls, outcome_history, recorded_outcome
from components.pricing import pricing_client
from components.purchase_start import buy_button, buyable
from components.quote_download import store_identity, stored_pdf_download
from laptop_pricing.errors import BadRequest, PricingError, QuoteNotFound
from laptop_pricing.formatting import format_price
from laptop_pricing.pricing.schema import FIELDS
from laptop_pricing.settings import Settings
from laptop_pricing.trade_in.quote_answer import FoundQuote
from laptop_pricing.trade_in.quote_id import InvalidQuoteId, MistypedQuoteId, parse_quote_id

logger = logging.getLogger(__name__)
LOOKUP_KEY = "quote_lookup"
RESULT_KEY = "quote_lookup_result"
LOOKUP_HELP = "O código está na cotação em PDF do cliente (também no QR code)."
MISTYPED = "Um caractere não confere; confira o código com o do PDF do cliente."
INVALID = "Código inválido: confira. São 12 letras e números, como 113G-3959-QF6V."
UNKNOWN = "Nenhuma cotação com o código {quote_id}. Confira o código com o cliente."
UNAVAILABLE = "Não foi possível consultar as cotações agora. Tente de novo em instantes."
EXPIRED = "Cotação vencida em {day}: faça uma nova avaliação."
VALID = "Cotação válida até {day}."


@dataclass(frozen=True)
class UnknownQuote:
    """A well-formed id no quote has."""

    quote_id: str


Found = FoundQuote | UnknownQuote | str  # the quote, an unknown id, or the clerk's message


def find(text: str, settings: Settings) -> Found:
    """The quote, an unknown id, or the clerk's message when there is none to show."""
    try:
        parse_quote_id(text)  # a typo is told apart before anything is asked of the service
    except MistypedQuoteId:
        return MISTYPED
    except InvalidQuoteId:
        return INVALID
    try:
        return pricing_client(settings).find_quote(text)
    except QuoteNotFound as error:
        return UnknownQuote(error.quote_id)
    except BadRequest:
        return INVALID
    except PricingError as error:
        logger.warning("quote lookup failed: %s: %s", type(error).__name__, error)
        return UNAVAILABLE


def _recorded_event(result: Found) -> str | None:
    recorded = None if isinstance(result, str) else recorded_outcome(result.quote_id)
    return None if recorded is None else recorded.outcome.event_id


def remembered_find(text: str, settings: Settings) -> Found:
    """``find``, read once per text: the page reruns on every widget change, and a lookup
    reads the quote's day and its outcome days. Read again when the text changes, when a
    decision was recorded for the quote in this session, or after a failure to read."""
    remembered = st.session_state.get(RESULT_KEY)
    if remembered is not None:
        old_text, kept, event = remembered
        if old_text == text and isinstance(kept, Found) and event == _recorded_event(kept):
            return kept
    result = find(text, settings)
    if result != UNAVAILABLE:
        st.session_state[RESULT_KEY] = (text, result, _recorded_event(result))
    return result


def inspection_lines(found: FoundQuote) -> list[str]:
    """What the clerk checks at inspection: the full spec, each stated answer and, when the
    service could recompute them under the policy that priced the quote, each deduction."""
    quote = found.quote
    lines = []
    if quote.spec is not None:
        values = quote.spec.as_dict()
        spec = " · ".join(f"{f.label}: {f.option_label(values[f.name])}" for f in FIELDS)
        lines.append(f"**Notebook:** {spec}")
    if quote.condition is not None:
        stated = " · ".join(f"{q.short_label}: {a.label}" for q, a in quote.condition.answers())
        lines.append(f"**Estado informado pelo cliente:** {stated}")
    if found.deductions:
        steps = [f"{deduction_label(d)}: − {format_price(d.amount)}" for d in found.deductions]
        lines.append("**Descontos:** " + " · ".join(steps))
    return lines


def inspection_details(found: FoundQuote) -> None:
    with st.expander("Para conferir na inspeção", icon=":material/fact_check:", expanded=True):
        st.markdown("  \n".join(inspection_lines(found)))


def quote_lookup_section(settings: Settings, clerk_email: str | None = None) -> None:
    text = st.text_input(
        "Buscar cotação",
        key=LOOKUP_KEY,
        placeholder="Código, ex.: 113G-3959-QF6V",
        help=LOOKUP_HELP,
        icon=":material/search:",
    )
    if not text.strip():
        return
    result = remembered_find(text, settings)
    if isinstance(result, str):
        st.error(result)
        return
    if isinstance(result, UnknownQuote):
        st.warning(UNKNOWN.format(quote_id=result.quote_id))
        return
    quote = result.quote
    day = f"{quote.valid_until:%d/%m/%Y}"
    with st.container(border=True, key="lookup_card"):
        if result.state == "expired":
            st.warning(EXPIRED.format(day=day), icon=":material/event_busy:")
        else:
            st.success(VALID.format(day=day), icon=":material/event_available:")
        offer = "sem oferta" if quote.offer is None else format_price(quote.offer)
        st.markdown(
            f"Cotação **{quote.quote_id}**  \nOferta: **{offer}**  \n"
            f"Estimativa de mercado: {format_price(quote.market_estimate)}"
        )
        inspection_details(result)
        outcome_history(result.outcomes)
        if (
            result.state == "valid"
            and buyable(result.outcomes)
            and not recorded_outcome(quote.quote_id)
        ):
            buy_button(quote.quote_id, "lookup_found")
        if result.state == "valid":
            outcome_controls(
                quote.quote_id, quote.offer, settings, "lookup", clerk_email=clerk_email
            )
            stored_pdf_download(
                quote.quote_id,
                quote.quoted_at,
                quote.valid_until,
                quote.offer,
                quote.spec,
                quote.condition,
                store_identity(settings),
            )
