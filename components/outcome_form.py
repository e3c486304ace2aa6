"""What the customer decided about a quote: four choices, the fields each needs, one button.

Shown on the offer card right after the offer and in *Buscar cotação*, folded in an expander so
the offer card still fits a laptop screen or a phone at once. The decision goes through
the pricing client (``record_outcome``: the API, or the same handler in-process), never straight
to storage. Each intended submission gets one ``event_id``, kept in ``st.session_state`` until
the service confirms it: a double click, a rerun or a retry after a timeout sends the same id, and
the service stores it once. Once confirmed, the card says "Registrado: ..." and offers to record
another decision (a later one supersedes the earlier; both stay in the history).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from typing import Any

import streamlit as st

from components import messages
from components.pricing import pricing_client
from components.purchase_start import buy_button, buyable
from laptop_pricing.api_answers import RecordedOutcome
from laptop_pricing.errors import PricingError
from laptop_pricing.formatting import BRASILIA, format_price
from laptop_pricing.settings import Settings
from laptop_pricing.trade_in.condition import QUESTIONS_BY_KEY
from laptop_pricing.trade_in.outcome import (
    AMOUNT_DECISIONS,
    BAND_HIGH,
    BAND_LOW,
    DECISION_LABELS,
    DECISIONS,
    DECLINED,
    MAX_AMOUNT_FACTOR,
    MIN_AMOUNT,
    NEGOTIATED,
    NO_OFFER_DECISION_LABEL,
    NO_OFFER_REASONS,
    NOTE_MAX_CHARS,
    OFFER_REASONS,
    REASON_LABELS,
    REASON_MAX_CHARS,
    REMOVING_LOCKS,
    REVISABLE_ANSWERS,
    REVISED,
    Outcome,
)

logger = logging.getLogger(__name__)
TITLE = "O que o cliente decidiu?"
DECISION_LABEL = "Decisão"
SUBMIT = "Registrar decisão"
ANOTHER = "Registrar outra decisão"
HISTORY_TITLE = "Decisões já registradas"
AMOUNT_LABELS = {NEGOTIATED: "Valor pago (R$)", REVISED: "Novo valor após a inspeção (R$)"}
NO_CUSTOMER_DATA = "Não escreva CPF, telefone ou nome do cliente."
AMOUNT_REASON_LABEL = (
    f"Motivo do valor (obrigatório se for menos de {BAND_LOW:.0%} ou mais de {BAND_HIGH:.0%} "
    "da oferta)"
)


def _event_key(quote_id: str) -> str:
    return f"outcome_event_{quote_id}"


def _recorded_key(quote_id: str) -> str:
    return f"outcome_recorded_{quote_id}"


def pending_event_id(quote_id: str) -> str:
    """The id of the decision being recorded for this quote: made once, kept until confirmed."""
    key = _event_key(quote_id)
    if key not in st.session_state:
        st.session_state[key] = f"app-{uuid.uuid4().hex}"
    event_id: str = st.session_state[key]
    return event_id


def outcome_text(outcome: Outcome) -> str:
    """The decision in the clerk's words, e.g. "Recusada: valor baixo, em 04/12/2026 às 14:32"."""
    text = DECISION_LABELS[outcome.decision]
    if outcome.reason in NO_OFFER_REASONS:
        text = f"{NO_OFFER_DECISION_LABEL}: {REASON_LABELS[outcome.reason].lower()}"
    elif outcome.decision in AMOUNT_DECISIONS and outcome.amount is not None:
        text += f" ({format_price(outcome.amount)})"
        if outcome.reason:
            text += f": {outcome.reason}"
    elif outcome.decision == DECLINED and outcome.reason:
        text += f": {REASON_LABELS[outcome.reason].lower()}"
    elif outcome.decision in AMOUNT_DECISIONS and outcome.reason:
        text += f": {outcome.reason}"
    changed = QUESTIONS_BY_KEY.get(outcome.changed_answer or "")
    if changed is not None:
        text += f"; mudou: {changed.short_label.lower()}"
    when = outcome.recorded_at.astimezone(BRASILIA)
    author = f", por {outcome.recorded_by}" if outcome.recorded_by else ""
    return f"{text}, em {when:%d/%m/%Y às %H:%M}{author}"


def recorded_text(recorded: RecordedOutcome) -> str:
    return f"**Registrado:** {outcome_text(recorded.outcome)}."


def outcome_history(outcomes: Sequence[Outcome]) -> None:
    """The decisions already recorded for a quote, oldest first; the last one counts."""
    if not outcomes:
        return
    lines = [f"- {outcome_text(outcome)}" for outcome in outcomes]
    if len(lines) > 1:
        lines[-1] += " (vale esta)"
    st.markdown(f"**{HISTORY_TITLE}**\n" + "\n".join(lines))


def recorded_outcome(quote_id: str) -> RecordedOutcome | None:
    """The decision this session recorded for the quote, until the clerk starts another."""
    return st.session_state.get(_recorded_key(quote_id))


