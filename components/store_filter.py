"""The monitoring page's store filter: "Lojas", offering only the stores the visitor may read.

A chain owner (and the open local app) starts on "Toda a rede" (None: every store, the
aggregates unfiltered); an owner limited to some stores starts on all of theirs and is offered
nothing else. Whatever the widget holds, the answer goes through ``access.readable_stores``, so
another store's id never reaches the aggregates even from a stale or forged session value.
"""

from __future__ import annotations

from collections.abc import Iterable

import streamlit as st

from laptop_pricing.access import Visitor, readable_stores
from laptop_pricing.settings import Settings
from laptop_pricing.store_id import store_label

STORE_FILTER_KEY = "store_filter"
LABEL = "Lojas"
WHOLE_CHAIN = "Toda a rede"
HELP = "Escolha uma ou mais lojas; sem nenhuma escolhida, os números são da rede toda."
LIMITED_HELP = "Você vê as lojas que a sua conta acompanha."


def settings_stores(settings: Settings) -> tuple[str, ...]:
    """The stores the settings name: the deployment's, and those of the e-mail lists."""
    owners = (store for stores in settings.owner_stores.values() for store in stores)
    return (settings.store_id, *settings.clerk_stores.values(), *owners)


def store_options(visitor: Visitor, known_stores: Iterable[str]) -> list[str]:
    """The stores offered: the known ones a chain owner reads, or all of a limited owner's
    (even one with no record yet), sorted."""
    if visitor.stores is None:
        return sorted(set(known_stores))
    return sorted(visitor.stores)


def store_filter(visitor: Visitor, known_stores: Iterable[str]) -> tuple[str, ...] | None:
    """The stores the page reads (None: the whole chain), chosen in a multiselect."""
    options = store_options(visitor, known_stores)
    limited = visitor.stores is not None
    chosen = st.multiselect(
        LABEL,
        options,
        default=options if limited else [],
        format_func=store_label,
        placeholder=WHOLE_CHAIN,
        help=LIMITED_HELP if limited else HELP,
        key=STORE_FILTER_KEY,
    )
    return readable_stores(visitor, chosen)
