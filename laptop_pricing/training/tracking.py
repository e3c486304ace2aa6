"""Experiment tracking: the core's training, recorded in MLflow and registered.

``train_and_track`` runs ``laptop_pricing.training.train`` (it trains nothing itself) inside one
parent run per training session:

- the parent holds the session: data hash and size, the validation protocol, the git commit, the
  preparation report and the CV table of every family;
- one nested run per candidate family holds its parameters, the course's four metrics (MSE, MAE,
  R2, MAPE) with their spread over the CV folds (``*_std``, per-fold values as steps of
  ``fold_*``), and the model fitted on the whole table, logged with the ``mlflow.sklearn``
  flavour, a signature and a one-row input example in ``schema.FEATURE_ORDER`` columns. The
  model carries ``model_metadata.json`` (the core's ``build_metadata``) as an extra file, so the
  exporter ships exactly what was logged, reference distributions and price range included.

The best family by CV MAPE is registered as a new version of ``laptop-pricing-model``, tagged with
the data hash, the git commit and the validation protocol. Promotion and export live in
``registry`` and ``export``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any

import mlflow
import mlflow.data
import mlflow.sklearn
import numpy as np
import pandas as pd
from mlflow.data.pandas_dataset import from_pandas
from mlflow.models import ModelSignature, infer_signature
from mlflow.models.model import ModelInfo

from laptop_pricing.pricing.artifact import METADATA_FILE
from laptop_pricing.pricing.schema import FEATURE_ORDER
from laptop_pricing.settings import REPO_ROOT
from laptop_pricing.training import registry
from laptop_pricing.training import train as core
from laptop_pricing.training.prepare import (
    PRICE_COLUMN,
    RAW_DATA_PATH,
    data_hash,
    prepare_table,
    table_hash,
)

MODEL_NAME_IN_RUN = "model"
# Packages the logged model needs to load and predict (pinned to what trained it).
MODEL_REQUIREMENTS = ("scikit-learn", "numpy", "scipy", "joblib", "lightgbm")
# Types outside scikit-learn the skops format may load: LightGBM's regressor and booster (the
# booster is stored as LightGBM's own text model, not as pickled code).
TRUSTED_FOREIGN_TYPES = frozenset(
    {"lightgbm.sklearn.LGBMRegressor", "lightgbm.basic.Booster", "collections.OrderedDict"}
)

Progress = Callable[[str], None]


def stderr_progress() -> Progress:
    """Progress lines with elapsed seconds, on stderr so stdout stays the result."""
    start = time.perf_counter()

    def report(message: str) -> None:
        print(f"[{time.perf_counter() - start:6.1f}s] {message}", file=sys.stderr, flush=True)

    return report


def git_commit(root: Path = REPO_ROOT) -> tuple[str, bool]:
    """HEAD's commit and whether code or data differ from it (``unknown`` outside a checkout)."""
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--", "laptop_pricing", "data"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown", False
    return sha, bool(status)


def pip_requirements() -> list[str]:
    """Explicit requirements: MLflow's own inference imports the model in a subprocess (slow)."""
    return [f"{name}=={installed_version(name)}" for name in MODEL_REQUIREMENTS]


def feature_frame(X: np.ndarray) -> pd.DataFrame:
    """Encoded rows as a DataFrame whose columns are ``schema.FEATURE_ORDER``, in that order."""
    return pd.DataFrame(X, columns=list(FEATURE_ORDER))


def validation_protocol(
    data_hash_value: str, table_hash_value: str, n_splits: int, n_repeats: int, seed: int
) -> dict[str, Any]:
    """What makes two CV MAPEs comparable: same raw data and the same prepared rows from it,
    same folds, same target and metric."""
    return {
        "data_hash": data_hash_value,
        "table_hash": table_hash_value,
        "cv": "RepeatedKFold",
        "n_splits": n_splits,
        "n_repeats": n_repeats,
        "seed": seed,
        "target": "log(price)",
        "metric": "MAPE on BRL price, mean over folds",
    }


