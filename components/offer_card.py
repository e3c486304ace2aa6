"""The answer the clerk came for: the store's offer, large, and how it was reached.

Right after the offer, what the customer decided (``outcome_form``). The market estimate and its
range come smaller, below it: the model's estimate is not what the store pays. Then each
deduction in reais (folded, so the card fits a 1366 x 768 screen with the decision controls),
the customer's PDF and the versions.
Right after a click the card is scrolled into view, so the answer is on screen without the
clerk scrolling, on a laptop screen or a phone.
"""

from __future__ import annotations

import json

import streamlit as st

from components.outcome_form import outcome_controls
from components.quote_download import pdf_download
from laptop_pricing.formatting import format_price
from laptop_pricing.pricing.engine import MarketEstimate
from laptop_pricing.pricing.laptop_spec import LaptopSpec
from laptop_pricing.settings import Settings
from laptop_pricing.trade_in.condition import QUESTIONS_BY_KEY
from laptop_pricing.trade_in.offer import MARGIN_RULE, PROCESSING_RULE, ROUNDING_RULE, Deduction
from laptop_pricing.trade_in.quote import TradeInQuote

CARD_KEY = "offer_card"
OFFER_LABEL = "Oferta da loja"
MARKET_LABEL = "Estimativa de mercado do modelo (não é a oferta)"
BREAKDOWN_TITLE = "Como a loja chegou a esta oferta"
ANSWER_THE_CONDITION = (
    "Responda às perguntas sobre o estado do notebook e clique de novo para ver a oferta da loja."
)
STALE = (
    "Os dados do notebook ou do estado mudaram depois deste cálculo. "
    "Clique em **Calcular oferta** para atualizar."
)


def percent_text(value: float) -> str:
    return f"{value:g}".replace(".", ",") + " %"


def deduction_label(deduction: Deduction) -> str:
    if deduction.rule == MARGIN_RULE:
        return f"Margem da loja ({percent_text(deduction.percent or 0)})"
    if deduction.rule == PROCESSING_RULE:
        return "Custo de preparo (limpeza, testes, formatação)"
    if deduction.rule == ROUNDING_RULE:
        return "Arredondamento"
    question_key, answer_key = deduction.rule.split(".", 1)
    question = QUESTIONS_BY_KEY.get(question_key)
    if question is None:
        return deduction.rule
    answer = question.answer_by_key(answer_key)
    percent = f" ({percent_text(deduction.percent)})" if deduction.percent is not None else ""
    return f"{question.short_label}: {answer.label.lower()}{percent}"


def market_text(quote: MarketEstimate) -> str:
    text = f"{MARKET_LABEL}: **{format_price(quote.price, quote.currency)}**"
    if quote.low is not None and quote.high is not None:
        low = format_price(quote.low, quote.currency)
        high = format_price(quote.high, quote.currency)
        text += f"  \nFaixa provável: entre {low} e {high}"
    return text


def breakdown_lines(trade_in: TradeInQuote, currency: str) -> str:
    """From the resale value to the offer, one line per rule, amounts in reais."""
    offer = trade_in.offer
    lines = [f"Revenda de um usado perfeito: {format_price(offer.resale_value, currency)}"]
    for deduction in offer.deductions:
        lines.append(f"− {deduction_label(deduction)}: {format_price(deduction.amount, currency)}")
    lines.append(f"= Oferta: {format_price(offer.amount or 0, currency)}")
    return "  \n".join(lines)


def scroll_into_view(key: str, nonce: int) -> None:
    """Bring the card into view once, right after the click that produced it (``nonce``
    changes per click, so a later rerun does not scroll the page again)."""
    selector = json.dumps(f".st-key-{key}")
    st.html(
        f"""<script data-nonce="{nonce}">
        (function () {{
          const started = Date.now();
          function bring() {{
            const card = document.querySelector({selector});
            if (card && card.getBoundingClientRect().height > 0) {{
              card.scrollIntoView({{block: "nearest"}});
            }}
            if (Date.now() - started < 1500) setTimeout(bring, 100);
          }}
          bring();
        }})();
        </script>""",
        unsafe_allow_javascript=True,
    )


def offer_card(
    quote: MarketEstimate,
    trade_in: TradeInQuote | None,
    spec: LaptopSpec | None,
    store_name: str,
    stale: bool = False,
    settings: Settings | None = None,
    clerk_email: str | None = None,
) -> None:
    """``settings`` given: the decision controls follow the offer (the client they name), and
    record ``clerk_email`` as the decision's author."""
    with st.container(border=True, key=CARD_KEY):
        if stale:
            st.warning(STALE, icon=":material/edit:")
        if trade_in is None:
            st.info(ANSWER_THE_CONDITION, icon=":material/checklist:")
            st.markdown(market_text(quote))
            st.caption(f"Versão do modelo: {quote.version}")
            return
        offer = trade_in.offer
        if offer.amount is not None:
            st.metric(OFFER_LABEL, format_price(offer.amount, quote.currency))
            if offer.basis == "parts":
                st.caption(offer.no_offer_reason or "")
        else:
            st.error(f"**Sem oferta.** {offer.no_offer_reason}", icon=":material/block:")
        st.markdown(
            f"Cotação **{trade_in.quote_id}**  \nVálida até **{trade_in.valid_until:%d/%m/%Y}**"
        )
        if settings is not None:
            outcome_controls(trade_in.quote_id, offer.amount, settings, "card", clerk_email)
        st.markdown(market_text(quote))
        if offer.basis == "condition":
            with st.expander(BREAKDOWN_TITLE, icon=":material/calculate:"):
                st.caption(breakdown_lines(trade_in, quote.currency))
        pdf_download(trade_in, spec, store_name, quote.currency)
        st.caption(f"Versão do modelo: {quote.version} · Política: {trade_in.policy_version}")


def error_card(message: str) -> None:
    st.error(message, icon=":material/error:")
