"""Streamlit pieces of the "Negócios" section and of the alerts at the top of the monitoring page.

Numbers and figures come from ``laptop_pricing.monitoring`` (``business_view``, ``alerts``);
this module only chooses the words, the layout and what to say when there is nothing to show.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import streamlit as st

from components.monitoring_panels import chart
from laptop_pricing.formatting import format_int, format_percent
from laptop_pricing.monitoring import business
from laptop_pricing.monitoring.alert_rules import AlertRulesError
from laptop_pricing.monitoring.alerts import Alert
from laptop_pricing.monitoring.business_view import (
    SEGMENT_NOTE,
    BusinessView,
    hidden_segments,
    segment_figure,
)
from laptop_pricing.monitoring.sources import LogUnavailable

SEGMENT_KEY = "business_segment"
DEFAULT_SEGMENT = "processor_name"


def alerts_banner(fired: list[Alert]) -> None:
    """One red line per rule that fires, before anything else on the page."""
    for alert in fired:
        st.error(alert.message, icon=":material/notifications_active:")


def rules_unreadable(error: AlertRulesError) -> None:
    where = f"{error.key}: " if error.key else ""
    st.warning(
        f"As regras de alerta não puderam ser lidas ({where}{error.reason}). Corrija "
        "`monitoring/alerts.toml` para voltar a ver os alertas.",
        icon=":material/warning:",
    )


def outcomes_unreadable(error: LogUnavailable) -> None:
    st.warning(
        f"Não foi possível ler os resultados das ofertas em {error.location} ({error.reason}). "
        "Confira OUTCOMES-PREFIX e o acesso ao bucket nos segredos do app.",
        icon=":material/warning:",
    )


def _percent(share: float | None) -> str:
    return format_percent(share, 0) if share is not None else "—"


def business_section(view: BusinessView) -> None:
    """The section header, the sentence, five numbers, the two time charts and one segment."""
    st.subheader("Negócios", anchor="negocios")
    st.caption(
        "O que aconteceu com as ofertas feitas no período: fechadas (aceitas, negociadas ou "
        "revistas na inspeção), recusadas ou ainda em aberto."
    )
    if not view.quotes:
        st.info(
            "Nenhuma oferta feita no período. As ofertas aparecem aqui quando o balconista "
            "responde às perguntas de condição na página de avaliação; o resultado é registrado "
            "no cartão da oferta ou em *Buscar cotação*.",
            icon=":material/info:",
        )
        return
    summary = view.summary
    st.markdown(f"**{view.sentence}**")
    for sentence in view.chain_sentences:  # a store far from the others in the chain
        st.markdown(f":material/storefront: {sentence}")
    columns = st.columns(5)
    columns[0].metric("Ofertas no período", format_int(summary.quotes))
    interval = summary.acceptance_interval
    columns[1].metric(
        "Aceitação",
        _percent(summary.acceptance),
        help=(
            f"Intervalo de 95%: {_percent(interval[0])} a {_percent(interval[1])}. "
            if interval
            else ""
        )
        + "Fechadas entre as ofertas com resultado registrado.",
    )
    columns[2].metric(
        "Recusadas por valor baixo",
        _percent(summary.low_offer_share),
        help="Recusadas com o motivo “achou a oferta baixa”, entre as ofertas com resultado.",
    )
    columns[3].metric(
        "Pago ÷ oferta",
        _percent(summary.paid_ratio),
        help="Média, nas ofertas fechadas, do valor pago sobre a oferta: abaixo de 100% a "
        "inspeção baixou o preço; acima, o cliente negociou para cima.",
    )
    columns[4].metric("Em aberto", format_int(summary.open))
    chart(view.figures["per_day"])
    chart(view.figures["acceptance"])
    labels = {s.column: s.label for s in business.SEGMENTS}
    if st.session_state.get(SEGMENT_KEY) not in labels:
        st.session_state[SEGMENT_KEY] = DEFAULT_SEGMENT
    chosen = st.segmented_control(
        "Dividir por", list(labels), format_func=labels.__getitem__, key=SEGMENT_KEY
    )
    column = chosen or DEFAULT_SEGMENT
    figure = segment_figure(view, column)
    if figure is not None:
        chart(figure)
        st.caption(SEGMENT_NOTE)
    hidden = hidden_segments(view, column)
    if hidden:
        st.caption(
            f"{format_int(hidden)} {'valor fica' if hidden == 1 else 'valores ficam'} de fora "
            f"por ter menos de {format_int(business.MIN_DECIDED)} ofertas com resultado: "
            "com tão poucas, a taxa é a escolha de um ou dois clientes."
        )


def outcomes_download(csv_bytes: Callable[[], bytes], start: date, end: date) -> None:
    """Every outcome recorded in the period as CSV, built only when the button is clicked."""
    st.download_button(
        "Baixar os resultados registrados (CSV)",
        data=csv_bytes,
        file_name=f"resultados_{start:%Y-%m-%d}_a_{end:%Y-%m-%d}.csv",
        mime="text/csv",
        key="outcomes_download",
        icon=":material/download:",
        on_click="ignore",
    )
