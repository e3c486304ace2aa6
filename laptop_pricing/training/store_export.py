"""Ship the store model: ``models:/laptop-pricing-store-model@champion`` becomes
``model/store-model/`` (its booster's text and ``store_model_metadata.json``), which serving reads
at start (``trade_in.used_price_model``) with LightGBM alone: no MLflow, no network.

``python -m laptop_pricing.training export-store [--stores loja-1,loja-2] [--allow-synthetic]``.
The champion alias only ever names a version that beat the rule, so the shipped metadata says
``pricing_source: store_model``. A version trained on a synthetic year is refused unless
``--allow-synthetic`` says so (a demo): synthetic data never prices real offers by accident.
``--stores`` narrows where it prices (default: the stores whose sales it learned from; ``*``
every store). Removing the folder gives the pricing back to the rule.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from laptop_pricing.pricing.artifact import METADATA_FILE, ArtifactError
from laptop_pricing.trade_in.used_price_model import (
    StoreModelMetadata,
    default_store_model_dir,
    read_store_model_metadata,
    write_store_model,
)
from laptop_pricing.training.store_tracking import STORE_MODEL_NAME

EXTRA_FILES_DIR = "extra_files"


class StoreExportRefused(RuntimeError):
    """The store champion cannot be shipped as it is; the shipped folder was left untouched."""


@dataclass(frozen=True)
class StoreExport:
    directory: Path
    metadata: StoreModelMetadata


def export_store_champion(
    store_uri: str | None = None,
    directory: str | Path | None = None,
    *,
    stores: Sequence[str] | None = None,
    allow_synthetic: bool = False,
) -> StoreExport:
    """Download the store model's champion and write it where serving reads it."""
    import mlflow
    import mlflow.sklearn

    from laptop_pricing.training import registry

    tracking = registry.resolve_store(store_uri)
    client, _ = registry.connect(tracking)
    uri = f"models:/{STORE_MODEL_NAME}@{registry.CHAMPION_ALIAS}"
    version = registry.champion(client, STORE_MODEL_NAME)
    if version is None:
        raise StoreExportRefused(f"{uri} does not exist: no store model has beaten the rule yet")
    with tempfile.TemporaryDirectory() as tmp:
        local = Path(
            mlflow.artifacts.download_artifacts(
                artifact_uri=f"models:/{STORE_MODEL_NAME}/{version.version}", dst_path=tmp
            )
        )
        try:
            logged: dict[str, Any] = json.loads(
                (local / EXTRA_FILES_DIR / METADATA_FILE).read_text(encoding="utf-8")
            )
        except (OSError, ValueError) as error:
            raise StoreExportRefused(f"{uri} carries no readable {METADATA_FILE}") from error
        model = mlflow.sklearn.load_model(str(local))
    if logged.get("synthetic") and not allow_synthetic:
        raise StoreExportRefused(
            f"{uri} (version {version.version}) learned from a synthetic year; "
            "pass --allow-synthetic to ship it for a demo"
        )
    metadata = {
        **logged,
        "pricing_source": "store_model",  # the alias names only a version that beat the rule
        "store_ids": list(stores) if stores else logged.get("store_ids"),
        "version": str(version.version),
        "run_id": version.run_id,
        "source": f"{uri} (version {version.version}) from {tracking.display_uri}",
        "exported_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
    }
    target = Path(directory) if directory is not None else default_store_model_dir()
    try:
        write_store_model(model.booster_.model_to_string(), metadata, target)
        shipped = read_store_model_metadata(target)
    except ArtifactError as error:
        raise StoreExportRefused(f"refused: {error}") from error
    if shipped is None:
        raise StoreExportRefused(f"nothing was written to {target}")
    return StoreExport(target, shipped)


def _run(args: argparse.Namespace) -> int:
    stores = [s.strip() for s in args.stores.split(",") if s.strip()] if args.stores else None
    try:
        result = export_store_champion(
            args.tracking_uri, args.model_dir, stores=stores, allow_synthetic=args.allow_synthetic
        )
    except StoreExportRefused as error:
        print(f"export-store refused: {error}", file=sys.stderr)
        return 2
    m = result.metadata
    print(
        f"store model v{m.version} -> {result.directory}: prices offers of "
        f"{', '.join(m.store_ids)} (held-out MAPE {m.model_mape:.4f} vs rule {m.rule_mape:.4f})"
    )
    return 0


def add_export_store_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    export = commands.add_parser(
        "export-store", help="ship the store model's champion into model/store-model/"
    )
    export.add_argument("--stores", default=None, help="store ids it prices, comma-separated, or *")
    export.add_argument("--allow-synthetic", action="store_true", help="ship a synthetic demo")
    export.add_argument(
        "--model-dir", default=None, help="output folder (default: model/store-model)"
    )
    export.add_argument("--tracking-uri", default=None)
    export.set_defaults(run=_run)
