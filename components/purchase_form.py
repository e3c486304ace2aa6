"""The purchase's seven steps in order, for one quote, and what "Concluir compra" sends.

Each step draws itself and says what it lacks (``components.purchase_*``); this module only
puts them in order, builds the declaration when steps 1 to 6 are complete, and gathers the body
of ``POST /purchase`` from the widgets. Steps 2 to 7 need the service's preview (locks, payout
options, privacy notice); while the quote cannot be bought, only the reason is shown.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from components.purchase_conclude import conclude_button
from components.purchase_declaration import SIGNED_KEY, declaration_facts, declaration_step
from components.purchase_inspection import (
    AMOUNT_KEY,
    REASON_KEY,
    inspection_step,
    lock_answers,
    locks_step,
    prefill,
)
from components.purchase_lookup import earlier_purchase
from components.purchase_machine import machine_payload, machine_step
from components.purchase_photos import photos_step
from components.purchase_quote import Blocked, found_quote, inspected_answers, purchase_preview
from components.purchase_seller import (
    PRIVACY_KEY,
    checked_seller,
    chosen_payout,
    flag_notes,
    owner_approval,
    payout_step,
    seller_payload,
    seller_step,
)
from components.quote_download import store_identity
from laptop_pricing.access import Role, Visitor
from laptop_pricing.purchase_answers import PurchasePreview
from laptop_pricing.settings import Settings
from laptop_pricing.trade_in.condition import Condition
from laptop_pricing.trade_in.quote_answer import FoundQuote


def purchase_form(quote_id: str, settings: Settings, visitor: Visitor) -> None:
    is_owner = visitor.role is Role.OWNER
    st.caption(f"Cotação **{quote_id}**. Siga as etapas na ordem, com o cliente no balcão.")
    found = found_quote(quote_id, settings)
    if isinstance(found, Blocked):
        st.error(found.message, icon=":material/block:")
        return
    prefill(found)
    preview = purchase_preview(quote_id, settings, visitor.clerk_email, is_owner)
    if isinstance(preview, Blocked):
        st.error(preview.message, icon=":material/block:")
        if preview.existing_purchase_id:
            earlier_purchase(preview.existing_purchase_id, settings, is_owner, visitor.clerk_email)
    ready = None if isinstance(preview, Blocked) else preview
    first = inspection_step(found, ready, is_owner)
    if ready is not None:
        _steps(quote_id, found, ready, first, settings, visitor)


def _steps(
    quote_id: str,
    found: FoundQuote,
    preview: PurchasePreview,
    first: str | None,
    settings: Settings,
    visitor: Visitor,
) -> None:
    is_owner = visitor.role is Role.OWNER
    problems: dict[int, str | None] = {1: first}
    problems[2], locks_refused = locks_step(preview)
    problems[3] = machine_step()
    flag_notes(preview.flags, serial=True)
    photos, problems[4] = photos_step(preview.photos_min, preview.photos_max)
    problems[5] = seller_step(preview, is_owner)
    problems[6] = payout_step(preview)
    waiting = [number for number, problem in problems.items() if problem]
    answers = inspected_answers()
    seller = checked_seller()
    payout = chosen_payout(preview)
    facts = None
    if not waiting and answers and payout is not None and not isinstance(seller, str):
        facts = declaration_facts(
            store_identity(settings),
            quote_id,
            found.quote.spec,
            Condition.from_payload(answers),
            seller,
            int(st.session_state[AMOUNT_KEY]),
            payout,
        )
    problems[7], paper = declaration_step(facts, waiting)
    blocked = preview.stopped or locks_refused
    send = purchase_body(quote_id, preview, visitor.clerk_email, is_owner)
    conclude_button(problems, blocked, send, photos, paper, facts, settings, is_owner)


def purchase_body(
    quote_id: str, preview: PurchasePreview, clerk_email: str | None, is_owner: bool
) -> dict[str, Any]:
    """``POST /purchase``'s body from the widgets, without the photos and the event id."""
    payout = chosen_payout(preview)
    amount = st.session_state.get(AMOUNT_KEY)
    return {
        "quote_id": quote_id,
        "clerk_email": clerk_email,
        "condition": inspected_answers(),
        "agreed_amount": None if amount is None else int(amount),
        "amount_reason": str(st.session_state.get(REASON_KEY) or "").strip() or None,
        "owner_approval": owner_approval(is_owner),
        "locks": lock_answers(preview),
        "machine": machine_payload(),
        "seller": seller_payload(),
        "privacy_notice_read": bool(st.session_state.get(PRIVACY_KEY)),
        "payout": {"method": None if payout is None else payout.method},
        "declaration_signed": bool(st.session_state.get(SIGNED_KEY)),
    }
