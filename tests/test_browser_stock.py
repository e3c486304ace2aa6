"""From bought to sold in real Chromium (issue 24): a laptop bought through the purchase page
appears in Estoque em preparo, is put on sale at the policy's suggested price, then sold at
that price; the history shows each step; the owner then opens Monitoramento and sees that sale's
realized margin (sale − paid) in "Estoque e revenda". The store already holds 120 items (one
page of 50 drawn; their openings carry no whole laptop, so they are no sale facts). axe finds no
serious or critical issue; screenshots at 1366x768 and 390 px go to docs/.
"""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from laptop_pricing.formatting import format_price, format_whole_price
from tests.browser_support import (
    StreamlitServer,
    chromium_browser,
    screenshot,
    serious_axe_violations,
    wait_for_app_idle,
)
from tests.oidc_support import write_secrets
from tests.purchase_flow_support import (
    accept_and_buy,
    answer_locks,
    machine_typed,
    seller_and_payout,
    settle,
    sign_and_conclude,
    two_photos,
)
from tests.stock_support import seed_items

pytestmark = [pytest.mark.browser, pytest.mark.slow]
LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
DOCS = Path(__file__).resolve().parent.parent / "docs"
SERIAL = "SN-ESTOQUE-0001"
SEARCH = "Buscar por número de série ou código da compra"


def to_docs(page, name: str, full_page: bool = False, kind: str = "stock") -> None:
    shutil.copyfile(
        screenshot(page, f"{kind}-{name}", full_page), DOCS / f"screenshot-{kind}-{name}.png"
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("stock")
    seed_items(folder / "predictions", 120, datetime.now(UTC))
    env = {"PREDICTIONS_DIR": str(folder / "predictions")}
    with StreamlitServer(env=env, secrets_file=write_secrets(folder, None)) as running:
        yield running


def card_text(page) -> str:
    return page.locator(".st-key-stock_item_card").inner_text().replace("\xa0", " ")


def test_a_laptop_bought_goes_on_sale_at_the_suggested_price_and_is_sold(server, tmp_path):
    with chromium_browser() as browser:
        context = browser.new_context(viewport=LAPTOP)
        page = context.new_page()
        page.goto(server.url)
        settle(page, "Calcular oferta")
        quote_id = accept_and_buy(page)
        answer_locks(page)
        machine_typed(page, SERIAL)
        two_photos(page, tmp_path)
        seller_and_payout(page)
        sign_and_conclude(page, quote_id)

        page.goto(f"{server.url}/stock")
        settle(page, "Tempo em estoque")
        assert "50 de 121 notebooks" in page.locator("body").inner_text()
        to_docs(page, "laptop")
        box = page.get_by_role("textbox", name=SEARCH, exact=True)
        box.fill(SERIAL)
        box.press("Enter")
        settle(page, "1 de 1 notebooks")
        assert "Situação: Em preparo" in card_text(page)
        suggested = page.get_by_role("spinbutton", name="Preço de venda (R$)").input_value()
        assert int(suggested) > 0
        page.get_by_role("button", name="Pôr à venda", exact=True).click()
        settle(page, "Registrado: à venda por")
        price = format_price(int(suggested)).replace("\xa0", " ")
        assert f"Preço de venda: {price}" in card_text(page)

        page.get_by_role("tab", name="Registrar venda").click()
        sale_price = page.get_by_role("spinbutton", name="Preço da venda (R$)")
        assert sale_price.input_value() == suggested  # the sale starts at the list price
        page.get_by_role("button", name="Registrar venda", exact=True).click()
        settle(page, "Registrado: vendido por")
        text = card_text(page)
        assert f"Venda: {price}" in text
        paid = re.search(r"Comprado em \S+ por R\$ ([\d.]+),00", text)
        assert paid is not None, text
        margin = int(suggested) - int(paid.group(1).replace(".", ""))
        for step in ("Entrou em preparo", "Posto à venda", "Vendido"):
            assert step in text
        assert serious_axe_violations(page) == []
        to_docs(page, "sold")

        page.set_viewport_size(PHONE)
        wait_for_app_idle(page)
        page.get_by_role("heading", name="Estoque").first.scroll_into_view_if_needed()
        to_docs(page, "phone", full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        assert quote_id in card_text(page)

        page.set_viewport_size(LAPTOP)
        page.goto(f"{server.url}/monitoring")
        settle(page, "Margem realizada")
        section = page.get_by_role("heading", name="Estoque e revenda").first
        section.scroll_into_view_if_needed()
        metric = page.get_by_test_id("stMetric").filter(has_text="Margem realizada")
        shown = metric.inner_text().replace("\xa0", " ")
        assert format_whole_price(margin).replace("\xa0", " ") in shown, shown
        to_docs(page, "laptop", kind="resale")
        page.set_viewport_size(PHONE)
        wait_for_app_idle(page)
        metric.scroll_into_view_if_needed()
        to_docs(page, "phone", kind="resale")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        context.close()
