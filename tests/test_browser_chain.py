"""A chain in real Chromium: two clerks of two stores, signed in on one app whose POLICY-PATH
is a folder (default.toml, centro.toml, sul.toml), price the same laptop in the same condition
and see different offers on screen; each records the customer's decision, and the quote and
the decision read back from disk carry the clerk's store and its policy version.

One server, one OpenID Connect provider on 127.0.0.1; the clerks' stores come from their
``CLERK-EMAILS`` entries (``ana@…=centro``)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from laptop_pricing.settings import load_settings
from laptop_pricing.trade_in.outcome_service import quote_lookup_from_settings
from laptop_pricing.trade_in.policy import DEFAULT_POLICY_PATH
from tests.browser_support import (
    StreamlitServer,
    answer_condition,
    choose_laptop,
    chromium_browser,
    click_and_wait_for_the_card,
    screenshot,
    wait_for_app_idle,
)
from tests.oidc_support import OWNER, oidc_provider, sign_in, write_secrets

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CLERKS = {"centro": "ana@centro.loja.com.br", "sul": "bia@sul.loja.com.br"}
MARGINS = {"centro": 40, "sul": 10}  # the committed default keeps 20 %
SIZE = (1366, 768)
QUOTE_ID = re.compile(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")


def policy_folder(folder: Path) -> Path:
    committed = DEFAULT_POLICY_PATH.read_text(encoding="utf-8")
    assert "margin_pct = 20" in committed
    folder.mkdir(parents=True)
    (folder / "default.toml").write_text(committed, encoding="utf-8")
    for store, margin in MARGINS.items():
        own = committed.replace("margin_pct = 20", f"margin_pct = {margin}")
        (folder / f"{store}.toml").write_text(own, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def browser():
    with chromium_browser() as running:
        yield running


@pytest.fixture(scope="module")
def chain(tmp_path_factory):
    """The app of a chain, and the settings the test reads its records with."""
    folder = tmp_path_factory.mktemp("chain")
    entries = ", ".join(f"{email}={store}" for store, email in CLERKS.items())
    settings = {
        "CLERK-EMAILS": entries,
        "OWNER-EMAILS": OWNER,
        "POLICY-PATH": str(policy_folder(folder / "policies")),
        "PREDICTIONS-DIR": str(folder / "predictions"),
    }
    with oidc_provider() as provider:
        secrets = write_secrets(folder, provider, **settings)
        with StreamlitServer(secrets_file=secrets) as running:
            yield running, settings


def money(text: str) -> int:
    """``R$ 1.234,00`` -> 1234."""
    return int(re.sub(r"[^\d,]", "", text).split(",")[0])


def price_and_accept(browser, url: str, store: str) -> tuple[int, str]:
    """The clerk of ``store`` signs in, prices, records "Aceitou"; the offer and quote id."""
    context = browser.new_context(viewport={"width": SIZE[0], "height": SIZE[1]})
    page = context.new_page()
    sign_in(page, url, CLERKS[store])
    page.get_by_role("heading", name="Avaliar notebook usado").wait_for(timeout=60_000)
    wait_for_app_idle(page)
    page.get_by_text(f"Loja: {store.capitalize()}").wait_for(timeout=30_000)  # the sidebar
    choose_laptop(page)
    answer_condition(page)
    click_and_wait_for_the_card(page)
    card = page.locator(".st-key-offer_card")
    offer = money(card.locator("[data-testid='stMetricValue']").inner_text())
    quote_id = QUOTE_ID.search(card.inner_text()).group(0)
    card.get_by_text("O que o cliente decidiu?").click()
    card.get_by_text("Aceitou a oferta", exact=True).click()
    wait_for_app_idle(page)
    card.get_by_role("button", name="Registrar decisão").click()
    card.get_by_text("Registrado:").wait_for(timeout=30_000)
    wait_for_app_idle(page)
    card.scroll_into_view_if_needed()
    screenshot(page, f"chain-{store}", full_page=False)
    context.close()
    return offer, quote_id


def test_two_stores_price_the_same_laptop_differently_and_records_carry_the_store(
    browser, chain, monkeypatch
):
    running, settings = chain
    seen = {store: price_and_accept(browser, running.url, store) for store in CLERKS}
    assert seen["centro"][0] < seen["sul"][0]  # a 40 % margin against 10 %, on screen

    for key, value in settings.items():
        monkeypatch.setenv(key.replace("-", "_"), value)
    lookup = quote_lookup_from_settings(load_settings())
    for store, (offer, quote_id) in seen.items():
        found = lookup.find(quote_id)
        assert found.quote is not None, quote_id
        assert found.quote.store_id == store
        assert found.quote.policy_version.startswith(f"{store}@")
        assert found.quote.offer == offer
        assert [(o.decision, o.store_id) for o in found.outcomes] == [("accepted", store)]
        assert found.outcomes[0].clerk_email == CLERKS[store]
