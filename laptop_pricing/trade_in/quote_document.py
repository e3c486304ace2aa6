"""What the customer's printed quote shows, and its file name: light, so a page can offer the
PDF without importing the renderer (``laptop_pricing.trade_in.quote_pdf``, fpdf2: about 0.4 s and
30 MB
the first time) until the clerk asks for it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from laptop_pricing.pricing.laptop_spec import LaptopSpec
from laptop_pricing.trade_in.condition import Condition


@dataclass(frozen=True)
class StoreIdentity:
    """Who issued the quote, as the customer reads it at home (settings ``STORE-*``)."""

    name: str
    address: str | None = None
    cnpj: str | None = None
    phone: str | None = None

    def lines(self) -> tuple[str, ...]:
        """Address, then "CNPJ ... · Tel. ...": only what is configured."""
        contact = []
        if self.cnpj:
            contact.append(f"CNPJ {self.cnpj}")
        if self.phone:
            contact.append(f"Tel. {self.phone}")
        lines = [self.address] if self.address else []
        if contact:
            lines.append(" · ".join(contact))
        return tuple(lines)


@dataclass(frozen=True)
class QuoteDocument:
    """Everything the printed quote shows (``no_offer_reason``: in the customer's words)."""

    store: StoreIdentity
    quote_id: str
    quoted_at: datetime
    valid_until: date
    offer: int | None
    no_offer_reason: str | None
    spec: LaptopSpec | None
    condition: Condition | None
    currency: str = "BRL"


def pdf_file_name(document: QuoteDocument) -> str:
    return f"cotacao-{document.quote_id}.pdf"