def _skops_trusted_types(model: Any) -> list[str]:
    """The types the skops format asks us to trust: scikit-learn's own (tree structures) and
    LightGBM's regressor and booster; anything else is refused."""
    import skops.io

    untrusted: list[str] = skops.io.get_untrusted_types(data=skops.io.dumps(model))
    foreign = [
        name
        for name in untrusted
        if not name.startswith("sklearn.") and name not in TRUSTED_FOREIGN_TYPES
    ]
    if foreign:
        raise TypeError(f"model holds types outside scikit-learn: {foreign}")
    return untrusted


def log_candidate_model(model: Any, metadata: dict[str, Any], X_sample: np.ndarray) -> ModelInfo:
    """Log a fitted model in the active run: flavour, signature, input example, its metadata.

    The signature's input columns are ``metadata["feature_order"]`` so that a model trained on
    another schema is visible as such in the registry (export refuses it).
    """
    columns = list(metadata["feature_order"])
    example = pd.DataFrame(X_sample[:1], columns=columns)
    signature: ModelSignature = infer_signature(
        pd.DataFrame(X_sample, columns=columns), model.predict(X_sample)
    )
    with tempfile.TemporaryDirectory() as tmp:
        metadata_path = Path(tmp) / METADATA_FILE
        metadata_path.write_text(json.dumps(metadata, indent=2, ensure_ascii=False) + "\n")
        with warnings.catch_warnings():
            # The input example is a named DataFrame (the estimator was fitted on arrays); the
            # encoded features are integers that can never be missing.
            warnings.filterwarnings("ignore", message="X has feature names")
            warnings.filterwarnings("ignore", message=".*integer column")
            info: ModelInfo = mlflow.sklearn.log_model(
                model,
                name=MODEL_NAME_IN_RUN,
                signature=signature,
                input_example=example,
                serialization_format=mlflow.sklearn.SERIALIZATION_FORMAT_SKOPS,
                skops_trusted_types=_skops_trusted_types(model),
                pip_requirements=pip_requirements(),
                extra_files=[str(metadata_path)],
                metadata={"feature_order": columns, "currency": metadata.get("currency")},
            )
            return info


@dataclass
class TrainingSession:
    """What one ``train`` produced: runs, the chosen family and its registered version."""

    parent_run_id: str
    family: str
    best_run_id: str
    model_uri: str
    protocol: dict[str, Any]
    results: list[core.FamilyResult]
    metadata: dict[str, Any]
    run_ids: dict[str, str] = field(default_factory=dict)
    model_uris: dict[str, str] = field(default_factory=dict)
    registered_version: str | None = None

    @property
    def cv_table(self) -> list[dict[str, Any]]:
        return [r.as_row() for r in self.results]


def _scalar_params(model: Any) -> dict[str, Any]:
    params = model.regressor.get_params() if hasattr(model, "regressor") else model.get_params()
    return {k: v for k, v in params.items() if isinstance(v, str | int | float | bool | type(None))}


