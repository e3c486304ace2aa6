"""The shipped model: ``model/model.txt`` (or ``model.joblib``) plus ``model/model_metadata.json``.

A LightGBM model of the log price ships as the booster's own text (``model.txt``, loaded as a
``LogPriceBooster`` with LightGBM alone); any other family as a joblib pickle (``model.joblib``),
which needs scikit-learn at run time: the app's requirements leave it out, so such a model is an
``ArtifactError`` that says what to install. The metadata's ``model_file`` names which one.

- ``read_metadata(model_dir=None) -> ModelMetadata``: the metadata alone, parsed and validated
  once into frozen dataclasses (cheap; no scikit-learn import), for the model card, the drift
  reference and the engine. A file missing a key the readers need is an ``ArtifactError`` here,
  not a ``KeyError`` in one of them.
- ``load_artifact(model_dir=None) -> Artifact(model, metadata, model_dir)``: refuses, with
  ``ArtifactSchemaMismatch``, an artifact whose feature order is not ``schema.FEATURE_ORDER``, and
  with ``ArtifactError`` a model file whose hash is not the one the metadata names (a half-written
  or foreign file).
- ``write_artifact(model, metadata, model_dir=None) -> Path``: refuses a feature-order mismatch
  before writing, then replaces each file atomically (temp file + ``os.replace``); the metadata
  gets ``model_sha256`` so a reader can tell the pair belongs together.

``model_dir`` defaults to ``$MODEL_DIR`` when set, else ``<repo>/model``. Writers (training,
export) build the metadata as a JSON-ready dict; every reader gets a ``ModelMetadata``.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from laptop_pricing.pricing.log_price_model import LogPriceBooster, log_price_booster
from laptop_pricing.pricing.schema import (
    FEATURE_ORDER,
    FIELD_NAMES,
    FIELDS_BY_NAME,
    INTEGER,
    feature_field,
)
from laptop_pricing.settings import REPO_ROOT

MODEL_NAME = "laptop-pricing-model"
BOOSTER_FILE = "model.txt"  # a log-price LightGBM booster's own text
PICKLE_FILE = "model.joblib"  # any other family (needs scikit-learn to load)
MODEL_FILES = (BOOSTER_FILE, PICKLE_FILE)
METADATA_FILE = "model_metadata.json"
REPO_MODEL_DIR = REPO_ROOT / "model"
FILE_MODE = 0o644  # mkstemp makes 0600; the Lambda image runs as a non-root user


class ArtifactError(RuntimeError):
    """The model artifact is missing, unreadable or inconsistent."""


class ArtifactSchemaMismatch(ArtifactError):
    """The artifact was trained on a different feature order than the schema defines."""


@dataclass(frozen=True)
class PriceRange:
    """The calibrated range: ``[price * low_factor, price * high_factor]``."""

    method: str
    nominal_coverage: float | None
    low_factor: float
    high_factor: float
    measured_coverage: float | None = None
    measured_coverage_std: float | None = None
    relative_width: float | None = None


@dataclass(frozen=True)
class CvSummary:
    """The validation protocol and every family's row of the CV table (best MAPE first)."""

    n_splits: int
    n_repeats: int
    seed: int
    selection_metric: str
    table: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True)
