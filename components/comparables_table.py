"""Comparable laptops: real laptops of the model's data close to this one, with their prices.

What the clerk shows a customer who asks "why so little?". One short line per laptop (brand,
processor and generation, RAM, storage, video) so it fits a phone; the processor family that
matches comes first (the engine orders them).
"""

from __future__ import annotations

import streamlit as st

from laptop_pricing.formatting import format_whole_price
from laptop_pricing.pricing.comparables import Comparable
from laptop_pricing.pricing.engine import MarketEstimate
from laptop_pricing.pricing.schema import FIELDS, FIELDS_BY_NAME

TITLE = "Notebooks parecidos nos nossos dados"


def _label(name: str, value: object) -> str:
    field = FIELDS_BY_NAME[name]
    if field.kind == "integer" and isinstance(value, str) and value.isdigit():
        value = int(value)
    return field.option_label(value)  # type: ignore[arg-type]


def comparable_line(comparable: Comparable) -> str:
    """``'Dell · Core i5 (11ª geração) · 16 GB · SSD 512 GB'``."""
    f = comparable.fields
    processor = _label("processor_name", f.get("processor_name"))
    generation = f.get("processor_gnrtn")
    if generation and generation != "not available":
        processor += f" ({_label('processor_gnrtn', generation)})"
    parts = [_label("brand", f.get("brand")), processor, f"{_label('ram_gb', f.get('ram_gb'))}"]
    if f.get("ssd"):
        parts.append(f"SSD {_label('ssd', f.get('ssd'))}")
    if f.get("hdd"):
        parts.append(f"HD {_label('hdd', f.get('hdd'))}")
    if f.get("graphic_card"):
        parts.append(f"vídeo {_label('graphic_card', f.get('graphic_card'))}")
    return " · ".join(parts)


def comparable_lines(comparables: tuple[Comparable, ...] | list[Comparable]) -> list[str]:
    """One line per laptop; where two lines would read the same, each also says what differs
    between them (generation, weight, screen, warranty...), so four prices are never four
    identical laptops to the customer's eye."""
    lines = [comparable_line(c) for c in comparables]
    for line in set(lines):
        group = [i for i, other in enumerate(lines) if other == line]
        if len(group) < 2:
            continue
        differing = [
            f for f in FIELDS if len({str(comparables[i].fields.get(f.name)) for i in group}) > 1
        ]
        for i in group:
            values = comparables[i].fields
            extra = [f"{f.label.lower()}: {_label(f.name, values.get(f.name))}" for f in differing]
            lines[i] = f"{line} ({'; '.join(extra)})" if extra else line
    return lines


def comparables_section(quote: MarketEstimate) -> None:
    """Draw the comparable laptops of ``quote`` (nothing when the answer carries none)."""
    if not quote.comparables:
        return
    with st.container(border=True, key="comparables"):
        st.markdown(f"**{TITLE}**")
        lines = comparable_lines(quote.comparables)
        st.markdown(
            "\n".join(
                f"- {line} — **{format_whole_price(c.price, quote.currency)}**"
                for line, c in zip(lines, quote.comparables, strict=True)
            )
        )
        st.caption("Preços dos anúncios com que o modelo aprendeu, convertidos para reais.")
