"""Why this price: the few fields that moved it most, in reais, from the typical laptop.

Compact on purpose (it sits under the price or offer card): the baseline in one line, the top
``TOP`` fields as "Memória RAM: 16 GB  + R$ 820", the rest summed in one line, so the numbers on
screen add up to the price. The words come from the schema's labels.
"""

from __future__ import annotations

import streamlit as st

from laptop_pricing.formatting import format_whole_price
from laptop_pricing.pricing.engine import MarketEstimate
from laptop_pricing.pricing.explanation import Contribution, Explanation
from laptop_pricing.pricing.schema import FIELDS_BY_NAME

TOP = 4
TITLE = "Por que este preço"


def signed_amount(amount: int, currency: str | None = None) -> str:
    """``820 -> '+ R$ 820'``, ``-300 -> '− R$ 300'`` (whole reais, the true minus sign)."""
    return f"{'+' if amount >= 0 else '−'} {format_whole_price(abs(amount), currency)}"


def contribution_text(contribution: Contribution) -> str:
    """``'Memória RAM: 16 GB'`` — the field and the value the clerk chose, in the form's words."""
    field = FIELDS_BY_NAME.get(contribution.field)
    if field is None:
        return contribution.field
    value = contribution.value
    if field.kind == "integer" and isinstance(value, str) and value.isdigit():
        value = int(value)
    return f"{field.label}: {field.option_label(value)}"


def explanation_lines(explanation: Explanation, currency: str | None = None) -> list[str]:
    """The lines the card shows, top fields first, then the rest in one line."""
    top = explanation.top(TOP)
    lines = [f"{contribution_text(c)} **{signed_amount(c.amount, currency)}**" for c in top]
    shown = {c.field for c in top}
    rest = sum(c.amount for c in explanation.contributions if c.field not in shown)
    if rest:
        lines.append(f"Demais características **{signed_amount(rest, currency)}**")
    return lines


def explanation_section(quote: MarketEstimate) -> None:
    """Draw the explanation of ``quote`` (nothing when the answer carries none)."""
    explanation = quote.explanation
    if explanation is None:
        return
    with st.container(border=True, key="price_explanation"):
        st.markdown(f"**{TITLE}**")
        st.caption(
            "Um notebook típico dos nossos dados vale "
            f"{format_whole_price(explanation.baseline, quote.currency)}. "
            "O que mais mudou o preço deste:"
        )
        st.markdown(
            "\n".join(f"- {line}" for line in explanation_lines(explanation, quote.currency))
        )
