"""Streamlit pieces of the monitoring page: source bar, filters, KPIs, charts, drift, quality.

Every number comes from ``laptop_pricing.monitoring``; this module only chooses words, layout
and what to say when there is nothing to show.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from components.monitoring_data import SAMPLE_DIR, refresh, use_sample, using_sample
from laptop_pricing.formatting import (
    BRASILIA,
    format_day,
    format_int,
    format_percent,
    format_whole_price,
)
from laptop_pricing.monitoring import aggregate
from laptop_pricing.monitoring.sources import DayFile, LogLocation, LogUnavailable
from laptop_pricing.monitoring.view import (
    SHARES,
    ZIP_ABOVE_ROWS,
    Filters,
    download_csv,
    download_zip,
)

UNAVAILABLE_REASONS = {
    "NoSuchBucket": "o bucket não existe",
    "AccessDenied": "acesso negado (confira as credenciais e a política IAM)",
    "InvalidAccessKeyId": "credenciais AWS inválidas",
    "SignatureDoesNotMatch": "credenciais AWS inválidas",
    "EndpointConnectionError": "o endereço do S3 não respondeu",
    "NoCredentialsError": "não há credenciais AWS configuradas",
}


def describe_location(location: LogLocation) -> str:
    if using_sample():
        return "registros de exemplo do curso (data/request-logs-sample)"
    if location.is_s3:
        prefix = f"{location.prefix}/" if location.prefix else ""
        return f"s3://{location.bucket}/{prefix}"
    return f"pasta local {location.directory}/{location.prefix}".rstrip("/")


def source_bar(location: LogLocation) -> None:
    left, right = st.columns([5, 1], vertical_alignment="center")
    left.caption(
        f"Fonte: {describe_location(location)} · os dados ficam em cache por 5 minutos; "
        "use **Atualizar** para ler de novo agora."
    )
    if right.button(
        "Atualizar", key="monitoring_refresh", icon=":material/refresh:", width="stretch"
    ):
        refresh()
    if using_sample():
        notice, back = st.columns([5, 1], vertical_alignment="center")
        notice.info(
            "Você está vendo os **registros de exemplo do curso** (jan/2024, preços da API "
            "original), não os pedidos desta loja.",
            icon=":material/science:",
        )
        if back.button("Voltar ao meu registro", key="monitoring_leave_sample", width="stretch"):
            use_sample(False)
            st.rerun()


def sample_offer(reason: str) -> None:
    """Explain why there is nothing to show and offer the course's real logs instead."""
    st.info(reason, icon=":material/info:")
    sample_files = sorted(SAMPLE_DIR.glob("*_laptop_prediction_data.csv"))
    if not sample_files or using_sample():
        return
    st.write(
        "Para conhecer a página, você pode abrir os **registros reais da API do curso** que "
        f"acompanham o projeto ({len(sample_files)} dias de jan/2024, lidos direto de "
        "`data/request-logs-sample/`, sem misturar com o registro da loja)."
    )
    if st.button("Carregar os registros de exemplo", key="monitoring_load_sample", type="primary"):
        use_sample(True)
        st.rerun()


def unavailable(location: LogLocation, error: LogUnavailable) -> None:
    why = UNAVAILABLE_REASONS.get(error.reason, f"erro {error.reason}")
    why = "o armazenamento não respondeu" if error.timed_out else why
    st.error(
        f"Não foi possível ler o registro de pedidos em {describe_location(location)}: {why}. "
        "Confira PREDICTIONS-BUCKET, PREDICTIONS-PREFIX e AWS-ENDPOINT-URL nos segredos do app.",
        icon=":material/error:",
    )


def empty_log(location: LogLocation) -> None:
    sample_offer(
        f"Ainda não há pedidos registrados em {describe_location(location)}. Cada notebook "
        "avaliado na página **Avaliar notebook** vira uma linha do registro do dia, e os "
        "gráficos aparecem aqui."
    )


PRESETS = {"7 dias": 7, "30 dias": 30, "90 dias": 90, "Tudo": None}
RANGE_KEY = "monitoring_range"


def _apply_preset(oldest: date, newest: date) -> None:
    days = PRESETS.get(st.session_state.get("monitoring_preset", ""))
    start = oldest if days is None else max(oldest, newest - timedelta(days=days - 1))
    st.session_state[RANGE_KEY] = (start, newest)


