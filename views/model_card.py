"""Model card page: which model prices the laptops, when it was trained, how far off it runs."""

import streamlit as st

from components.model_card_sections import render, shipped_facts
from components.offer_source import render_offer_source
from components.page_setup import page_entry
from components.pricing import last_submit

settings = page_entry().settings

st.title("Sobre o modelo")
st.caption("O modelo que calcula os preços, quando foi treinado e quanto costuma errar.")
st.info(
    "O modelo estima o **valor de mercado** do notebook, a partir de preços de anúncio. "
    "Essa estimativa **não é a oferta**: a oferta da loja parte dela e desconta a revenda de "
    "usado, a margem, o custo de preparo e o estado do aparelho, conforme a política da loja.",
    icon=":material/info:",
)

submitted = last_submit()
render(
    shipped_facts(),
    api_version=submitted.quote.version if submitted and submitted.quote else None,
    http_mode=not settings.embedded,
)
render_offer_source()
