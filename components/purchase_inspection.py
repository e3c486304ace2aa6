"""Steps 1 and 2 of the purchase: the inspection re-check and the locks.

1. The seven condition answers again, pre-filled from the quote; when one changes, the service's
   preview shows the revised offer and the deductions that changed ("oferta revista na
   inspeção"). The amount agreed with the customer may not pass the revised offer unless an
   owner approves, and needs a reason when it differs.
2. One yes/no per lock the policy asks for this brand; a "não" says what to do and blocks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from components.purchase_quote import agreed_with_customer, condition_key
from components.purchase_state import problem_note
from components.purchase_words import (
    AMOUNT_ABOVE,
    AMOUNT_REASON,
    LOCK_NO,
    LOCKS_UNANSWERED,
    UNANSWERED,
    step_title,
)
from laptop_pricing.formatting import format_price
from laptop_pricing.purchase_answers import PurchasePreview
from laptop_pricing.trade_in.condition import QUESTIONS, AnswerValue, Question
from laptop_pricing.trade_in.outcome import REASON_MAX_CHARS
from laptop_pricing.trade_in.quote_answer import FoundQuote

AMOUNT_KEY = "purchase_amount"
REASON_KEY = "purchase_amount_reason"
OWNER_AMOUNT_KEY = "purchase_owner_amount"
PREFILLED_KEY = "purchase_prefilled"
NO_CUSTOMER_DATA = "Não escreva CPF, telefone ou nome do cliente."
NO_OFFER = "Sem oferta depois da inspeção: a loja não compra este notebook nesse estado."


def lock_key(lock_id: str) -> str:
    return f"purchase_lock_{lock_id}"


def prefill(found: FoundQuote) -> None:
    """Once per quote: the answers the customer gave and the amount they said yes to."""
    if st.session_state.get(PREFILLED_KEY) == found.quote_id:
        return
    condition = found.quote.condition
    if condition is not None:
        for key, value in condition.as_dict().items():
            st.session_state[condition_key(key)] = value
    agreed = agreed_with_customer(found)
    if agreed is not None:
        st.session_state[AMOUNT_KEY] = agreed
    st.session_state[PREFILLED_KEY] = found.quote_id


def section(number: int) -> Any:
    """A step: a bordered container with its numbered heading (the caller enters it)."""
    box = st.container(border=True, key=f"purchase_step_{number}")
    box.subheader(step_title(number), anchor=f"etapa-{number}")
    return box


def _labeller(question: Question) -> Callable[[AnswerValue], str]:
    return lambda value: question.answer(value).label


def inspection_step(
    found: FoundQuote, preview: PurchasePreview | None, is_owner: bool
) -> str | None:
    """Draw step 1; returns what it lacks (None: ready)."""
    with section(1):
        st.caption("Confira cada resposta com o notebook na mão. Mudou algo? A oferta é revista.")
        halves = st.columns(2, gap="medium")
        split = (len(QUESTIONS) + 1) // 2
        for index, question in enumerate(QUESTIONS):
            with halves[0 if index < split else 1]:
                st.radio(
                    question.label,
                    question.values,
                    index=None,
                    format_func=_labeller(question),
                    help=question.help,
                    horizontal=True,
                    key=condition_key(question.key),
                )
        missing = [q for q in QUESTIONS if st.session_state.get(condition_key(q.key)) is None]
        if missing:
            problem: str | None = UNANSWERED.format(
                questions=", ".join(q.short_label for q in missing)
            )
        else:
            problem = _offer_and_amount(found, preview, is_owner)
        problem_note(1, problem, now=problem in (NO_OFFER,))
    return problem


def _offer_and_amount(
    found: FoundQuote, preview: PurchasePreview | None, is_owner: bool
) -> str | None:
    quoted = found.quote.offer
    if preview is None:
        return None
    revised = preview.revised_offer
    if revised is None:
        return NO_OFFER
    if preview.revised:
        was = "sem oferta" if quoted is None else format_price(quoted)
        lines = [f"- {d.label_pt}: − {format_price(d.amount)}" for d in preview.changed_deductions]
        st.warning(
            f"**Oferta revista na inspeção: {format_price(revised)}** (na cotação: {was})  \n"
            + "\n".join(lines),
            icon=":material/published_with_changes:",
        )
    else:
        st.success(
            f"Inspeção confere com a cotação: oferta de **{format_price(revised)}**.",
            icon=":material/task_alt:",
        )
    agreed = int(
        st.number_input(
            "Valor combinado com o cliente (R$)",
            min_value=1,
            step=10,
            key=AMOUNT_KEY,
            help="O valor que o cliente aceitou. Acima da oferta revista, só com o dono.",
        )
    )
    if agreed != revised:
        st.button(
            f"Usar a oferta revista ({format_price(revised)})",
            key="purchase_use_revised",
            on_click=_set_amount,
            args=(revised,),
            type="tertiary",
            icon=":material/sync:",
        )
        reason = st.text_input(
            "Motivo do valor (obrigatório: é diferente da oferta revista)",
            max_chars=REASON_MAX_CHARS,
            placeholder=NO_CUSTOMER_DATA,
            key=REASON_KEY,
        ).strip()
    else:
        reason = "ok"
    if agreed > revised:
        if not is_owner:
            return AMOUNT_ABOVE.format(agreed=format_price(agreed), revised=format_price(revised))
        approved = st.checkbox(
            "Aprovo, como dono, pagar acima da oferta revista", key=OWNER_AMOUNT_KEY
        )
        if not approved:
            return AMOUNT_ABOVE.format(agreed=format_price(agreed), revised=format_price(revised))
    if not reason:
        return AMOUNT_REASON
    return None


def _set_amount(amount: int) -> None:
    st.session_state[AMOUNT_KEY] = amount


def locks_step(preview: PurchasePreview) -> tuple[str | None, bool]:
    """Draw step 2; returns what it lacks and whether a "não" blocks the purchase (said at
    once, with what to do)."""
    with section(2):
        st.caption("Pergunte e confira cada item com o cliente, com o notebook ligado.")
        unanswered, refused = [], []
        for lock in preview.locks:
            answer = st.radio(
                lock.question,
                (True, False),
                index=None,
                format_func=lambda value: "Sim" if value else "Não",
                horizontal=True,
                key=lock_key(lock.id),
            )
            if answer is None:
                unanswered.append(lock.question.rstrip("?"))
            elif answer is False:
                question = lock.question.rstrip("?")
                refused.append(LOCK_NO.format(question=question, what_to_do=lock.what_to_do))
        if refused:
            problem: str | None = " ".join(refused)
        elif unanswered:
            problem = LOCKS_UNANSWERED.format(locks=", ".join(unanswered))
        else:
            problem = None
        problem_note(2, problem, now=bool(refused))
    return problem, bool(refused)


def lock_answers(preview: PurchasePreview) -> dict[str, bool]:
    return {lock.id: st.session_state.get(lock_key(lock.id)) is True for lock in preview.locks}
