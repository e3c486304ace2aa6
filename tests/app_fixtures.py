"""Shared helpers for the app's AppTest tests: run the app and drive the form by key.

The ``clean_env`` fixture they go with is in ``conftest.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from components.condition_form import widget_key
from laptop_pricing.trade_in.condition import QUESTIONS_BY_KEY
from tests.browser_support import REPO_ROOT

APP = str(REPO_ROOT / "app.py")
PAGES = (
    "views/estimate.py",
    "views/purchase.py",
    "views/stock.py",
    "views/monitoring.py",
    "views/model_card.py",
)


OWNER = "dona@loja.com.br"
CLERK = "ana@loja.com.br"
# An [auth] section as Streamlit documents it; AppTest never contacts the provider (at.user
# stands in for the identity cookie), the real sign-in runs in tests/test_sign_in_browser.py.
AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "app-test-cookie-secret-0123456789",
    "client_id": "app-test-client",
    "client_secret": "app-test-client-secret",
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}
SIGN_IN = {"auth": AUTH, "CLERK-EMAILS": f"{CLERK}, @balcao.loja.com.br", "OWNER-EMAILS": OWNER}


# The laptop most tests price: the fields the form leaves for the clerk to choose, chosen.
CHOSEN = {"brand": "dell", "processor_brand": "intel", "processor_name": "core i5", "ram_gb": 8}
CHOSEN = {**CHOSEN, "ssd": 256}


def app(
    secrets: Mapping[str, Any] | None = None,
    user: str | None = None,
    url_path: str | None = None,
    chosen: Mapping[str, Any] | None = CHOSEN,
) -> AppTest:
    """The app after its first run. ``user``: that e-mail signed in, with sign-in configured
    (``SIGN_IN``: OWNER is an owner, CLERK a clerk). ``url_path``: the first run opens that URL,
    as a deep link would (AppTest has no public way to open a path registered for a callable).
    ``chosen``: the form fields the clerk would have chosen before anything else (None: the
    form as a new customer finds it, nothing chosen)."""
    at = AppTest.from_file(APP, default_timeout=60)
    if chosen:  # as the form keeps a clerk's last choices (set from outside, not as widgets)
        from components.laptop_form import SAVED_KEY

        at.session_state[SAVED_KEY] = dict(chosen)
    if user is not None:
        secrets = {**SIGN_IN, **(secrets or {})}
        at.user = {
            "is_logged_in": True,
            "email": user,
            "email_verified": True,
            "name": "Nome Que Não Vai Ao Log",
        }
    for key, value in (secrets or {}).items():
        at.secrets[key] = value
    if url_path:
        at._page_hash = calc_hash(url_path)
    return at.run()


def monitoring_page(secrets: Mapping[str, Any] | None = None, user: str | None = None) -> AppTest:
    """The app switched to the monitoring page, which ran without an exception."""
    at = app(secrets, user=user)
    at.switch_page("views/monitoring.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


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


# The condition of a laptop with a scratched screen and a weak battery (every question answered).
SCRATCHED = {
    "powers_on": True,
    "screen": "scratched",
    "body": "like_new",
    "keyboard_ports": "ok",
    "battery": "weak",
    "charger": True,
    "locks_removed": True,
}


def answer(at: AppTest, answers: Mapping[str, Any]) -> AppTest:
    """Answer condition questions by key (the radio of each), rerunning after each."""
    for key, value in answers.items():
        next(r for r in at.radio if r.key == widget_key(QUESTIONS_BY_KEY[key])).set_value(value)
        at.run()
    return at
