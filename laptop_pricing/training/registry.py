"""The model registry: which tracking store, which registered version, who holds ``champion``.

The course's exporter took "the highest version" of the registered model, so any experiment that
happened to be registered last went to production. Here a version only becomes the one we ship by
taking the ``champion`` alias, and it only takes it when it beats the current champion's MAPE under
the same validation protocol (same raw data and prepared rows, folds, repeats and seed), or when
someone says ``--force``.

Tracking store: ``MLFLOW_TRACKING_URI`` when set (DagsHub, a team server; credentials only from
``MLFLOW_TRACKING_USERNAME`` / ``MLFLOW_TRACKING_PASSWORD``, which MLflow reads itself), otherwise a
git-ignored SQLite store in the repo (``mlflow.db``) with artifacts in ``mlartifacts/``.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mlflow
from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException

from laptop_pricing.settings import REPO_ROOT

MODEL_NAME = "laptop-pricing-model"
EXPERIMENT_NAME = "laptop-pricing"
CHAMPION_ALIAS = "champion"
MODEL_DESCRIPTION = "Trade-in price of a used laptop in BRL (Laptop Pricing)."

# Model-version tags written at registration; promotion and export read them back.
TAG_DATA_HASH = "data_hash"
TAG_GIT_COMMIT = "git_commit"
TAG_FAMILY = "family"
TAG_PROTOCOL = "validation_protocol"
TAG_MAPE = "cv_MAPE"


class RegistryError(RuntimeError):
    """The registry cannot do what was asked (no such version, no champion, ...)."""


@dataclass(frozen=True)
class TrackingStore:
    """Where runs and registered models live. ``artifact_location`` only for the local default."""

    uri: str
    artifact_location: str | None = None

    @property
    def display_uri(self) -> str:
        return redact_uri(self.uri)


def default_store(root: str | Path = REPO_ROOT) -> TrackingStore:
    """The repo's store: ``sqlite:///<root>/mlflow.db``, artifacts in ``<root>/mlartifacts``."""
    root = Path(root).resolve()
    return TrackingStore(
        uri=f"sqlite:///{root / 'mlflow.db'}",
        artifact_location=(root / "mlartifacts").as_uri(),
    )


def resolve_store(uri: str | None = None) -> TrackingStore:
    """An explicit URI, else ``MLFLOW_TRACKING_URI``, else the repo's local SQLite store."""
    uri = uri or os.environ.get("MLFLOW_TRACKING_URI", "").strip() or None
    if uri is None:
        return default_store()
    if uri.startswith("sqlite:///"):
        # A local SQLite store keeps its artifacts beside it, not in the working directory.
        db_path = Path(uri.removeprefix("sqlite:///"))
        return TrackingStore(uri, (db_path.parent / "mlartifacts").resolve().as_uri())
    return TrackingStore(uri)


SECRET_ENV = ("MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_USERNAME")


def redact_uri(uri: str) -> str:
    """A tracking URI fit to print: any ``user:password@`` part is masked."""
    return re.sub(r"(?<=://)[^/@\s]+@", "***@", uri)


def redact(text: str) -> str:
    """Any text fit to print: credentials in URLs and the values of MLflow's secret variables
    masked (MLflow's own connection errors quote the tracking URI in full)."""
    text = redact_uri(text)
    for name in SECRET_ENV:
        value = os.environ.get(name)
        if value and len(value) >= 3:
            text = text.replace(value, "***")
    return text


def connect(store: TrackingStore, experiment: str = EXPERIMENT_NAME) -> tuple[MlflowClient, str]:
    """Point MLflow at the store and return a client and the experiment id (created if needed)."""
    mlflow.set_tracking_uri(store.uri)
    mlflow.set_registry_uri(store.uri)
    client = MlflowClient(tracking_uri=store.uri, registry_uri=store.uri)
    found = client.get_experiment_by_name(experiment)
    if found is not None:
        experiment_id = found.experiment_id
    else:
        experiment_id = client.create_experiment(
            experiment, artifact_location=store.artifact_location
        )
    # MLflow 3 creates logged models in the *active* experiment: keep it the same as the runs'.
    mlflow.set_experiment(experiment_id=experiment_id)
    return client, experiment_id


def protocol_tag(protocol: dict[str, Any]) -> str:
    """Canonical text of a validation protocol, so two protocols compare as strings."""
    return json.dumps(protocol, sort_keys=True, separators=(",", ":"))


