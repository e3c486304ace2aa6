"""The model card: the shipped metadata in words a clerk understands, and the API's version.

Pure sentence builders are checked on their own; the page through AppTest in embedded mode, in
HTTP mode against a real loopback API (tests.client_fault_server) that answers version "7", and
with no readable model at all.
"""

from __future__ import annotations

import pytest

from components.model_card_sections import describe, range_sentence, typical_error
from components.offer_source import RULE_SENTENCE, offer_source_sentences
from laptop_pricing.pricing.artifact import REPO_MODEL_DIR, PriceRange, read_metadata
from laptop_pricing.trade_in.used_price_model import (
    STORE_FEATURES,
    read_store_model_metadata,
    write_store_model,
)
from tests.app_fixtures import OWNER, app, submit, texts
from tests.client_fault_server import PRICE_BODY, fault_server

pytestmark = pytest.mark.usefixtures("clean_env")
PAGE = "views/model_card.py"


def test_typical_error_in_percent_and_reais():
    sentence = typical_error({"MAPE": 0.1296, "MAE": 833.18})
    assert sentence == (
        "Em média, o preço estimado erra cerca de 13,0% (R$\xa0833,00) "
        "para mais ou para menos em relação ao preço real."
    )
    assert typical_error({}) is None


def test_range_sentence_states_the_measured_coverage():
    measured = PriceRange("conformal", 0.8, 0.85, 1.28, measured_coverage=0.827)
    sentence = range_sentence(measured)
    assert "cerca de 8 de cada 10 notebooks" in sentence
    assert "82,7%" in sentence and "a meta era 80,0%" in sentence
    unmeasured = PriceRange("conformal", 0.8, 0.85, 1.28)
    assert range_sentence(unmeasured) is None  # never claim an unmeasured range


def test_describe_the_shipped_metadata():
    metadata = read_metadata()
    facts = describe(metadata)
    assert facts.version == metadata.version
    assert "horário de Brasília" in facts.trained_at
    assert [m.name for m in facts.metrics] == ["MAPE", "MAE", "R²", "MSE"]
    assert len(facts.cv_table) == len(metadata.cv.table)
    assert sum("escolhido" in row["Modelo"] for row in facts.cv_table) == 1
    assert all("MAPE só com os 13 campos do curso" in row for row in facts.cv_table)
    assert ("Geração do processador", "opcional (“Não sei” é aceito)") in facts.fields


def test_embedded_page_shows_version_date_and_typical_error():
    metadata = read_metadata()
    at = app()
    at.switch_page(PAGE).run()
    assert not at.exception
    shown = texts(at)
    assert f"Versão do modelo {metadata.version}" in shown
    assert "Em média, o preço estimado erra cerca de" in shown
    assert "de cada 10 notebooks" in shown
    assert "API" not in shown  # nothing about an API when none is configured
    assert "A oferta é calculada pela regra da política" in shown  # no store model ships


def test_page_without_a_readable_model_says_what_to_do(monkeypatch, tmp_path):
    monkeypatch.setenv("MODEL_DIR", str(tmp_path / "no-model"))
    at = app()
    at.switch_page(PAGE).run()
    assert not at.exception
    assert "Não foi possível ler as informações do modelo" in texts(at)


@pytest.fixture(scope="module")
def api():
    with fault_server() as running:
        yield running


def test_http_page_before_any_estimate_explains_where_the_version_will_come_from(api):
    at = app({"API-ENDPOINT": api.url("/ok"), "API-KEY": "k"}, user=OWNER)
    at.switch_page(PAGE).run()
    assert not at.exception
    assert "aparece aqui depois da primeira avaliação" in texts(at)


def test_http_page_reports_the_version_the_api_answered(api):
    at = app({"API-ENDPOINT": api.url("/ok"), "API-KEY": "k"}, user=OWNER)
    submit(at)
    assert not at.exception
    at.switch_page(PAGE).run()
    shown = texts(at)
    assert f"A API está usando a versão **{PRICE_BODY['version']}**" in shown
    assert f"diferente da versão {read_metadata().version}" in shown


def test_the_card_says_where_and_when_the_training_prices_come_from():
    facts = describe(read_metadata())
    assert facts.listings is not None
    for words in ("notebooks **novos**", "**Índia**", "antes de fevereiro de 2024", "R$\xa00,067"):
        assert words in facts.listings
    at = app()
    at.switch_page(PAGE).run()
    assert not at.exception
    assert "anúncios de notebooks **novos**" in texts(at)
    assert not at.dataframe  # plain tables: they wrap instead of scrolling out of view
    assert at.table and "Métrica" in at.table[0].value.columns


def tiny_store_booster() -> str:
    """A real LightGBM booster over the store model's features (what it predicts is not read)."""
    import lightgbm
    import numpy as np

    rows = np.random.default_rng(0).random((40, len(STORE_FEATURES)))
    data = lightgbm.Dataset(rows, label=rows[:, 0], params={"verbose": -1})
    booster = lightgbm.train({"num_leaves": 2, "verbose": -1}, data, num_boost_round=1)
    return str(booster.model_to_string())


STORE_MODEL = {
    "version": "3",
    "pricing_source": "store_model",
    "store_ids": ["centro"],
    "condition_deductions": {"screen": {"scratched": 10.0}},
    "policy_version": "p1",
    "model_MAPE": 0.0695,
    "rule_MAPE": 0.1244,
    "n_test": 171,
    "cutoff": "2026-10-01",
    "margin_pct": 10,
    "synthetic": True,
}


def test_offer_source_sentences_name_the_one_that_prices_and_the_held_out_numbers(tmp_path):
    assert offer_source_sentences(None) == (RULE_SENTENCE,)
    write_store_model(tiny_store_booster(), STORE_MODEL, tmp_path)
    champion = read_store_model_metadata(tmp_path)
    words = " ".join(offer_source_sentences(champion))
    assert "calculada pelo modelo da loja** (versão 3)" in words
    assert "Nas 171 vendas mais recentes (desde 01/10/2026)" in words
    assert "errou em média 7,0% do preço de venda; a regra errou 12,4%" in words
    assert "lojas centro; as demais usam a regra" in words and "sintético" in words
    write_store_model(tiny_store_booster(), {**STORE_MODEL, "pricing_source": "rule"}, tmp_path)
    lost = offer_source_sentences(read_store_model_metadata(tmp_path))
    assert lost[0] == RULE_SENTENCE and "não superou a regra por 10%" in lost[1]


def test_the_page_shows_the_shipped_store_model_pricing_offers(monkeypatch, tmp_path):
    shipped = tmp_path / "model"
    shipped.mkdir()
    for name in ("model.txt", "model_metadata.json"):
        (shipped / name).symlink_to(REPO_MODEL_DIR / name)
    write_store_model(
        tiny_store_booster(), {**STORE_MODEL, "store_ids": ["*"]}, shipped / "store-model"
    )
    monkeypatch.setenv("MODEL_DIR", str(shipped))
    at = app()
    at.switch_page(PAGE).run()
    assert not at.exception
    shown = texts(at)
    assert [h.value for h in at.subheader] == ["Quem calcula a oferta"]
    assert "A oferta é calculada pelo modelo da loja** (versão 3)" in shown
    assert "Vale para todas as lojas" in shown and "a regra errou 12,4%" in shown
