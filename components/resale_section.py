"""The "Estoque e revenda" section of Monitoramento: money first, then how fast laptops sell,
what each kind earned, what the sales say about the policy, and how far predicted sale prices
landed from the real ones.

Numbers come from ``laptop_pricing.resale.figures.resale_figures``; this module only chooses
the words and draws metrics and tables.
"""

from __future__ import annotations

import math
import re

import pandas as pd
import streamlit as st

from laptop_pricing.formatting import format_int, format_percent, format_whole_price
from laptop_pricing.resale.advisor import share_suggestion
from laptop_pricing.resale.figures import (
    ALL_SEGMENTS,
    MIN_SALES_FOR_ERROR,
    PredictionError,
    ResaleFigures,
)
from laptop_pricing.resale.sales import SEGMENT_LABELS

TITLE = "Estoque e revenda"
SYNTHETIC_NOTE = "Dados sintéticos, para demonstração: não são vendas da loja."
NO_SALES = "Ainda não há vendas registradas: os números de revenda aparecem com a primeira venda."
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$])")


def _segment(segment: str) -> str:
    return "Todos" if segment == ALL_SEGMENTS else SEGMENT_LABELS.get(segment, segment)


def _percent(share: float) -> str:
    return "—" if math.isnan(share) else format_percent(share, 0)


def _interval(low: float, high: float) -> str:
    return "—" if math.isnan(low) else f"{_percent(low)} a {_percent(high)}"


def margin_table(figures: ResaleFigures) -> pd.DataFrame:
    rows = figures.margins.to_dict("records")
    return pd.DataFrame(
        {
            "Categoria": [_segment(r["segment"]) for r in rows],
            "Vendidos": [format_int(int(r["n"])) for r in rows],
            "Margem realizada": [format_whole_price(r["margin"]) for r in rows],
            "Margem por notebook (mediana)": [format_whole_price(r["median_margin"]) for r in rows],
            "Margem sobre a venda": [_percent(r["margin_share"]) for r in rows],
            "Vendas": [format_whole_price(r["revenue"]) for r in rows],
            "Pago": [format_whole_price(r["paid"]) for r in rows],
            "Preparo": [format_whole_price(r["preparation"]) for r in rows],
        }
    )


def sell_through_table(figures: ResaleFigures) -> pd.DataFrame:
    rows = figures.sell_through.to_dict("records")
    return pd.DataFrame(
        {
            "Mês": [f"{r['month'][5:]}/{r['month'][:4]}" for r in rows],
            "Em estoque no mês": [format_int(int(r["available"])) for r in rows],
            "Comprados": [format_int(int(r["bought"])) for r in rows],
            "Vendidos": [format_int(int(r["sold"])) for r in rows],
            "Giro (vendidos ÷ em estoque)": [_percent(r["sell_through"]) for r in rows],
        }
    )


def share_table(figures: ResaleFigures) -> pd.DataFrame:
    shares = figures.advice.shares
    return pd.DataFrame(
        {
            "Categoria": [_segment(e.segment) for e in shares],
            "Vendas sem defeitos": [format_int(e.n) for e in shares],
            "Vendemos a (mediana)": [_percent(e.median) for e in shares],
            "Intervalo de 95%": [_interval(e.low, e.high) for e in shares],
            "A política usa": [_percent(e.policy_share) for e in shares],
        }
    )


def deduction_table(figures: ResaleFigures) -> pd.DataFrame:
    found = figures.advice.deductions
    return pd.DataFrame(
        {
            "Resposta": [d.label for d in found],
            "Vendas": [format_int(d.n) for d in found],
            "As vendas mostram": [_percent(max(0.0, d.estimate)) for d in found],
            "Intervalo de 95%": [_interval(max(0.0, d.low), d.high) for d in found],
            "A política desconta": [_percent(d.policy_deduction) for d in found],
            "Rever?": ["não" if d.agrees else "sim" for d in found],
        }
    )


def error_table(errors: tuple[PredictionError, ...]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Categoria": [_segment(e.segment) for e in errors],
            "Vendas": [format_int(e.n) for e in errors],
            "Erro médio (MAPE)": [_percent(e.mape) for e in errors],
            "MAPE, intervalo de 95%": [_interval(e.mape_low, e.mape_high) for e in errors],
            "Viés": [_percent(e.bias) for e in errors],
            "Viés, intervalo de 95%": [_interval(e.bias_low, e.bias_high) for e in errors],
        }
    )


def sales_row(figures: ResaleFigures) -> None:
    """What the sales made, in three numbers, before the tables that break it down."""
    overall = figures.margins[figures.margins["segment"] == ALL_SEGMENTS].iloc[0]
    first, second, third = st.columns(3)
    first.metric(
        "Margem realizada",
        format_whole_price(overall["margin"]),
        help="Venda − valor pago − preparo, somado em todas as vendas registradas.",
    )
    second.metric("Notebooks vendidos", format_int(figures.sales))
    third.metric("Margem por notebook (mediana)", format_whole_price(overall["median_margin"]))


def resale_section(figures: ResaleFigures) -> None:
    """Draw the section from figures computed (and cached) by the page."""
    st.subheader(TITLE)
    if figures.synthetic:
        st.info(SYNTHETIC_NOTE)
    stock = figures.stock
    first, second, third, fourth = st.columns(4)
    first.metric("Valor pago em estoque", format_whole_price(stock.paid_value))
    second.metric("Notebooks em estoque", format_int(stock.count))
    third.metric(
        "Dias em estoque (mediana)",
        "—" if stock.median_days is None else format_int(round(stock.median_days)),
    )
    fourth.metric(
        "O mais antigo",
        "—" if stock.oldest_days is None else f"{format_int(stock.oldest_days)} dias",
        help=f"Compra {stock.oldest_purchase_id}" if stock.oldest_purchase_id else None,
    )
    if not figures.sales:
        st.caption(NO_SALES)
        return
    sales_row(figures)
    st.markdown("**Margem realizada por categoria** (venda − valor pago − preparo)")
    st.dataframe(margin_table(figures), hide_index=True, key="resale_margins")
    st.markdown("**Giro por mês**")
    st.dataframe(sell_through_table(figures), hide_index=True, key="resale_sell_through")
    st.markdown("**Participação de revenda: política × vendas**")
    if figures.advice.shares:
        st.dataframe(share_table(figures), hide_index=True, key="resale_shares")
        for evidence in figures.advice.shares:
            st.markdown("- " + _MARKDOWN_SPECIAL.sub(r"\\\1", share_suggestion(evidence)))
        if figures.advice.deductions:
            st.markdown("**Descontos pelo estado: política × vendas**")
            st.dataframe(deduction_table(figures), hide_index=True, key="resale_deductions")
        st.caption("Sugestões: a política só muda quando o dono edita o arquivo da política.")
    else:
        st.caption(
            f"Cada categoria precisa de {format_int(figures.advice.min_sales)} vendas sem "
            "defeitos para uma sugestão."
        )
    st.markdown("**Preço previsto × preço de venda**")
    if figures.errors is None:
        st.caption(
            f"O erro aparece a partir de {format_int(MIN_SALES_FOR_ERROR)} vendas "
            f"(hoje: {format_int(figures.sales)})."
        )
    else:
        st.dataframe(error_table(figures.errors), hide_index=True, key="resale_errors")
        st.caption(
            "Previsto: estimativa de mercado × participação de revenda − descontos pelo estado. "
            "Viés acima de 0%: a previsão ficou acima da venda."
        )
