"""The quote being bought and the service's preview of the purchase, through the client.

The quote (``GET /quote/{id}``) is read once per quote; the preview (``POST /purchase/preview``:
revised offer, locks, payout options, flags, privacy notice; stores nothing) again only when
what it depends on changes: the inspection answers, the agreed amount, the serial or the CPF.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import streamlit as st

from components import messages
from components.pricing import pricing_client
from components.purchase_words import UNAVAILABLE, refusal_words
from laptop_pricing.errors import PricingError, PurchaseRefused, QuoteNotFound
from laptop_pricing.purchase.request import SERIAL, normalize_serial
from laptop_pricing.purchase.seller import valid_cpf
from laptop_pricing.purchase_answers import PurchasePreview
from laptop_pricing.settings import Settings
from laptop_pricing.trade_in.condition import QUESTIONS
from laptop_pricing.trade_in.outcome import NEGOTIATED
from laptop_pricing.trade_in.quote_answer import FoundQuote

logger = logging.getLogger(__name__)
FOUND_KEY = "purchase_found"
PREVIEW_KEY = "purchase_preview"
UNKNOWN_QUOTE = "Nenhuma cotação com o código {quote_id}. Confira o código com o cliente."


@dataclass(frozen=True)
class Blocked:
    """Why this quote cannot be bought now, in one sentence (and the purchase made of it)."""

    message: str
    existing_purchase_id: str | None = None


def condition_key(question_key: str) -> str:
    return f"purchase_condition_{question_key}"


def found_quote(quote_id: str, settings: Settings) -> FoundQuote | Blocked:
    """The quote as stored, read once per quote in this session."""
    kept = st.session_state.get(FOUND_KEY)
    if isinstance(kept, FoundQuote) and kept.quote_id == quote_id:
        return kept
    try:
        found = pricing_client(settings).find_quote(quote_id)
    except QuoteNotFound:
        return Blocked(UNKNOWN_QUOTE.format(quote_id=quote_id))
    except PricingError as error:
        logger.warning("quote for purchase not read: %s: %s", type(error).__name__, error)
        return Blocked(messages.for_error(error))
    st.session_state[FOUND_KEY] = found
    return found


def agreed_with_customer(found: FoundQuote) -> int | None:
    """What the customer said yes to: the last decision's amount when negotiated, else the
    quote's offer."""
    last = found.outcomes[-1] if found.outcomes else None
    if last is not None and last.decision == NEGOTIATED and last.amount is not None:
        return last.amount
    return found.quote.offer


def inspected_answers() -> dict[str, Any] | None:
    """The seven answers on screen, or None while one is unanswered."""
    answers = {q.key: st.session_state.get(condition_key(q.key)) for q in QUESTIONS}
    return None if any(value is None for value in answers.values()) else answers


def preview_payload(quote_id: str, clerk_email: str | None) -> dict[str, Any]:
    """What the preview depends on, read from the widgets' state (they may be drawn below).
    A serial or CPF goes only once it is well formed (for the flags): one half typed is not
    the service's to refuse, the step says what is wrong with it."""
    serial = normalize_serial(str(st.session_state.get("purchase_serial") or ""))
    serial = serial if SERIAL.match(serial) else ""
    cpf = valid_cpf(st.session_state.get("purchase_seller_cpf")) or ""
    amount = st.session_state.get("purchase_amount")
    return {
        "quote_id": quote_id,
        "condition": inspected_answers(),
        "agreed_amount": None if amount is None else int(amount),
        "machine": {"serial": serial} if serial else None,
        "seller": {"cpf": cpf} if cpf else None,
        "clerk_email": clerk_email,
    }


def purchase_preview(
    quote_id: str, settings: Settings, clerk_email: str | None, as_owner: bool
) -> PurchasePreview | Blocked:
    """The service's preview for what is on screen; asked again only when that changed."""
    payload = preview_payload(quote_id, clerk_email)
    signature = json.dumps(payload, sort_keys=True, default=str)
    kept = st.session_state.get(PREVIEW_KEY)
    if kept is not None and kept[0] == signature:
        result: PurchasePreview | Blocked = kept[1]
        return result
    try:
        result = pricing_client(settings).preview_purchase(payload, as_owner=as_owner)
    except PurchaseRefused as error:
        result = Blocked(refusal_words(error.fields, error.message_pt), error.purchase_id)
    except QuoteNotFound:
        result = Blocked(UNKNOWN_QUOTE.format(quote_id=quote_id))
    except PricingError as error:
        logger.warning("purchase preview failed: %s: %s", type(error).__name__, error)
        return Blocked(UNAVAILABLE)  # not kept: the next rerun asks again
    st.session_state[PREVIEW_KEY] = (signature, result)
    return result
