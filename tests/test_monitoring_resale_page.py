"""The "Estoque e revenda" block of Monitoramento through AppTest, on the embedded default's
local stock: an owner sees each sale's realized margin, a clerk never sees the block, an empty
stock says what will appear, and an owner of another store gets none of this store's laptops."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime

import pytest

from components.resale_data import EMPTY, skipped_words
from components.resale_section import TITLE
from laptop_pricing.trade_in.policy import DEFAULT_POLICY_PATH
from tests.app_fixtures import CLERK, OWNER, app, monitoring_page, texts
from tests.monitoring_fixtures import week_up_to_today
from tests.stock_support import seed_items, seed_sales

pytestmark = pytest.mark.usefixtures("clean_env", "fresh_caches")


def subheaders(at) -> list[str]:
    return [h.value for h in at.subheader]


def test_an_owner_sees_the_margin_of_each_sale(clean_env):
    predictions = clean_env / "predictions"
    week_up_to_today(predictions, acceptance=0.7)
    seed_sales(predictions, [(6000, 2000, 3500), (5000, 1800, None)], datetime.now(UTC))
    at = monitoring_page()
    assert TITLE in subheaders(at), texts(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Notebooks em estoque"] == "1"
    assert metrics["Valor pago em estoque"] == "R$\xa01.800"
    assert metrics["Margem realizada"] == "R$\xa01.500"  # 3.500 − 2.000
    margins = next(d.value for d in at.dataframe if "Margem realizada" in d.value.columns)
    assert margins["Margem realizada"].tolist() == ["R$\xa01.500", "R$\xa01.500"]  # gamer, all
    assert margins["Categoria"].tolist()[-1] == "Todos"
    assert "do estoque não entra" not in texts(at)  # every item counted


def test_items_without_a_whole_laptop_are_said_not_counted(clean_env):
    predictions = clean_env / "predictions"
    week_up_to_today(predictions, acceptance=0.7)
    seed_sales(predictions, [(6000, 2000, 3500)], datetime.now(UTC))
    seed_items(predictions, 3, datetime.now(UTC))  # openings with the brand only
    at = monitoring_page()
    assert {m.label: m.value for m in at.metric}["Notebooks vendidos"] == "1"
    assert skipped_words(3) in [c.value for c in at.caption]


def test_an_empty_stock_says_what_will_appear(clean_env):
    week_up_to_today(clean_env / "predictions", acceptance=0.7)
    at = monitoring_page()
    assert TITLE in subheaders(at)
    assert EMPTY in [i.value for i in at.info]


def test_a_clerk_never_sees_the_block(clean_env):
    predictions = clean_env / "predictions"
    week_up_to_today(predictions, acceptance=0.7)
    seed_sales(predictions, [(6000, 2000, 3500)], datetime.now(UTC))
    at = app(user=CLERK, url_path="monitoring")
    assert not at.exception
    assert TITLE not in subheaders(at) and "Margem" not in texts(at)


def test_an_owner_of_another_store_gets_none_of_these_laptops(clean_env):
    predictions = clean_env / "predictions"
    week_up_to_today(predictions, acceptance=0.7)
    seed_sales(predictions, [(6000, 2000, 3500)], datetime.now(UTC))
    policies = clean_env / "policies"
    policies.mkdir()
    shutil.copy(DEFAULT_POLICY_PATH, policies / "default.toml")
    secrets = {"OWNER-EMAILS": f"{OWNER}=sul", "POLICY-PATH": str(policies)}
    at = app(secrets, user=OWNER, url_path="monitoring")
    assert not at.exception, [e.value for e in at.exception]
    assert TITLE in subheaders(at), texts(at)
    assert EMPTY in [i.value for i in at.info]
