"""Purchase page: from the customer's yes to a laptop the store owns, in seven steps on one page
(inspection, locks, machine, photos, seller, payout, declaration), then "Concluir compra"."""

import streamlit as st

from components.page_setup import page_entry
from components.purchase_conclude import finished, success_card
from components.purchase_form import purchase_form
from components.purchase_lookup import purchase_lookup_section
from components.purchase_start import start_box
from components.purchase_state import current_quote_id
from laptop_pricing.access import Role

entry = page_entry()
settings = entry.settings
visitor = entry.visitor

heading, lookup = st.columns([3, 2], gap="large", vertical_alignment="top")
with heading:
    st.title("Comprar notebook")
with lookup:
    purchase_lookup_section(settings, visitor.role is Role.OWNER, visitor.clerk_email)

done = finished()
quote_id = None if done is not None else current_quote_id()
if done is not None:
    success_card(done)
elif quote_id is None:
    start_box()
else:
    purchase_form(quote_id, settings, visitor)
