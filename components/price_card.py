"""The answer the clerk came for: the price, big, the likely range and the model version."""

from __future__ import annotations

import streamlit as st

from laptop_pricing.engine import Quote
from laptop_pricing.formatting import format_price

PRICE_LABEL = "Preço sugerido para a compra do usado"


def range_text(quote: Quote) -> str | None:
    if quote.low is None or quote.high is None:
        return None
    low, high = format_price(quote.low, quote.currency), format_price(quote.high, quote.currency)
    return f"Faixa provável: entre {low} e {high}"


def price_card(quote: Quote, stale: bool = False) -> None:
    with st.container(border=True, key="price_card"):
        st.metric(PRICE_LABEL, format_price(quote.price, quote.currency))
        text = range_text(quote)
        if text:
            st.markdown(text)
        st.caption(f"Versão do modelo: {quote.version}")
        if stale:
            st.warning(
                "Os dados do formulário mudaram depois deste cálculo. "
                "Clique em **Calcular preço** para atualizar.",
                icon=":material/edit:",
            )


def error_card(message: str) -> None:
    st.error(message, icon=":material/error:")
