"""Step 7 of the purchase: the declaration the seller signs ("Declaração de procedência e
venda"), built from what is on screen with purchase id = quote id, printed, signed and kept;
the clerk says so (optionally with a photo of the signed paper) and concludes.

The PDF (``laptop_pricing.purchase.declaration_pdf``) is built only when the clerk clicks the
download (``st.download_button`` calls the builder), like the customer's quote.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial

import streamlit as st

from components.purchase_inspection import section
from components.purchase_machine import IMAGE_TYPES, machine_payload
from components.purchase_photos import normalized
from components.purchase_state import problem_note
from components.purchase_words import DECLARATION_WAITS, UNSIGNED, steps_text
from laptop_pricing.pricing.laptop_spec import LaptopSpec
from laptop_pricing.pricing.schema import FIELDS_BY_NAME
from laptop_pricing.purchase.declaration_pdf import DeclarationFacts, declaration_pdf
from laptop_pricing.purchase.photos import NormalizedPhoto
from laptop_pricing.purchase.seller import Seller, masked_document
from laptop_pricing.purchase_answers import PayoutOption
from laptop_pricing.trade_in.condition import Condition
from laptop_pricing.trade_in.quote_document import StoreIdentity

SIGNED_KEY = "purchase_declaration_signed"
PHOTO_KEY = "purchase_declaration_photo"
FACTS_KEY = "purchase_declaration_facts"
SIGNED_LABEL = "Declaração assinada pelo vendedor e guardada"
DESCRIBED = ("brand", "processor_brand", "processor_name", "ram_gb", "ssd", "hdd")


def laptop_description(spec: LaptopSpec | None) -> str:
    """ "Dell · Intel · Core i5 · 8 GB · 256 GB": what the quote says the laptop is."""
    if spec is None:
        return "Notebook"
    values = spec.as_dict()
    parts = []
    for name in DESCRIBED:
        field = FIELDS_BY_NAME[name]
        if values.get(name) not in (None, 0):
            parts.append(f"{field.label}: {field.option_label(values[name])}")
    return " · ".join(parts) or "Notebook"


def declaration_facts(
    store: StoreIdentity,
    quote_id: str,
    spec: LaptopSpec | None,
    condition: Condition,
    seller: Seller,
    agreed: int,
    payout: PayoutOption,
) -> DeclarationFacts:
    """What the declaration says, from the page (the time is now; the answer's once stored).
    The clerk signs on the "Atendente" line by hand: their e-mail never goes into a download."""
    machine = machine_payload()
    return DeclarationFacts(
        store=store,
        purchase_id=quote_id,
        recorded_at=datetime.now(UTC),
        seller_name=seller.name,
        masked_cpf=seller.masked_cpf,
        document_type=seller.document_type,
        masked_document=masked_document(seller.document_number),
        laptop_description=laptop_description(spec),
        serial=machine["serial"],
        label_brand=machine["label_brand"],
        label_model=machine["label_model"],
        condition=condition,
        agreed_amount=agreed,
        payout_label=payout.label_pt,
        payout_amount=payout.amount,
        bonus_percent=float(payout.bonus_percent) or None,
    )


def _pdf(facts: DeclarationFacts) -> bytes:
    pdf: bytes = declaration_pdf(facts)
    return pdf


def declaration_download(facts: DeclarationFacts, key: str) -> None:
    st.download_button(
        "Baixar a declaração em PDF para imprimir",
        data=partial(_pdf, facts),
        file_name=f"declaracao-{facts.purchase_id}.pdf",
        mime="application/pdf",
        key=key,
        on_click="ignore",
        icon=":material/picture_as_pdf:",
        width="stretch",
    )


def declaration_step(
    facts: DeclarationFacts | None, waiting: list[int]
) -> tuple[str | None, NormalizedPhoto | None]:
    """Draw step 7; ``facts`` None while steps ``waiting`` lack something. Returns what the
    step lacks and the signed paper's photo, if any."""
    with section(7):
        if facts is None:
            st.info(DECLARATION_WAITS.format(steps=steps_text(waiting)), icon=":material/info:")
        else:
            st.session_state[FACTS_KEY] = facts
            st.caption("Imprima, leia com o vendedor e peça para assinar. Guarde o papel.")
            declaration_download(facts, "purchase_declaration_pdf")
        signed = st.checkbox(SIGNED_LABEL, key=SIGNED_KEY, disabled=facts is None)
        upload = st.file_uploader(
            "Foto da declaração assinada (opcional)", type=IMAGE_TYPES, key=PHOTO_KEY
        )
        photo = None
        if upload is not None:
            result = normalized(upload.getvalue())
            if isinstance(result, str):
                st.error(result, icon=":material/no_photography:")
            else:
                photo = result
        problem = None if signed else UNSIGNED
        problem_note(7, problem)
    return problem, photo
