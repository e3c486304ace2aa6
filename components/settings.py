"""The app's settings: environment first, then ``st.secrets``, then the default.

``st.secrets.get`` raises when no secrets file exists (a fresh clone), so the secrets are turned
into a plain dict here, once, and an absent or broken file simply means "no secrets".
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from laptop_pricing.settings import Settings, load_settings


def secrets_dict() -> dict[str, Any]:
    """Top-level secrets as a plain dict; empty when there is no secrets file."""
    try:
        return dict(st.secrets.to_dict())
    except Exception:  # FileNotFoundError, StreamlitSecretNotFoundError, TOML errors
        return {}


def app_settings() -> Settings:
    return load_settings(secrets_dict())
