"""A discreet line saying where prices come from when no API is configured."""

from __future__ import annotations

import streamlit as st

from laptop_pricing.settings import Settings

EMBEDDED_NOTICE = (
    "Modo embutido: nenhuma API configurada, o preço é calculado aqui mesmo, "
    "com o modelo que acompanha o app."
)


def mode_notice(settings: Settings) -> None:
    if settings.embedded:
        st.caption(EMBEDDED_NOTICE)
