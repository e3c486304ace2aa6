"""The per-leaf path decomposition: exact against LightGBM itself, on a real fitted booster and on
the shipped model, and one predict gives both the price and its explanation."""

from __future__ import annotations

import numpy as np
import pytest
from lightgbm import LGBMRegressor

from laptop_pricing.pricing.engine import PricingEngine
from laptop_pricing.pricing.schema import FIELD_NAMES
from laptop_pricing.pricing.tree_paths import leaf_table
from tests.laptops_support import random_laptops


@pytest.fixture(scope="module")
def fitted():
    """A small booster on synthetic data: column 3 is pure noise it may split on, column 4 is
    constant (no tree can split on it)."""
    rng = np.random.default_rng(0)
    X = rng.integers(0, 4, size=(400, 5)).astype(np.float64)
    X[:, 4] = 1.0
    y = 2.0 * X[:, 0] - X[:, 1] + 0.5 * X[:, 0] * X[:, 2] + rng.normal(0, 0.1, 400)
    model = LGBMRegressor(n_estimators=60, num_leaves=7, min_child_samples=5, verbose=-1)
    return model.fit(X, y).booster_, X


def test_credits_and_expected_value_rebuild_every_prediction(fitted):
    booster, X = fitted
    # Fields: {0, 1} together, 2 alone, {3, 4} together (like a one-hot group).
    table = leaf_table(booster.model_to_string(), [[0, 1], [2], [3, 4]])
    raw = booster.predict(X)
    leaves = booster.predict(X, pred_leaf=True)
    for i in range(len(X)):
        credits, predicted = table.decompose(leaves[i])
        assert predicted == pytest.approx(raw[i], abs=1e-9)
        assert table.expected + credits.sum() == pytest.approx(raw[i], abs=1e-9)


def test_expected_value_is_treeshaps_and_grouped_columns_add_up(fitted):
    booster, X = fitted
    phi_0 = booster.predict(X[:1], pred_contrib=True)[0, -1]
    by_column = leaf_table(booster.model_to_string(), [[c] for c in range(5)])
    grouped = leaf_table(booster.model_to_string(), [[0, 1], [2], [3, 4]])
    assert by_column.expected == pytest.approx(phi_0, abs=1e-12)
    leaves = booster.predict(X[:50], pred_leaf=True)
    for row in leaves:
        per_column, _ = by_column.decompose(row)
        per_field, _ = grouped.decompose(row)
        assert per_column[4] == 0.0  # never split on: never credited
        expected = [per_column[0] + per_column[1], per_column[2], per_column[3]]
        assert per_field == pytest.approx(expected, abs=1e-12)


def test_a_single_leaf_tree_credits_nothing():
    X = np.zeros((30, 2))
    booster = LGBMRegressor(n_estimators=3, verbose=-1).fit(X, np.full(30, 5.0)).booster_
    table = leaf_table(booster.model_to_string(), [[0], [1]])
    credits, predicted = table.decompose(booster.predict(X[:1], pred_leaf=True)[0])
    assert list(credits) == [0.0, 0.0]
    assert predicted == pytest.approx(booster.predict(X[:1])[0])
    assert table.expected == pytest.approx(predicted)


def test_the_explained_price_is_the_plain_price_for_1000_random_laptops():
    engine = PricingEngine.load()
    for spec in random_laptops(1000, seed=21):
        plain = engine.price(spec)
        explained = engine.price_with_explanation(spec, comparables=True)
        assert explained.price == plain.price and (explained.low, explained.high) == (
            plain.low,
            plain.high,
        )
        explanation = explained.explanation
        assert explanation is not None and len(explanation.contributions) == len(FIELD_NAMES)
        assert explanation.baseline + sum(c.amount for c in explanation.contributions) == (
            explained.price
        )
        assert explanation == engine.explain(spec, plain)
        assert explained.comparables == engine.comparables(spec)
