"""Streamlit pieces of the monitoring page: source bar, filters, KPIs, charts, drift, quality.

Every number comes from ``laptop_pricing.monitoring``; this module only chooses words, layout
and what to say when there is nothing to show.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import streamlit as st

from components.monitoring_data import SAMPLE_DIR, refresh, use_sample, using_sample
from laptop_pricing import log_columns
from laptop_pricing.formatting import format_day, format_int, format_percent, format_whole_price
from laptop_pricing.monitoring import aggregate, drift, parsing, quality, sources
from laptop_pricing.monitoring.sources import DayFile, LogLocation, LogUnavailable, SetAside
from laptop_pricing.monitoring.view import SHARES, Filters
from laptop_pricing.pricing import schema
from laptop_pricing.safe_csv import frame_to_csv

STATUS_LABELS = {
    drift.DRIFT: "drift",
    drift.WARNING: "atenção",
    drift.OK: "ok",
    drift.INSUFFICIENT: "poucos dados",
}
STATUS_COLORS = {
    "drift": "background-color: #fee2e2; color: #991b1b; font-weight: 600",
    "atenção": "background-color: #fef3c7; color: #92400e; font-weight: 600",
    "ok": "background-color: #dcfce7; color: #166534",
    "poucos dados": "color: #6b7280",
}
SET_ASIDE_REASONS = {
    parsing.SHORT_ROW: "linha com valores a menos",
    parsing.LONG_ROW: "linha com valores a mais",
    parsing.CELL_TOO_LONG: "linha com um valor grande demais",
    parsing.BAD_TIMESTAMP: "data e hora ilegíveis",
    parsing.BAD_PRICE: "preço ausente, não numérico ou não positivo",
    parsing.MISSING_COLUMNS: "arquivo sem a coluna de preço ou de data",
    parsing.EMPTY: "arquivo vazio",
    parsing.COMPRESSED: "arquivo compactado, não é um CSV",
    parsing.NOT_TEXT: "arquivo que não é texto UTF-8",
    parsing.CR_ONLY: "arquivo com quebras de linha antigas (só CR)",
    parsing.UNREADABLE: "arquivo ilegível",
    parsing.TORN_RECORDS: "registros interrompidos no meio (queda do servidor)",
    sources.FETCH_FAILED: "arquivo não pôde ser baixado",
    sources.TOO_LARGE: "arquivo grande demais para um dia (não foi baixado)",
    sources.BAD_DAY_NAME: "nome de arquivo com uma data que não existe",
    sources.DAY_OUT_OF_RANGE: "dia fora do período que a página mostra",
}
QUALITY_ISSUES = {
    quality.NOT_ALLOWED: "valor fora dos permitidos",
    quality.MISSING: "valor ausente",
    quality.PROCESSOR_AS_BRAND: "nome de processador no lugar da marca",
    quality.PROCESSOR_MISMATCH: "processador que o fabricante não faz",
    quality.UNKNOWN_VERSION: "versão do modelo desconhecida",
    quality.OUTSIDE_FILE_DAY: "data do pedido fora do dia do arquivo",
}
UNAVAILABLE_REASONS = {
    "NoSuchBucket": "o bucket não existe",
    "AccessDenied": "acesso negado (confira as credenciais e a política IAM)",
    "InvalidAccessKeyId": "credenciais AWS inválidas",
    "SignatureDoesNotMatch": "credenciais AWS inválidas",
    "EndpointConnectionError": "o endereço do S3 não respondeu",
    "NoCredentialsError": "não há credenciais AWS configuradas",
}


# Numbers stay numbers in tables (st.dataframe would re-read "0,431" as 431); the browser's
# locale formats the counts, so a pt-BR browser shows 28.591.
NUMBER_COLUMNS = {
    "PSI": st.column_config.NumberColumn(format="%.3f"),
    "Jensen–Shannon": st.column_config.NumberColumn(format="%.3f"),
    "Fora do esquema": st.column_config.NumberColumn(format="%.1f%%"),
    "Parcela": st.column_config.NumberColumn(format="%.1f%%"),
    "Pedidos": st.column_config.NumberColumn(format="localized"),
}


def field_label(name: str) -> str:
    if name == log_columns.PRICE_COLUMN:
        return "Preço estimado"
    if name == log_columns.VERSION_COLUMN:
        return "Versão do modelo"
    if name == log_columns.TIMESTAMP_COLUMN:
        return "Data e hora"
    return schema.FIELDS_BY_NAME[name].label


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
    days = PRESETS.get(st.session_state.get("monitoring_preset"))
    start = oldest if days is None else max(oldest, newest - timedelta(days=days - 1))
    st.session_state[RANGE_KEY] = (start, newest)


def filters(files: list[DayFile]) -> Filters:
    """Date range (bounded by the days that have files), shortcuts and the in-schema switch;
    the versions are chosen after, among those of the period (``version_filter``)."""
    oldest, newest = files[0].day, files[-1].day
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
        help=f"Há registros de {format_day(oldest)} a {format_day(newest)} (dias em UTC).",
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
    columns = st.columns(5)
    columns[0].metric(
        "Pedidos no período",
        format_int(kpis.requests),
        help=f"De {format_day(filters.start)} a {format_day(filters.end)}.",
    )
    columns[1].metric("Pedidos hoje (UTC)", format_int(kpis.requests_today))
    change = kpis.median_change
    columns[2].metric(
        "Preço mediano",
        format_whole_price(kpis.median_price) if kpis.median_price is not None else "—",
        delta=f"{format_percent(change)} vs. período anterior" if change is not None else None,
        delta_color="off",
        help="Comparado com o período imediatamente anterior, de mesma duração."
        if change is not None
        else "Sem pedidos no período anterior de mesma duração para comparar.",
    )
    columns[3].metric("Versões ativas", format_int(kpis.versions_active))
    columns[4].metric(
        "Linhas deixadas de lado",
        format_int(set_aside),
        help="Linhas dos arquivos do período que não puderam ser lidas (veja Qualidade dos dados).",
    )


def chart(figure) -> None:
    """Every monitoring figure (drift and "Negócios") drawn the same way."""
    st.plotly_chart(figure, width="stretch", config={"displaylogo": False})


SHARE_COLUMNS = 3


def charts_section(figures: dict, has_reference: bool) -> None:
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


def _change_text(field: str, change: tuple[str, float, float]) -> str:
    value, before, after = change
    if value == drift.OUTSIDE_BIN:
        shown = aggregate.OUTSIDE_LABEL.lower()
    elif field == log_columns.PRICE_COLUMN:
        shown = "R$ " + re.sub(r"\d+", lambda m: format_int(int(m.group())), value)
    elif field in schema.FIELDS_BY_NAME:
        f = schema.FIELDS_BY_NAME[field]
        raw = next((v for v in f.values if str(v) == value), value)
        shown = f.option_label(raw)
    else:
        shown = value
    return f"{shown}: {format_percent(before, 0)} → {format_percent(after, 0)}"


def drift_section(table: pd.DataFrame | None) -> None:
    st.subheader("Os pedidos ainda se parecem com o treino?")
    if table is None:
        st.info(
            "O modelo instalado não traz a distribuição dos dados de treino "
            "(`reference` em `model/model_metadata.json`), então não há com o que comparar. "
            "Treine e exporte o modelo de novo para ter esta tabela.",
            icon=":material/info:",
        )
        return
    shown = pd.DataFrame(
        {
            "Campo": [field_label(f) for f in table["field"]],
            "Situação": [STATUS_LABELS[s] for s in table["status"]],
            "PSI": table["psi"],
            "Jensen–Shannon": table["js"],
            "Maior mudança (treino → pedidos)": [
                _change_text(f, c)
                for f, c in zip(table["field"], table["biggest_change"], strict=True)
            ],
            "Fora do esquema": table["outside_share"] * 100,
            "Pedidos": table["rows"],
        }
    )
    st.dataframe(
        shown.style.map(lambda status: STATUS_COLORS.get(status, ""), subset=["Situação"]),
        hide_index=True,
        height=36 * (len(shown) + 1) + 4,
        width="stretch",
        column_config=NUMBER_COLUMNS,
    )
    counts = table["status"].value_counts()
    st.caption(
        f"PSI (índice de estabilidade populacional) por campo, do pior para o melhor: "
        f"ok abaixo de {drift.WARNING_PSI:g}, atenção a partir de {drift.WARNING_PSI:g}, "
        f"drift a partir de {drift.DRIFT_PSI:g}; com menos de {drift.MIN_ROWS} pedidos não há "
        "veredito. Jensen–Shannon (0 = iguais, 1 = nada em comum) é a segunda opinião. Valores "
        "fora do esquema contam como uma categoria que o treino nunca viu. "
        f"Agora: {counts.get(drift.DRIFT, 0)} com drift, {counts.get(drift.WARNING, 0)} em atenção."
    )


def quality_section(
    report: pd.DataFrame, in_schema: float, set_aside: Sequence[SetAside], files_read: int
) -> None:
    st.subheader("Qualidade dos dados")
    left, right = st.columns(2)
    with left:
        st.markdown("**Pedidos com valores fora do esquema** (mantidos nos gráficos)")
        if report.empty:
            st.success(
                "Todos os pedidos do período estão dentro do esquema.",
                icon=":material/check_circle:",
            )
        else:
            st.caption(
                f"{format_percent(1 - in_schema)} dos pedidos filtrados têm ao menos um valor "
                "que o validador da API de hoje recusaria."
            )
            st.dataframe(
                pd.DataFrame(
                    {
                        "Campo": [field_label(f) for f in report["field"]],
                        "Problema": [QUALITY_ISSUES[i] for i in report["issue"]],
                        "Pedidos": report["rows"],
                        "Parcela": report["share"] * 100,
                        "Valores mais comuns": report["examples"],
                        "Primeiro caso": [
                            f"{f} linha {n}"
                            for f, n in zip(report["file"], report["line"], strict=True)
                        ],
                    }
                ),
                hide_index=True,
                width="stretch",
                column_config=NUMBER_COLUMNS,
            )
    with right:
        st.markdown("**Linhas deixadas de lado** (não entram em nada)")
        if not set_aside:
            st.success(
                f"Nenhuma: todas as linhas dos {format_int(files_read)} arquivos do período "
                "foram aproveitadas.",
                icon=":material/check_circle:",
            )
        else:
            aside = pd.DataFrame(
                {
                    "Arquivo": [s.file for s in set_aside],
                    "Linha": [
                        s.line if s.line is not None else "arquivo inteiro" for s in set_aside
                    ],
                    "Motivo": [SET_ASIDE_REASONS.get(s.reason, s.reason) for s in set_aside],
                    "Detalhe": [s.detail for s in set_aside],
                }
            )
            st.caption(
                f"{format_int(len(aside))} linhas ou arquivos, com o lugar exato de cada um."
            )
            st.dataframe(aside.astype({"Linha": str}), hide_index=True, width="stretch", height=260)


def download(rows: Callable[[], pd.DataFrame], count: int, filters: Filters) -> None:
    """The filtered rows as CSV, built only when the button is clicked (a year is ~100 MB)."""

    def csv_bytes() -> bytes:
        frame = rows().drop(columns=[quality.IN_SCHEMA_COLUMN], errors="ignore")
        return frame_to_csv(frame)

    st.download_button(
        f"Baixar os {format_int(count)} pedidos filtrados (CSV)",
        data=csv_bytes,
        file_name=f"pedidos_{filters.start:%Y-%m-%d}_a_{filters.end:%Y-%m-%d}.csv",
        mime="text/csv",
        key="monitoring_download",
        icon=":material/download:",
        on_click="ignore",
    )


def today_utc() -> date:
    return datetime.now(UTC).date()
