"""Steps 5 and 6 of the purchase: who sells (name, CPF, identity document, phone; the privacy
notice read to them) and how they are paid (Pix, cash or store credit with its bonus).

The seller's data is checked here with the package's own rules
(``laptop_pricing.purchase.seller.Seller.from_payload``: the CPF by ``python-stdnum``) so each
mistake is said beside its box before anything is sent; the service checks it again. Nothing
of it is logged or kept outside the widgets until "Concluir compra".
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from components.purchase_inspection import OWNER_AMOUNT_KEY, section
from components.purchase_state import problem_note
from components.purchase_words import (
    OWNER_NEEDED,
    PAYOUT_MISSING,
    PRIVACY_UNREAD,
    SELLER_FIELDS,
    SELLER_INVALID,
)
from laptop_pricing.formatting import format_price
from laptop_pricing.purchase.errors import InvalidPurchase
from laptop_pricing.purchase.seller import Seller
from laptop_pricing.purchase_answers import PayoutOption, PurchaseFlag, PurchasePreview

NAME_KEY = "purchase_seller_name"
CPF_KEY = "purchase_seller_cpf"
DOCUMENT_TYPE_KEY = "purchase_seller_document_type"
DOCUMENT_NUMBER_KEY = "purchase_seller_document_number"
PHONE_KEY = "purchase_seller_phone"
PRIVACY_KEY = "purchase_privacy_read"
OWNER_FLAGS_KEY = "purchase_owner_flags"
PAYOUT_KEY = "purchase_payout"
DOCUMENT_TYPES = {"rg": "RG", "cnh": "CNH", "passaporte": "Passaporte", "rne": "RNE / CRNM"}
PRIVACY_READ = "Li para o cliente o aviso de privacidade"
SERIAL_FLAGS = frozenset({"same_serial", "blocked_serial"})


def seller_payload() -> dict[str, Any]:
    phone = str(st.session_state.get(PHONE_KEY) or "").strip()
    return {
        "name": str(st.session_state.get(NAME_KEY) or "").strip(),
        "cpf": str(st.session_state.get(CPF_KEY) or "").strip(),
        "document_type": st.session_state.get(DOCUMENT_TYPE_KEY),
        "document_number": str(st.session_state.get(DOCUMENT_NUMBER_KEY) or "").strip(),
        "phone": phone or None,
    }


def checked_seller() -> Seller | str:
    """The seller on screen, validated, or the sentence naming the first thing to fix."""
    try:
        return Seller.from_payload(seller_payload())
    except InvalidPurchase as error:
        for field in error.fields:
            if field in SELLER_FIELDS:
                return SELLER_FIELDS[field]
        return SELLER_INVALID


def flag_notes(flags: tuple[PurchaseFlag, ...], *, serial: bool) -> None:
    """The policy's flags about this machine (``serial``) or else this seller: a stop in red,
    a warning in yellow."""
    for flag in flags:
        if (flag.code in SERIAL_FLAGS) != serial:
            continue
        if flag.severity == "stop":
            st.error(flag.message_pt, icon=":material/block:")
        else:
            st.warning(flag.message_pt, icon=":material/warning:")


def seller_step(preview: PurchasePreview, is_owner: bool) -> str | None:
    """Draw step 5; returns what it lacks."""
    with section(5):
        name, cpf = st.columns([3, 2])
        name.text_input("Nome completo do vendedor", key=NAME_KEY, max_chars=120)
        cpf.text_input(
            "CPF", key=CPF_KEY, max_chars=14, placeholder="000.000.000-00", autocomplete="off"
        )
        kind, number, phone = st.columns([2, 3, 3])
        kind.selectbox(
            "Documento",
            tuple(DOCUMENT_TYPES),
            index=None,
            format_func=DOCUMENT_TYPES.__getitem__,
            placeholder="Escolha",
            key=DOCUMENT_TYPE_KEY,
        )
        number.text_input(
            "Número do documento", key=DOCUMENT_NUMBER_KEY, max_chars=30, autocomplete="off"
        )
        phone.text_input(
            "Telefone (opcional)", key=PHONE_KEY, max_chars=20, placeholder="(11) 91234-5678"
        )
        flag_notes(preview.flags, serial=False)
        with st.container(border=True, key="purchase_privacy_notice"):
            st.markdown("**Aviso de privacidade** (leia para o cliente)")
            st.markdown(preview.privacy_notice_pt)
            read = st.checkbox(PRIVACY_READ, key=PRIVACY_KEY)
        seller = checked_seller()
        problem = seller if isinstance(seller, str) else None
        if problem is None and not read:
            problem = PRIVACY_UNREAD
        warned = any(f.severity == "warn" and f.code not in SERIAL_FLAGS for f in preview.flags)
        if problem is None and warned:
            approval = "Aprovo, como dono, a compra deste vendedor"
            if not is_owner or not st.checkbox(approval, key=OWNER_FLAGS_KEY):
                problem = OWNER_NEEDED
        problem_note(5, problem)
    return problem


def payout_label(option: PayoutOption) -> str:
    bonus = f" (+{option.bonus_percent:g} %)" if option.bonus_percent else ""
    return f"{option.label_pt}{bonus}: {format_price(option.amount)}"


def payout_step(preview: PurchasePreview) -> str | None:
    """Draw step 6; returns what it lacks. The tool records the choice; it pays nothing."""
    with section(6):
        options = {option.method: option for option in preview.payout_options}
        if st.session_state.get(PAYOUT_KEY) not in options:
            st.session_state.pop(PAYOUT_KEY, None)
        method = st.radio(
            "Como o cliente quer receber?",
            tuple(options),
            index=None,
            format_func=lambda m: payout_label(options[m]),
            key=PAYOUT_KEY,
        )
        st.caption("O app só registra a forma e o valor: o pagamento é feito fora dele.")
        problem = None if method is not None else PAYOUT_MISSING
        problem_note(6, problem)
    return problem


def chosen_payout(preview: PurchasePreview) -> PayoutOption | None:
    method = st.session_state.get(PAYOUT_KEY)
    return next((o for o in preview.payout_options if o.method == method), None)


def owner_approval(is_owner: bool) -> bool:
    """An owner on screen approved something a clerk could not (amount or seller warning)."""
    if not is_owner:
        return False
    return bool(st.session_state.get(OWNER_AMOUNT_KEY) or st.session_state.get(OWNER_FLAGS_KEY))
