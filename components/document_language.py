"""The document's language: Streamlit 1.67 serves ``<html lang="en">`` and has no option for it.

Screen readers pick their voice and pronunciation from ``lang``; an English voice reading
"Avaliar notebook" is hard to follow. ``st.html`` runs this one-line script (our own constant,
no user input) in the page itself, not in an iframe, so it sets the real document's attribute.
"""

from __future__ import annotations

import streamlit as st

LANGUAGE = "pt-BR"
_SCRIPT = f"<script>document.documentElement.lang = {LANGUAGE!r};</script>"


def declare_language() -> None:
    """Call once per run, from the router, before any page draws."""
    st.html(_SCRIPT, width="content", unsafe_allow_javascript=True)
