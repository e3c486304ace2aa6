"""The tables of the monitoring page: the drift table (folded under "Detalhes técnicos" with a
plain sentence above it) and the data-quality tables.

Numbers are written by ``laptop_pricing.formatting`` (Brazilian decimals whatever the browser's
language) and the tables have no toolbar: its search, download and full-screen buttons are
Streamlit's own English.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pandas as pd
import streamlit as st

from laptop_pricing import log_columns
from laptop_pricing.formatting import (
    format_decimal_number,
    format_int,
    format_percent,
    format_threshold,
)
from laptop_pricing.monitoring import aggregate, drift, parsing, quality, sources
from laptop_pricing.monitoring.sources import SetAside
from laptop_pricing.monitoring.warehouse import FOREIGN_SCHEMA
from laptop_pricing.pricing import schema

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
    FOREIGN_SCHEMA: "resumo do mês (Parquet) com colunas de outro formato; os dias dele "
    "foram lidos dos arquivos diários",
}
QUALITY_ISSUES = {
    quality.NOT_ALLOWED: "valor fora dos permitidos",
    quality.MISSING: "valor ausente",
    quality.PROCESSOR_AS_BRAND: "nome de processador no lugar da marca",
    quality.PROCESSOR_MISMATCH: "processador que o fabricante não faz",
    quality.UNKNOWN_VERSION: "versão do modelo desconhecida",
    quality.OUTSIDE_FILE_DAY: "data do pedido fora do dia do arquivo",
}


def field_label(name: str) -> str:
    if name == log_columns.PRICE_COLUMN:
        return "Preço estimado"
    if name == log_columns.VERSION_COLUMN:
        return "Versão do modelo"
    if name == log_columns.TIMESTAMP_COLUMN:
        return "Data e hora"
    return schema.FIELDS_BY_NAME[name].label


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


def _drift_sentence(table: pd.DataFrame) -> str:
    """What the drift table says, for someone who has never heard of PSI."""
    changed = [field_label(f) for f, s in zip(table["field"], table["status"], strict=True)
               if s == drift.DRIFT]  # fmt: skip
    watch = [field_label(f) for f, s in zip(table["field"], table["status"], strict=True)
             if s == drift.WARNING]  # fmt: skip
    if not changed and not watch:
        return (
            "Os notebooks avaliados no período se parecem com os que o modelo aprendeu: "
            "nenhum campo mudou o bastante para preocupar."
        )
    parts = []
    if changed:
        parts.append(f"mudaram bastante: {', '.join(changed)}")
    if watch:
        parts.append(f"mudaram um pouco: {', '.join(watch)}")
    return (
        "Comparados com os notebooks que o modelo aprendeu, os do período "
        + "; ".join(parts)
        + ". Nesses casos as estimativas merecem mais cuidado."
    )


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
    st.markdown(_drift_sentence(table))
    shown = pd.DataFrame(
        {
            "Campo": [field_label(f) for f in table["field"]],
            "Situação": [STATUS_LABELS[s] for s in table["status"]],
            "PSI": [format_decimal_number(v) for v in table["psi"]],
            "Jensen–Shannon": [format_decimal_number(v) for v in table["js"]],
            "Maior mudança (treino → pedidos)": [
                _change_text(f, c)
                for f, c in zip(table["field"], table["biggest_change"], strict=True)
            ],
            "Fora do esquema": [format_percent(v) for v in table["outside_share"]],
            "Pedidos": [format_int(int(v)) for v in table["rows"]],
        }
    )
    with st.expander("Detalhes técnicos"):
        # st.table: a plain table, without the data grid's English toolbar.
        st.table(
            shown.style.map(lambda status: STATUS_COLORS.get(status, ""), subset=["Situação"]).hide(
                axis="index"
            )
        )
        counts = table["status"].value_counts()
        st.caption(
            f"PSI (índice de estabilidade populacional) por campo, do pior para o melhor: "
            f"ok abaixo de {format_threshold(drift.WARNING_PSI)}, atenção a partir de "
            f"{format_threshold(drift.WARNING_PSI)}, drift a partir de "
            f"{format_threshold(drift.DRIFT_PSI)}; com menos de {format_int(drift.MIN_ROWS)} "
            "pedidos não há veredito. Jensen–Shannon (0 = iguais, 1 = nada em comum) é a "
            "segunda opinião. Valores fora do esquema contam como uma categoria que o treino "
            f"nunca viu. Agora: {counts.get(drift.DRIFT, 0)} com drift, "
            f"{counts.get(drift.WARNING, 0)} em atenção."
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
            st.table(
                pd.DataFrame(
                    {
                        "Campo": [field_label(f) for f in report["field"]],
                        "Problema": [QUALITY_ISSUES[i] for i in report["issue"]],
                        "Pedidos": [format_int(int(n)) for n in report["rows"]],
                        "Parcela": [format_percent(v) for v in report["share"]],
                        "Valores mais comuns": report["examples"],
                        "Primeiro caso": [
                            f"{f} linha {n}"
                            for f, n in zip(report["file"], report["line"], strict=True)
                        ],
                    }
                ).style.hide(axis="index")
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
