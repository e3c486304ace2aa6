"""The customer's PDF quote: store, quote id (text and QR code), dates, laptop, condition, offer.

``quote_pdf(document) -> bytes`` is pure (no Streamlit, no I/O besides the bundled fonts). The
fonts are DejaVu Sans, shipped in ``laptop_pricing/trade_in/fonts`` with their licence, so accents
print
right (``Válida até``, ``não``) on any machine, with no system font package needed.
"""

from __future__ import annotations

import io
from pathlib import Path

import segno
from fpdf import FPDF

from laptop_pricing.formatting import BRASILIA, format_price
from laptop_pricing.pricing.schema import FIELDS
from laptop_pricing.trade_in.quote_document import QuoteDocument, StoreIdentity

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT = "DejaVu"
INK = (33, 37, 41)
MUTED = (96, 103, 112)
ACCENT = (13, 110, 77)
RULE = (206, 212, 218)
QR_CAPTION = "Aponte a câmera: abre o código desta cotação para a loja conferir."
INSPECTION_LINE = (
    "O valor final é confirmado na inspeção do notebook na loja: se o estado não for o "
    "informado nesta cotação, a oferta pode mudar."
)


def qr_png(text: str) -> io.BytesIO:
    """A full QR code: segno would pick a Micro QR for a short text, which phone cameras skip."""
    buffer = io.BytesIO()
    segno.make(text, error="m", micro=False).save(buffer, kind="png", scale=8, border=2)
    buffer.seek(0)
    return buffer


class StorePdf(FPDF):
    """An A4 page with the bundled fonts and the layout both store documents use (this quote and
    the purchase declaration, ``laptop_pricing.purchase.declaration_pdf``)."""

    def __init__(self) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.add_font(FONT, "", str(FONT_DIR / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        self.set_margins(18, 16, 18)
        self.set_auto_page_break(auto=True, margin=12)

    def text_line(
        self,
        text: str,
        size: float,
        bold: bool = False,
        colour: tuple[int, int, int] = INK,
        h: float | None = None,
    ) -> None:
        self.set_font(FONT, "B" if bold else "", size)
        self.set_text_color(*colour)
        self.multi_cell(0, h or size * 0.5, text, align="L", new_x="LMARGIN", new_y="NEXT")

    def letterhead(
        self,
        store: StoreIdentity,
        code: str,
        caption: str,
        qr_size: float,
        name: tuple[float, float],
    ) -> None:
        """The QR of ``code`` with its caption at the top right, the store's name and lines at
        the left (``name``: its font size and line height), the right margin kept clear of the
        QR for what follows."""
        qr_x = self.w - self.r_margin - qr_size
        self.image(qr_png(code), x=qr_x, y=self.t_margin, w=qr_size, h=qr_size)
        self.set_xy(qr_x - 4, self.t_margin + qr_size + 0.5)
        self.set_font(FONT, "", 7)
        self.set_text_color(*MUTED)
        self.multi_cell(qr_size + 8, 3.2, caption, align="C")
        self.set_xy(self.l_margin, self.t_margin)
        self.set_right_margin(self.r_margin + qr_size + 8)
        self.text_line(store.name, name[0], bold=True, h=name[1])
        for line in store.lines():
            self.text_line(line, 9, colour=MUTED, h=4.6)

    def section(self, title: str) -> None:
        self.ln(4)
        self.set_draw_color(*RULE)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.ln(2.5)
        self.text_line(title, 12, bold=True)
        self.ln(1)

    def pairs(self, rows: list[tuple[str, str]]) -> None:
        """Two label/value pairs per line, so the laptop and its condition leave room on page 1
        for what the customer must keep in mind ("Importante")."""
        half = (self.w - self.l_margin - self.r_margin) / 2
        label_width, value_width = 43, half - 45
        for start in range(0, len(rows), 2):
            for label, value in rows[start : start + 2]:
                self.set_font(FONT, "", 8)
                self.set_text_color(*MUTED)
                self.cell(label_width, 5.2, _fit(self, label, label_width))
                self.set_font(FONT, "", 9)
                if self.get_string_width(value) > value_width:  # smaller, never cut
                    self.set_font(FONT, "", 7.5)
                self.set_text_color(*INK)
                self.cell(value_width + 2, 5.2, _fit(self, value, value_width))
            self.ln(5.2)


def _fit(pdf: FPDF, text: str, width: float) -> str:
    """The text, shortened with "…" if it would run into the next column."""
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "…") > width:
        text = text[:-1]
    return text.rstrip() + "…"


def quote_pdf(document: QuoteDocument) -> bytes:
    """The quote as a one-page A4 PDF: store, code and QR, offer, "Importante", then details."""
    pdf = StorePdf()
    store = document.store
    pdf.set_title(f"Cotação {document.quote_id}")
    pdf.set_author(store.name)
    pdf.set_creator("Laptop Pricing")
    pdf.add_page()

    qr_size = 34
    pdf.letterhead(store, document.quote_id, QR_CAPTION, qr_size, name=(18, 8))
    pdf.text_line("Cotação de troca de notebook usado", 11, colour=MUTED, h=6.5)
    pdf.ln(2)
    pdf.text_line("Código da cotação", 9, colour=MUTED, h=5)
    pdf.text_line(document.quote_id, 20, bold=True, h=10)
    quoted = document.quoted_at.astimezone(BRASILIA)
    pdf.text_line(f"Feita em {quoted:%d/%m/%Y} às {quoted:%H:%M} (horário de Brasília)", 10, h=6)
    pdf.text_line(f"Válida até {document.valid_until:%d/%m/%Y}", 10, bold=True, h=6)
    pdf.set_right_margin(18)
    pdf.set_y(max(pdf.get_y(), pdf.t_margin + qr_size + 8) + 4)

    top = pdf.get_y()
    pdf.set_fill_color(232, 245, 239)
    box_height = 26 if document.offer is not None else 32
    pdf.rect(pdf.l_margin, top, pdf.w - pdf.l_margin - pdf.r_margin, box_height, style="F")
    pdf.set_xy(pdf.l_margin + 5, top + 3.5)
    if document.offer is not None:
        pdf.text_line("Oferta da loja pelo seu notebook", 11, colour=MUTED, h=6)
        pdf.set_x(pdf.l_margin + 5)
        pdf.text_line(format_price(document.offer, document.currency), 26, True, ACCENT, h=13)
    else:
        pdf.text_line("Sem oferta de compra", 16, bold=True, h=9)
        pdf.set_x(pdf.l_margin + 5)
        pdf.text_line(document.no_offer_reason or "", 10, h=5.2)
    pdf.set_y(top + box_height + 1)

    pdf.section("Importante")
    if document.offer is not None:
        pdf.text_line(INSPECTION_LINE, 9.5, h=5)
    pdf.text_line(
        f"Apresente este código na loja até {document.valid_until:%d/%m/%Y}. "
        "Depois dessa data, faça uma nova avaliação.",
        9.5,
        h=5,
    )
    if document.spec is not None:
        pdf.section("Notebook")
        values = document.spec.as_dict()
        pdf.pairs([(f.label, f.option_label(values[f.name])) for f in FIELDS])
    if document.condition is not None:
        pdf.section("Estado informado")
        pdf.pairs([(q.short_label, a.label) for q, a in document.condition.answers()])
    return bytes(pdf.output())
