""" "Concluir compra": check every step, upload the photos, record the purchase, and the success
card after it.

The first click turns on each step's own message (what it lacks, in one sentence). When none
lacks anything, the photos go up through the client (``upload_photo``: idempotent by content)
and then the purchase (``record_purchase``) with one event id per intended purchase, kept until
the service confirms it: a double click or a retry after a lost answer stores it once. A refusal
is shown in the step that holds the field the service named.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import streamlit as st

from components.pricing import pricing_client, start_new_customer
from components.purchase_declaration import declaration_download
from components.purchase_lookup import payout_words
from components.purchase_photos import Photo
from components.purchase_state import (
    DONE_KEY,
    REFUSAL_KEY,
    TRIED_KEY,
    Refusal,
    clear_purchase,
    event_id,
    refusal_for_page,
)
from components.purchase_words import (
    NOT_STORED,
    STEPS,
    UNAVAILABLE,
    refusal_step,
    refusal_words,
)
from laptop_pricing.errors import PricingError, PurchaseNotStored, PurchaseRefused
from laptop_pricing.formatting import BRASILIA, format_price
from laptop_pricing.purchase.declaration_pdf import DeclarationFacts
from laptop_pricing.purchase.photos import NormalizedPhoto
from laptop_pricing.purchase_answers import PurchaseAnswer
from laptop_pricing.settings import Settings

logger = logging.getLogger(__name__)
UPLOADED_KEY = "purchase_uploaded"  # photo content id -> the service's photo id
CONCLUDE_KEY = "purchase_conclude"
MISSING = "Falta completar {what}: veja a mensagem em cada etapa."
BLOCKED = "Esta compra não pode ser concluída: veja o aviso em vermelho acima."
ESTIMATE_PAGE = "views/estimate.py"


@dataclass(frozen=True)
class Finished:
    """The purchase just stored and the declaration as printed for it."""

    answer: PurchaseAnswer
    facts: DeclarationFacts | None


def conclude_button(
    problems: Mapping[int, str | None],
    blocked: bool,
    send: Mapping[str, Any],
    photos: list[Photo],
    declaration_photo: NormalizedPhoto | None,
    facts: DeclarationFacts | None,
    settings: Settings,
    as_owner: bool,
) -> None:
    """The button and, after a click, the summary of what is missing or what was refused.
    ``send``: the purchase body without the photos and the event id."""
    missing = sorted(n for n, p in problems.items() if p)
    with st.container(key="purchase_conclude_area"):
        clicked = st.button(
            "Concluir compra",
            key=CONCLUDE_KEY,
            type="primary",
            icon=":material/shopping_cart_checkout:",
            disabled=blocked,
            width="stretch",
        )
        if blocked:
            st.caption(BLOCKED)
        elif st.session_state.get(TRIED_KEY) and missing:
            what = ", ".join(f"{n}. {STEPS[n]}" for n in missing)
            st.error(MISSING.format(what=what), icon=":material/error:")
        page_refusal = refusal_for_page()
        if page_refusal is not None:
            st.error(page_refusal.message, icon=":material/error:")
    if not clicked:
        return
    st.session_state[TRIED_KEY] = True
    st.session_state.pop(REFUSAL_KEY, None)
    if not missing:
        _record(send, photos, declaration_photo, facts, settings, as_owner)
    st.rerun()


def _upload(quote_id: str, key: str, jpeg: bytes, kind: str, settings: Settings) -> str:
    uploaded: dict[str, str] = st.session_state.setdefault(UPLOADED_KEY, {})
    if key not in uploaded:
        uploaded[key] = pricing_client(settings).upload_photo(quote_id, jpeg, kind).photo_id
    return uploaded[key]


def _record(
    send: Mapping[str, Any],
    photos: list[Photo],
    declaration_photo: NormalizedPhoto | None,
    facts: DeclarationFacts | None,
    settings: Settings,
    as_owner: bool,
) -> None:
    quote_id = str(send["quote_id"])
    try:
        with st.spinner("Registrando a compra…"):
            ids = [_upload(quote_id, p.photo_key, p.jpeg, p.kind, settings) for p in photos]
            paper = None
            if declaration_photo is not None:
                paper = _upload(
                    quote_id, "declaration", declaration_photo.jpeg, "declaration", settings
                )
            payload = {
                **send,
                "event_id": event_id(quote_id),
                "photos": ids,
                "declaration_photo": paper,
            }
            answer = pricing_client(settings).record_purchase(payload, as_owner=as_owner)
    except PurchaseRefused as error:
        logger.warning("purchase refused: %s %s", error.status, error.fields)
        step = refusal_step(error.fields)
        if step is None and error.status == 413:
            step = 4
        message = refusal_words(error.fields, error.message_pt) or UNAVAILABLE
        if step is not None and not error.message_pt:
            message = f"Confira a etapa {step} ({STEPS[step]})."
        st.session_state[REFUSAL_KEY] = Refusal(message, tuple(error.fields), step)
        return
    except PurchaseNotStored:
        st.session_state[REFUSAL_KEY] = Refusal(NOT_STORED, (), None)
        return
    except PricingError as error:
        logger.warning("purchase not recorded: %s: %s", type(error).__name__, error)
        st.session_state[REFUSAL_KEY] = Refusal(NOT_STORED, (), None)
        return
    clear_purchase()
    st.session_state[DONE_KEY] = Finished(answer, _at(facts, answer))


def _at(facts: DeclarationFacts | None, answer: PurchaseAnswer) -> DeclarationFacts | None:
    if facts is None or answer.recorded_at is None:
        return facts
    return replace(facts, recorded_at=answer.recorded_at)


def finished() -> Finished | None:
    done = st.session_state.get(DONE_KEY)
    return done if isinstance(done, Finished) else None


def success_card(done: Finished) -> None:
    """The purchase id, what was bought and paid, the declaration again, and the next customer."""
    answer = done.answer
    with st.container(border=True, key="purchase_success"):
        st.success(f"**Compra registrada: {answer.purchase_id}**", icon=":material/task_alt:")
        when = answer.recorded_at.astimezone(BRASILIA) if answer.recorded_at else None
        lines = [
            f"**Notebook:** {done.facts.laptop_description if done.facts else 'notebook'}",
            f"**Número de série:** {answer.serial}",
            f"**Valor combinado:** {format_price(answer.agreed_amount)}",
            f"**Pagamento:** {payout_words(answer)}",
        ]
        if when is not None:
            lines.append(f"**Registrada em:** {when:%d/%m/%Y às %H:%M}")
        st.markdown("  \n".join(lines))
        if done.facts is not None:
            declaration_download(done.facts, "purchase_success_pdf")
        if st.button(
            "Nova compra / Novo cliente",
            key="purchase_next",
            icon=":material/person_add:",
            width="stretch",
        ):
            st.session_state.pop(DONE_KEY, None)
            clear_purchase()
            start_new_customer()
            st.switch_page(ESTIMATE_PAGE)
