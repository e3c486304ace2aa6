"""A purchase in real Chromium, signed in against a real OpenID Connect provider: a clerk prices a
laptop, records the customer's yes, clicks "Comprar este notebook", changes one inspection
answer (the revised offer shows), answers the locks, reads the serial from a photo of the
label's barcode through the uploader, uploads two photos, fills the seller, chooses store credit,
downloads the declaration (read back with pypdf: the masked CPF and the serial, never the full
CPF) and concludes. Then the owner finds it by serial with the full CPF; another clerk finds
nothing. axe finds no serious or critical issue; screenshots at 1366x768 and 390 px go to docs/."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from pypdf import PdfReader

from tests.browser_support import (
    StreamlitServer,
    answer_condition,
    choose,
    choose_laptop,
    chromium_browser,
    click_and_wait_for_the_card,
    free_port,
    screenshot,
    wait_for_app_idle,
)
from tests.oidc_support import CLERK, OWNER, oidc_provider, sign_in, write_secrets
from tests.purchase_media_support import LABEL_SERIAL, jpeg, label_photo, photo_like

pytestmark = [pytest.mark.browser, pytest.mark.slow]
LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
OTHER_CLERK = "bia@loja.com.br"
CPF = "529.982.247-25"
MASKED_CPF = "***.982.247-**"
FULL_CPF = re.compile(r"529\.?982\.?247-?25")
DOCS = Path(__file__).resolve().parent.parent / "docs"
TIMEOUT = 60_000


def serious(page) -> list[str]:
    violations = Axe().run(page).response["violations"]
    return [f"{v['id']}: {v['help']}" for v in violations if v["impact"] in ("serious", "critical")]


def step(page, number: int):
    return page.locator(f".st-key-purchase_step_{number}")


def settle(page, text: str) -> None:
    """Wait until ``text`` shows (a screenshot in artifacts/ when it never does)."""
    try:
        page.get_by_text(text, exact=False).first.wait_for(timeout=TIMEOUT)
    except Exception:
        screenshot(page, "purchase-failure")
        raise
    wait_for_app_idle(page)


def to_docs(page, name: str, full_page: bool = False) -> None:
    shutil.copyfile(
        screenshot(page, f"purchase-{name}", full_page), DOCS / f"screenshot-purchase-{name}.png"
    )


@pytest.fixture(scope="module")
def browser():
    with chromium_browser() as running:
        yield running


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("purchase")
    with oidc_provider() as provider:
        clerks = f"{CLERK}, {OTHER_CLERK}"
        secrets = write_secrets(folder, provider, **{"CLERK-EMAILS": clerks, "OWNER-EMAILS": OWNER})
        env = {"PREDICTIONS_DIR": str(folder / "predictions")}
        with StreamlitServer(env=env, secrets_file=secrets, port=free_port()) as server:
            yield server, folder


def signed_in(browser, server, email: str, viewport=LAPTOP):
    context = browser.new_context(viewport=viewport, accept_downloads=True)
    page = context.new_page()
    sign_in(page, server.url, email)
    settle(page, "Calcular oferta")
    return context, page


def accept_and_buy(page) -> str:
    choose_laptop(page)
    answer_condition(page)
    click_and_wait_for_the_card(page)
    wait_for_app_idle(page)  # the details and the history are drawn after the card
    card = page.locator(".st-key-offer_card")
    card.get_by_text("O que o cliente decidiu?").click()
    record = card.get_by_role("button", name="Registrar decisão")
    record.wait_for(timeout=TIMEOUT)
    record.click()  # accepted, the first choice
    card.get_by_text("Registrado:").wait_for(timeout=TIMEOUT)
    wait_for_app_idle(page)
    card.get_by_role("button", name="Comprar este notebook").click()
    page.get_by_role("heading", name="Comprar notebook").wait_for(timeout=TIMEOUT)
    settle(page, "1. Inspeção")
    return page.url.split("cotacao=")[1].split("&")[0]


def inspection_with_one_change(page) -> None:
    first = step(page, 1)
    keyboard = first.locator(".st-key-purchase_condition_keyboard_ports")
    keyboard.get_by_text("Algo falha", exact=True).click()
    settle(page, "Oferta revista na inspeção")
    revised = first.inner_text().replace("\xa0", " ")
    assert "(na cotação: R$ " in revised
    first.get_by_role("button", name=re.compile("Usar a oferta revista")).click()
    wait_for_app_idle(page)


def answer_locks(page) -> None:
    locks = step(page, 2).locator('[class*="st-key-purchase_lock_"]')
    for index in range(locks.count()):
        locks.nth(index).get_by_text("Sim", exact=True).click()
        wait_for_app_idle(page)


def machine_from_barcode(page, tmp_path: Path) -> None:
    label = tmp_path / "etiqueta.jpg"
    label.write_bytes(label_photo(LABEL_SERIAL, "code128"))
    machine = step(page, 3)
    machine.locator(".st-key-purchase_barcode_file input[type=file]").set_input_files(str(label))
    settle(page, "Número de série lido do código de barras")
    assert (
        machine.get_by_role("textbox", name="Número de série", exact=True).input_value()
        == LABEL_SERIAL
    )
    machine.get_by_role("textbox", name="Marca na etiqueta", exact=True).fill("Dell")
    machine.get_by_role("textbox", name="Modelo na etiqueta", exact=True).fill("Inspiron 15 3000")
    machine.get_by_role("textbox", name="Modelo na etiqueta", exact=True).press("Tab")
    wait_for_app_idle(page)


def two_photos(page, tmp_path: Path) -> None:
    files = []
    for number in (1, 2):
        path = tmp_path / f"foto{number}.jpg"
        path.write_bytes(jpeg(photo_like(2000, 1500, seed=number)))
        files.append(str(path))
    step(page, 4).locator(".st-key-purchase_photo_files input[type=file]").set_input_files(files)
    step(page, 4).get_by_text("O que a foto 2 mostra").wait_for(timeout=TIMEOUT)
    wait_for_app_idle(page)


def seller_and_payout(page) -> None:
    seller = step(page, 5)
    seller.get_by_role("textbox", name="Nome completo do vendedor", exact=True).fill(
        "Maria da Silva"
    )
    seller.get_by_role("textbox", name="CPF", exact=True).fill(CPF)
    seller.get_by_role("textbox", name="Número do documento", exact=True).fill("12.345.678-9")
    seller.get_by_role("textbox", name="Número do documento", exact=True).press("Tab")
    wait_for_app_idle(page)
    choose(page, "purchase_seller_document_type", "RG")
    seller.get_by_text("Li para o cliente o aviso de privacidade").click()
    wait_for_app_idle(page)
    step(page, 6).get_by_text(re.compile(r"^Crédito na loja")).click()
    wait_for_app_idle(page)


def declaration_read_back(page, tmp_path: Path) -> str:
    with page.expect_download() as download:
        step(page, 7).get_by_role("button", name="Baixar a declaração em PDF para imprimir").click()
    path = tmp_path / "declaracao.pdf"
    download.value.save_as(path)
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(path.read_bytes())).pages)


def test_a_clerk_buys_an_owner_finds_it_by_serial_another_clerk_does_not(browser, site, tmp_path):
    server, _ = site
    context, page = signed_in(browser, server, CLERK)
    quote_id = accept_and_buy(page)
    inspection_with_one_change(page)
    to_docs(page, "inspection")
    answer_locks(page)
    machine_from_barcode(page, tmp_path)
    two_photos(page, tmp_path)
    step(page, 3).scroll_into_view_if_needed()
    to_docs(page, "machine-photos")
    seller_and_payout(page)
    text = declaration_read_back(page, tmp_path)
    assert "Declaração de procedência e venda" in text
    assert MASKED_CPF in text and LABEL_SERIAL in text and quote_id in text
    assert not FULL_CPF.search(text.replace(" ", ""))
    step(page, 7).get_by_text("Declaração assinada pelo vendedor e guardada").click()
    wait_for_app_idle(page)
    assert serious(page) == []
    step(page, 5).scroll_into_view_if_needed()
    to_docs(page, "seller-payout")
    page.set_viewport_size(PHONE)
    wait_for_app_idle(page)
    to_docs(page, "phone", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.set_viewport_size(LAPTOP)
    page.get_by_role("button", name="Concluir compra").click()
    settle(page, f"Compra registrada: {quote_id}")
    assert serious(page) == []
    to_docs(page, "success")
    context.close()

    context, owner = signed_in(browser, server, OWNER)
    owner.goto(f"{server.url}/purchase")
    settle(owner, "Buscar compra por número de série")
    box = owner.get_by_role("textbox", name="Buscar compra por número de série", exact=True)
    box.fill(LABEL_SERIAL)
    box.press("Enter")
    card = owner.locator(".st-key-purchase_lookup_card")
    card.wait_for(timeout=TIMEOUT)
    found = card.inner_text()
    assert quote_id in found and "Maria da Silva" in found and FULL_CPF.search(found)
    assert serious(owner) == []
    context.close()

    context, other = signed_in(browser, server, OTHER_CLERK)
    other.goto(f"{server.url}/purchase")
    settle(other, "Buscar uma compra sua pelo código")
    box = other.get_by_role("textbox", name="Buscar uma compra sua pelo código", exact=True)
    box.fill(quote_id)
    box.press("Enter")
    settle(other, "Nenhuma compra sua com o código")
    body = other.locator("body").inner_text()
    assert not FULL_CPF.search(body) and "Maria" not in body
    context.close()
