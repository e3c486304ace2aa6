"""The shipped model: ``model/model.joblib`` plus ``model/model_metadata.json``.

- ``read_metadata(model_dir=None) -> dict``: the metadata alone (cheap; no scikit-learn import),
  for the model card and the drift reference.
- ``load_artifact(model_dir=None) -> Artifact(model, metadata, model_dir)``: refuses, with
  ``ArtifactSchemaMismatch``, an artifact whose feature order is not ``schema.FEATURE_ORDER``, and
  with ``ArtifactError`` a model file whose hash is not the one the metadata names (a half-written
  or foreign file).
- ``write_artifact(model, metadata, model_dir=None) -> Path``: refuses a feature-order mismatch
  before writing, then replaces each file atomically (temp file + ``os.replace``); the metadata
  gets ``model_sha256`` so a reader can tell the pair belongs together.

``model_dir`` defaults to ``$MODEL_DIR`` when set, else ``<repo>/model``.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, NamedTuple

from laptop_pricing.schema import FEATURE_ORDER
from laptop_pricing.settings import REPO_ROOT

MODEL_NAME = "laptop-pricing-model"
MODEL_FILE = "model.joblib"
METADATA_FILE = "model_metadata.json"
REPO_MODEL_DIR = REPO_ROOT / "model"
FILE_MODE = 0o644  # mkstemp makes 0600; the Lambda image runs as a non-root user


class ArtifactError(RuntimeError):
    """The model artifact is missing, unreadable or inconsistent."""


class ArtifactSchemaMismatch(ArtifactError):
    """The artifact was trained on a different feature order than the schema defines."""


class Artifact(NamedTuple):
    model: Any
    metadata: dict[str, Any]
    model_dir: Path


def default_model_dir() -> Path:
    return Path(os.environ.get("MODEL_DIR") or REPO_MODEL_DIR)


def _resolve(model_dir: str | Path | None) -> Path:
    return Path(model_dir) if model_dir is not None else default_model_dir()


def check_feature_order(feature_order: Any, where: str) -> None:
    if list(feature_order or ()) != list(FEATURE_ORDER):
        raise ArtifactSchemaMismatch(
            f"{where}: feature_order does not match laptop_pricing.schema.FEATURE_ORDER "
            f"(artifact has {len(feature_order or ())} features, schema has "
            f"{len(FEATURE_ORDER)}); rebuild the model with `python -m laptop_pricing.training "
            "build` or ship the schema it was trained with"
        )


def read_metadata(model_dir: str | Path | None = None) -> dict[str, Any]:
    path = _resolve(model_dir) / METADATA_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise ArtifactError(f"no model metadata at {path}") from error
    except (OSError, ValueError) as error:
        raise ArtifactError(f"cannot read model metadata {path}: {error}") from error


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_artifact(model_dir: str | Path | None = None) -> Artifact:
    import joblib  # only the loaders of the model pay for it

    directory = _resolve(model_dir)
    metadata = read_metadata(directory)
    check_feature_order(metadata.get("feature_order"), str(directory / METADATA_FILE))
    model_path = directory / MODEL_FILE
    if not model_path.is_file():
        raise ArtifactError(f"no model file at {model_path}")
    expected = metadata.get("model_sha256")
    if expected and _sha256(model_path) != expected:
        raise ArtifactError(
            f"{model_path} does not match the sha256 in its metadata "
            "(being rewritten, or a file from another build)"
        )
    model = joblib.load(model_path)
    if getattr(model, "n_features_in_", len(FEATURE_ORDER)) != len(FEATURE_ORDER):
        raise ArtifactSchemaMismatch(
            f"{model_path} expects {model.n_features_in_} features; "
            f"the schema defines {len(FEATURE_ORDER)}"
        )
    return Artifact(model, metadata, directory)


def _atomic_write(path: Path, write) -> None:
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, FILE_MODE)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def write_artifact(
    model: Any, metadata: dict[str, Any], model_dir: str | Path | None = None
) -> Path:
    """Write model and metadata into ``model_dir`` (created if needed); returns the directory."""
    import joblib

    check_feature_order(metadata.get("feature_order"), "metadata to write")
    n_features = getattr(model, "n_features_in_", None)
    if n_features is not None and n_features != len(FEATURE_ORDER):
        raise ArtifactSchemaMismatch(
            f"model expects {n_features} features; the schema defines {len(FEATURE_ORDER)}"
        )
    directory = _resolve(model_dir)
    directory.mkdir(parents=True, exist_ok=True)

    fd, temp = tempfile.mkstemp(dir=directory, prefix=f".{MODEL_FILE}.", suffix=".tmp")
    os.close(fd)
    temp_path = Path(temp)
    try:
        joblib.dump(model, temp_path)
        os.chmod(temp_path, FILE_MODE)
        metadata = {**metadata, "model_sha256": _sha256(temp_path)}
        text = json.dumps(metadata, indent=2, ensure_ascii=False) + "\n"
        os.replace(temp_path, directory / MODEL_FILE)
    except BaseException:
        temp_path.unlink(missing_ok=True)
        raise
    _atomic_write(directory / METADATA_FILE, lambda handle: handle.write(text.encode("utf-8")))
    return directory
