"""The model families the training compares, and the training rows they are fitted on.

Every family predicts the log of the price (prices are skewed; errors are relative), wrapped in
``TransformedTargetRegressor`` so ``model.predict`` answers in BRL. ``TrainingRows.fit`` adds
each row's v1 copy (how a course client describes the same laptop) and, for a ``CALIBRATED``
family, the MAPE factor from an inner k-fold; ``train`` compares them, ``price_range``
calibrates the chosen one's range.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import TransformedTargetRegressor
from sklearn.ensemble import GradientBoostingRegressor, RandomForestRegressor
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.tree import DecisionTreeRegressor

from laptop_pricing.pricing.features import encode_many
from laptop_pricing.pricing.schema import FEATURE_ORDER, FIELD_NAMES, MONOTONE_INCREASING
from laptop_pricing.training.calibration import (
    mape_factor,
    out_of_fold_ratios,
    scale_log_price_model,
)
from laptop_pricing.training.prepare import PRICE_COLUMN, course_view_rows

# Copies of each training row as a v1 client describes it (``course_view_rows``), at this weight:
# they teach the model the coarse values and the "not informed" state so that a v1 payload still
# prices well, without drowning the v2 rows (measured: 0.6 keeps both CV columns on target, 1.0
# costs the v2 column, 0.3 the v1 column; docs/training.md).
COPY_WEIGHT = 0.6


def _monotone_vector(fields: Sequence[str]) -> list[int]:
    return [1 if name in fields else 0 for name in FEATURE_ORDER]


def _lightgbm(seed: int, **params: Any) -> Any:
    from lightgbm import LGBMRegressor

    base = dict(
        objective="l1",
        n_estimators=800,
        learning_rate=0.03,
        num_leaves=15,
        min_child_samples=3,
        subsample=0.8,
        subsample_freq=1,
        colsample_bytree=0.5,
        random_state=seed,
        n_jobs=1,
        verbose=-1,
    )
    return LGBMRegressor(**{**base, **params})


# name -> factory(seed) of the log-price regressor. The first five are the course's names.
FAMILIES: Mapping[str, Callable[[int], Any]] = {
    "linear_regression": lambda seed: LinearRegression(),
    "ridge": lambda seed: Ridge(alpha=1.0),
    "decision_tree": lambda seed: DecisionTreeRegressor(min_samples_leaf=5, random_state=seed),
    "random_forest": lambda seed: RandomForestRegressor(
        n_estimators=200, min_samples_leaf=1, random_state=seed, n_jobs=1
    ),
    # Absolute error on log price = median regression, which suits a relative metric like MAPE;
    # 300 shallow trees keep a single-row prediction well under a millisecond.
    "gradient_boosting": lambda seed: GradientBoostingRegressor(
        loss="absolute_error",
        n_estimators=300,
        max_depth=4,
        learning_rate=0.05,
        subsample=0.8,
        random_state=seed,
    ),
    # The same median regression in LightGBM: small leaves for 800 rows, half the columns per
    # tree. Its raw booster predicts in ~0.03 ms; its trees decompose exactly (tree_paths.py).
    "lightgbm": lambda seed: _lightgbm(seed),
    # The same model, its prices then scaled by the MAPE-optimal factor found on the training
    # rows' own out-of-fold predictions (``CALIBRATED``, ``training.calibration``).
    "lightgbm_mape": lambda seed: _lightgbm(seed),
    # LightGBM refuses monotone constraints with the L1 objective; Huber on log price is the
    # closest objective that takes them. RAM, SSD and video memory never lower the price.
    "lightgbm_monotone": lambda seed: _lightgbm(
        seed,
        objective="huber",
        alpha=0.1,
        monotone_constraints=_monotone_vector(MONOTONE_INCREASING),
        monotone_constraints_method="advanced",
    ),
}
# Families scaled after fitting by the MAPE-optimal factor, measured by an inner k-fold on the
# rows they are fitted on (never the test fold): family -> the family whose predictions it scales.
CALIBRATED: Mapping[str, str] = {"lightgbm_mape": "lightgbm"}
# The fields each family guarantees to be non-decreasing in (the metadata records it).
MONOTONE_FIELDS: Mapping[str, tuple[str, ...]] = {"lightgbm_monotone": MONOTONE_INCREASING}


def make_model(family: str, seed: int = 0) -> TransformedTargetRegressor:
    if family not in FAMILIES:
        raise ValueError(f"unknown model family {family!r}; known: {', '.join(FAMILIES)}")
    return TransformedTargetRegressor(
        regressor=FAMILIES[family](seed), func=np.log, inverse_func=np.exp, check_inverse=False
    )


@dataclass(frozen=True)
class TrainingRows:
    """The encoded table twice: as v2 payloads (``X``) and as v1 payloads (``X_v1``)."""

    X: np.ndarray
    X_v1: np.ndarray
    y: np.ndarray

    def fit(self, family: str, rows: np.ndarray, seed: int) -> TransformedTargetRegressor:
        """``family`` fitted on ``rows`` plus their v1 copies (weight ``COPY_WEIGHT``); a
        ``CALIBRATED`` family then scaled by the factor its inner out-of-fold predictions of
        ``rows`` (v2 payloads) call for."""
        base = CALIBRATED.get(family)
        if base is None:
            return self._fit(family, rows, seed)
        ratios = out_of_fold_ratios(
            lambda inner: self._fit(base, inner, seed), self.X, self.y, rows, seed
        )
        return scale_log_price_model(self._fit(base, rows, seed), mape_factor(ratios))

    def _fit(self, family: str, rows: np.ndarray, seed: int) -> TransformedTargetRegressor:
        X = np.vstack([self.X[rows], self.X_v1[rows]])
        y = np.concatenate([self.y[rows], self.y[rows]])
        weights = np.concatenate([np.ones(len(rows)), np.full(len(rows), COPY_WEIGHT)])
        return make_model(family, seed).fit(X, y, sample_weight=weights)


def training_rows(table: pd.DataFrame) -> TrainingRows:
    X, y = features_and_target(table)
    return TrainingRows(X, encode_many(course_view_rows(table)), y)


def features_and_target(table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Model inputs in ``schema.FEATURE_ORDER`` and the BRL price."""
    rows = table[list(FIELD_NAMES)].to_dict("records")
    return encode_many(rows), table[PRICE_COLUMN].to_numpy(dtype=np.float64)
