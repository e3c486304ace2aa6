"""Estimate page: the clerk describes the laptop and gets the trade-in price."""

import streamlit as st

from components.comparables import comparables_section
from components.history import history_section
from components.laptop_form import laptop_form, submit_button
from components.mode_notice import mode_notice
from components.page_setup import page_entry
from components.price_card import error_card, price_card
from components.price_explanation import explanation_section
from components.pricing import last_outcome, submit, warm_up

entry = page_entry()
settings = entry.settings

st.title("Avaliar notebook usado")
st.caption("Preencha os dados do notebook do cliente e clique em **Calcular preço**.")

values = laptop_form()
result, past = st.columns([2, 3], gap="large")
with result:
    if submit_button():
        submit(values, settings, clerk_email=entry.visitor.clerk_email)
    outcome = last_outcome()
    if outcome and outcome.quote:
        price_card(outcome.quote, stale=outcome.values != values)
        explanation_section(outcome.quote)
        comparables_section(outcome.quote)
    elif outcome and outcome.message:
        error_card(outcome.message)
with past:
    history_section()

mode_notice(settings)
warm_up(settings)
