"""This session's estimates: a short table and a CSV the clerk can open in a spreadsheet."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st

from laptop_pricing.formatting import BRASILIA, format_price
from laptop_pricing.pricing.engine import MarketEstimate
from laptop_pricing.pricing.laptop_spec import LaptopSpec
from laptop_pricing.pricing.schema import FIELDS
from laptop_pricing.safe_csv import frame_to_csv
from laptop_pricing.trade_in.quote import TradeInQuote

HISTORY_KEY = "estimate_history"
DOWNLOAD_KEY = "history_download"
TIME_COLUMN = "Horário"
PRICE_COLUMN = "Estimativa de mercado (R$)"
OFFER_COLUMN = "Oferta (R$)"
QUOTE_ID_COLUMN = "Cotação"
SHOWN_COLUMNS = (TIME_COLUMN, "Marca", "Processador", OFFER_COLUMN, QUOTE_ID_COLUMN)


def record(
    spec: LaptopSpec,
    quote: MarketEstimate,
    trade_in: TradeInQuote | None = None,
    now: datetime | None = None,
) -> None:
    now = now or datetime.now(BRASILIA)
    row: dict[str, object] = {TIME_COLUMN: now.astimezone(BRASILIA).strftime("%d/%m/%Y %H:%M:%S")}
    values = spec.as_dict()
    for field in FIELDS:
        row[field.label] = field.option_label(values[field.name])
    row[PRICE_COLUMN] = quote.price
    row["Faixa mínima (R$)"] = quote.low
    row["Faixa máxima (R$)"] = quote.high
    row["Moeda"] = quote.currency
    row["Versão do modelo"] = quote.version
    row[OFFER_COLUMN] = trade_in.offer.amount if trade_in else None
    row[QUOTE_ID_COLUMN] = trade_in.quote_id if trade_in else ""
    row["Válida até"] = trade_in.valid_until.strftime("%d/%m/%Y") if trade_in else ""
    if trade_in:
        for question, answer in trade_in.condition.answers():
            row[question.short_label] = answer.label
    st.session_state.setdefault(HISTORY_KEY, []).append(row)


def history_frame() -> pd.DataFrame:
    frame = pd.DataFrame(st.session_state.get(HISTORY_KEY, []))
    if OFFER_COLUMN in frame:  # whole reais, empty where no offer was made
        frame[OFFER_COLUMN] = frame[OFFER_COLUMN].astype("Int64")
    return frame


def to_csv(frame: pd.DataFrame) -> bytes:
    """Semicolon-separated, decimal comma, UTF-8 with BOM: opens right in Excel pt-BR; formula
    cells neutralised (``laptop_pricing.safe_csv``)."""
    return frame_to_csv(frame, sep=";", decimal=",", encoding="utf-8-sig")


def history_section() -> None:
    frame = history_frame()
    if frame.empty:
        return
    st.subheader("Avaliações desta sessão")
    shown = frame.iloc[::-1][list(SHOWN_COLUMNS)].copy()
    shown[OFFER_COLUMN] = [
        "—" if pd.isna(offer) else format_price(offer, currency)
        for offer, currency in zip(frame[OFFER_COLUMN][::-1], frame["Moeda"][::-1], strict=True)
    ]
    shown[TIME_COLUMN] = shown[TIME_COLUMN].str[-8:-3]  # today's session: the hour is enough
    st.dataframe(shown.rename(columns={OFFER_COLUMN: "Oferta"}), hide_index=True)
    st.download_button(
        "Baixar histórico (CSV)",
        data=to_csv(frame),
        file_name=f"avaliacoes-{datetime.now(BRASILIA):%Y-%m-%d}.csv",
        mime="text/csv",
        key=DOWNLOAD_KEY,
        on_click="ignore",
        icon=":material/download:",
    )
