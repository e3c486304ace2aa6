"""The owner's week at the top of Monitoramento: money first, each figure beside last week's.

Numbers come from ``laptop_pricing.monitoring.owner_week``; this module only chooses the words.
"""

from __future__ import annotations

import re

import streamlit as st

from laptop_pricing.formatting import format_int, format_whole_price
from laptop_pricing.monitoring.owner_week import OwnerWeek, week_sentence

WHAT_IS_COUNTED = (
    "**Ofertas** são as cotações com as perguntas de condição respondidas: o valor que o "
    "cliente recebeu. **Pedidos** (mais abaixo) são todas as consultas de preço, com ou sem "
    "condição. Comprados: ofertas aceitas, negociadas ou revistas na inspeção. Dias no horário "
    "de Brasília."
)
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$])")


def _count_change(now: int, before: int) -> str | None:
    change = now - before
    return f"{'+' if change > 0 else ''}{format_int(change)}" if change else None


def _money_change(now: float, before: float) -> str | None:
    change = round(now - before)
    if not change:
        return None
    sign = "+" if change > 0 else "-"
    return f"{sign}{format_whole_price(abs(change))}"


def _money(value: float | None) -> str:
    return format_whole_price(value) if value is not None else "—"


def _plain(note: str) -> str:
    """A clerk's note shown as typed, never read as Markdown."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", note)


def owner_summary(week: OwnerWeek) -> None:
    """The week's sentence, five counts with their change, three medians and the notes of the
    customers who declined for price."""
    now, before = week.week, week.previous
    st.subheader("A semana da loja", anchor="semana")
    st.markdown(f"**{week_sentence(now)}**")
    st.caption(
        f"As setas comparam com a semana anterior ({before.start:%d/%m} a {before.end:%d/%m})."
    )
    columns = st.columns(5)
    columns[0].metric(
        "Notebooks comprados",
        format_int(now.bought),
        delta=_count_change(now.bought, before.bought),
        help="Ofertas aceitas, negociadas ou revistas na inspeção.",
    )
    columns[1].metric(
        "Valor pago",
        format_whole_price(now.spent),
        delta=_money_change(now.spent, before.spent),
        delta_color="off",
        help="Soma dos valores combinados (a oferta, quando aceita como estava).",
    )
    columns[2].metric(
        "Ofertas feitas", format_int(now.offers), delta=_count_change(now.offers, before.offers)
    )
    columns[3].metric(
        "Recusadas pelo preço",
        format_int(now.declined_for_price),
        delta=_count_change(now.declined_for_price, before.declined_for_price),
        delta_color="inverse",
        help="Clientes que recusaram por achar a oferta baixa.",
    )
    columns[4].metric(
        "Em aberto",
        format_int(now.open),
        delta=_count_change(now.open, before.open),
        delta_color="off",
        help="Ofertas da semana sem decisão registrada.",
    )
    medians = st.columns(3)
    medians[0].metric(
        "Estimativa de mercado do modelo (mediana)",
        _money(now.median_estimate),
        help="O valor de mercado que o modelo estimou para os notebooks das ofertas. "
        "Não é a oferta nem o valor pago.",
    )
    medians[1].metric("Oferta mediana", _money(now.median_offer))
    medians[2].metric("Valor pago mediano", _money(now.median_paid))
    if week.price_notes:
        st.markdown("**O que disseram os clientes que recusaram pelo preço**")
        st.markdown("\n".join(f"- {_plain(note)}" for note in week.price_notes))
    elif now.declined_for_price:
        st.caption("Quem recusou pelo preço não deixou observação.")
    st.caption(WHAT_IS_COUNTED)
