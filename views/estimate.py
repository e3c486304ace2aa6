"""Estimate page: the clerk describes the laptop and its condition and gets the store's offer.

Everything below the laptop form (the condition, *Calcular oferta*, the card, the clerk's details,
the session's history) is one fragment: a click or a condition answer reruns only it, so the
offer is on screen without the form's widgets being sent and drawn again; what follows the card
is drawn after it (issue 22, item 15; bench/bench_click_to_offer.py). A laptop field changed
reruns the whole page, fragment included, so the fragment's ``values`` are always current.
"""

from typing import Any

import streamlit as st

from components.clerk_details import clerk_details
from components.condition_form import condition_form, question_helps
from components.history import history_section
from components.laptop_form import field_helps, keyboard_help, laptop_form, submit_button
from components.mode_notice import mode_notice
from components.offer_card import error_card, offer_card, scroll_into_view, warm_card_elements
from components.page_setup import page_entry
from components.policy_check import require_usable_policy
from components.pricing import last_submit, new_customer_button, submit, warm_up
from components.quote_download import store_identity
from components.quote_search import LOOKUP_HELP, LOOKUP_KEY, quote_lookup_section
from laptop_pricing.access import Visitor
from laptop_pricing.settings import Settings


@st.fragment
def below_the_form(
    values: dict[str, Any], settings: Settings, visitor: Visitor, store_id: str
) -> None:
    condition, result = st.columns([3, 2], gap="large")
    with condition, st.container(border=True):
        answers = condition_form()
    with result, st.container(key="result_area"):
        clicked = submit_button()
        if clicked:
            submit(values, answers, settings, store_id=store_id)
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
        if new_customer_button():  # its callback cleared the laptop form too: draw it again
            st.rerun(scope="app")
        if submitted and submitted.quote:
            clerk_details(submitted.quote, submitted.trade_in, settings.show_clerk_details)
    history_section()
    if clicked and submitted:
        scroll_into_view("result_area", submitted.submit_number)


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
below_the_form(values, settings, visitor, entry.store_id)
mode_notice(settings)
keyboard_help({**field_helps(), **question_helps(), LOOKUP_KEY: LOOKUP_HELP})
warm_card_elements()
warm_up(settings)