class ComparablesIndex:
    """Real laptops of the training data (fields and BRL price), for "comparable laptops"."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


@dataclass(frozen=True)
class ModelMetadata:
    """``model_metadata.json`` as the readers use it; ``raw`` keeps the JSON as written."""

    model_name: str
    version: str
    family: str | None
    currency: str
    feature_order: tuple[str, ...]
    trained_at: str | None = None
    data_hash: str | None = None
    metrics: Mapping[str, float] = field(default_factory=dict)
    cv: CvSummary | None = None
    price_range: PriceRange | None = None
    reference: Mapping[str, Any] | None = None
    comparables: ComparablesIndex | None = None
    explanation_baseline: str | None = None
    source: str | None = None
    run_id: str | None = None
    registered_version: int | None = None
    model_sha256: str | None = None
    model_file: str = PICKLE_FILE  # artifacts written before model.txt carry no key
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any, where: str = "model metadata") -> ModelMetadata:
        """Validate once; every problem is an ``ArtifactError`` naming the key."""
        if not isinstance(data, Mapping):
            raise ArtifactError(f"{where}: not a JSON object")

        def need(key: str) -> Any:
            if data.get(key) in (None, ""):
                raise ArtifactError(f"{where}: missing {key!r}")
            return data[key]

        try:
            return cls(
                model_name=str(data.get("model_name") or MODEL_NAME),
                version=str(need("version")),
                family=_opt_str(data.get("family")),
                currency=str(data.get("currency") or "BRL"),
                feature_order=tuple(str(name) for name in need("feature_order")),
                trained_at=_opt_str(data.get("trained_at")),
                data_hash=_opt_str(data.get("data_hash")),
                metrics={str(k): float(v) for k, v in (data.get("metrics") or {}).items()},
                cv=_cv(data.get("cv")),
                price_range=_price_range(data.get("price_range")),
                reference=data.get("reference")
                if isinstance(data.get("reference"), Mapping)
                else None,
                comparables=_comparables(data.get("comparables"), data, where),
                explanation_baseline=_opt_str(data.get("explanation_baseline")),
                source=_opt_str(data.get("source")),
                run_id=_opt_str(data.get("run_id")),
                registered_version=(
                    int(data["registered_version"])
                    if data.get("registered_version") is not None
                    else None
                ),
                model_sha256=_opt_str(data.get("model_sha256")),
                model_file=_model_file(data.get("model_file"), where),
                raw=data,
            )
        except (TypeError, ValueError, KeyError) as error:
            raise ArtifactError(f"{where}: malformed ({type(error).__name__}: {error})") from error


def _model_file(value: Any, where: str) -> str:
    if value in (None, ""):
        return PICKLE_FILE
    if value not in MODEL_FILES:
        raise ArtifactError(
            f"{where}: 'model_file' is {value!r}; it must be one of {', '.join(MODEL_FILES)}"
        )
    return str(value)


def _opt_str(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def _opt_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _cv(data: Any) -> CvSummary | None:
    if not isinstance(data, Mapping):
        return None
    return CvSummary(
        n_splits=int(data.get("n_splits") or 0),
        n_repeats=int(data.get("n_repeats") or 1),
        seed=int(data.get("seed") or 0),
        selection_metric=str(data.get("selection_metric") or "MAPE"),
        table=tuple(dict(row) for row in data.get("table") or ()),
    )


def _price_range(data: Any) -> PriceRange | None:
    if not isinstance(data, Mapping) or not data:
        return None
    return PriceRange(
        method=str(data.get("method") or ""),
        nominal_coverage=_opt_float(data.get("nominal_coverage")),
        low_factor=float(data.get("low_factor", 1.0)),
        high_factor=float(data.get("high_factor", 1.0)),
        measured_coverage=_opt_float(data.get("measured_coverage")),
        measured_coverage_std=_opt_float(data.get("measured_coverage_std")),
        relative_width=_opt_float(data.get("relative_width")),
    )


def _comparables(data: Any, metadata: Mapping[str, Any], where: str) -> ComparablesIndex | None:
    """The index's rows are CSV lines in ``columns`` order; numbers become ints, empty None."""
    if not isinstance(data, Mapping):
        return None
    columns = tuple(str(c) for c in data["columns"])
    expected = (*FIELD_NAMES, "price")
    if columns != expected:
        check_feature_order(metadata.get("feature_order"), where)  # another schema: say so
        raise ValueError(f"comparables columns {columns} are not {expected}")
    integer = [name == "price" or FIELDS_BY_NAME[name].kind == INTEGER for name in columns]
    rows = []
    for line in data["rows"]:
        cells = str(line).split(",")
        if len(cells) != len(columns):
            raise ValueError(f"comparables row {line!r} does not have one value per column")
        rows.append(
            tuple(
                None if cell == "" else int(cell) if is_int else cell
                for cell, is_int in zip(cells, integer, strict=True)
            )
        )
    return ComparablesIndex(columns, tuple(rows))


class Artifact(NamedTuple):
    model: Any
    metadata: ModelMetadata
    model_dir: Path


def default_model_dir() -> Path:
    return Path(os.environ.get("MODEL_DIR") or REPO_MODEL_DIR)


def _resolve(model_dir: str | Path | None) -> Path:
    return Path(model_dir) if model_dir is not None else default_model_dir()


