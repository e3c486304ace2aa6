"""Stock page: every laptop the store bought, filtered and searched, one page of 50 at a time,
and for the one chosen its history and the changes its state allows."""

import streamlit as st

from components import stock_words as words
from components.page_setup import page_entry
from components.pricing import pricing_client
from components.stock_actions import apply_pending, item_card, notice, pick_item
from components.stock_filters import current_query, filter_bar, pager
from components.stock_table import counts_row, items_table
from laptop_pricing.access import Role
from laptop_pricing.errors import PricingError

entry = page_entry()
visitor = entry.visitor

st.title(words.TITLE)
st.caption(words.INTRO)
apply_pending(entry.settings, visitor.clerk_email)
notice()
try:
    listing = pricing_client(entry.settings).list_stock(current_query())
except PricingError as error:
    listing = None
    st.error(words.refusal_words(error))
if listing is not None:
    counts_row(listing)
filter_bar(listing)
if listing is not None and not listing.items:
    st.info(words.EMPTY)
elif listing is not None:
    items_table(listing)
    pager(listing)
    chosen = pick_item(listing)
    if chosen is not None:
        item_card(chosen, visitor.role is Role.OWNER)
