"""Every person can use it, checked in real Chromium: an axe-core scan of each page (after a price,
with a year of requests) finds no serious or critical violation; the document says it is pt-BR;
the estimate works by keyboard alone, with no Tab stop per "?" help icon; a 390 px phone shows
the form and the price without scrolling sideways. No condition is answered here: the clerk's
details then show the model's market estimate (``components.deduction_words.market_text``), the
price these checks wait for."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from axe_playwright_python.sync_playwright import Axe

from components.clerk_details import DETAILS_KEY
from components.laptop_form import SUBMIT_KEY
from components.offer_card import CARD_KEY, MARKET_LABEL
from laptop_pricing.pricing.artifact import read_metadata
from tests.browser_support import (
    ARTIFACTS_DIR,
    LAPTOP,
    StreamlitServer,
    choose_laptop,
    chromium_browser,
    open_clerk_details,
    screenshot,
    wait_for_app_idle,
)
from tests.monitoring_fixtures import write_files
from tests.synthetic_logs import day_files

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PRICE = re.compile(r"R\$\s?\d{1,3}(\.\d{3})*,\d{2}")
BLOCKING = ("serious", "critical")
PHONE = {"width": 390, "height": 844}
SUBMIT_LABEL = "Calcular oferta"
ACTIVE_ELEMENT_JS = """() => {
  const e = document.activeElement;
  const keyed = e?.closest('[class*="st-key-"]');
  const key = keyed ? [...keyed.classList].find(c => c.startsWith('st-key-')).slice(7) : null;
  const testid = e?.closest('[data-testid]')?.getAttribute('data-testid') ?? null;
  return {tag: e?.tagName, role: e?.getAttribute('role'), text: e?.innerText ?? '', key: key,
          testid: testid};
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The app with a year of requests in its log folder."""
    folder = tmp_path_factory.mktemp("predictions")
    metadata = read_metadata()
    write_files(
        folder,
        day_files(
            date(2025, 6, 30),
            365,
            prefix="laptop-prediction-real-data",
            reference=metadata.reference["fields"],
            versions=("2025.01.10-ridge", metadata.version),
        ),
    )
    with StreamlitServer(env={"PREDICTIONS_DIR": str(folder)}) as running:
        yield running


@pytest.fixture(scope="module")
def browser():
    with chromium_browser() as running:
        yield running


def open_estimate(browser, server, viewport=None):
    page = browser.new_page(viewport=viewport or {"width": 1366, "height": 768})
    page.goto(server.url)
    page.get_by_role("heading", name="Avaliar notebook usado").wait_for(timeout=60_000)
    page.get_by_role("button", name=SUBMIT_LABEL).wait_for(timeout=60_000)  # the form is drawn
    wait_for_app_idle(page)
    return page


def market_estimate(page):
    """The clerk's details' market estimate: the bold amount after ``MARKET_LABEL``."""
    paragraph = page.locator(f".st-key-{DETAILS_KEY} [data-testid='stMarkdownContainer']")
    return paragraph.filter(has_text=MARKET_LABEL).locator("strong").first


def price_shown(page) -> str:
    page.locator(f".st-key-{CARD_KEY}").wait_for(timeout=30_000)
    wait_for_app_idle(page)
    open_clerk_details(page)
    value = market_estimate(page)
    value.wait_for(timeout=30_000)
    return value.inner_text().strip().replace("\xa0", " ")


def scan(page, name: str) -> list[dict]:
    """axe-core's violations on the page as drawn; the full list goes to artifacts/."""
    assert page.evaluate("document.documentElement.lang") == "pt-BR", name
    violations = Axe().run(page).response["violations"]
    summary = [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": len(v["nodes"])}
        for v in violations
    ]
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    (ARTIFACTS_DIR / f"axe-{name}.json").write_text(json.dumps(summary, indent=2))
    return summary


def test_no_page_has_a_serious_or_critical_axe_violation(browser, server):
    page = open_estimate(browser, server)
    choose_laptop(page)
    page.get_by_role("button", name=SUBMIT_LABEL).click()
    assert PRICE.fullmatch(price_shown(page))
    wait_for_app_idle(page)
    page.wait_for_timeout(500)
    found = {"estimate": scan(page, "estimate")}

    page.get_by_role("link", name="Monitoramento").click()
    page.get_by_text("Pedidos no período").wait_for(timeout=60_000)
    wait_for_app_idle(page)
    page.get_by_text("Tudo", exact=True).click()  # the whole year
    wait_for_app_idle(page)
    page.get_by_text("Qualidade dos dados").wait_for(timeout=60_000)
    page.wait_for_timeout(1500)
    found["monitoring"] = scan(page, "monitoring")

    page.get_by_role("link", name="Sobre o modelo").click()
    page.get_by_role("heading", name="Sobre o modelo").first.wait_for(timeout=60_000)
    wait_for_app_idle(page)
    page.wait_for_timeout(500)
    found["model_card"] = scan(page, "model_card")

    blocking = {
        name: [v for v in violations if v["impact"] in BLOCKING]
        for name, violations in found.items()
    }
    assert blocking == {name: [] for name in found}


# What the clerk types into each field the form leaves unchosen (a radio takes Space).
TYPED = {key: option for key, option in LAPTOP.items() if key != "field_processor_brand"}
MAX_TABS = 40  # 22 fields and questions, the lookup, a few links: no stop per help icon


def test_the_estimate_works_by_keyboard_alone(browser, server):
    """Tab from the top of the page, choose each field by typing (a radio by Space), reach the
    button in fewer Tabs than one per help icon would take, press Enter; the focus is visible."""
    page = open_estimate(browser, server)
    page.evaluate("document.activeElement?.blur()")  # start from the top of the document
    seen: list[str | None] = []
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        focused = page.evaluate(ACTIVE_ELEMENT_JS)
        seen.append(focused["key"] or f"{focused['tag']}:{focused['testid']}")
        assert focused["testid"] != "stTooltipHoverTarget", seen
        if focused["key"] in TYPED and focused["role"] == "combobox":
            page.keyboard.type(TYPED[focused["key"]])
            page.keyboard.press("Enter")
            wait_for_app_idle(page)
        if focused["key"] == "field_processor_brand" and focused["tag"] == "INPUT":
            ring = page.evaluate(
                "() => getComputedStyle(document.activeElement.closest('label')).outlineWidth"
            )
            assert ring == "3px"  # the radio's focus is drawn, not faint
            page.keyboard.press("Space")
            wait_for_app_idle(page)
        if focused["key"] == SUBMIT_KEY:
            break
    else:
        pytest.fail(f"Tab never reached {SUBMIT_LABEL} in {MAX_TABS}; focus went through {seen}")
    assert "field_brand" in seen and "field_ram_gb" in seen, seen
    page.keyboard.press("Enter")
    assert PRICE.fullmatch(price_shown(page))
    brand = page.locator(".st-key-field_brand").get_by_role("combobox")
    assert brand.input_value() == "Dell"
    help_text = page.locator(".st-key-field_brand input").get_attribute("aria-description")
    assert help_text and "Fabricante" in help_text  # the help is still read with the field
    screenshot(page, "estimate-keyboard", full_page=False)


def test_a_phone_shows_the_form_and_the_price_without_sideways_scroll(browser, server):
    page = open_estimate(browser, server, viewport=PHONE)
    choose_laptop(page)
    page.get_by_role("button", name=SUBMIT_LABEL).click()
    price = market_estimate(page)
    assert PRICE.fullmatch(price_shown(page))
    wait_for_app_idle(page)
    price.scroll_into_view_if_needed()
    for shown in (price, page.locator(f".st-key-{CARD_KEY}")):  # the amount and its card
        box = shown.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    widths = page.evaluate(
        "[document.scrollingElement.scrollWidth,"
        " document.querySelector('[data-testid=\"stMain\"]').scrollWidth]"
    )
    assert max(widths) <= PHONE["width"], f"the page scrolls sideways on a phone: {widths}"
    screenshot(page, "estimate-phone-price", full_page=False)
