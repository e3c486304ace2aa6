"""The trade-in flow in real Chromium: the offer is in view after the click on common screens
and a phone, and the customer's PDF downloads with the offer, the quote id and the validity."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from pypdf import PdfReader

from tests.browser_support import (
    ANSWERS,
    ARTIFACTS_DIR,
    StreamlitServer,
    answer_condition,
    chromium_browser,
    click_and_wait_for_the_card,
    open_app,
    screenshot,
    wait_for_app_idle,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SCREENS = {"laptop-1536x864": (1536, 864), "laptop-1366x900": (1366, 900)}
SCREENS |= {"laptop-1366x768": (1366, 768), "phone-390x844": (390, 844)}
PRICE = re.compile(r"R\$\s?\d{1,3}(\.\d{3})*,\d{2}")
QUOTE_ID = re.compile(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    env = {
        "PREDICTIONS_DIR": str(tmp_path_factory.mktemp("predictions")),
        "STORE_NAME": "Loja Exemplo — Centro",
    }
    with StreamlitServer(env=env) as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    with chromium_browser() as running:
        yield running


@pytest.mark.parametrize("name", sorted(SCREENS))
def test_after_the_click_the_offer_is_in_view_without_scrolling(browser, server, name):
    width, height = SCREENS[name]
    page = open_app(browser, server, (width, height))
    answer_condition(page)
    click_and_wait_for_the_card(page)
    card = page.locator(".st-key-offer_card").bounding_box()
    offer = page.locator(".st-key-offer_card [data-testid='stMetricValue']")
    box = offer.bounding_box()
    assert PRICE.fullmatch(offer.inner_text().strip().replace("\xa0", " "))
    assert box["y"] >= 0 and box["y"] + box["height"] <= height, (name, box)
    assert card["y"] >= 0 and card["y"] + card["height"] <= height, (name, card)
    screenshot(page, f"offer-in-view-{name}", full_page=False)
    page.close()


def test_no_offer_message_is_in_view_too(browser, server):
    page = open_app(browser, server, SCREENS["phone-390x844"])
    answer_condition(page, {**ANSWERS, "locks_removed": "Não"})
    click_and_wait_for_the_card(page)
    message = page.locator(".st-key-offer_card").get_by_text("Sem oferta.")
    box = message.bounding_box()
    assert box and box["y"] >= 0 and box["y"] + box["height"] <= 844
    page.close()


def test_the_pdf_quote_holds_the_offer_the_id_and_the_validity(browser, server):
    page = open_app(browser, server, SCREENS["laptop-1366x768"])
    page.locator(".st-key-field_ram_gb").get_by_role("combobox").click()
    page.get_by_role("option", name="16 GB", exact=True).click()
    wait_for_app_idle(page)
    answer_condition(page)
    click_and_wait_for_the_card(page)
    card = page.locator(".st-key-offer_card")
    offer = card.locator("[data-testid='stMetricValue']").inner_text().strip()
    quote_id = QUOTE_ID.search(card.inner_text()).group(0)
    valid_until = re.search(r"Válida até (\d\d/\d\d/\d{4})", card.inner_text()).group(1)
    with page.expect_download() as download_info:
        card.get_by_role("button", name="Baixar cotação em PDF para o cliente").click()
    download = download_info.value
    assert download.suggested_filename == f"cotacao-{quote_id}.pdf"
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    pdf_path = ARTIFACTS_DIR / "quote.pdf"
    download.save_as(pdf_path)
    text = PdfReader(pdf_path).pages[0].extract_text().replace("\xa0", " ")
    assert offer.replace("\xa0", " ") in text
    assert quote_id in text and f"Válida até {valid_until}" in text
    assert "Loja Exemplo — Centro" in text and "16 GB" in text and "Riscos leves" in text
    assert "confirmado na inspeção" in text

    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm, "pdftoppm missing: install Debian's poppler-utils (make test does)"
    subprocess.run(
        [
            pdftoppm,
            "-png",
            "-r",
            "80",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(pdf_path),
            str(ARTIFACTS_DIR / "quote-page-1"),
        ],
        check=True,
        timeout=60,
    )
    assert (ARTIFACTS_DIR / "quote-page-1.png").stat().st_size > 10_000

    lookup = page.locator(".st-key-quote_lookup input")
    lookup.scroll_into_view_if_needed()
    lookup.fill(quote_id.lower())
    lookup.press("Enter")
    wait_for_app_idle(page)
    page.get_by_text(f"Cotação válida até {valid_until}.").wait_for(timeout=30_000)
    page.close()
