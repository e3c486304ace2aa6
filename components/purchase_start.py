"""Where a purchase starts: "Comprar este notebook" on the offer card (after the customer
accepted or negotiated) and in *Buscar cotação*, or the quote's code typed on the purchase page.

The button keeps the quote id in the session and opens the purchase page with ``?cotacao=``, so
a reload or a link shared with a colleague opens the same purchase.
"""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from components.purchase_state import PAGE_PATH, QUERY_PARAM, QUOTE_KEY, choose_quote
from laptop_pricing.trade_in.outcome import ACCEPTED, NEGOTIATED, Outcome
from laptop_pricing.trade_in.quote_id import InvalidQuoteId, parse_quote_id

BUY_LABEL = "Comprar este notebook"
BUYABLE = frozenset({ACCEPTED, NEGOTIATED})
START_KEY = "purchase_start_code"
INVALID = "Código inválido: confira. São 12 letras e números, como 113G-3959-QF6V."


def buyable(outcomes: Sequence[Outcome]) -> bool:
    """The last decision recorded says the customer said yes (accepted or negotiated)."""
    return bool(outcomes) and outcomes[-1].decision in BUYABLE


def buy_button(quote_id: str, place: str) -> None:
    """Open the purchase page for ``quote_id`` (``place`` keeps widget keys apart)."""
    if st.button(
        BUY_LABEL,
        key=f"buy_{place}",
        type="primary",
        icon=":material/shopping_cart:",
        width="stretch",
    ):
        choose_quote(quote_id)
        st.session_state[QUOTE_KEY] = quote_id
        st.switch_page(PAGE_PATH, query_params={QUERY_PARAM: quote_id})


def start_box() -> None:
    """No quote chosen yet: type its code (the customer's PDF has it)."""
    st.info(
        "Para comprar, registre na cotação que o cliente aceitou a oferta e clique em "
        f"**{BUY_LABEL}**, ou digite o código da cotação aqui.",
        icon=":material/info:",
    )
    text = st.text_input(
        "Código da cotação", key=START_KEY, placeholder="Ex.: 113G-3959-QF6V"
    ).strip()
    if not text:
        return
    try:
        quote_id = parse_quote_id(text)
    except InvalidQuoteId:
        st.error(INVALID)
        return
    st.button("Começar a compra", key="purchase_start", on_click=choose_quote, args=(quote_id,))