def check_feature_order(feature_order: Any, where: str) -> None:
    """Refuse, in one line naming the fields at fault, a model trained on other input columns."""
    found = [str(name) for name in feature_order or ()]
    if found == list(FEATURE_ORDER):
        return
    lacking = sorted({feature_field(name) for name in FEATURE_ORDER if name not in found})
    unknown = [name for name in found if name not in FEATURE_ORDER]
    if lacking:
        detail = f"the model lacks field(s) {', '.join(lacking)}"
    elif unknown:
        detail = f"the model has input columns the schema does not: {', '.join(unknown[:5])}"
    else:
        detail = "the model has the schema's input columns in another order"
    raise ArtifactSchemaMismatch(
        f"{where}: feature_order does not match the schema ({detail}); rebuild the model with "
        "`python -m laptop_pricing.training build` or ship the schema it was trained with"
    )


def read_metadata(model_dir: str | Path | None = None) -> ModelMetadata:
    path = _resolve(model_dir) / METADATA_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise ArtifactError(f"no model metadata at {path}") from error
    except (OSError, ValueError) as error:
        raise ArtifactError(f"cannot read model metadata {path}: {error}") from error
    return ModelMetadata.from_json(data, str(path))


def load_artifact(model_dir: str | Path | None = None) -> Artifact:
    directory = _resolve(model_dir)
    metadata = read_metadata(directory)
    check_feature_order(metadata.feature_order, str(directory / METADATA_FILE))
    model_path = directory / metadata.model_file
    if not model_path.is_file():
        raise ArtifactError(f"no model file at {model_path}")
    data = model_path.read_bytes()
    expected = metadata.model_sha256
    if expected and hashlib.sha256(data).hexdigest() != expected:
        raise ArtifactError(
            f"{model_path} does not match the sha256 in its metadata "
            "(being rewritten, or a file from another build)"
        )
    model = _load_model(model_path, data)
    if getattr(model, "n_features_in_", len(FEATURE_ORDER)) != len(FEATURE_ORDER):
        raise ArtifactSchemaMismatch(
            f"{model_path} expects {model.n_features_in_} features; "
            f"the schema defines {len(FEATURE_ORDER)}"
        )
    return Artifact(model, metadata, directory)


def _load_model(path: Path, data: bytes) -> Any:
    if path.name == BOOSTER_FILE:
        try:
            return LogPriceBooster.from_text(data.decode("utf-8"))
        except Exception as error:  # LightGBM raises its own error type for a bad model text
            raise ArtifactError(f"{path} is not a LightGBM model ({error})") from error
    try:
        import joblib
        import sklearn  # noqa: F401  (the pickle's classes)
    except ImportError as error:
        raise ArtifactError(
            f"{path} is a scikit-learn model and scikit-learn is not installed here (the app "
            "ships LightGBM models as model.txt); install requirements-training.txt to serve it"
        ) from error
    return joblib.load(io.BytesIO(data))  # the bytes whose hash was checked, not a re-read


def atomic_write(path: Path, write: Callable[[io.BufferedWriter], object]) -> None:
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
    """Write model and metadata into ``model_dir`` (created if needed); returns the directory.

    A log-price LightGBM model is written as its booster's text (``model.txt``), anything else as
    a joblib pickle; the other format's file, if an older artifact left one, is removed."""
    check_feature_order(metadata.get("feature_order"), "metadata to write")
    n_features = getattr(model, "n_features_in_", None)
    if n_features is not None and n_features != len(FEATURE_ORDER):
        raise ArtifactSchemaMismatch(
            f"model expects {n_features} features; the schema defines {len(FEATURE_ORDER)}"
        )
    directory = _resolve(model_dir)
    directory.mkdir(parents=True, exist_ok=True)
    booster = log_price_booster(model)
    if booster is not None:
        name, data = BOOSTER_FILE, booster.model_to_string().encode("utf-8")
    else:
        name, data = PICKLE_FILE, _pickled(model)
    atomic_write(directory / name, lambda handle: handle.write(data))
    metadata = {**metadata, "model_file": name, "model_sha256": hashlib.sha256(data).hexdigest()}
    text = json.dumps(metadata, indent=2, ensure_ascii=False) + "\n"
    atomic_write(directory / METADATA_FILE, lambda handle: handle.write(text.encode("utf-8")))
    for stale in MODEL_FILES:
        if stale != name:
            (directory / stale).unlink(missing_ok=True)
    return directory


def _pickled(model: Any) -> bytes:
    import joblib

    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    return buffer.getvalue()
