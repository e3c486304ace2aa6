"""The declaration the seller signs (issue 23, item 7): "Declaração de procedência e venda".

One A4 page in the quote's style (``trade_in/quote_pdf.py``: the same fonts, page and QR
helpers): the store, the purchase id with its QR, the seller (name, masked CPF, document type and
masked number), the laptop (description, serial, brand and model as on the label), the condition
as inspected (the answers' words from ``trade_in/condition.py``), the agreed amount and how it is
paid, the date in Brasília time, the declaration and two signature lines. The full CPF never
reaches the paper: ``DeclarationFacts`` refuses one. fpdf2 is imported when a PDF is made, not
when a page builds the facts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from laptop_pricing.formatting import BRASILIA, format_price
from laptop_pricing.purchase.seller import DOCUMENT_LABELS
from laptop_pricing.trade_in.condition import Condition
from laptop_pricing.trade_in.quote_document import StoreIdentity

if TYPE_CHECKING:
    from laptop_pricing.trade_in.quote_pdf import StorePdf

TITLE = "Declaração de procedência e venda"
CLERK_DEFAULT = "Atendente"
QR_CAPTION = "Código desta compra na loja"
# The seller's document types (``purchase/seller.py`` validates the code; this is how it prints).
_ELEVEN_DIGITS = re.compile(r"\d{11}")


@dataclass(frozen=True)
class DeclarationFacts:
    """What the declaration shows. ``masked_cpf`` and ``masked_document`` arrive masked (a CPF
    with 11 digits showing, or a document number with nothing hidden, is refused);
    ``recorded_at`` is aware; ``bonus_percent`` is the store-credit bonus, None for Pix or cash."""

    store: StoreIdentity
    purchase_id: str
    recorded_at: datetime
    seller_name: str
    masked_cpf: str
    document_type: str
    masked_document: str
    laptop_description: str
    serial: str
    label_brand: str
    label_model: str
    condition: Condition
    agreed_amount: int
    payout_label: str
    payout_amount: int
    bonus_percent: float | None = None
    clerk_name: str | None = None
    currency: str = "BRL"

    def __post_init__(self) -> None:
        if self.recorded_at.tzinfo is None or self.recorded_at.utcoffset() is None:
            raise ValueError("recorded_at must be timezone-aware")
        if _ELEVEN_DIGITS.search(re.sub(r"\D", "", self.masked_cpf)) or "*" not in self.masked_cpf:
            raise ValueError("masked_cpf must be masked (seller.masked_cpf), never the full CPF")
        if "*" not in self.masked_document:
            raise ValueError("masked_document must hide part of the number")

    @property
    def document_label(self) -> str:
        return DOCUMENT_LABELS.get(self.document_type, self.document_type.upper())

    @property
    def clerk(self) -> str:
        return (self.clerk_name or "").strip() or CLERK_DEFAULT

    def payout_line(self) -> str:
        """``Crédito na loja: R$ 1.100,00 (R$ 1.000,00 + 10 % de bônus)``; ``Pix: R$ 1.000,00``."""
        paid = f"{self.payout_label}: {format_price(self.payout_amount, self.currency)}"
        if self.bonus_percent:
            agreed = format_price(self.agreed_amount, self.currency)
            paid += f" ({agreed} + {_percent(self.bonus_percent)} de bônus)"
        return paid

    def declaration_text(self) -> str:
        """What the seller declares, in the first person, naming the store as the buyer."""
        buyer = self.store.name + (f", CNPJ {self.store.cnpj}" if self.store.cnpj else "")
        agreed = format_price(self.agreed_amount, self.currency)
        payment = self.payout_label
        if self.bonus_percent:
            paid = format_price(self.payout_amount, self.currency)
            payment += f", {paid} com o bônus de {_percent(self.bonus_percent)}"
        return (
            f"Eu, {self.seller_name}, CPF {self.masked_cpf}, declaro, sob as penas da lei, que "
            f"sou o legítimo proprietário do notebook descrito acima, número de série "
            f"{self.serial}; que ele tem procedência lícita, não é produto de furto, roubo ou "
            "qualquer outro crime e está livre de dívidas, penhora ou alienação; e que, nesta "
            f"data, o vendo e transfiro a sua posse e propriedade a {buyer}, pelo valor "
            f"combinado de {agreed} (pagamento: {payment}). As informações acima são verdadeiras."
        )


def _percent(value: float) -> str:
    """``10 -> '10 %'``, ``12.5 -> '12,5 %'`` (a policy's percentage, as the counter says it)."""
    return f"{value:g}".replace(".", ",") + " %"


def declaration_file_name(facts: DeclarationFacts) -> str:
    return f"declaracao-{facts.purchase_id}.pdf"


def declaration_pdf(facts: DeclarationFacts) -> bytes:
    """The declaration as a one-page A4 PDF, ready to print and sign."""
    from laptop_pricing.trade_in.quote_pdf import ACCENT, StorePdf

    pdf = StorePdf()
    store = facts.store
    pdf.set_title(f"{TITLE} {facts.purchase_id}")
    pdf.set_author(store.name)
    pdf.set_creator("Laptop Pricing")
    pdf.add_page()

    qr_size = 30
    pdf.letterhead(store, facts.purchase_id, QR_CAPTION, qr_size, name=(16, 7.5))
    pdf.ln(2)
    pdf.text_line(TITLE, 15, bold=True, colour=ACCENT, h=8)
    recorded = facts.recorded_at.astimezone(BRASILIA)
    pdf.text_line(f"Compra {facts.purchase_id}", 11, bold=True, h=6)
    pdf.text_line(
        f"Registrada em {recorded:%d/%m/%Y} às {recorded:%H:%M} (horário de Brasília)", 9.5, h=5
    )
    pdf.set_right_margin(18)
    pdf.set_y(max(pdf.get_y(), pdf.t_margin + qr_size + 8))

    pdf.section("Vendedor")
    pdf.text_line(facts.seller_name, 10.5, bold=True, h=5.5)
    pdf.pairs(
        [
            ("CPF", facts.masked_cpf),
            ("Documento", f"{facts.document_label} {facts.masked_document}"),
        ]
    )
    pdf.section("Notebook")
    pdf.text_line(facts.laptop_description, 9.5, h=5)
    pdf.ln(0.5)
    pdf.pairs(
        [
            ("Número de série", facts.serial),
            ("Marca na etiqueta", facts.label_brand),
            ("Modelo na etiqueta", facts.label_model),
        ]
    )
    pdf.section("Estado na inspeção")
    pdf.pairs([(q.short_label, a.label) for q, a in facts.condition.answers()])
    pdf.section("Valor e pagamento")
    pdf.pairs([("Valor combinado", format_price(facts.agreed_amount, facts.currency))])
    pdf.text_line(facts.payout_line(), 10, bold=True, h=5.5)
    pdf.section("Declaração")
    pdf.text_line(facts.declaration_text(), 9.5, h=5)

    _signature_lines(pdf, facts)
    return bytes(pdf.output())


def _signature_lines(pdf: StorePdf, facts: DeclarationFacts) -> None:
    """Two lines side by side, "Vendedor" and "Atendente", with the names printed under them."""
    from laptop_pricing.trade_in.quote_pdf import FONT, INK, MUTED

    top = pdf.get_y() + 16
    gap = 12
    width = (pdf.w - pdf.l_margin - pdf.r_margin - gap) / 2
    recorded = facts.recorded_at.astimezone(BRASILIA)
    pdf.set_xy(pdf.l_margin, top - 10)
    pdf.set_font(FONT, "", 9)
    pdf.cell(0, 5, f"Data: {recorded:%d/%m/%Y}")
    for column, (role, name) in enumerate(
        (("Vendedor", facts.seller_name), ("Atendente", facts.clerk))
    ):
        left = pdf.l_margin + column * (width + gap)
        pdf.set_draw_color(*MUTED)
        pdf.line(left, top + 8, left + width, top + 8)
        pdf.set_xy(left, top + 9)
        pdf.set_font(FONT, "B", 9)
        pdf.set_text_color(*INK)
        pdf.cell(width, 4.5, role, align="C")
        pdf.set_xy(left, top + 13.5)
        pdf.set_font(FONT, "", 8)
        pdf.set_text_color(*MUTED)
        pdf.multi_cell(width, 4, name, align="C")
