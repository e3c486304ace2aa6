"""Estimate page: the clerk describes the laptop and its condition and gets the store's offer."""

import streamlit as st

from components.clerk_details import clerk_details
from components.condition_form import condition_form, question_helps
from components.history import history_section
from components.laptop_form import field_helps, keyboard_help, laptop_form, submit_button
from components.mode_notice import mode_notice
from components.offer_card import error_card, offer_card, scroll_into_view
from components.page_setup import page_entry
from components.policy_check import require_usable_policy
from components.pricing import last_submit, new_customer_button, submit, warm_up
from components.quote_download import store_identity
from components.quote_search import LOOKUP_HELP, LOOKUP_KEY, quote_lookup_section

entry = page_entry()
settings = entry.settings
visitor = entry.visitor

heading, lookup = st.columns([3, 2], gap="large", vertical_alignment="top")
with heading:
    st.title("Avaliar notebook usado")
    st.caption("Preencha os dados e o estado do notebook e clique em **Calcular oferta**.")
if visitor.sees_store_records:  # not in production without sign-in: no store key for strangers
    with lookup:
        quote_lookup_section(settings, visitor.clerk_email)
require_usable_policy(settings)

values = laptop_form()
condition, result = st.columns([3, 2], gap="large")
with condition, st.container(border=True):
    answers = condition_form()
with result, st.container(key="result_area"):
    clicked = submit_button()
    if clicked:
        submit(values, answers, settings, clerk_email=visitor.clerk_email, store_id=entry.store_id)
    submitted = last_submit()
    if submitted and submitted.quote:
        offer_card(
            submitted.quote,
            submitted.trade_in,
            submitted.spec,
            store_identity(settings),
            stale=submitted.is_stale(values, answers),
            settings=settings if visitor.sees_store_records else None,
            clerk_email=visitor.clerk_email,
        )
    elif submitted and submitted.message:
        error_card(submitted.message)
    new_customer_button()
    if submitted and submitted.quote:
        clerk_details(submitted.quote, submitted.trade_in, settings.show_clerk_details)

history_section()
mode_notice(settings)
keyboard_help({**field_helps(), **question_helps(), LOOKUP_KEY: LOOKUP_HELP})
if clicked and submitted:
    scroll_into_view("result_area", submitted.submit_number)
warm_up(settings)