def outcome_controls(
    quote_id: str,
    offer: int | None,
    settings: Settings,
    place: str,
    no_offer_code: str | None = None,
    disabled: bool = False,
    clerk_email: str | None = None,
) -> None:
    """The decision controls for one quote; ``place`` keeps widget keys apart (card, lookup).
    ``no_offer_code``: why a quote made no offer (locks: "vai remover as senhas e volta").
    ``disabled``: the offer is stale, nothing may be recorded against it until recalculated.
    ``clerk_email``: the signed-in clerk, stored masked as the decision's author."""
    recorded = recorded_outcome(quote_id)
    with st.container(key=f"outcome_{place}"):
        if recorded is not None:
            st.success(recorded_text(recorded), icon=":material/task_alt:")
            if buyable((recorded.outcome,)) and not disabled:
                buy_button(quote_id, place)
            another = st.button(
                ANOTHER,
                key=f"outcome_{place}_another",
                icon=":material/edit_note:",
                type="tertiary",
                disabled=disabled,
            )
            if another:
                del st.session_state[_recorded_key(quote_id)]
                st.session_state.pop(_event_key(quote_id), None)
                st.rerun()
            return
        with st.expander(TITLE, icon=":material/handshake:"):
            if offer is None:
                _no_offer_form(quote_id, no_offer_code, settings, place, disabled, clerk_email)
            else:
                _form(quote_id, offer, settings, place, disabled, clerk_email)


def _no_offer_form(
    quote_id: str,
    no_offer_code: str | None,
    settings: Settings,
    place: str,
    disabled: bool,
    clerk_email: str | None,
) -> None:
    """A quote without offer: the customer took the laptop back, or will remove the locks and
    come back; never "achou a oferta baixa" (there was none), so the owner's price figures stay
    clean."""
    reasons = NO_OFFER_REASONS
    if no_offer_code is not None and not no_offer_code.startswith("locks_removed"):
        reasons = tuple(r for r in reasons if r != REMOVING_LOCKS)
    reason = st.radio(
        NO_OFFER_DECISION_LABEL,
        reasons,
        format_func=REASON_LABELS.__getitem__,
        key=f"outcome_{place}_no_offer_reason",
        disabled=disabled,
    )
    note = _note(place, disabled)
    if _submit(place, disabled):
        fields = {"reason": reason, "note": note, "clerk_email": clerk_email}
        _record(quote_id, DECLINED, fields, settings)


def _form(
    quote_id: str,
    offer: int,
    settings: Settings,
    place: str,
    disabled: bool,
    clerk_email: str | None,
) -> None:
    decision = st.radio(
        DECISION_LABEL,
        DECISIONS,
        format_func=DECISION_LABELS.__getitem__,
        horizontal=True,
        key=f"outcome_{place}_decision",
        disabled=disabled,
    )
    fields: dict[str, object] = {}
    if decision in AMOUNT_DECISIONS:
        fields["amount"] = int(
            st.number_input(
                AMOUNT_LABELS[decision],
                min_value=MIN_AMOUNT,
                max_value=MAX_AMOUNT_FACTOR * offer,
                value=offer,
                step=10,
                key=f"outcome_{place}_amount_{decision}",
                disabled=disabled,
            )
        )
        fields["reason"] = (
            st.text_input(
                AMOUNT_REASON_LABEL,
                max_chars=REASON_MAX_CHARS,
                placeholder=NO_CUSTOMER_DATA,
                help=NO_CUSTOMER_DATA,
                key=f"outcome_{place}_amount_reason",
                disabled=disabled,
            ).strip()
            or None
        )
    if decision == REVISED:
        fields["changed_answer"] = st.selectbox(
            "Qual resposta mudou na inspeção?",
            REVISABLE_ANSWERS,
            format_func=lambda key: QUESTIONS_BY_KEY[key].short_label,
            key=f"outcome_{place}_changed",
            disabled=disabled,
        )
    if decision == DECLINED:
        fields["reason"] = st.radio(
            "Motivo da recusa",
            OFFER_REASONS,
            format_func=REASON_LABELS.__getitem__,
            key=f"outcome_{place}_reason",
            disabled=disabled,
        )
        fields["note"] = _note(place, disabled)
    if _submit(place, disabled):
        _record(quote_id, decision, {**fields, "clerk_email": clerk_email}, settings)


def _note(place: str, disabled: bool) -> str:
    """The optional note of a refusal, with the reminder that it holds no customer data."""
    return st.text_input(
        "Observação (opcional)",
        max_chars=NOTE_MAX_CHARS,
        placeholder=NO_CUSTOMER_DATA,
        help=NO_CUSTOMER_DATA,
        key=f"outcome_{place}_note",
        disabled=disabled,
    ).strip()


def _submit(place: str, disabled: bool) -> bool:
    return st.button(
        SUBMIT,
        key=f"outcome_{place}_submit",
        type="primary",
        icon=":material/save:",
        disabled=disabled,
    )


def _record(quote_id: str, decision: str, fields: dict[str, Any], settings: Settings) -> None:
    event_id = pending_event_id(quote_id)
    try:
        with st.spinner("Registrando…"):
            recorded = pricing_client(settings).record_outcome(
                quote_id, event_id, decision, **fields
            )
    except PricingError as error:
        logger.warning("outcome not recorded: %s: %s", type(error).__name__, error)
        st.error(messages.for_outcome_error(error), icon=":material/error:")
        return
    st.session_state[_recorded_key(quote_id)] = recorded
    st.session_state.pop(_event_key(quote_id), None)
    st.rerun()
