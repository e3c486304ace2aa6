"""A used-price model trained on the store's own sales, judged against today's rule.

Features: the laptop's fields (``schema.FEATURE_ORDER``, as the market model reads them), the
inspected condition (one column per answer that is not a question's best), the market estimate
at quote time (log) and the age of the data (days from the sale to the newest sale). Label: the
sale price. The model learns ``log(sale ÷ (market estimate × policy condition factor))``, the
factor being ``1 − Σ`` the policy's deductions for the laptop's answers (at least
``FACTOR_FLOOR``): it starts from the policy's condition arithmetic and learns what the sales say
beyond it (the share per kind of laptop, deductions that are too big or too small). Without that
start a broken screen, a few percent of the sales, is too rare for small trees to isolate.

Judged only on held-out sales, time-ordered: it trains on every sale before the last
``test_months`` calendar months and is tested on those months, against the rule (market estimate
× resale share − condition deductions, ``resale.figures.rule_prediction``) on the same sales.
It may price offers (``pricing_source = "store_model"``) only when its held-out MAPE is at most
``(1 − store_model_margin_pct / 100)`` × the rule's; otherwise the rule keeps pricing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from laptop_pricing.resale.figures import rule_prediction
from laptop_pricing.resale.resale_terms import ResaleTerms
from laptop_pricing.resale.sales import SoldItem
from laptop_pricing.trade_in import used_price_model
from laptop_pricing.trade_in.offer import PRICING_SOURCE_MODEL, PRICING_SOURCE_RULE, PricingSource
from laptop_pricing.trade_in.policy import StorePolicy
from laptop_pricing.trade_in.used_price_model import STORE_FEATURES, feature_rows

DEFAULT_TEST_MONTHS = 3
MIN_TRAIN_SALES = 50
MIN_TEST_SALES = 20
MODEL_PARAMS: dict[str, Any] = {
    # Small, slow trees that may still isolate a rare answer (bench/bench_store_model.py, ten
    # synthetic years: held-out ratio to the rule median 0.55, worst 0.65 with leaves of 8
    # sales; 0.66 and 0.93 with leaves of 20).
    "n_estimators": 400,
    "learning_rate": 0.02,
    "num_leaves": 4,
    "min_child_samples": 8,
    "subsample": 0.8,
    "subsample_freq": 1,
    "colsample_bytree": 0.8,
    "random_state": 0,
    "n_jobs": 1,
    "verbose": -1,
}


def condition_factor(sale: SoldItem, policy: StorePolicy) -> float:
    """What the policy keeps of a perfect laptop's resale value for these answers (serving
    computes the same from the deductions the export keeps)."""
    return used_price_model.condition_factor(sale.condition, policy.deductions)


def _base(sales: Sequence[SoldItem], policy: StorePolicy) -> np.ndarray:
    return np.array([s.market_estimate * condition_factor(s, policy) for s in sales], float)


class NotEnoughSales(ValueError):
    """Too few sales before or inside the held-out months to judge a store model."""


def store_features(sales: Sequence[SoldItem], newest: date | None) -> pd.DataFrame:
    """One row per sale, columns ``STORE_FEATURES``; ``newest`` None prices today (every age 0)."""
    rows = feature_rows(
        [s.laptop.as_dict() for s in sales],
        [s.condition for s in sales],
        [s.market_estimate for s in sales],
        [(newest - s.sold_on).days if newest else 0 for s in sales],
    )
    return pd.DataFrame(rows, columns=list(STORE_FEATURES))


def time_split(
    sales: Sequence[SoldItem], test_months: int = DEFAULT_TEST_MONTHS
) -> tuple[list[SoldItem], list[SoldItem], date]:
    """(sales before the cut-off, sales from it on, the cut-off): the first day of the month
    ``test_months − 1`` months before the newest sale's month."""
    newest = max(s.sold_on for s in sales)
    month = newest.year * 12 + newest.month - 1 - (test_months - 1)
    cutoff = date(month // 12, month % 12 + 1, 1)
    train = [s for s in sales if s.sold_on < cutoff]
    test = [s for s in sales if s.sold_on >= cutoff]
    if len(train) < MIN_TRAIN_SALES or len(test) < MIN_TEST_SALES:
        raise NotEnoughSales(
            f"{len(train)} sales before {cutoff} and {len(test)} from it: a store model needs "
            f"{MIN_TRAIN_SALES} and {MIN_TEST_SALES}"
        )
    return train, test, cutoff


@dataclass
class StoreModel:
    """A fitted store model: predicts a sale price in reais."""

    regressor: Any
    newest: date
    policy: StorePolicy

    def predict(self, sales: Sequence[SoldItem]) -> np.ndarray:
        features = store_features(sales, None).to_numpy()
        log_ratio = np.asarray(self.regressor.predict(features), dtype=float)
        prices: np.ndarray = np.exp(log_ratio) * _base(sales, self.policy)
        return prices


def fit_store_model(train: Sequence[SoldItem], policy: StorePolicy) -> StoreModel:
    from lightgbm import LGBMRegressor

    newest = max(s.sold_on for s in train)
    target = np.log(np.array([s.sale_price for s in train], float) / _base(train, policy))
    regressor = LGBMRegressor(**MODEL_PARAMS)
    regressor.fit(store_features(train, newest).to_numpy(), target)
    return StoreModel(regressor, newest, policy)


@dataclass(frozen=True)
class StoreModelComparison:
    """Held-out MAPE of the store model and of the rule on the same sales, and the verdict."""

    model_mape: float
    rule_mape: float
    n_train: int
    n_test: int
    cutoff: date
    margin_pct: int

    @property
    def ratio(self) -> float:
        return self.model_mape / self.rule_mape

    @property
    def beats_rule(self) -> bool:
        return self.model_mape <= self.rule_mape * (1 - self.margin_pct / 100)

    @property
    def pricing_source(self) -> PricingSource:
        return PRICING_SOURCE_MODEL if self.beats_rule else PRICING_SOURCE_RULE


def compare_with_rule(
    sales: Sequence[SoldItem],
    policy: StorePolicy,
    terms: ResaleTerms,
    test_months: int = DEFAULT_TEST_MONTHS,
) -> tuple[StoreModel, StoreModelComparison]:
    """Fit on the past, test both on the latest months (sales the rule prices on condition)."""
    rule = rule_prediction(policy)
    priced = [s for s in sales if rule(s) is not None]
    train, test, cutoff = time_split(priced, test_months)
    model = fit_store_model(train, policy)
    actual = np.array([s.sale_price for s in test], dtype=float)
    by_rule = np.array([rule(s) for s in test], dtype=float)
    by_model = model.predict(test)
    comparison = StoreModelComparison(
        model_mape=float(np.mean(np.abs(by_model - actual) / actual)),
        rule_mape=float(np.mean(np.abs(by_rule - actual) / actual)),
        n_train=len(train),
        n_test=len(test),
        cutoff=cutoff,
        margin_pct=terms.store_model_margin_pct,
    )
    return model, comparison
