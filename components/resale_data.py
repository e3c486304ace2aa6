"""Where the "Estoque e revenda" block of Monitoramento gets its figures, and the block itself.

The sale facts come through the client (``resale_facts``, as the owner), like the Estoque page's
listing, so the block works embedded and against the deployed API alike (embedded, a client of
the stock routes alone: no model load on this page); they are cut to the
stores the visitor may read (``access.readable_stores``): a store-limited owner never receives
another store's laptops. The figures are computed here with each store's policy (the API's
Lambda has no pandas) and cached with the page's TTL; "Atualizar" clears them too.

Which policy the advisor compares with: the one store's when the figures are of one store,
else the deployment's (``STORE-ID``). The price predicted for each sale is always its own
store's rule. Nothing here writes a policy: the advisor's sentences are suggestions.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime

import streamlit as st

from components.monitoring_data import TTL_SECONDS
from components.page_setup import page_entry
from components.resale_section import TITLE, resale_section
from components.stock_words import refusal_words
from laptop_pricing.access import Role, readable_stores
from laptop_pricing.client import PricingClient, stock_client_from_settings
from laptop_pricing.errors import PricingError
from laptop_pricing.formatting import BRASILIA, format_int
from laptop_pricing.resale.figures import ResaleFigures, resale_figures, rule_prediction
from laptop_pricing.resale.resale_terms import load_resale_terms
from laptop_pricing.resale.sales import SoldItem
from laptop_pricing.settings import Settings
from laptop_pricing.trade_in.policy import PolicyError, policy_path
from laptop_pricing.trade_in.store_policies import store_policies_from_settings

EMPTY = (
    "Ainda não há notebooks comprados no estoque: quando a loja registrar compras e vendas, "
    "aqui aparecem o valor parado em estoque, a margem realizada de cada venda e o que as "
    "vendas dizem sobre a política."
)
REFRESH_KEY = "monitoring_refresh"  # the page's "Atualizar" button
POLICY_UNREADABLE = (
    "Os números de revenda precisam da política da loja, que não pôde ser lida: "
    "confira o arquivo da política."
)


@st.cache_resource(show_spinner=False)
def _stock_client(settings: Settings) -> PricingClient:
    """One per configuration for the whole server: over HTTP the API's client, embedded the
    stock routes alone (the page prices nothing, so it never waits for the model's load)."""
    return stock_client_from_settings(settings)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False, max_entries=8)
def resale_view(
    settings: Settings, stores: tuple[str, ...] | None, today: date
) -> tuple[ResaleFigures, int]:
    """The section's figures for ``stores`` (None: the whole chain), and how many items could
    not be counted (an opening without the quote's laptop or condition); a sale of a store no
    policy here prices has no predicted price. Raises ``PricingError`` (the stock unreadable
    or refused) or ``PolicyError``; neither is cached."""
    facts = _stock_client(settings).resale_facts(stores)
    policies = store_policies_from_settings(settings)
    seen = {item.store_id for item in (*facts.sold, *facts.stocked)} | set(stores or ())
    store = next(iter(seen)) if len(seen) == 1 else settings.store_id
    if not policies.has_policy(store):
        store = settings.store_id
    policy = policies.for_store(store)
    terms = load_resale_terms(policy_path(settings), store)
    rules = {s: rule_prediction(policies.for_store(s)) for s in seen if policies.has_policy(s)}

    def predict(sale: SoldItem) -> float | None:
        rule = rules.get(sale.store_id)
        return None if rule is None else rule(sale)

    figures = resale_figures(facts.sold, facts.stocked, policy, terms, today, predict)
    return figures, facts.skipped


def resale_block(requested: Collection[str] | None = None) -> None:
    """The block for an owner (nothing for anyone else): the section, or one sentence when
    the stock is empty or cannot be read. ``requested``: the page's store choice, if any."""
    entry = page_entry()
    if entry.visitor.role is not Role.OWNER:
        return
    stores = readable_stores(entry.visitor, requested)
    if st.session_state.get(REFRESH_KEY):  # the page's "Atualizar" reads the stock again
        resale_view.clear()
    try:
        with st.spinner("Lendo o estoque e as vendas…"):
            figures, skipped = resale_view(entry.settings, stores, datetime.now(BRASILIA).date())
    except PricingError as error:
        st.subheader(TITLE)
        st.warning(refusal_words(error), icon=":material/inventory_2:")
        return
    except PolicyError:
        st.subheader(TITLE)
        st.warning(POLICY_UNREADABLE, icon=":material/inventory_2:")
        return
    if figures.stock.count == 0 and figures.sales == 0 and not skipped:
        st.subheader(TITLE)
        st.info(EMPTY, icon=":material/inventory_2:")
        return
    resale_section(figures)
    if skipped:
        st.caption(skipped_words(skipped))


def skipped_words(count: int) -> str:
    """Why the figures count fewer laptops than the Estoque page lists."""
    which = (
        "1 notebook do estoque não entra"
        if count == 1
        else f"{format_int(count)} notebooks do estoque não entram"
    )
    return (
        f"{which} nestes números: a compra não guardou as características ou o estado do "
        "notebook avaliado."
    )
