"""One item of the page: its dates and history, and the changes its state allows, each a
form sent once through the client (``change_stock``) with an event id made once per intended
change (a retry after a lost answer is stored once). "Pôr à venda" offers the policy's
suggested price, which the clerk may change; only an owner sees "Corrigir venda"."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import streamlit as st

from components import stock_words as words
from components.pricing import pricing_client
from components.stock_table import day_text, item_label
from laptop_pricing.errors import PricingError, StockRefused
from laptop_pricing.formatting import BRASILIA, format_percent, format_price
from laptop_pricing.settings import Settings
from laptop_pricing.stock_answers import StockItemAnswer, StockListing

PICK_KEY = "stock_pick"
NOTICE_KEY = "stock_notice"
CARD_KEY = "stock_item_card"
MAX_PRICE = 1_000_000


def pick_item(listing: StockListing) -> StockItemAnswer | None:
    """The item chosen among this page's (a select box, not a button per row)."""
    if not listing.items:
        return None
    by_id = {item.purchase_id: item for item in listing.items}
    if st.session_state.get(PICK_KEY) not in by_id:
        st.session_state[PICK_KEY] = listing.items[0].purchase_id
    chosen = st.selectbox(
        words.PICK_LABEL, list(by_id), format_func=lambda i: item_label(by_id[i]), key=PICK_KEY
    )
    return by_id.get(chosen)


def notice() -> None:
    """The last change's words, once (set before the rerun that shows the new state)."""
    message = st.session_state.pop(NOTICE_KEY, None)
    if isinstance(message, tuple):
        kind, text = message
        (st.success if kind == "ok" else st.warning)(text)


def item_card(item: StockItemAnswer, settings: Settings, is_owner: bool, email: str | None) -> None:
    with st.container(border=True, key=CARD_KEY):
        st.markdown(f"#### {item_label(item)}")
        st.markdown(_facts_line(item))
        for line in item.history:
            who = words.ROLE_WORDS.get(line.by_role, line.by_role)
            when = "" if line.at is None else f"{line.at.astimezone(BRASILIA):%d/%m/%Y %H:%M}"
            st.caption(f"{when} · {words.HISTORY_WORDS.get(line.kind, line.kind)} · {who}")
        _actions(item, settings, is_owner, email)


def _facts_line(item: StockItemAnswer) -> str:
    parts = [
        f"**Situação:** {words.STATES[item.state]}",
        f"**Comprado em** {day_text(item.purchased_at)} por {format_price(item.paid)}",
        f"**Dias em estoque:** {item.days_in_stock}",
    ]
    if item.list_price is not None:
        parts.append(f"**Preço de venda:** {format_price(item.list_price)}")
    if item.sale is not None:
        channel = words.CHANNELS.get(item.sale.channel, item.sale.channel)
        parts.append(
            f"**Venda:** {format_price(item.sale.price)} em {item.sale.date:%d/%m/%Y} ({channel})"
        )
    return " · ".join(parts)


def _actions(item: StockItemAnswer, settings: Settings, is_owner: bool, email: str | None) -> None:
    state = item.state
    if state in ("em_preparo", "a_venda"):
        tabs = st.tabs(
            [
                words.LIST_ACTION if state == "em_preparo" else words.RELIST_ACTION,
                words.SELL_ACTION,
                words.SCRAP_ACTION,
            ]
        )
        with tabs[0]:
            _list_form(item, settings, email, is_owner)
        with tabs[1]:
            _sale_form(item, settings, email, "vendido", words.SELL_ACTION, is_owner)
        with tabs[2]:
            _scrap_form(item, settings, email, is_owner)
    elif state == "vendido" and is_owner:
        with st.expander(words.CORRECT_ACTION):
            _sale_form(item, settings, email, "correcao_venda", words.CORRECT_ACTION, True)
    elif state == "vendido":
        st.caption(words.CLERK_CANNOT_CORRECT)
    else:
        st.caption(words.CLOSED)


