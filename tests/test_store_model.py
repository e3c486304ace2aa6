"""The store-trained used-price model: time-ordered, judged against the rule on held-out sales,
champion in MLflow only where it beats the rule by the owner's margin."""

from __future__ import annotations

import mlflow
import pytest

from laptop_pricing.resale.resale_terms import ResaleTerms
from laptop_pricing.resale.synthetic import YearPlan, generate_year, model_catalog, policy_rule
from laptop_pricing.resale.synthetic_files import write_year
from laptop_pricing.trade_in.policy import load_policy
from laptop_pricing.training import registry
from laptop_pricing.training.__main__ import main as training_main
from laptop_pricing.training.store_model import (
    NotEnoughSales,
    compare_with_rule,
    time_split,
)
from laptop_pricing.training.store_tracking import (
    STORE_MODEL_NAME,
    TAG_PRICING_SOURCE,
    train_store_model_and_track,
)

PLAN = YearPlan(quotes=1200)


@pytest.fixture(scope="module")
def policy():
    return load_policy()


@pytest.fixture(scope="module")
def planted_year(policy):
    return generate_year(3, PLAN, catalog=model_catalog(), policy=policy)


@pytest.fixture(scope="module")
def policy_year(policy):
    return generate_year(3, PLAN, policy_rule(policy), model_catalog(), policy)


def test_the_split_trains_on_the_past_and_tests_on_the_latest_three_months(planted_year):
    train, test, cutoff = time_split(planted_year.sold, 3)
    assert cutoff.isoformat() == "2026-10-01"
    assert max(s.sold_on for s in train) < cutoff <= min(s.sold_on for s in test)
    assert len(train) + len(test) == len(planted_year.sold)


def test_too_few_sales_are_refused_in_words(planted_year):
    with pytest.raises(NotEnoughSales, match="a store model needs"):
        time_split(planted_year.sold[:40], 3)


def test_where_the_store_sells_unlike_the_policy_the_model_beats_the_rule(planted_year, policy):
    _, comparison = compare_with_rule(planted_year.sold, policy, ResaleTerms())
    assert comparison.ratio <= 0.7
    assert comparison.beats_rule and comparison.pricing_source == "store_model"


def test_where_the_policy_is_right_the_model_does_not_beat_it(policy_year, policy):
    _, comparison = compare_with_rule(policy_year.sold, policy, ResaleTerms())
    assert not comparison.beats_rule
    assert comparison.pricing_source == "rule"


def test_the_command_refuses_a_year_too_small_in_one_line(policy, tmp_path, capsys):
    small = generate_year(9, YearPlan(quotes=60), catalog=model_catalog(), policy=policy)
    folder = write_year(small, tmp_path)
    uri = f"sqlite:///{tmp_path / 'x.db'}"
    code = training_main(["store", "--items", str(folder), "--tracking-uri", uri])
    assert code == 2
    assert "a store model needs" in capsys.readouterr().err
    assert not (tmp_path / "x.db").exists()


@pytest.mark.slow
def test_mlflow_registers_both_and_only_the_one_that_beats_the_rule_is_champion(
    planted_year, policy_year, policy, tmp_path
):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    try:
        beats = train_store_model_and_track(planted_year.sold, policy, ResaleTerms(), uri)
        loses = train_store_model_and_track(policy_year.sold, policy, ResaleTerms(), uri)
        client, _ = registry.connect(registry.resolve_store(uri), "laptop-pricing-store-model")
        assert (beats.version, beats.champion) == ("1", True)
        assert (loses.version, loses.champion) == ("2", False)
        champion = registry.champion(client, STORE_MODEL_NAME)
        assert champion is not None and str(champion.version) == "1"
        assert champion.tags[TAG_PRICING_SOURCE] == "store_model"
        second = client.get_model_version(STORE_MODEL_NAME, "2")
        assert second.tags[TAG_PRICING_SOURCE] == "rule"
        run = client.get_run(beats.run_id)
        assert run.data.metrics["model_MAPE"] < run.data.metrics["rule_MAPE"]
    finally:
        mlflow.set_tracking_uri(None)
