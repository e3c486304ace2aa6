"""*Detalhes para o balconista*: what the clerk may need to explain a price, folded below the
offer (closed) so the customer across the counter reads the offer, not the model's estimate.

The store setting ``SHOW-CLERK-DETAILS = false`` hides it entirely. Drawn after the offer card,
so the offer is on screen first.
"""

from __future__ import annotations

import streamlit as st

from components.comparables_table import comparables_section
from components.deduction_words import breakdown_lines, market_text
from components.price_explanation import explanation_section
from laptop_pricing.pricing.engine import MarketEstimate
from laptop_pricing.trade_in.quote import TradeInQuote

TITLE = "Detalhes para o balconista"
DETAILS_KEY = "clerk_details"


def clerk_details(quote: MarketEstimate, trade_in: TradeInQuote | None, shown: bool) -> None:
    """``shown`` is the store's setting; False draws nothing at all."""
    if not shown:
        return
    with (
        st.container(key=DETAILS_KEY),
        st.expander(TITLE, icon=":material/visibility_off:", expanded=False),
    ):
        st.caption("Não vire a tela para o cliente com estes detalhes abertos.")
        st.markdown(market_text(quote))
        if trade_in is not None and trade_in.offer.basis == "condition":
            st.markdown("**Como a loja chegou a esta oferta**")
            st.caption(breakdown_lines(trade_in, quote.currency))
        explanation_section(quote)
        comparables_section(quote)
        versions = f"Versão do modelo: {quote.version}"
        if trade_in is not None:
            versions += f" · Política: {trade_in.policy_version}"
        st.caption(versions)