def register(
    client: MlflowClient,
    model_uri: str,
    *,
    family: str,
    mape: float,
    protocol: dict[str, Any],
    git_commit: str,
    extra_tags: dict[str, str] | None = None,
    name: str = MODEL_NAME,
) -> ModelVersion:
    """A new version of the registered model, tagged with what promotion and export need."""
    tags = {
        TAG_DATA_HASH: str(protocol.get("data_hash", "")),
        TAG_GIT_COMMIT: git_commit,
        TAG_FAMILY: family,
        TAG_PROTOCOL: protocol_tag(protocol),
        TAG_MAPE: repr(float(mape)),
        **(extra_tags or {}),
    }
    # mlflow.register_model links the version to the MLflow 3 logged model (models:/m-...).
    version = mlflow.register_model(model_uri, name, tags=tags)
    if not client.get_registered_model(name).description:
        client.update_registered_model(name, description=MODEL_DESCRIPTION)
    return version


def get_version(client: MlflowClient, version: str | int, name: str = MODEL_NAME) -> ModelVersion:
    try:
        return client.get_model_version(name, str(version))
    except MlflowException as exc:
        raise RegistryError(f"{name} has no version {version}") from exc


def latest_version(client: MlflowClient, name: str = MODEL_NAME) -> ModelVersion:
    """The most recently registered version (promotion's default candidate, never export's)."""
    versions = client.search_model_versions(f"name = '{name}'")
    if not versions:
        raise RegistryError(f"no version of {name} is registered yet: run `train` first")
    return max(versions, key=lambda v: int(v.version))


def champion(
    client: MlflowClient, name: str = MODEL_NAME, alias: str = CHAMPION_ALIAS
) -> ModelVersion | None:
    """The version holding the alias, or None when no version holds it yet."""
    try:
        return client.get_model_version_by_alias(name, alias)
    except MlflowException:
        return None


def version_mape(mv: ModelVersion) -> float:
    try:
        return float(mv.tags[TAG_MAPE])
    except (KeyError, ValueError) as exc:
        raise RegistryError(f"version {mv.version} has no {TAG_MAPE} tag") from exc


@dataclass(frozen=True)
class PromotionDecision:
    promoted: bool
    version: str
    reason: str
    candidate_mape: float
    champion_version: str | None = None
    champion_mape: float | None = None


def promote(
    client: MlflowClient,
    version: str | int | None = None,
    *,
    force: bool = False,
    name: str = MODEL_NAME,
    alias: str = CHAMPION_ALIAS,
) -> PromotionDecision:
    """Move ``alias`` to ``version`` (default: the latest) if it beats the champion's MAPE.

    Only MAPEs measured under the same protocol are compared; a candidate measured differently
    cannot prove it is better, so it needs ``force``.
    """
    candidate = (
        latest_version(client, name) if version is None else get_version(client, version, name)
    )
    mape = version_mape(candidate)
    cand_v = str(candidate.version)
    current = champion(client, name, alias)
    if current is None:
        decision = PromotionDecision(True, cand_v, "no champion yet", mape)
    else:
        current_mape = version_mape(current)
        cur_v = str(current.version)
        same_protocol = current.tags.get(TAG_PROTOCOL) == candidate.tags.get(TAG_PROTOCOL)

        def against_champion(promote: bool, reason: str) -> PromotionDecision:
            return PromotionDecision(
                promote, cand_v, reason, mape, champion_version=cur_v, champion_mape=current_mape
            )

        if cur_v == cand_v:
            return against_champion(False, "already the champion")
        if same_protocol and mape < current_mape:
            reason = f"MAPE {mape:.4f} beats the champion's {current_mape:.4f}"
            decision = against_champion(True, reason)
        elif force:
            why = "forced" + ("" if same_protocol else " (different validation protocol)")
            reason = f"{why}: MAPE {mape:.4f} vs the champion's {current_mape:.4f}"
            decision = against_champion(True, reason)
        elif not same_protocol:
            reason = (
                f"validation protocol differs from champion v{cur_v}'s "
                "(data, folds, repeats or seed): the MAPEs are not comparable; use --force"
            )
            return against_champion(False, reason)
        else:
            reason = (
                f"MAPE {mape:.4f} does not beat champion v{cur_v}'s "
                f"{current_mape:.4f}; use --force to promote anyway"
            )
            return against_champion(False, reason)
    client.set_registered_model_alias(name, alias, cand_v)
    return decision
