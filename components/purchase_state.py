"""What the purchase page keeps between reruns, and how it forgets it.

Every widget and value of the page lives under a key starting with ``purchase_``, so "Nova
compra" (or another quote) clears the page in one sweep. Nothing is sent to the service before
"Concluir compra": the photos are normalized here and uploaded only then, so a clerk who leaves
halfway leaves nothing stored. The quote travels as ``?cotacao=`` in the URL and under
``QUOTE_KEY``; a purchase event id is made once per quote and kept until the service confirms it
(a double click or a retry after a timeout stores the purchase once).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import streamlit as st

PREFIX = "purchase_"
QUOTE_KEY = "purchase_quote_id"
QUERY_PARAM = "cotacao"
TRIED_KEY = "purchase_tried"  # "Concluir compra" was clicked once: each step shows what is missing
REFUSAL_KEY = "purchase_refusal"
DONE_KEY = "purchase_done"
PAGE_PATH = "views/purchase.py"
# Kept when the page is cleared: the lookup boxes are not part of one purchase.
KEPT = frozenset({"purchase_lookup", "purchase_lookup_result"})


@dataclass(frozen=True)
class Refusal:
    """What the service refused at the last "Concluir compra": its sentence and the fields."""

    message: str
    fields: tuple[str, ...]
    step: int | None  # the step holding the field at fault; None: the purchase as a whole


def current_quote_id() -> str | None:
    """The quote being bought: the URL's ``?cotacao=`` wins (a link or a reload), else the one
    this session started. A different quote than the one on screen clears the page first."""
    from_url = st.query_params.get(QUERY_PARAM)
    shown = st.session_state.get(QUOTE_KEY)
    wanted = (from_url or shown or "").strip().upper() or None
    if wanted != shown:
        clear_purchase()
        st.session_state[QUOTE_KEY] = wanted
    if wanted and from_url != wanted:
        st.query_params[QUERY_PARAM] = wanted
    return wanted


def choose_quote(quote_id: str) -> None:
    """Start buying ``quote_id`` on this page (the start box's callback)."""
    clear_purchase()
    st.session_state[QUOTE_KEY] = quote_id.strip().upper()
    st.query_params[QUERY_PARAM] = st.session_state[QUOTE_KEY]


def clear_purchase() -> None:
    """Forget every value of the purchase on screen (widgets included) and the URL's quote."""
    for key in [k for k in st.session_state if str(k).startswith(PREFIX) and k not in KEPT]:
        del st.session_state[key]
    if QUERY_PARAM in st.query_params:
        del st.query_params[QUERY_PARAM]


def event_id(quote_id: str) -> str:
    """The id of this purchase's submission: made once, kept until the service confirms it."""
    key = f"purchase_event_{quote_id}"
    if key not in st.session_state:
        st.session_state[key] = f"app-{uuid.uuid4().hex}"
    value: str = st.session_state[key]
    return value


def tried() -> bool:
    return bool(st.session_state.get(TRIED_KEY))


def refusal() -> Refusal | None:
    value = st.session_state.get(REFUSAL_KEY)
    return value if isinstance(value, Refusal) else None


def refusal_for(step: int) -> Refusal | None:
    """The service's refusal when it names a field of ``step``."""
    found = refusal()
    return found if found is not None and found.step == step else None


def refusal_for_page() -> Refusal | None:
    """The service's refusal when no step holds it (the quote, a flag, the service)."""
    found = refusal()
    return found if found is not None and found.step is None else None


def problem_note(step: int, problem: str | None, *, now: bool = False) -> None:
    """Under a step: its own problem (after the first "Concluir compra", or ``now`` when it
    blocks the purchase whatever the clerk does next), then what the service refused in it."""
    if problem and (now or tried()):
        st.error(problem, icon=":material/error:")
    refused = refusal_for(step)
    if refused is not None:
        st.error(refused.message, icon=":material/error:")
