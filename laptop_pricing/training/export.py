"""Export the champion: the registry's ``champion`` version becomes the shipped ``model/``.

The course's exporter downloaded "the highest version" of the registered model. This one resolves
``models:/laptop-pricing-model@champion``, downloads that version, checks its feature order (the
metadata it was logged with and its MLflow signature) against ``schema.FEATURE_ORDER`` and only
then replaces ``model/`` through the core's atomic ``write_artifact``. On any mismatch it raises
``ExportRefused`` before touching the shipped artifact.
"""

from __future__ import annotations

import json
import tempfile
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import mlflow
import mlflow.sklearn
import numpy as np
from mlflow.models import Model

from laptop_pricing.pricing.artifact import (
    METADATA_FILE,
    ArtifactError,
    ArtifactSchemaMismatch,
    ModelMetadata,
    check_feature_order,
    default_model_dir,
    load_artifact,
    write_artifact,
)
from laptop_pricing.pricing.schema import FEATURE_ORDER
from laptop_pricing.training import registry
from laptop_pricing.training.tracking import Progress

EXTRA_FILES_DIR = "extra_files"


class ExportRefused(RuntimeError):
    """The champion cannot be shipped as it is; the shipped artifact was left untouched."""


@dataclass(frozen=True)
class ExportResult:
    model_dir: Path
    version: str
    run_id: str | None
    metadata: ModelMetadata


def _signature_columns(local_dir: Path) -> list[str] | None:
    signature = Model.load(str(local_dir)).signature
    if signature is None or signature.inputs is None:
        return None
    return list(signature.inputs.input_names())


def export_champion(
    store: registry.TrackingStore | None = None,
    model_dir: str | Path | None = None,
    *,
    alias: str = registry.CHAMPION_ALIAS,
    name: str = registry.MODEL_NAME,
    progress: Progress | None = None,
) -> ExportResult:
    """Download ``models:/<name>@<alias>`` and write it, with its metadata, into ``model_dir``."""
    say = progress or (lambda message: None)
    store = store or registry.resolve_store()
    client, _ = registry.connect(store)
    target = Path(model_dir) if model_dir is not None else default_model_dir()
    uri = f"models:/{name}@{alias}"
    mv = registry.champion(client, name, alias)
    if mv is None:
        raise ExportRefused(
            f"{uri} does not exist in {store.display_uri}: run `train` and `promote` first"
        )
    say(f"{uri} -> version {mv.version} (run {mv.run_id}); downloading…")

    with tempfile.TemporaryDirectory() as tmp:
        # The version the alias named a moment ago, so a concurrent promote cannot mix versions.
        local = Path(
            mlflow.artifacts.download_artifacts(
                artifact_uri=f"models:/{name}/{mv.version}", dst_path=tmp
            )
        )
        metadata_path = local / EXTRA_FILES_DIR / METADATA_FILE
        if not metadata_path.is_file():
            raise ExportRefused(
                f"{uri} (version {mv.version}) carries no {METADATA_FILE}: it was not logged by "
                "`python -m laptop_pricing.training train`; model/ left untouched"
            )
        metadata = json.loads(metadata_path.read_text(encoding="utf-8"))
        where = f"{uri} (version {mv.version})"
        try:
            logged = ModelMetadata.from_json(metadata, where)
        except ArtifactError as error:
            raise ExportRefused(f"refused: {error}; model/ left untouched") from error
        try:
            check_feature_order(logged.feature_order, where)
            columns = _signature_columns(local)
            if columns is not None and columns != list(FEATURE_ORDER):
                raise ArtifactSchemaMismatch(
                    f"{where}: its signature's input columns are not schema.FEATURE_ORDER"
                )
        except ArtifactSchemaMismatch as error:
            raise ExportRefused(f"refused: {error}; model/ left untouched") from error

        say("loading the model…")
        model = mlflow.sklearn.load_model(str(local))

    metadata.update(
        {
            "model_name": name,
            "version": str(mv.version),
            "registered_version": int(mv.version),
            "alias": alias,
            "run_id": mv.run_id,
            "source": f"{uri} (version {mv.version}, {mv.source}) from {store.display_uri}",
            "downloaded_at": datetime.now(UTC)
            .replace(microsecond=0)
            .isoformat()
            .replace("+00:00", "Z"),
            "registry_tags": dict(mv.tags),
        }
    )
    say(f"writing {target}…")
    try:
        write_artifact(model, metadata, target)
    except ArtifactSchemaMismatch as error:
        raise ExportRefused(f"refused: {error}; model/ left untouched") from error

    shipped = load_artifact(target)
    _check_same_predictions(model, shipped.model)
    say(f"exported version {mv.version} ({shipped.metadata.family}) to {target}")
    return ExportResult(target, str(mv.version), mv.run_id, shipped.metadata)


def _check_same_predictions(logged: Any, shipped: Any) -> None:
    """The written file prices like the registry's model (guards against a bad round trip)."""
    rows = np.eye(len(FEATURE_ORDER))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if not np.array_equal(logged.predict(rows), shipped.predict(rows)):
            raise ExportRefused("the written model file does not price like the registry's model")