def _list_form(
    item: StockItemAnswer, settings: Settings, email: str | None, is_owner: bool
) -> None:
    share = item.suggested_list_price / item.market_estimate if item.market_estimate else 0
    help_text = words.SUGGESTED_HELP.format(
        share=format_percent(share, 0), estimate=format_price(item.market_estimate)
    )
    with st.form(f"stock_list_{item.purchase_id}_{item.version}", border=False):
        price = st.number_input(
            words.LIST_PRICE_LABEL,
            min_value=1,
            max_value=MAX_PRICE,
            value=item.list_price or item.suggested_list_price or 1,
            step=10,
            help=help_text,
            key=f"stock_list_price_{item.purchase_id}",
        )
        st.caption(help_text)
        go = st.form_submit_button(words.LIST_ACTION, type="primary")
        back = item.state == "a_venda" and st.form_submit_button(words.BACK_ACTION)
    if go:
        _send(
            item, settings, email, {"kind": "a_venda", "list_price": int(price)}, is_owner=is_owner
        )
    elif back:
        _send(item, settings, email, {"kind": "em_preparo"}, is_owner=is_owner)


def _sale_form(
    item: StockItemAnswer,
    settings: Settings,
    email: str | None,
    kind: str,
    label: str,
    is_owner: bool,
) -> None:
    today = datetime.now(BRASILIA).date()
    start = item.sale.price if item.sale else item.list_price or item.suggested_list_price or 1
    with st.form(f"stock_{kind}_{item.purchase_id}_{item.version}", border=False):
        price = st.number_input(
            words.SALE_PRICE_LABEL,
            min_value=1,
            max_value=MAX_PRICE,
            value=start,
            step=10,
            key=f"stock_{kind}_price_{item.purchase_id}",
        )
        day = st.date_input(
            words.SALE_DATE_LABEL,
            value=item.sale.date if item.sale else today,
            max_value=today,
            format="DD/MM/YYYY",
            key=f"stock_{kind}_date_{item.purchase_id}",
        )
        channel = st.radio(
            words.CHANNEL_LABEL,
            list(words.CHANNELS),
            format_func=lambda c: words.CHANNELS[c],
            horizontal=True,
            key=f"stock_{kind}_channel_{item.purchase_id}",
        )
        go = st.form_submit_button(label, type="primary")
    if go:
        sale = {"price": int(price), "date": day.isoformat(), "channel": channel}
        _send(item, settings, email, {"kind": kind, "sale": sale}, is_owner=is_owner)


def _scrap_form(
    item: StockItemAnswer, settings: Settings, email: str | None, is_owner: bool
) -> None:
    with st.form(f"stock_scrap_{item.purchase_id}_{item.version}", border=False):
        kind = st.radio(
            words.SCRAP_LABEL,
            list(words.SCRAP_CHOICES),
            format_func=lambda k: words.SCRAP_CHOICES[k],
            horizontal=True,
            key=f"stock_scrap_kind_{item.purchase_id}",
        )
        go = st.form_submit_button(words.SCRAP_ACTION)
    if go:
        _send(item, settings, email, {"kind": kind}, is_owner=is_owner)


def _event_id(item: StockItemAnswer, change: dict[str, Any]) -> str:
    """One id per intended change of this version of the item (kept across a retry)."""
    key = f"stock_event_{item.purchase_id}_{item.version}_{change['kind']}"
    if key not in st.session_state:
        st.session_state[key] = f"app-{uuid.uuid4().hex}"
    event_id: str = st.session_state[key]
    return event_id


def _send(
    item: StockItemAnswer,
    settings: Settings,
    email: str | None,
    change: dict[str, Any],
    *,
    is_owner: bool,
) -> None:
    body = {**change, "event_id": _event_id(item, change), "version": item.version}
    if email:
        body["clerk_email"] = email
    try:
        answer = pricing_client(settings).change_stock(item.purchase_id, body, as_owner=is_owner)
    except StockRefused as error:
        if error.status == 409:
            st.session_state[NOTICE_KEY] = ("warn", words.CHANGED)
            st.rerun()
        st.error(words.refusal_words(error))
        return
    except PricingError as error:
        st.error(words.refusal_words(error))
        return
    done = answer.item
    price = done.sale.price if done.sale else done.list_price
    text = words.DONE[change["kind"]].format(price=format_price(price or 0))
    st.session_state[NOTICE_KEY] = ("ok", text)
    st.rerun()
