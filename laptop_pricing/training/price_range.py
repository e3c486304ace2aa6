"""The price range: split-conformal on out-of-fold log residuals, and its coverage measured on
folds neither the model nor its calibration saw (v2 payloads and the v1 view of the same laptops).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.model_selection import KFold, RepeatedKFold

from laptop_pricing.training.families import TrainingRows, training_rows

RANGE_METHOD = "split-conformal on out-of-fold log residuals"


def range_quantiles(residuals: np.ndarray, coverage: float) -> tuple[float, float]:
    tail = (1.0 - coverage) / 2.0
    finite = residuals[np.isfinite(residuals)]
    return float(np.quantile(finite, tail)), float(np.quantile(finite, 1.0 - tail))


def oof_log_residuals(
    data: TrainingRows, rows: np.ndarray, family: str, n_splits: int, seed: int
) -> np.ndarray:
    """Out-of-fold log residuals of ``rows`` (v2 payloads), by k-fold within ``rows``."""
    residuals = np.empty(len(rows))
    for train, test in KFold(n_splits=n_splits, shuffle=True, random_state=seed).split(rows):
        model = data.fit(family, rows[train], seed)
        predicted = model.predict(data.X[rows[test]])
        residuals[test] = np.log(data.y[rows[test]]) - np.log(predicted)
    return residuals


def measure_range_coverage(
    table: pd.DataFrame,
    family: str,
    coverage: float = 0.8,
    n_splits: int = 5,
    n_repeats: int = 1,
    seed: int = 0,
) -> dict[str, float]:
    """Coverage of the range on data neither the model nor its calibration saw.

    For each outer fold: calibrate the residual quantiles by inner k-fold on the training part,
    fit on the training part, and count how many held-out prices fall inside [low, high], for
    the v2 payloads and for the v1 view of the same laptops (``measured_coverage_v1``).
    """
    data = training_rows(table)
    y = data.y
    outer = RepeatedKFold(n_splits=n_splits, n_repeats=n_repeats, random_state=seed + 1)
    inside: list[float] = []
    inside_v1: list[float] = []
    widths: list[float] = []
    for train, test in outer.split(data.X):
        low_q, high_q = range_quantiles(
            oof_log_residuals(data, train, family, n_splits, seed), coverage
        )
        model = data.fit(family, train, seed)
        for X, shares in ((data.X, inside), (data.X_v1, inside_v1)):
            predicted = model.predict(X[test])
            low, high = predicted * np.exp(low_q), predicted * np.exp(high_q)
            shares.append(float(np.mean((y[test] >= low) & (y[test] <= high))))
        widths.append(float(np.exp(high_q) - np.exp(low_q)))
    return {
        "measured_coverage": float(np.mean(inside)),
        "measured_coverage_std": float(np.std(inside)),
        "measured_coverage_v1": float(np.mean(inside_v1)),
        "relative_width": float(np.mean(widths)),
        "folds": len(inside),
    }
