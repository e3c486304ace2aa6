"""The stock page's filters and search (state, age, brand, processor, serial or purchase id)
and its page number: read from the widgets' keys into a ``StockQuery`` before the listing is
asked for, drawn with the options that listing offers."""

from __future__ import annotations

import streamlit as st

from components import stock_words as words
from components.stock_table import brand_label
from laptop_pricing.stock.query import StockQuery
from laptop_pricing.stock_answers import StockListing

STATE_KEY = "stock_state"
AGE_KEY = "stock_age"
BRAND_KEY = "stock_brand"
PROCESSOR_KEY = "stock_processor"
SEARCH_KEY = "stock_search"
PAGE_KEY = "stock_page"
FILTER_KEYS = (STATE_KEY, AGE_KEY, BRAND_KEY, PROCESSOR_KEY, SEARCH_KEY)


def _chosen(key: str) -> str | None:
    value = st.session_state.get(key)
    return None if value in (None, "", words.ALL) else str(value)


def current_query() -> StockQuery:
    """What the widgets say now (their last run's values); a new filter starts on page 1."""
    filters = tuple(_chosen(key) for key in FILTER_KEYS)
    if st.session_state.get("_stock_filters") != filters:
        st.session_state["_stock_filters"] = filters
        st.session_state[PAGE_KEY] = 1
    state, age, brand, processor, search = filters
    page = st.session_state.get(PAGE_KEY, 1)
    return StockQuery(
        state=state,
        age=age,
        brand=brand,
        processor=processor,
        search=(search or "").strip()[:64] or None,
        page=page if isinstance(page, int) and page >= 1 else 1,
    )


def filter_bar(listing: StockListing | None) -> None:
    """The filters in one row; the brand and processor lists are those in stock."""
    brands = list(listing.brands) if listing else []
    processors = list(listing.processors) if listing else []
    state, age, brand, processor = st.columns(4)
    state.selectbox(
        "Situação",
        [words.ALL, *words.STATES],
        format_func=lambda v: words.STATES.get(v, v),
        key=STATE_KEY,
    )
    age.selectbox(
        "Tempo em estoque",
        [words.ALL, *words.AGES],
        format_func=lambda v: words.AGES.get(v, v),
        key=AGE_KEY,
    )
    _keep_known(BRAND_KEY, brands)
    _keep_known(PROCESSOR_KEY, processors)
    brand.selectbox("Marca", [words.ALL, *brands], format_func=brand_label, key=BRAND_KEY)
    processor.selectbox("Processador", [words.ALL, *processors], key=PROCESSOR_KEY)
    st.text_input(words.SEARCH_LABEL, key=SEARCH_KEY, max_chars=64, placeholder="SN-… ou ABCD-…")


def _keep_known(key: str, options: list[str]) -> None:
    """A choice no longer in stock goes back to "Todos" (a selectbox must hold an option)."""
    if st.session_state.get(key) not in (None, words.ALL, *options):
        st.session_state[key] = words.ALL


def pager(listing: StockListing) -> None:
    """Previous / next page, and where we are."""
    shown = len(listing.items)
    st.caption(
        words.SHOWING.format(
            shown=shown, total=listing.total, page=listing.page, pages=listing.pages
        )
    )
    if listing.pages <= 1:
        return
    back, ahead, _ = st.columns([1, 1, 4])
    if back.button("Anterior", key="stock_prev", disabled=listing.page <= 1):
        st.session_state[PAGE_KEY] = listing.page - 1
        st.rerun()
    if ahead.button("Próxima", key="stock_next", disabled=listing.page >= listing.pages):
        st.session_state[PAGE_KEY] = listing.page + 1
        st.rerun()
