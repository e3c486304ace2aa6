"""Model card page: which model prices the laptops, when it was trained, how far off it runs."""

import streamlit as st

from components.model_card import render, shipped_facts
from components.page_setup import page_entry
from components.pricing import last_outcome

settings = page_entry().settings

st.title("Sobre o modelo")
st.caption("O modelo que calcula os preços, quando foi treinado e quanto costuma errar.")

outcome = last_outcome()
render(
    shipped_facts(),
    api_version=outcome.quote.version if outcome and outcome.quote else None,
    http_mode=not settings.embedded,
)
