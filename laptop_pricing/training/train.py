"""Compare model families, fit the chosen one, calibrate its price range, describe it.

Plain scikit-learn; the MLflow layer wraps these functions (each returns plain data it can log):

- ``compare_families(table, families=None, n_splits=5, n_repeats=3, seed=0)
  -> list[FamilyResult]``: repeated k-fold CV of each family on the same folds, with the course's
  four metrics (MSE, MAE, R2, MAPE; on the BRL price) as mean and std over folds, and each row's
  out-of-fold log residuals (the range calibration reuses them). Sorted by MAPE, best first.
- ``select_family(results) -> str``: the family with the lowest mean CV MAPE.
- ``fit_final(table, family, *, coverage=0.8, cv_result=None, n_splits=5, n_repeats=3, seed=0)
  -> FinalModel(model, price_range)``: the model fitted on the whole table, plus the price range
  (split-conformal on out-of-fold log residuals) and its coverage measured on held-out folds.
- ``build_metadata(model, table, family, results, price_range, data_hash, *, version=None,
  trained_at=None, source=None) -> dict``: the ``model_metadata.json`` content (TEAM.md keys).
- ``write_artifact(model, metadata, model_dir=None) -> Path``: see
``laptop_pricing.pricing.artifact``.
- ``build_artifact(raw_path=..., model_dir=None, families=None, n_splits=5, n_repeats=3,
  seed=0, coverage=0.8) -> (metadata, results)``: all of the above, what the CLI runs.

The families and the rows they are fitted on live in ``families``; the price range's
calibration and its measured coverage in ``price_range``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sklearn
from sklearn.metrics import (
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    r2_score,
)
from sklearn.model_selection import RepeatedKFold

from laptop_pricing.pricing.artifact import MODEL_NAME, write_artifact
from laptop_pricing.pricing.explanation import BASELINE_METHOD
from laptop_pricing.pricing.schema import FEATURE_ORDER, FIELD_NAMES, FIELDS
from laptop_pricing.training.families import (
    COPY_WEIGHT,
    FAMILIES,
    MONOTONE_FIELDS,
    features_and_target,
    make_model,
    training_rows,
)
from laptop_pricing.training.prepare import PRICE_COLUMN, RAW_DATA_PATH, data_hash, prepare_table
from laptop_pricing.training.price_range import (
    RANGE_METHOD,
    measure_range_coverage,
    oof_log_residuals,
    range_quantiles,
)

__all__ = [
    "FAMILIES",
    "FamilyResult",
    "FinalModel",
    "build_artifact",
    "build_metadata",
    "compare_families",
    "features_and_target",
    "fit_final",
    "make_model",
    "measure_range_coverage",
    "select_family",
    "training_rows",
    "write_artifact",
]

logger = logging.getLogger(__name__)

CURRENCY = "BRL"
METRICS = ("MSE", "MAE", "R2", "MAPE")
REFERENCE_QUANTILES = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)


def _metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    return {
        "MSE": float(mean_squared_error(y_true, y_pred)),
        "MAE": float(mean_absolute_error(y_true, y_pred)),
        "R2": float(r2_score(y_true, y_pred)),
        "MAPE": float(mean_absolute_percentage_error(y_true, y_pred)),
    }


@dataclass
class FamilyResult:
    """One family's cross-validation: per-fold metrics and every row's out-of-fold residuals."""

    family: str
    fold_metrics: list[dict[str, float]]
    oof_log_residuals: np.ndarray  # shape (n_repeats, n_rows): log(price) - log(prediction)
    fit_seconds: float
    predict_ms: float  # median single-row predict latency of a fitted fold model
    fold_metrics_v1: list[dict[str, float]] = field(default_factory=list)  # same folds, v1 view

    @property
    def mean_v1(self) -> dict[str, float]:
        return {m: float(np.mean([f[m] for f in self.fold_metrics_v1])) for m in METRICS}

    @property
    def std_v1(self) -> dict[str, float]:
        return {m: float(np.std([f[m] for f in self.fold_metrics_v1])) for m in METRICS}

    @property
    def mean(self) -> dict[str, float]:
        return {m: float(np.mean([f[m] for f in self.fold_metrics])) for m in METRICS}

    @property
    def std(self) -> dict[str, float]:
        return {m: float(np.std([f[m] for f in self.fold_metrics])) for m in METRICS}

    def as_row(self) -> dict[str, Any]:
        """A flat row for the CV table (metadata, MLflow, the report)."""
        row: dict[str, Any] = {"family": self.family}
        mean, std = self.mean, self.std
        for metric in METRICS:
            row[metric] = mean[metric]
            row[f"{metric}_std"] = std[metric]
        if self.fold_metrics_v1:
            row["MAPE_v1"] = self.mean_v1["MAPE"]
            row["MAPE_v1_std"] = self.std_v1["MAPE"]
            row["MAE_v1"] = self.mean_v1["MAE"]
        row["folds"] = len(self.fold_metrics)
        row["fit_seconds"] = round(self.fit_seconds, 3)
        row["predict_ms"] = round(self.predict_ms, 4)
        return row


def _single_row_ms(model: Any, row: np.ndarray, calls: int = 200) -> float:
    model.predict(row)
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        model.predict(row)
        times.append(time.perf_counter() - start)
    return float(np.median(times) * 1000)


def compare_families(
    table: pd.DataFrame,
    families: Sequence[str] | None = None,
    n_splits: int = 5,
    n_repeats: int = 3,
    seed: int = 0,
) -> list[FamilyResult]:
    """Repeated k-fold CV of each family on identical folds; best MAPE first.

    Every training fold gets its rows' v1 copies; every test fold is scored twice, as the v2
    payloads (``MAPE``, the selection metric) and as the v1 payloads of the same laptops
    (``MAPE_v1``).
    """
    data = training_rows(table)
    y = data.y
    folds = list(
        RepeatedKFold(n_splits=n_splits, n_repeats=n_repeats, random_state=seed).split(data.X)
    )
    results = []
    for family in families or tuple(FAMILIES):
        fold_metrics, fold_metrics_v1 = [], []
        residuals = np.full((n_repeats, len(y)), np.nan)
        fit_seconds = 0.0
        model = None
        for i, (train, test) in enumerate(folds):
            start = time.perf_counter()
            model = data.fit(family, train, seed)
            fit_seconds += time.perf_counter() - start
            predicted = model.predict(data.X[test])
            fold_metrics.append(_metrics(y[test], predicted))
            fold_metrics_v1.append(_metrics(y[test], model.predict(data.X_v1[test])))
            residuals[i // n_splits, test] = np.log(y[test]) - np.log(predicted)
        result = FamilyResult(
            family=family,
            fold_metrics=fold_metrics,
            oof_log_residuals=residuals,
            fit_seconds=fit_seconds / len(folds),
            predict_ms=_single_row_ms(model, data.X[:1]),
            fold_metrics_v1=fold_metrics_v1,
        )
        logger.info(
            "%s: MAPE %.4f ± %.4f (v1 view %.4f)",
            family,
            result.mean["MAPE"],
            result.std["MAPE"],
            result.mean_v1["MAPE"],
        )
        results.append(result)
    return sorted(results, key=lambda r: r.mean["MAPE"])


def select_family(results: Sequence[FamilyResult]) -> str:
    """The family with the lowest mean CV MAPE (the course's selection metric)."""
    return min(results, key=lambda r: r.mean["MAPE"]).family


@dataclass
class FinalModel:
    model: Any
    price_range: dict[str, Any] = field(default_factory=dict)


def fit_final(
    table: pd.DataFrame,
    family: str,
    *,
    coverage: float = 0.8,
    cv_result: FamilyResult | None = None,
    n_splits: int = 5,
    n_repeats: int = 3,
    seed: int = 0,
    measure_coverage: bool = True,
) -> FinalModel:
    """Fit ``family`` on the whole table; calibrate and measure its price range.

    The range is ``[prediction * exp(q_low), prediction * exp(q_high)]`` where q are the
    ``(1 - coverage) / 2`` tail quantiles of out-of-fold log residuals (from ``cv_result`` when
    given, else a fresh k-fold): free at predict time, and honest because it is measured on
    held-out folds (``measure_range_coverage``).
    """
    data = training_rows(table)
    every_row = np.arange(len(data.y))
    if cv_result is not None and cv_result.family == family:
        residuals = cv_result.oof_log_residuals.ravel()
    else:
        residuals = oof_log_residuals(data, every_row, family, n_splits, seed)
    low_q, high_q = range_quantiles(residuals, coverage)
    model = data.fit(family, every_row, seed)
    price_range: dict[str, Any] = {
        "method": RANGE_METHOD,
        "nominal_coverage": coverage,
        "log_residual_quantiles": [low_q, high_q],
        "low_factor": float(np.exp(low_q)),
        "high_factor": float(np.exp(high_q)),
        "calibration_residuals": int(np.isfinite(residuals).sum()),
    }
    if measure_coverage:
        price_range.update(measure_range_coverage(table, family, coverage, n_splits, 1, seed))
    return FinalModel(model=model, price_range=price_range)


def _reference(table: pd.DataFrame, predictions: np.ndarray) -> dict[str, Any]:
    """What the training data looks like, for the monitoring page's drift checks."""
    fields = {}
    for f in FIELDS:
        counts = table[f.name].value_counts()
        fields[f.name] = {str(value): int(counts.get(value, 0)) for value in f.values}
    prices = table[PRICE_COLUMN].to_numpy(dtype=np.float64)
    edges = np.quantile(prices, np.linspace(0, 1, 11))
    counts, _ = np.histogram(prices, bins=edges)
    return {
        "n_rows": len(table),
        "fields": fields,
        "price_quantiles": {str(q): float(np.quantile(prices, q)) for q in REFERENCE_QUANTILES},
        "price_bins": {"edges": [float(e) for e in edges], "counts": [int(c) for c in counts]},
        "price_mean": float(prices.mean()),
        "prediction_quantiles": {
            str(q): float(np.quantile(predictions, q)) for q in REFERENCE_QUANTILES
        },
    }


def comparables_index(table: pd.DataFrame) -> dict[str, Any]:
    """The real rows (fields and BRL price) the engine picks comparable laptops from, one CSV
    line each (no value holds a comma) so the metadata stays small and readable."""
    columns = [*FIELD_NAMES, PRICE_COLUMN]
    rows = [
        ",".join("" if value is None else str(value) for value in row)
        for row in table[columns].itertuples(index=False, name=None)
    ]
    return {"columns": columns, "rows": rows}


def build_metadata(
    model: Any,
    table: pd.DataFrame,
    family: str,
    results: Sequence[FamilyResult],
    price_range: Mapping[str, Any],
    data_hash: str,
    *,
    version: str | None = None,
    trained_at: datetime | None = None,
    source: str | None = None,
    n_splits: int = 5,
    n_repeats: int = 3,
    seed: int = 0,
) -> dict[str, Any]:
    trained_at = (trained_at or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    chosen = next((r for r in results if r.family == family), None)
    X, _ = features_and_target(table)
    metadata: dict[str, Any] = {
        "model_name": MODEL_NAME,
        "version": version or f"{trained_at:%Y.%m.%d}-{family}",
        "family": family,
        "target": "log(price) via TransformedTargetRegressor; predict() returns BRL",
        "trained_at": trained_at.isoformat().replace("+00:00", "Z"),
        "data_hash": data_hash,
        "currency": CURRENCY,
        "feature_order": list(FEATURE_ORDER),
        "metrics": {},
        "cv": {
            "n_splits": n_splits,
            "n_repeats": n_repeats,
            "seed": seed,
            "selection_metric": "MAPE",
            "table": [r.as_row() for r in results],
        },
        "price_range": dict(price_range),
        "reference": _reference(table, model.predict(X)),
        "preparation": table.attrs.get("preparation", {}),
        "contract": "v2",
        "training_copies": {
            "what": "each training row again as a v1 client describes it (coarse brand and "
            "processor, generation not available, MS Office not informed)",
            "weight": COPY_WEIGHT,
        },
        "monotone_constraints": list(MONOTONE_FIELDS.get(family, ())),
        "mape_factor": getattr(model, "mape_factor_", None),
        "explanation_baseline": BASELINE_METHOD,
        "comparables": comparables_index(table),
        "sklearn_version": sklearn.__version__,
        "params": {
            k: v
            for k, v in model.regressor.get_params().items()
            if isinstance(v, str | int | float | bool | type(None))
        },
    }
    if chosen is not None:
        mean, std = chosen.mean, chosen.std
        for metric in METRICS:
            metadata["metrics"][metric] = mean[metric]
            metadata["metrics"][f"{metric}_std"] = std[metric]
        if chosen.fold_metrics_v1:
            metadata["metrics"]["MAPE_v1"] = chosen.mean_v1["MAPE"]
            metadata["metrics"]["MAPE_v1_std"] = chosen.std_v1["MAPE"]
    if source:
        metadata["source"] = source
    return metadata


def build_artifact(
    raw_path: str | Path = RAW_DATA_PATH,
    model_dir: str | Path | None = None,
    families: Sequence[str] | None = None,
    n_splits: int = 5,
    n_repeats: int = 3,
    seed: int = 0,
    coverage: float = 0.8,
    version: str | None = None,
) -> tuple[dict[str, Any], list[FamilyResult]]:
    """Prepare, compare, fit the best family, write ``model/``; returns (metadata, results)."""
    table = prepare_table(raw_path)
    results = compare_families(table, families, n_splits, n_repeats, seed)
    family = select_family(results)
    chosen = next(r for r in results if r.family == family)
    final = fit_final(
        table,
        family,
        coverage=coverage,
        cv_result=chosen,
        n_splits=n_splits,
        n_repeats=n_repeats,
        seed=seed,
    )
    metadata = build_metadata(
        final.model,
        table,
        family,
        results,
        final.price_range,
        data_hash(raw_path),
        version=version,
        source="python -m laptop_pricing.training build",
        n_splits=n_splits,
        n_repeats=n_repeats,
        seed=seed,
    )
    write_artifact(final.model, metadata, model_dir)
    return metadata, results
