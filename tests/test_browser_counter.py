"""The clerk at the counter in real Chromium, customer after customer (issue 22): a stale offer
greyed out with its PDF disabled, "Novo cliente" clears, the second identical click keeps the
quote id, the customer view hides the market estimate when the store says so, and the PDF read
back with pypdf names the store's CNPJ and fits page 1. Screenshots of the offer card and the
PDF go to docs/."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from pypdf import PdfReader

from components.deduction_words import MARKET_LABEL
from tests.browser_support import (
    ANSWERS,
    ARTIFACTS_DIR,
    REPO_ROOT,
    StreamlitServer,
    answer_condition,
    choose,
    chromium_browser,
    click_and_wait_for_the_card,
    open_app,
    open_clerk_details,
    wait_for_app_idle,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
LAPTOP_SCREEN = (1366, 768)
PHONE = (390, 844)
QUOTE_ID = re.compile(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")
DOCS = REPO_ROOT / "docs"
STORE = {
    "STORE_NAME": "Loja Exemplo — Centro",
    "STORE_ADDRESS": "Rua Exemplo, 123 — Centro, São Paulo/SP",
    "STORE_CNPJ": "11222333000181",
    "STORE_PHONE": "(11) 4000-1234",
}


def serve(tmp_path_factory, **extra):
    env = {"PREDICTIONS_DIR": str(tmp_path_factory.mktemp("predictions")), **STORE, **extra}
    return StreamlitServer(env=env)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with serve(tmp_path_factory) as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    with chromium_browser() as running:
        yield running


def card(page):
    return page.locator(".st-key-offer_card")


def quote_id(page) -> str:
    return QUOTE_ID.search(card(page).inner_text()).group(0)


def pdf_button(page):
    return card(page).get_by_role("button", name="Baixar cotação em PDF para o cliente")


def test_a_changed_field_greys_the_offer_out_and_disables_its_pdf(browser, server):
    page = open_app(browser, server, LAPTOP_SCREEN)
    answer_condition(page)
    click_and_wait_for_the_card(page)
    assert pdf_button(page).is_enabled()
    DOCS.mkdir(exist_ok=True)
    page.screenshot(path=str(DOCS / "screenshot-offer-card-1366.png"))  # the screen, in view
    choose(page, "field_ram_gb", "16 GB")
    card(page).get_by_text("esta oferta não vale mais").wait_for(timeout=30_000)
    stale = page.locator(".st-key-offer_stale")
    opacity = stale.evaluate("e => Number(getComputedStyle(e).opacity)")
    assert opacity < 0.6
    assert pdf_button(page).is_disabled()
    card(page).screenshot(path=str(ARTIFACTS_DIR / "offer-card-stale.png"))
    click_and_wait_for_the_card(page)
    assert page.locator(".st-key-offer_stale").count() == 0 and pdf_button(page).is_enabled()
    page.close()


def test_the_second_identical_click_keeps_the_quote_id_and_novo_cliente_clears(browser, server):
    page = open_app(browser, server, PHONE)
    answer_condition(page)
    click_and_wait_for_the_card(page)
    first = quote_id(page)
    card(page).screenshot(path=str(DOCS / "screenshot-offer-card-phone.png"))
    click_and_wait_for_the_card(page)
    assert quote_id(page) == first
    page.get_by_role("button", name="Novo cliente").click()
    wait_for_app_idle(page)
    assert card(page).count() == 0
    brand = page.locator(".st-key-field_brand").get_by_role("combobox")
    assert brand.input_value() == "" and brand.get_attribute("placeholder") == "Escolha"
    checked = page.locator("[class*='st-key-condition_'] input[type='radio']:checked")
    assert checked.count() == 0
    page.get_by_role("button", name="Calcular oferta").click()
    page.get_by_text("Falta escolher: Marca").wait_for(timeout=30_000)
    page.close()


def test_the_pdf_names_the_store_and_fits_page_one(browser, server):
    page = open_app(browser, server, LAPTOP_SCREEN)
    answer_condition(page)
    click_and_wait_for_the_card(page)
    with page.expect_download() as download_info:
        pdf_button(page).click()
    path = ARTIFACTS_DIR / "counter-quote.pdf"
    download_info.value.save_as(path)
    reader = PdfReader(path)
    text = " ".join(reader.pages[0].extract_text().split())
    assert len(reader.pages) == 1
    assert "CNPJ 11.222.333/0001-81" in text and "(11) 4000-1234" in text
    assert "Importante" in text and quote_id(page) in text and "Aponte a câmera" in text
    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm, "pdftoppm missing: install Debian's poppler-utils (make test does)"
    command = [pdftoppm, "-png", "-r", "80", "-singlefile", str(path), str(DOCS / "quote-pdf")]
    subprocess.run(command, check=True, timeout=60)
    page.close()


def test_the_clerks_details_are_folded_and_hidden_by_the_store_setting(
    browser, server, tmp_path_factory
):
    page = open_app(browser, server, LAPTOP_SCREEN)
    answer_condition(page)
    click_and_wait_for_the_card(page)
    assert not page.get_by_text(MARKET_LABEL).is_visible()  # folded: closed by default
    details = open_clerk_details(page)
    assert details.get_by_text("Revenda de um usado perfeito").is_visible()
    page.close()
    with serve(tmp_path_factory, SHOW_CLERK_DETAILS="false") as customer_view:
        page = open_app(browser, customer_view, LAPTOP_SCREEN)
        answer_condition(page, {**ANSWERS})
        click_and_wait_for_the_card(page)
        assert "R$" in card(page).locator("[data-testid='stMetricValue']").inner_text()
        body = page.locator("[data-testid='stMain']").inner_text()
        assert MARKET_LABEL not in body and "Detalhes para o balconista" not in body
        assert "Política:" not in body
        page.close()
