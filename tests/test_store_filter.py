"""The "Lojas" filter in AppTest: a chain owner starts on the whole chain, a limited owner is
offered only their stores, and a foreign store's id never comes out of it."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from components.store_filter import STORE_FILTER_KEY, store_options
from laptop_pricing.access import Door, Role, Visitor

KNOWN = ["sul", "centro", "norte"]
CHAIN_OWNER = Visitor(Door.SIGN_IN, True, "dona@loja.com.br", Role.OWNER)
CENTRO_OWNER = Visitor(
    Door.SIGN_IN, True, "g@loja.com.br", Role.OWNER, stores=frozenset({"centro", "leste"})
)


def filter_script(visitor, known) -> None:  # copied into a script: no annotations to resolve
    """Runs in AppTest's script: draws the filter and writes what it answered."""
    import streamlit as st

    from components.store_filter import store_filter

    st.session_state["answer"] = store_filter(visitor, known)


def run(visitor: Visitor) -> AppTest:
    at = AppTest.from_function(filter_script, args=(visitor, KNOWN), default_timeout=30)
    return at.run()


def test_a_chain_owner_starts_on_the_whole_chain_and_may_pick_stores() -> None:
    at = run(CHAIN_OWNER)
    widget = at.multiselect(key=STORE_FILTER_KEY)
    assert widget.label == "Lojas" and widget.placeholder == "Toda a rede"
    assert widget.options == ["Centro", "Norte", "Sul"] and widget.value == []
    assert at.session_state["answer"] is None
    widget.set_value(["sul", "centro"]).run()
    assert at.session_state["answer"] == ("centro", "sul")


def test_a_limited_owner_is_offered_only_their_stores_all_chosen_at_first() -> None:
    at = run(CENTRO_OWNER)
    widget = at.multiselect(key=STORE_FILTER_KEY)
    assert widget.options == ["Centro", "Leste"]  # leste: theirs though nothing recorded yet
    assert at.session_state["answer"] == ("centro", "leste")
    widget.set_value(["leste"]).run()
    assert at.session_state["answer"] == ("leste",)
    widget.set_value([]).run()  # nothing chosen: all of theirs, never the chain
    assert at.session_state["answer"] == ("centro", "leste")


def test_the_options_never_hold_a_store_the_visitor_does_not_read() -> None:
    assert store_options(CENTRO_OWNER, KNOWN) == ["centro", "leste"]
    assert store_options(CHAIN_OWNER, [*KNOWN, "sul"]) == ["centro", "norte", "sul"]
