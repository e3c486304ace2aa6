"""The stock page (Estoque) in AppTest, against the embedded service (local folder): one page
of 50 items of many, filters and search, "Pôr à venda" at the policy's suggested price, a sale
out of bounds refused in one pt-BR sentence, and "Corrigir venda" for an owner only."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from components.stock_actions import PICK_KEY
from components.stock_filters import SEARCH_KEY, STATE_KEY
from components.stock_words import CHANGED
from laptop_pricing.purchase.store import PURCHASE_OBJECTS
from laptop_pricing.settings import DEFAULT_PURCHASES_PREFIX
from laptop_pricing.stock.events import Actor, StockEvent
from laptop_pricing.stock.store import StockStore
from laptop_pricing.storage.layout import LogLayout
from laptop_pricing.storage.stores import LocalRecordStore
from tests.app_fixtures import CLERK, OWNER, app, texts
from tests.stock_support import seed_items

pytestmark = pytest.mark.usefixtures("clean_env", "fresh_caches")
SEEDED = 60


@pytest.fixture
def ids(clean_env) -> list[str]:
    return seed_items(Path(clean_env) / "predictions", SEEDED, datetime.now(UTC))


def stock_page(user: str | None = None):
    at = app(user=user, url_path="stock")
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["Estoque"], texts(at)
    return at


def search(at, text: str):
    at.text_input(key=SEARCH_KEY).input(text).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def form_button(at, label: str):
    return next(b for b in at.button if b.label == label)


def test_the_page_shows_a_page_of_50_and_the_counts_of_all(ids):
    at = stock_page()
    assert len(at.dataframe) == 1 and len(at.dataframe[0].value) == 50
    assert "50 de 60 notebooks · página 1 de 2" in texts(at)
    counts = {m.label: m.value for m in at.metric}
    assert counts["Em preparo"] == "15" and sum(int(v) for v in counts.values()) == SEEDED
    at.button(key="stock_next").click().run()
    assert len(at.dataframe[0].value) == 10 and "página 2 de 2" in texts(at)


def test_filters_and_search_narrow_the_list(ids):
    at = stock_page()
    at.selectbox(key=STATE_KEY).set_value("em_preparo").run()
    assert len(at.dataframe[0].value) == 15
    search(at, "sn-000004")
    table = at.dataframe[0].value
    assert list(table["Nº de série"]) == ["SN-000004"]
    search(at, "não existe")
    assert "Nenhum notebook no estoque com esses filtros." in texts(at)


def test_a_clerk_puts_an_item_on_sale_at_the_suggested_price(ids):
    at = search(stock_page(CLERK), "SN-000004")  # bought, still in preparation
    assert at.selectbox(key=PICK_KEY).value == ids[4]
    price = at.number_input(key=f"stock_a_venda_price_{ids[4]}")
    assert "Sugestão da política da loja: 50%" in (price.help or "")
    suggested = price.value
    form_button(at, "Pôr à venda").click().run()
    assert not at.exception and not at.error, texts(at)
    assert next(s.value for s in at.success).startswith("Registrado: à venda por R$")
    assert list(at.dataframe[0].value["Situação"]) == ["À venda"]
    assert f"{suggested:,}".replace(",", ".") in at.dataframe[0].value["Preço de venda"][0]


def test_a_sale_above_ten_times_the_paid_amount_is_one_sentence(ids):
    at = search(stock_page(CLERK), "SN-000005")  # for sale
    at.number_input(key=f"stock_vendido_price_{ids[5]}").set_value(999_999)
    form_button(at, "Registrar venda").click().run()
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "10 vezes o valor pago" in errors[0]
    assert list(at.dataframe[0].value["Situação"]) == ["À venda"]


def test_only_an_owner_corrects_a_sale(ids):
    clerk = search(stock_page(CLERK), "SN-000007")  # sold
    assert "Só o dono da loja pode corrigir uma venda." in texts(clerk)
    assert not [b for b in clerk.button if b.label == "Corrigir venda"]
    owner = search(stock_page(OWNER), "SN-000007")
    owner.number_input(key=f"stock_correcao_venda_price_{ids[7]}").set_value(1234)
    form_button(owner, "Corrigir venda").click().run()
    assert not owner.error, texts(owner)
    assert "Venda corrigida: R$\xa01.234,00." in texts(owner)
    assert "Venda corrigida pelo dono" in texts(owner)


def test_a_change_made_meanwhile_elsewhere_tells_the_clerk_to_reload(ids, clean_env):
    at = search(stock_page(CLERK), "SN-000004")  # em preparo, version 1 on this page
    layout = LogLayout(DEFAULT_PURCHASES_PREFIX, PURCHASE_OBJECTS)
    elsewhere = StockStore(LocalRecordStore(Path(clean_env) / "predictions", layout))
    moment = datetime.now(UTC)
    other_clerk = StockEvent("elsewhere-1", ids[4], 1, "descartado", moment, Actor("clerk"))
    assert elsewhere.put_event(other_clerk)
    form_button(at, "Pôr à venda").click().run()
    assert not at.exception and not at.error, texts(at)
    assert [w.value for w in at.warning] == [CHANGED]
    assert list(at.dataframe[0].value["Situação"]) == ["Descartado"]
