"""Finding a purchase again, through the client: an owner by the machine's serial number (the
full record: seller's name, CPF, document, phone); a clerk by the purchase's code, and only a
purchase they made, masked (first name, ``***.456.789-**``, no document or phone)."""

from __future__ import annotations

import logging

import streamlit as st

from components.pricing import pricing_client
from components.purchase_words import UNAVAILABLE
from laptop_pricing.errors import BadRequest, PricingError
from laptop_pricing.formatting import BRASILIA, format_price
from laptop_pricing.purchase_answers import PurchaseAnswer
from laptop_pricing.settings import Settings

logger = logging.getLogger(__name__)
LOOKUP_KEY = "purchase_lookup"
OWNER_LABEL = "Buscar compra por número de série"
CLERK_LABEL = "Buscar uma compra sua pelo código"
NO_SERIAL = "Nenhuma compra com o número de série {text}."
NO_PURCHASE = "Nenhuma compra sua com o código {text}. Confira o código da declaração."
PAYOUT_WORDS = {"pix": "Pix", "cash": "Dinheiro", "store_credit": "Crédito na loja"}
DOCUMENT_WORDS = {"rg": "RG", "cnh": "CNH", "passaporte": "Passaporte", "rne": "RNE / CRNM"}


def payout_words(answer: PurchaseAnswer) -> str:
    method = PAYOUT_WORDS.get(answer.payout_method, answer.payout_method)
    bonus = f" (+{answer.payout_bonus_percent:g} %)" if answer.payout_bonus_percent else ""
    return f"{method}{bonus}, {format_price(answer.payout_amount)}"


def purchase_lines(answer: PurchaseAnswer) -> list[str]:
    """What a found purchase shows, the seller as the service sent it (full or masked)."""
    lines = [f"**Compra {answer.purchase_id}**"]
    if answer.recorded_at is not None:
        lines.append(f"Registrada em {answer.recorded_at.astimezone(BRASILIA):%d/%m/%Y às %H:%M}")
    label = " ".join(x for x in (answer.label_brand, answer.label_model) if x)
    lines.append(f"**Número de série:** {answer.serial}" + (f" ({label})" if label else ""))
    lines.append(f"**Valor combinado:** {format_price(answer.agreed_amount)}")
    lines.append(f"**Pagamento:** {payout_words(answer)}")
    seller = answer.seller
    if seller is None:
        lines.append("**Vendedor:** dados apagados a pedido ou pelo prazo de guarda")
    elif seller.masked:
        lines.append(f"**Vendedor:** {seller.first_name} · CPF {seller.cpf_masked}")
    else:
        lines.append(f"**Vendedor:** {seller.name} · CPF {seller.cpf}")
        if seller.document_number:
            kind = seller.document_label or DOCUMENT_WORDS.get(seller.document_type or "", "")
            lines.append(f"**Documento:** {kind} {seller.document_number}".replace("  ", " "))
        if seller.phone:
            lines.append(f"**Telefone:** {seller.phone}")
    for flag in answer.flags:
        lines.append(f"**Alerta:** {flag.message_pt}")
    for override in answer.overrides:
        lines.append(f"**Aprovado pelo dono:** {override.email or 'dono'} ({override.what})")
    if answer.clerk_email:
        lines.append(f"**Atendente:** {answer.clerk_email}")
    return lines


def purchase_card(answer: PurchaseAnswer, key: str) -> None:
    with st.container(border=True, key=key):
        st.markdown("  \n".join(purchase_lines(answer)))


def find_for(
    text: str, settings: Settings, as_owner: bool, clerk_email: str | None
) -> PurchaseAnswer | str:
    """An owner looks a serial up; a clerk a code of their own purchases."""
    client = pricing_client(settings)
    try:
        if as_owner:
            found = client.find_purchase_by_serial(text)
            return found if found is not None else NO_SERIAL.format(text=text)
        found = client.find_purchase(text, as_owner=False, clerk_email=clerk_email)
    except BadRequest:
        return NO_PURCHASE.format(text=text)
    except PricingError as error:
        logger.warning("purchase lookup failed: %s: %s", type(error).__name__, error)
        return UNAVAILABLE
    return found if found is not None else NO_PURCHASE.format(text=text)


def purchase_lookup_section(settings: Settings, as_owner: bool, clerk_email: str | None) -> None:
    """The box: by serial for an owner, by code (own purchases, masked) for a clerk."""
    text = st.text_input(
        OWNER_LABEL if as_owner else CLERK_LABEL,
        key=LOOKUP_KEY,
        placeholder="Ex.: 5CD1234XYZ" if as_owner else "Ex.: 113G-3959-QF6V",
        icon=":material/search:",
    ).strip()
    if not text:
        return
    found = find_for(text.upper(), settings, as_owner, clerk_email)
    if isinstance(found, str):
        st.warning(found)
    else:
        purchase_card(found, "purchase_lookup_card")


def earlier_purchase(
    purchase_id: str, settings: Settings, as_owner: bool, clerk_email: str | None
) -> None:
    """A quote already bought: the purchase made of it, as this visitor may see it."""
    try:
        found = pricing_client(settings).find_purchase(
            purchase_id, as_owner=as_owner, clerk_email=clerk_email
        )
    except PricingError as error:
        logger.warning("earlier purchase not read: %s: %s", type(error).__name__, error)
        return
    if found is not None:
        purchase_card(found, "purchase_earlier_card")