def filters(files: list[DayFile], today: date) -> Filters:
    """Date range (bounded by the days that have files), shortcuts and the in-schema switch;
    the versions are chosen after, among those of the period (``version_filter``). The files
    are UTC days: the oldest file's first three hours are the Brasília day before it, and after
    21:00 in Brasília the newest file is tomorrow's, whose rows are today's."""
    oldest = files[0].day - timedelta(days=1)
    newest = min(files[-1].day, max(today, files[0].day))
    saved = st.session_state.get(RANGE_KEY)
    seen_newest = st.session_state.get("monitoring_newest")
    if saved and seen_newest and newest > seen_newest and saved[-1] == seen_newest:
        # New days arrived (Atualizar or the TTL): a range that ended at the newest day follows.
        shift = newest - seen_newest
        saved = (max(oldest, saved[0] + shift), newest)
        st.session_state[RANGE_KEY] = saved
    st.session_state["monitoring_newest"] = newest
    if not saved or any(d < oldest or d > newest for d in saved):
        st.session_state[RANGE_KEY] = (max(oldest, newest - timedelta(days=29)), newest)
    dates, shortcuts, switch = st.columns([2, 2, 2], vertical_alignment="bottom")
    chosen = dates.date_input(
        "Período",
        min_value=oldest,
        max_value=newest,
        format="DD/MM/YYYY",
        key=RANGE_KEY,
        help=f"Há registros de {format_day(oldest)} a {format_day(newest)} (dias no horário de "
        "Brasília).",
    )
    shortcuts.segmented_control(
        "Atalhos",
        list(PRESETS),
        key="monitoring_preset",
        on_change=_apply_preset,
        args=(oldest, newest),
        label_visibility="collapsed",
    )
    start, end = (
        (chosen[0], chosen[-1]) if isinstance(chosen, tuple) and chosen else (chosen, chosen)
    )
    only_in_schema = switch.toggle(
        "Só pedidos dentro do esquema",
        key="monitoring_only_in_schema",
        help="Deixa de fora dos gráficos os pedidos com valores que o modelo não conhece "
        "(ex.: RAM de 252 GB). Eles continuam contados no painel de qualidade.",
    )
    return Filters(start, end, only_in_schema=only_in_schema)


def version_filter(versions: list[str], current_version: str | None) -> list[str]:
    def label(version: str) -> str:
        return f"{version} (atual)" if version == current_version else version

    return st.multiselect(
        "Versões do modelo",
        options=versions,
        default=versions,
        format_func=label,
        # Keyed by the options, so a new period starts with every version it holds selected.
        key=f"monitoring_versions_{'|'.join(versions)}",
        placeholder="Escolha ao menos uma versão",
    )


def kpi_row(kpis: aggregate.Kpis, set_aside: int, filters: Filters) -> None:
    st.caption(
        "**Pedidos** são todas as consultas de preço que os balconistas fizeram, com ou sem as "
        "perguntas de condição (as **ofertas**, acima, são só as com condição)."
    )
    columns = st.columns(5)
    columns[0].metric(
        "Pedidos no período",
        format_int(kpis.requests),
        help=f"De {format_day(filters.start)} a {format_day(filters.end)}.",
    )
    columns[1].metric("Pedidos hoje", format_int(kpis.requests_today))
    change = kpis.median_change
    columns[2].metric(
        "Estimativa de mercado mediana",
        format_whole_price(kpis.median_price) if kpis.median_price is not None else "—",
        delta=f"{format_percent(change)} vs. período anterior" if change is not None else None,
        delta_color="off",
        help="O valor de mercado que o modelo estimou nos pedidos, não a oferta da loja. "
        + (
            "Comparado com o período imediatamente anterior, de mesma duração."
            if change is not None
            else "Sem pedidos no período anterior de mesma duração para comparar."
        ),
    )
    columns[3].metric("Versões ativas", format_int(kpis.versions_active))
    columns[4].metric(
        "Linhas deixadas de lado",
        format_int(set_aside),
        help="Linhas dos arquivos do período que não puderam ser lidas (veja Qualidade dos dados).",
    )


def chart(figure: Any) -> None:
    """Every monitoring figure (drift and "Negócios") drawn the same way."""
    st.plotly_chart(figure, width="stretch", config={"displaylogo": False})


SHARE_COLUMNS = 3


def charts_section(figures: dict[str, Any], has_reference: bool) -> None:
    chart(figures["volume"])
    left, right = st.columns(2)
    with left:
        chart(figures["price"])
    with right:
        chart(figures["histogram"])
    st.markdown("**Que notebooks chegam:** participação de cada valor, por campo")
    st.caption(
        "Barras azuis: parcela nos pedidos do período; traço preto: parcela nos dados de treino."
        if has_reference
        else "Sem a distribuição do treino, os gráficos mostram só os pedidos."
    )
    # One figure per field in columns: three across on a computer, one under the other on a
    # phone (Streamlit stacks columns on narrow screens).
    shares = [figure for name, figure in figures.items() if name.startswith(SHARES)]
    for first in range(0, len(shares), SHARE_COLUMNS):
        row = shares[first : first + SHARE_COLUMNS]
        for column, figure in zip(st.columns(SHARE_COLUMNS), row, strict=False):
            with column:
                chart(figure)
    chart(figures["versions"])


def download(rows: Callable[[], pd.DataFrame], count: int, filters: Filters) -> None:
    """The filtered rows as CSV, built only when the button is clicked; a long period's CSV
    comes zipped (``view.ZIP_ABOVE_ROWS``: a year is ~600 MB of text, ~10x less zipped)."""
    name = f"pedidos_{filters.start:%Y-%m-%d}_a_{filters.end:%Y-%m-%d}.csv"
    zipped = count > ZIP_ABOVE_ROWS

    def file_bytes() -> bytes:
        return download_zip(rows(), name) if zipped else download_csv(rows())

    st.download_button(
        f"Baixar os {format_int(count)} pedidos filtrados "
        + ("(CSV compactado em .zip)" if zipped else "(CSV)"),
        data=file_bytes,
        file_name=name.removesuffix(".csv") + ".zip" if zipped else name,
        mime="application/zip" if zipped else "text/csv",
        key="monitoring_download",
        icon=":material/download:",
        on_click="ignore",
    )


def today_brasilia() -> date:
    """The store's today: after 21:00 in Brasília, UTC is already tomorrow."""
    return datetime.now(BRASILIA).date()
