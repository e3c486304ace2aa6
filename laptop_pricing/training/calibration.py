"""The MAPE-optimal scale of a log-price model, found on its training rows only.

A model of the median log price is not the best answer for a relative error: MAPE charges an
over-estimate ``|c * p / y - 1|`` more than an equal under-estimate in log terms, so scaling every
price by a factor ``c`` slightly below 1 lowers it. The factor that minimises
``sum |c * r_i - 1|`` over ratios ``r_i = prediction_i / price_i`` is a weighted median: of
``1 / r_i`` with weights ``r_i`` (the sum is ``sum r_i * |c - 1 / r_i|``).

The ratios come from out-of-fold predictions *within the rows the model is fitted on* (an inner
k-fold), so inside cross-validation the factor never sees the test fold: the CV measures the
calibration honestly. The factor is then written into the model itself, added in log space to
every leaf of the first tree (where LightGBM already keeps the initial score): the booster still
predicts in one call, and its path decomposition and TreeSHAP stay exact (the expected value, the
baseline, moves by the same ``log c``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from sklearn.model_selection import KFold

INNER_SPLITS = 5


def mape_factor(ratios: np.ndarray) -> float:
    """The ``c`` minimising ``mean |c * ratio - 1|`` (a weighted median of ``1 / ratio``)."""
    ratios = np.asarray(ratios, dtype=np.float64)
    candidates = 1.0 / ratios
    order = np.argsort(candidates)
    weights = ratios[order]
    cumulative = np.cumsum(weights)
    return float(candidates[order][np.searchsorted(cumulative, cumulative[-1] / 2.0)])


def out_of_fold_ratios(
    fit: Callable[[np.ndarray], Any],
    X: np.ndarray,
    y: np.ndarray,
    rows: np.ndarray,
    seed: int,
) -> np.ndarray:
    """``prediction / price`` of each of ``rows`` by a model ``fit(inner_rows)`` that did not see
    it (``INNER_SPLITS``-fold within ``rows``)."""
    ratios = np.empty(len(rows))
    splits = KFold(n_splits=INNER_SPLITS, shuffle=True, random_state=seed).split(rows)
    for train, test in splits:
        model = fit(rows[train])
        ratios[test] = model.predict(X[rows[test]]) / y[rows[test]]
    return ratios


def scale_log_price_model(model: Any, factor: float) -> Any:
    """Multiply the BRL predictions of a fitted ``TransformedTargetRegressor`` over a LightGBM
    log-price regressor by ``factor`` (``log factor`` added to each leaf of its first tree)."""
    booster = model.regressor_.booster_
    shift = math.log(factor)
    for leaf in range(booster.dump_model(num_iteration=1)["tree_info"][0]["num_leaves"]):
        booster.set_leaf_output(0, leaf, booster.get_leaf_output(0, leaf) + shift)
    model.mape_factor_ = factor
    return model
