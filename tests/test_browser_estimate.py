"""End to end in real Chromium: a clerk prices a laptop, reads the price, opens another page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from components.comparables_table import TITLE as COMPARABLES_TITLE
from components.messages import AUTH
from components.price_explanation import TITLE as EXPLANATION_TITLE
from tests.browser_support import (
    StreamlitServer,
    choose,
    choose_laptop,
    chromium_browser,
    open_clerk_details,
    screenshot,
    wait_for_app_idle,
)
from tests.client_fault_server import fault_server

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PRICE = re.compile(r"R\$\s?\d{1,3}(\.\d{3})*,\d{2}")


@pytest.fixture(scope="module")
def browser():
    with chromium_browser() as running:
        yield running


def open_app(browser, server):
    page = browser.new_page(viewport={"width": 1280, "height": 1500})
    page.goto(server.url)
    page.get_by_role("heading", name="Avaliar notebook usado").wait_for(timeout=30_000)
    wait_for_app_idle(page)
    return page


def test_clerk_prices_a_laptop_and_switches_page(browser, tmp_path):
    with StreamlitServer(env={"PREDICTIONS_DIR": str(tmp_path)}) as server:
        page = open_app(browser, server)
        screenshot(page, "estimate-empty")
        choose(page, "field_brand", "Lenovo")
        choose(page, "field_processor_brand", "AMD")
        processor = page.locator(".st-key-field_processor_name").get_by_role("combobox")
        expect(processor).to_have_value("")  # Intel's processor dropped: the clerk chooses
        choose(page, "field_processor_name", "Ryzen 7")
        choose(page, "field_ram_gb", "16 GB")
        choose(page, "field_ssd", "512 GB")
        page.get_by_role("button", name="Calcular oferta").click()
        # No condition answered: a request to answer it, and the market estimate for the clerk.
        page.get_by_text("Responda às perguntas sobre o estado").wait_for(timeout=30_000)
        wait_for_app_idle(page)
        open_clerk_details(page)
        estimate = page.get_by_text("Estimativa de mercado do modelo")
        estimate.wait_for(timeout=30_000)
        assert PRICE.search(estimate.inner_text().replace("\xa0", " "))
        page.get_by_text("Faixa provável: entre R$").wait_for()
        # The card asks for both extras: why this price and the comparable laptops.
        page.get_by_text(EXPLANATION_TITLE).wait_for()
        page.get_by_text(COMPARABLES_TITLE).wait_for()
        page.get_by_text("Modo embutido").wait_for()
        page.get_by_text("Avaliações desta sessão").wait_for()
        wait_for_app_idle(page)
        page.locator('[data-testid="stDataFrame"] canvas').first.wait_for()
        page.wait_for_timeout(500)  # let the table paint before the picture
        screenshot(page, "estimate-priced")

        page.get_by_role("link", name="Monitoramento").click()
        page.get_by_role("heading", name="Monitoramento").wait_for(timeout=30_000)
        wait_for_app_idle(page)
        screenshot(page, "monitoring")

        page.get_by_role("link", name="Avaliar notebook").click()
        page.get_by_role("heading", name="Avaliar notebook usado").wait_for()
        wait_for_app_idle(page)
        brand = page.locator(".st-key-field_brand").get_by_role("combobox")
        assert brand.input_value() == "Lenovo"  # the form kept the clerk's choices


def test_a_refused_key_reads_as_a_message_not_a_traceback(browser, tmp_path):
    with (
        fault_server() as api,
        StreamlitServer(
            env={"API_ENDPOINT": api.url("/403"), "API_KEY": "browser-secret-key"}
        ) as server,
    ):
        page = open_app(browser, server)
        assert page.get_by_text("Modo embutido").count() == 0
        choose_laptop(page)
        page.get_by_role("button", name="Calcular oferta").click()
        page.get_by_text(AUTH.split(":")[0]).wait_for(timeout=30_000)
        body = page.locator("body").inner_text()
        assert "Traceback" not in body and "browser-secret-key" not in body
        screenshot(page, "estimate-error-auth")
