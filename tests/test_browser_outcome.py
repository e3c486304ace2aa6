"""Recording an outcome in real Chromium, end to end: price a laptop with its condition, record
what the customer decided on the offer card, find it again in another session through *Buscar
cotação*, and in the monitoring page's "Negócios" section (embedded mode: no sign-in
configured, so the visitor may open monitoring); the section over a year is in
test_browser_negocios_year.py. Screenshots at a laptop and a phone size (on the phone, the
counter's part); axe finds no serious or critical issue on either page."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.browser_support import (
    StreamlitServer,
    answer_condition,
    chromium_browser,
    click_and_wait_for_the_card,
    open_app,
    screenshot,
    wait_for_app_idle,
)
from tests.browser_support import (
    serious_axe_violations as serious,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
LAPTOP = (1366, 768)
PHONE = (390, 844)
QUOTE_ID = re.compile(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")
DOCS = Path(__file__).resolve().parent.parent / "docs"


@pytest.fixture(scope="module")
def browser():
    with chromium_browser() as running:
        yield running


def record_negotiated(page) -> None:
    card = page.locator(".st-key-offer_card")
    card.get_by_text("O que o cliente decidiu?").click()
    card.get_by_text("Negociou outro valor", exact=True).click()
    wait_for_app_idle(page)
    amount = card.get_by_label("Valor pago (R$)")
    amount.wait_for(timeout=90_000)  # a deadline: the rerun that shows it, on a loaded runner
    amount.fill("1200")  # within 0.5x-1.5x of the offer: no reason needed
    amount.press("Enter")
    wait_for_app_idle(page)


def price_and_record(page, name: str) -> str:
    """Price a laptop with its condition, record "Negociou outro valor" on the offer card
    (axe-checked, screenshots before and after); returns the quote's id."""
    answer_condition(page)
    click_and_wait_for_the_card(page)
    record_negotiated(page)
    card = page.locator(".st-key-offer_card")
    card.locator(".st-key-outcome_card").scroll_into_view_if_needed()
    shot = screenshot(page, f"outcome-controls-{name}", full_page=False)
    if name == "laptop":
        shutil.copyfile(shot, DOCS / "screenshot-outcome.png")
    assert serious(page) == []
    card.get_by_role("button", name="Registrar decisão").click()
    card.get_by_text("Registrado:").wait_for(timeout=30_000)
    wait_for_app_idle(page)
    assert "Negociou outro valor (R$ 1.200,00)" in card.inner_text().replace("\xa0", " ")
    screenshot(page, f"outcome-recorded-{name}", full_page=False)
    return QUOTE_ID.search(card.inner_text()).group(0)


def test_price_record_an_outcome_and_see_it_in_negocios(tmp_path, browser):
    with StreamlitServer(env={"PREDICTIONS_DIR": str(tmp_path)}) as server:
        page = open_app(browser, server, LAPTOP)
        quote_id = price_and_record(page, "laptop")
        later = open_app(browser, server, LAPTOP)  # another session, e.g. the next day
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
        screenshot(later, "outcome-lookup-history-laptop", full_page=False)
        later.close()
        page.goto(f"{server.url}/monitoring")
        page.get_by_role("heading", name="Negócios").wait_for(timeout=90_000)
        wait_for_app_idle(page)
        assert page.get_by_text("100% das ofertas foram aceitas").count() >= 1
        assert page.locator("[data-testid='stException']").count() == 0
        page.close()


def test_a_clerk_records_an_outcome_on_a_phone(tmp_path, browser):
    """The counter's part on a phone: the outcome controls fit, work and pass axe. Finding
    the quote again and reading it in "Negócios" is the same server path as on the laptop."""
    with StreamlitServer(env={"PREDICTIONS_DIR": str(tmp_path)}) as server:
        page = open_app(browser, server, PHONE)
        assert QUOTE_ID.fullmatch(price_and_record(page, "phone"))
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE[0]  # nothing pushes the card sideways
        page.close()
