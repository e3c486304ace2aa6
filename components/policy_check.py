"""Refuse to price with a store policy that has an error: one clear message naming the key."""

from __future__ import annotations

import streamlit as st

from laptop_pricing.settings import Settings
from laptop_pricing.trade_in.policy import PolicyError
from laptop_pricing.trade_in.store_policies import store_policies_from_settings

POLICY_BROKEN = (
    "A política de troca da loja tem um erro e nenhuma oferta pode ser calculada: "
    "`{key}`: {reason} ({source}). Peça ao gerente para corrigir o arquivo e recarregue a página."
)


def require_usable_policy(settings: Settings) -> None:
    """In embedded mode the app quotes with its own policy file: stop the page if it is bad.
    (With an API configured, the API holds the policy and refuses to start on a bad one.)"""
    if not settings.embedded:
        return
    try:
        store_policies_from_settings(settings)
    except PolicyError as error:
        st.error(
            POLICY_BROKEN.format(key=error.key, reason=error.reason, source=error.source),
            icon=":material/policy:",
        )
        st.stop()
