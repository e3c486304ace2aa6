"""One item of the page: its dates and history, and the changes its state allows, each a
form whose submit queues the change with the item's version as the clerk saw it
(``_queue``, a callback); the next run sends it (``apply_pending``) before the stock is read
again, with an event id made once per intended change (a retry after a lost answer is stored
once), so a change someone made meanwhile is a 409 the clerk is told about, never a click lost.
"Pôr à venda" offers the policy's suggested price, which the clerk may change; only an owner
sees "Corrigir venda"."""

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
PENDING_KEY = "stock_pending_change"
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
        {"ok": st.success, "warn": st.warning}.get(kind, st.error)(text)


def item_card(item: StockItemAnswer, is_owner: bool) -> None:
    with st.container(border=True, key=CARD_KEY):
        st.markdown(f"#### {item_label(item)}")
        st.markdown(_facts_line(item))
        for line in item.history:
            who = words.ROLE_WORDS.get(line.by_role, line.by_role)
            when = "" if line.at is None else f"{line.at.astimezone(BRASILIA):%d/%m/%Y %H:%M}"
            st.caption(f"{when} · {words.HISTORY_WORDS.get(line.kind, line.kind)} · {who}")
        _actions(item, is_owner)


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


def _actions(item: StockItemAnswer, is_owner: bool) -> None:
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
            _list_form(item, is_owner)
        with tabs[1]:
            _sale_form(item, "vendido", words.SELL_ACTION, is_owner)
        with tabs[2]:
            _scrap_form(item, is_owner)
    elif state == "vendido" and is_owner:
        with st.expander(words.CORRECT_ACTION):
            _sale_form(item, "correcao_venda", words.CORRECT_ACTION, True)
    elif state == "vendido":
        st.caption(words.CLERK_CANNOT_CORRECT)
    else:
        st.caption(words.CLOSED)


def _list_form(item: StockItemAnswer, is_owner: bool) -> None:
    share = item.suggested_list_price / item.market_estimate if item.market_estimate else 0
    help_text = words.SUGGESTED_HELP.format(
        share=format_percent(share, 0), estimate=format_price(item.market_estimate)
    )
    with st.form(f"stock_list_{item.purchase_id}", border=False):
        st.number_input(
            words.LIST_PRICE_LABEL,
            min_value=1,
            max_value=MAX_PRICE,
            value=item.list_price or item.suggested_list_price or 1,
            step=10,
            help=help_text,
            key=_key("a_venda", "price", item),
        )
        st.caption(help_text)
        st.form_submit_button(
            words.LIST_ACTION, type="primary", on_click=_queue, args=(item, "a_venda", is_owner)
        )
        if item.state == "a_venda":
            st.form_submit_button(
                words.BACK_ACTION, on_click=_queue, args=(item, "em_preparo", is_owner)
            )


def _sale_form(item: StockItemAnswer, kind: str, label: str, is_owner: bool) -> None:
    today = datetime.now(BRASILIA).date()
    start = item.sale.price if item.sale else item.list_price or item.suggested_list_price or 1
    with st.form(f"stock_{kind}_{item.purchase_id}", border=False):
        st.number_input(
            words.SALE_PRICE_LABEL,
            min_value=1,
            max_value=MAX_PRICE,
            value=start,
            step=10,
            key=_key(kind, "price", item),
        )
        st.date_input(
            words.SALE_DATE_LABEL,
            value=item.sale.date if item.sale else today,
            max_value=today,
            format="DD/MM/YYYY",
            key=_key(kind, "date", item),
        )
        st.radio(
            words.CHANNEL_LABEL,
            list(words.CHANNELS),
            format_func=lambda c: words.CHANNELS[c],
            horizontal=True,
            key=_key(kind, "channel", item),
        )
        st.form_submit_button(label, type="primary", on_click=_queue, args=(item, kind, is_owner))


def _scrap_form(item: StockItemAnswer, is_owner: bool) -> None:
    with st.form(f"stock_scrap_{item.purchase_id}", border=False):
        st.radio(
            words.SCRAP_LABEL,
            list(words.SCRAP_CHOICES),
            format_func=lambda k: words.SCRAP_CHOICES[k],
            horizontal=True,
            key=_key("scrap", "kind", item),
        )
        st.form_submit_button(words.SCRAP_ACTION, on_click=_queue, args=(item, "scrap", is_owner))


def _key(kind: str, what: str, item: StockItemAnswer) -> str:
    return f"stock_{kind}_{what}_{item.purchase_id}"


def _queue(item: StockItemAnswer, kind: str, is_owner: bool) -> None:
    """The form's submit, before the page runs again: the change as the clerk saw the item
    (its version), sent by ``apply_pending`` before the stock is read again."""
    values = st.session_state
    change: dict[str, Any] = {"kind": kind}
    if kind == "a_venda":
        change["list_price"] = int(values[_key(kind, "price", item)])
    elif kind in ("vendido", "correcao_venda"):
        day = values[_key(kind, "date", item)]
        change["sale"] = {
            "price": int(values[_key(kind, "price", item)]),
            "date": day.isoformat() if day else "",
            "channel": values[_key(kind, "channel", item)],
        }
    elif kind == "scrap":
        change["kind"] = values[_key(kind, "kind", item)]
    values[PENDING_KEY] = (item.purchase_id, item.version, change, is_owner)


def _event_id(purchase_id: str, version: int, kind: str) -> str:
    """One id per intended change of this version of the item (kept across a retry)."""
    key = f"stock_event_{purchase_id}_{version}_{kind}"
    if key not in st.session_state:
        st.session_state[key] = f"app-{uuid.uuid4().hex}"
    event_id: str = st.session_state[key]
    return event_id


def apply_pending(settings: Settings, email: str | None) -> None:
    """Send the change a form queued, if any, and keep the words to show for it."""
    pending = st.session_state.pop(PENDING_KEY, None)
    if pending is None:
        return
    purchase_id, version, change, is_owner = pending
    body = {**change, "event_id": _event_id(purchase_id, version, change["kind"])}
    body["version"] = version
    if email:
        body["clerk_email"] = email
    try:
        answer = pricing_client(settings).change_stock(purchase_id, body, as_owner=is_owner)
    except StockRefused as error:
        kind = "warn" if error.status == 409 else "error"
        words_now = words.CHANGED if error.status == 409 else words.refusal_words(error)
        st.session_state[NOTICE_KEY] = (kind, words_now)
        return
    except PricingError as error:
        st.session_state[NOTICE_KEY] = ("error", words.refusal_words(error))
        return
    done = answer.item
    price = done.sale.price if done.sale else done.list_price
    text = words.DONE[change["kind"]].format(price=format_price(price or 0))
    st.session_state[NOTICE_KEY] = ("ok", text)
