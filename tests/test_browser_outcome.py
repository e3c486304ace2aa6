"""Recording an outcome in real Chromium, end to end: price a laptop with its condition, record
what the customer decided on the offer card, find it again in another session through *Buscar
cotação*, and in the monitoring page's "Negócios" section (embedded mode: no sign-in
configured, so the visitor may open monitoring). Also the section drawn over a year of quotes
and outcomes. Screenshots at a laptop and a phone size; axe finds no serious or critical issue
on either page."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from laptop_pricing.settings import DEFAULT_OUTCOMES_PREFIX, DEFAULT_PREFIX
from tests import synthetic_business as synthetic
from tests.browser_support import (
    StreamlitServer,
    answer_condition,
    chromium_browser,
    click_and_wait_for_the_card,
    open_app,
    screenshot,
    wait_for_app_idle,
)
from tests.monitoring_fixtures import write_files

pytestmark = [pytest.mark.browser, pytest.mark.slow]
LAPTOP = (1366, 768)
PHONE = (390, 844)
QUOTE_ID = re.compile(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")
DOCS = Path(__file__).resolve().parent.parent / "docs"


@pytest.fixture(scope="module")
def browser():
    with chromium_browser() as running:
        yield running


def serious(page) -> list[str]:
    violations = Axe().run(page).response["violations"]
    return [v["id"] for v in violations if v["impact"] in ("serious", "critical")]


def record_negotiated(page) -> None:
    card = page.locator(".st-key-offer_card")
    card.get_by_text("O que o cliente decidiu?").click()
    card.get_by_text("Negociou outro valor", exact=True).click()
    wait_for_app_idle(page)
    amount = card.get_by_label("Valor pago (R$)")
    amount.fill("1200")  # within 0.5x-1.5x of the offer: no reason needed
    amount.press("Enter")
    wait_for_app_idle(page)


@pytest.mark.parametrize("size", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_price_record_an_outcome_and_see_it_in_negocios(tmp_path, browser, size):
    with StreamlitServer(env={"PREDICTIONS_DIR": str(tmp_path)}) as server:
        page = open_app(browser, server, size)
        answer_condition(page)
        click_and_wait_for_the_card(page)
        record_negotiated(page)
        card = page.locator(".st-key-offer_card")
        card.locator(".st-key-outcome_card").scroll_into_view_if_needed()
        name = "laptop" if size == LAPTOP else "phone"
        shot = screenshot(page, f"outcome-controls-{name}", full_page=False)
        if size == LAPTOP:
            shutil.copyfile(shot, DOCS / "screenshot-outcome.png")
        assert serious(page) == []
        card.get_by_role("button", name="Registrar decisão").click()
        card.get_by_text("Registrado:").wait_for(timeout=30_000)
        wait_for_app_idle(page)
        assert "Negociou outro valor (R$ 1.200,00)" in card.inner_text().replace("\xa0", " ")
        screenshot(page, f"outcome-recorded-{name}", full_page=False)
        quote_id = QUOTE_ID.search(card.inner_text()).group(0)
        later = open_app(browser, server, size)  # another session, e.g. the next day
        lookup = later.locator(".st-key-quote_lookup input")
        lookup.scroll_into_view_if_needed()
        lookup.fill(quote_id)
        lookup.press("Enter")
        history = later.locator(".st-key-lookup_card").get_by_text("Decisões já registradas")
        history.wait_for(timeout=30_000)
        wait_for_app_idle(later)
        found = later.locator(".st-key-lookup_card").inner_text().replace("\xa0", " ")
        assert "Negociou outro valor (R$ 1.200,00), em " in found
        assert serious(later) == []
        later.locator(".st-key-lookup_card").scroll_into_view_if_needed()
        screenshot(later, f"outcome-lookup-history-{name}", full_page=False)
        later.close()
        page.goto(f"{server.url}/monitoring")
        page.get_by_role("heading", name="Negócios").wait_for(timeout=90_000)
        wait_for_app_idle(page)
        assert page.get_by_text("100% das ofertas foram aceitas").count() >= 1
        assert page.locator("[data-testid='stException']").count() == 0
        page.close()


def test_negocios_over_a_year_of_quotes_and_outcomes(tmp_path, browser):
    today = datetime.now(UTC).date()
    business = synthetic.quotes_and_outcomes(today, days=365, quotes_per_day=12)
    write_files(tmp_path, synthetic.quote_day_files(business, DEFAULT_PREFIX))
    write_files(tmp_path, business.day_files(DEFAULT_OUTCOMES_PREFIX))
    with StreamlitServer(env={"PREDICTIONS_DIR": str(tmp_path)}) as server:
        for size, name in ((LAPTOP, "laptop"), (PHONE, "phone")):
            page = browser.new_page(viewport={"width": size[0], "height": size[1]})
            page.goto(f"{server.url}/monitoring")
            heading = page.get_by_role("heading", name="Negócios")
            heading.wait_for(timeout=120_000)
            wait_for_app_idle(page, 180_000)
            page.get_by_text("Tudo", exact=True).click()  # the whole year
            wait_for_app_idle(page, 180_000)
            page.get_by_text("das ofertas foram aceitas").first.wait_for(timeout=60_000)
            heading.evaluate("element => element.scrollIntoView({block: 'start'})")
            page.wait_for_timeout(1_500)
            shot = screenshot(page, f"negocios-year-{name}", full_page=False)
            if name == "laptop":
                shutil.copyfile(shot, DOCS / "screenshot-negocios.png")
            assert serious(page) == []
            assert page.locator("[data-testid='stException']").count() == 0
            page.close()
