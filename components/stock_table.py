"""The stock at a glance: how many items in each state (over the whole stock), and one page of
items as one table (one widget for 50 rows, never a widget per item)."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st

from components import stock_words as words
from laptop_pricing.formatting import BRASILIA, format_int, format_price
from laptop_pricing.pricing.schema import FIELDS_BY_NAME
from laptop_pricing.stock_answers import StockItemAnswer, StockListing


def counts_row(listing: StockListing) -> None:
    columns = st.columns(len(words.STATES))
    for column, (state, label) in zip(columns, words.STATES.items(), strict=True):
        column.metric(label, format_int(listing.counts.get(state, 0)))


def day_text(moment: datetime | None) -> str:
    return "" if moment is None else f"{moment.astimezone(BRASILIA):%d/%m/%Y}"


BRAND_LABELS = {str(o.value): o.label for o in FIELDS_BY_NAME["brand"].options}


def brand_label(brand: str) -> str:
    return BRAND_LABELS.get(brand, brand.title())


def price_now(item: StockItemAnswer) -> str:
    """What the item is worth to the store now: its sale, else its list price."""
    if item.sale is not None:
        return format_price(item.sale.price)
    if item.list_price is not None:
        return format_price(item.list_price)
    return ""


def laptop_name(item: StockItemAnswer) -> str:
    return " ".join(x for x in (brand_label(item.brand), item.label_model) if x)


def item_label(item: StockItemAnswer) -> str:
    return f"{item.purchase_id} · {item.serial} · {laptop_name(item)} · {words.STATES[item.state]}"


def items_table(listing: StockListing) -> None:
    rows = [
        {
            "Código": item.purchase_id,
            "Nº de série": item.serial,
            "Notebook": laptop_name(item),
            "Processador": item.processor,
            "Situação": words.STATES.get(item.state, item.state),
            "Comprado em": day_text(item.purchased_at),
            "Dias": item.days_in_stock,
            "Pago": format_price(item.paid),
            "Preço de venda": price_now(item),
        }
        for item in listing.items
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
