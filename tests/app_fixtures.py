"""Shared helpers for the app's AppTest tests: a clean environment and a way to drive the form."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from laptop_pricing.settings import KEYS, env_name
from tests.browser_support import REPO_ROOT

APP = str(REPO_ROOT / "app.py")
PAGES = ("pages/estimate.py", "pages/monitoring.py", "pages/model_card.py")


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No settings from the developer's shell; the local request log goes to a temp folder."""
    for key in KEYS:
        monkeypatch.delenv(env_name(key), raising=False)
    monkeypatch.setenv("PREDICTIONS_DIR", str(tmp_path / "predictions"))
    return tmp_path


def app(secrets: Mapping[str, Any] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in (secrets or {}).items():
        at.secrets[key] = value
    return at.run()


def widget(at: AppTest, name: str):
    """The form widget of a schema field, found by its stable key."""
    key = f"field_{name}"
    for kind in ("selectbox", "radio", "number_input"):
        found = [w for w in getattr(at, kind) if w.key == key]
        if found:
            return found[0]
    raise LookupError(f"no widget with key {key}")


def fill(at: AppTest, values: Mapping[str, Any]) -> AppTest:
    """Set fields one at a time, rerunning after each, as a clerk's clicks would."""
    for name, value in values.items():
        widget(at, name).set_value(value)
        at.run()
    return at


def submit(at: AppTest) -> AppTest:
    at.button(key="submit").click()
    return at.run()


def texts(at: AppTest) -> str:
    """Everything the page wrote, for assertions on copy."""
    parts = []
    for kind in ("title", "markdown", "caption", "error", "warning", "info", "success"):
        parts.extend(str(e.value) for e in getattr(at, kind))
    parts.extend(f"{m.label} {m.value}" for m in at.metric)
    return "\n".join(parts)


def market_estimate(at: AppTest) -> str | None:
    """The model's market estimate the offer card shows (smaller than the offer), if any."""
    from components.offer_card import MARKET_LABEL

    for element in at.markdown:
        text = str(element.value)
        if text.startswith(f"{MARKET_LABEL}: **"):
            return text[len(MARKET_LABEL) + 4 :].split("**", 1)[0]
    return None