def train_and_track(
    store: registry.TrackingStore | None = None,
    *,
    raw_path: str | Path = RAW_DATA_PATH,
    families: Sequence[str] | None = None,
    n_splits: int = 5,
    n_repeats: int = 3,
    seed: int = 0,
    coverage: float = 0.8,
    register: bool = True,
    progress: Progress | None = None,
) -> TrainingSession:
    """Compare the families by CV, log each as a nested run, register the best by MAPE."""
    say = progress or (lambda message: None)
    store = store or registry.resolve_store()
    client, experiment_id = registry.connect(store)
    say(f"tracking store {store.display_uri}")

    table = prepare_table(raw_path)
    digest = data_hash(raw_path)
    X, _ = core.features_and_target(table)
    families = list(families or core.FAMILIES)
    rows_digest = table_hash(table)
    protocol = validation_protocol(digest, rows_digest, n_splits, n_repeats, seed)
    commit, dirty = git_commit()
    started = datetime.now(UTC).replace(microsecond=0)
    say(f"data: {len(table)} rows, {digest[:19]}…; CV {n_splits}-fold x {n_repeats}, seed {seed}")

    with mlflow.start_run(
        experiment_id=experiment_id, run_name=f"training {started:%Y-%m-%d %H:%M:%S}Z"
    ) as parent:
        mlflow.set_tags({"git_commit": commit, "git_dirty": str(dirty).lower(), "kind": "session"})
        mlflow.log_params(
            {
                "data_hash": digest,
                "table_hash": rows_digest,
                "n_rows": len(table),
                "n_splits": n_splits,
                "n_repeats": n_repeats,
                "seed": seed,
                "coverage": coverage,
                "families": ",".join(families),
                "selection_metric": "MAPE",
            }
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # MLflow's hints about integer columns and sources
            dataset = from_pandas(
                table,
                source=str(Path(raw_path).resolve()),
                name="laptop_prices",
                targets=PRICE_COLUMN,
            )
        mlflow.log_input(dataset, context="training")
        mlflow.log_dict(table.attrs.get("preparation", {}), "preparation.json")

        results: list[core.FamilyResult] = []
        for i, family in enumerate(families, 1):
            say(f"CV {i}/{len(families)} {family}…")
            (result,) = core.compare_families(table, [family], n_splits, n_repeats, seed)
            results.append(result)
            say(f"    MAPE {result.mean['MAPE']:.4f} ± {result.std['MAPE']:.4f}")
        results.sort(key=lambda r: r.mean["MAPE"])
        best = core.select_family(results)
        mlflow.log_dict({"table": [r.as_row() for r in results]}, "cv_table.json")

        session = TrainingSession(
            parent_run_id=parent.info.run_id,
            family=best,
            best_run_id="",
            model_uri="",
            protocol=protocol,
            results=results,
            metadata={},
        )
        for i, result in enumerate(results, 1):
            family = result.family
            chosen = family == best
            step = (
                "fitting, measuring range coverage and logging" if chosen else "fitting and logging"
            )
            say(f"{step} {i}/{len(results)} {family}…")
            with mlflow.start_run(run_name=family, nested=True) as child:
                final = core.fit_final(
                    table,
                    family,
                    coverage=coverage,
                    cv_result=result,
                    n_splits=n_splits,
                    n_repeats=n_repeats,
                    seed=seed,
                    measure_coverage=chosen,
                )
                mlflow.set_tags({"family": family, "chosen": str(chosen).lower()})
                mlflow.log_params({"family": family, **_scalar_params(final.model)})
                mlflow.log_metrics(
                    {**result.mean, **{f"{k}_std": v for k, v in result.std.items()}}
                )
                mlflow.log_metrics(
                    {"fit_seconds": result.fit_seconds, "predict_ms": result.predict_ms}
                )
                for fold, values in enumerate(result.fold_metrics):
                    mlflow.log_metrics({f"fold_{k}": v for k, v in values.items()}, step=fold)
                if chosen:
                    mlflow.log_metrics(
                        {
                            "range_measured_coverage": final.price_range["measured_coverage"],
                            "range_relative_width": final.price_range["relative_width"],
                        }
                    )
                metadata = core.build_metadata(
                    final.model,
                    table,
                    family,
                    results,
                    final.price_range,
                    digest,
                    trained_at=started,
                    source=f"mlflow run {child.info.run_id}",
                    n_splits=n_splits,
                    n_repeats=n_repeats,
                    seed=seed,
                )
                metadata["run_id"] = child.info.run_id
                metadata["git_commit"] = commit
                info = log_candidate_model(final.model, metadata, X[:50])
            session.run_ids[family] = child.info.run_id
            session.model_uris[family] = info.model_uri
            if chosen:
                session.best_run_id = child.info.run_id
                session.model_uri = info.model_uri
                session.metadata = metadata

        chosen_result = results[0]
        mlflow.set_tag("chosen_family", best)
        mlflow.log_metrics({f"best_{k}": v for k, v in chosen_result.mean.items()})
        if "measured_coverage" in session.metadata.get("price_range", {}):
            mlflow.log_metric(
                "range_measured_coverage", session.metadata["price_range"]["measured_coverage"]
            )

    if register:
        say(f"registering {best} as a new version of {registry.MODEL_NAME}…")
        version = registry.register(
            client,
            session.model_uri,
            family=best,
            mape=chosen_result.mean["MAPE"],
            protocol=protocol,
            git_commit=commit,
            extra_tags={"git_dirty": str(dirty).lower(), "run_id": session.best_run_id},
        )
        session.registered_version = str(version.version)
        say(f"registered version {version.version}")
    return session
