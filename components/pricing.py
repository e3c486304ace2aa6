"""Submitting the form: call the pricing client under a spinner and keep what came back.

The client comes from ``laptop_pricing.client``; this module only decides what the clerk sees
(the words of every typed error live in ``components.messages``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

import streamlit as st

from components import history, messages
from components.condition_form import answered_condition, clear_condition, unanswered
from components.laptop_form import clear_form, missing_choices
from laptop_pricing.client import PricingClient, client_from_settings
from laptop_pricing.errors import PricingError
from laptop_pricing.pricing.engine import MarketEstimate
from laptop_pricing.pricing.laptop_spec import InvalidSpec, LaptopSpec
from laptop_pricing.settings import Settings
from laptop_pricing.trade_in.quote import TradeInQuote
from laptop_pricing.trade_in.quote_lookup import brasilia_today

logger = logging.getLogger(__name__)
SUBMIT_KEY = "last_submit"
NEW_CUSTOMER_KEY = "new_customer"
CARD_WIDGET_PREFIX = "outcome_card_"


@dataclass(frozen=True)
class PricingSubmit:
    """The last submit: the laptop and condition asked about, and either the market estimate
    (with the store's offer when the condition was answered) or the clerk's message."""

    values: dict[str, Any]
    quote: MarketEstimate | None = None
    message: str | None = None
    answers: dict[str, Any] | None = None
    trade_in: TradeInQuote | None = None
    submit_number: int = 0

    @property
    def spec(self) -> LaptopSpec | None:
        try:
            return LaptopSpec.from_payload(self.values)
        except InvalidSpec:
            return None

    def is_stale(self, values: dict[str, Any], answers: dict[str, Any]) -> bool:
        return self.values != values or (self.answers or {}) != answers

    def still_valid_for(self, values: dict[str, Any], answers: dict[str, Any]) -> bool:
        """This submit answers the same laptop and condition with a quote still valid today:
        a second click gives the customer the same quote, not a new one (nor a new offer for
        the owner's figures)."""
        if self.quote is None or self.is_stale(values, answers):
            return False
        if self.trade_in is None:  # the market estimate alone, asked again
            return True
        return self.trade_in.valid_until >= brasilia_today()


@st.cache_resource(show_spinner=False)
def _client(settings: Settings) -> PricingClient:
    return client_from_settings(settings)


def pricing_client(settings: Settings) -> PricingClient:
    """One client per configuration for the whole server (one HTTP session, one model load)."""
    return _client(settings)


def warm_up(settings: Settings) -> None:
    """Build the client (and, embedded, load the model) while the clerk fills the form.

    Called at the end of the page, after the form is drawn, so the first click does not pay the
    model load. A failure here is ignored: the submit reports it in the clerk's words.
    """
    try:
        pricing_client(settings).warm_up()
    except Exception:
        logger.warning("warm-up failed; the first estimate will report it", exc_info=True)


def submit(
    values: dict[str, Any],
    answers: dict[str, Any],
    settings: Settings,
    store_id: str | None = None,
) -> PricingSubmit:
    """Price the laptop described by ``values`` and, when every condition question is answered,
    get the store's offer; never raises, the submit says what happened. ``store_id`` (the store the
    clerk prices for) picks the store's policy and is logged with it; who the clerk is is never
    sent with a price request (the request log keeps no e-mail)."""
    number = st.session_state.get("submit_count", 0) + 1
    st.session_state["submit_count"] = number
    previous = last_submit()
    if previous is not None and previous.still_valid_for(values, answers):
        submitted = replace(previous, submit_number=number)
        st.session_state[SUBMIT_KEY] = submitted
        return submitted
    missing = unanswered(answers)
    not_chosen = missing_choices(values)
    if not_chosen:
        message = messages.unchosen(not_chosen)
        submitted = PricingSubmit(values, message=message, answers=answers, submit_number=number)
        st.session_state[SUBMIT_KEY] = submitted
        return submitted
    try:
        spec = LaptopSpec.from_payload(values)
    except InvalidSpec as error:
        message = messages.invalid_fields([e.field for e in error.errors])
        submitted = PricingSubmit(values, message=message, answers=answers, submit_number=number)
    else:
        if missing and len(missing) < len(answers):  # half answered: finish before pricing
            message = messages.unanswered(q.label for q in missing)
            submitted = PricingSubmit(
                values, message=message, answers=answers, submit_number=number
            )
        else:
            submitted = _price(spec, values, answers, settings, number, store_id)
    st.session_state[SUBMIT_KEY] = submitted
    return submitted


def _price(
    spec: LaptopSpec,
    values: dict[str, Any],
    answers: dict[str, Any],
    settings: Settings,
    number: int,
    store_id: str | None = None,
) -> PricingSubmit:
    condition = answered_condition(answers)
    trade_in = None
    try:
        with st.spinner("Calculando a oferta…"):
            client = pricing_client(settings)
            if condition is None:
                quote = client.price(spec, explain=True, comparables=True, store_id=store_id)
            else:
                quote, trade_in = client.price_trade_in(
                    spec, condition, explain=True, comparables=True, store_id=store_id
                )
    except PricingError as error:
        logger.warning("pricing failed: %s: %s", type(error).__name__, error)
        message = messages.for_error(error)
        return PricingSubmit(values, message=message, answers=answers, submit_number=number)
    except Exception:  # a bug or a broken model must not show the clerk a traceback
        logger.exception("pricing failed unexpectedly")
        return PricingSubmit(
            values, message=messages.UNEXPECTED, answers=answers, submit_number=number
        )
    history.record(spec, quote, trade_in)
    return PricingSubmit(values, quote, None, answers, trade_in, number)


def last_submit() -> PricingSubmit | None:
    return st.session_state.get(SUBMIT_KEY)


def start_new_customer() -> None:
    """Clear the laptop, the condition, the offer and its decision form for the next customer
    (a button callback: it runs before the widgets are drawn again)."""
    clear_form()
    clear_condition()
    st.session_state.pop(SUBMIT_KEY, None)
    for key in [k for k in st.session_state if str(k).startswith(CARD_WIDGET_PREFIX)]:
        del st.session_state[key]


def new_customer_button() -> bool:
    """True on the run its click started (the form is cleared by then)."""
    return st.button(
        "Novo cliente",
        key=NEW_CUSTOMER_KEY,
        on_click=start_new_customer,
        icon=":material/person_add:",
        help="Limpa o notebook, o estado e a oferta para atender o próximo cliente.",
        width="stretch",
    )
