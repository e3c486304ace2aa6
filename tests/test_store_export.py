"""export-store: the registry's store champion becomes model/store-model/, which serving loads
with LightGBM alone and prices with exactly as training evaluated it."""

from __future__ import annotations

import mlflow
import pytest

from laptop_pricing.resale.resale_terms import ResaleTerms
from laptop_pricing.resale.synthetic import YearPlan, generate_year, model_catalog
from laptop_pricing.trade_in.policy import load_policy
from laptop_pricing.trade_in.used_price_model import load_store_model
from laptop_pricing.training.__main__ import main as training_main
from laptop_pricing.training.store_model import compare_with_rule
from laptop_pricing.training.store_tracking import train_store_model_and_track


@pytest.mark.slow
def test_the_champion_ships_only_when_synthetic_is_allowed_and_prices_as_trained(tmp_path, capsys):
    policy = load_policy()
    year = generate_year(3, YearPlan(quotes=1200), catalog=model_catalog(), policy=policy)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    shipped = tmp_path / "store-model"
    try:
        session = train_store_model_and_track(year.sold, policy, ResaleTerms(), uri)
        assert session.champion
        refused = ["export-store", "--tracking-uri", uri, "--model-dir", str(shipped)]
        assert training_main(refused) == 2
        assert "--allow-synthetic" in capsys.readouterr().err
        assert load_store_model(shipped) is None  # nothing written
        assert training_main([*refused, "--allow-synthetic", "--stores", "centro"]) == 0
    finally:
        mlflow.set_tracking_uri(None)
    served = load_store_model(shipped)
    assert served is not None
    assert served.metadata.version == session.version
    assert served.metadata.store_ids == ("centro",) and served.metadata.synthetic
    assert served.metadata.prices_for("centro") and not served.metadata.prices_for("loja")
    assert served.metadata.model_mape == pytest.approx(session.comparison.model_mape)
    model, _ = compare_with_rule(year.sold, policy, ResaleTerms())  # the same fit, seeded
    sale = year.sold[-1]
    expected = model.predict([sale])[0]
    price = served.predict(sale.laptop, [sale.condition], sale.market_estimate)[0]
    assert price == pytest.approx(expected, rel=1e-9)
