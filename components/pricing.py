"""Submitting the form: call the pricing client under a spinner and keep the outcome.

The client comes from ``laptop_pricing.client``; this module only decides what the clerk sees
(the words of every typed error live in ``components.messages``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import streamlit as st

from components import history, messages
from laptop_pricing.client import PricingClient, client_from_settings
from laptop_pricing.engine import Quote
from laptop_pricing.errors import PricingError
from laptop_pricing.schema import InvalidSpec, LaptopSpec
from laptop_pricing.settings import Settings

logger = logging.getLogger(__name__)
OUTCOME_KEY = "last_outcome"


@dataclass(frozen=True)
class Outcome:
    """The last submit: the laptop asked about and either its quote or the clerk's message."""

    values: dict
    quote: Quote | None = None
    message: str | None = None


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
        client = pricing_client(settings)
        if client.embedded:
            from laptop_pricing.api.handler import get_engine

            get_engine()
    except Exception:
        logger.warning("warm-up failed; the first estimate will report it", exc_info=True)


def submit(values: dict, settings: Settings, clerk_email: str | None = None) -> Outcome:
    """Price the laptop described by ``values``; never raises, the outcome says what happened.

    ``clerk_email`` (the signed-in clerk) goes with the request into the request log."""
    try:
        spec = LaptopSpec.from_payload(values)
    except InvalidSpec as error:
        outcome = Outcome(values, message=messages.invalid_fields([e.field for e in error.errors]))
    else:
        try:
            with st.spinner("Calculando o preço…"):
                quote = pricing_client(settings).price(spec, clerk_email=clerk_email, explain=True)
        except PricingError as error:
            logger.warning("pricing failed: %s: %s", type(error).__name__, error)
            outcome = Outcome(values, message=messages.for_error(error))
        except Exception:  # a bug or a broken model must not show the clerk a traceback
            logger.exception("pricing failed unexpectedly")
            outcome = Outcome(values, message=messages.UNEXPECTED)
        else:
            outcome = Outcome(values, quote=quote)
            history.record(spec, quote)
    st.session_state[OUTCOME_KEY] = outcome
    return outcome


def last_outcome() -> Outcome | None:
    return st.session_state.get(OUTCOME_KEY)
