"""The store model as serving holds it: ``model/store-model/`` (its LightGBM booster's text and
``store_model_metadata.json``), read once when the service starts. No MLflow, no network:
``python -m laptop_pricing.training export-store`` writes it from the registry's champion.

Absent, the rule prices every offer. Present, it prices the offers of the stores its metadata
names (``store_ids``; ``*`` is every store) only when it says ``pricing_source: store_model``
(it beat the rule on held-out sales by the owner's margin); a present but broken artifact is an
``ArtifactError``, never a silent fall back to the rule.

The features and the target are the ones training used (``training.store_model`` builds them
here too): the laptop's fields, one column per non-best condition answer, the log market
estimate and the data's age (0 when pricing). The booster predicts
``log(sale ÷ (market estimate × condition factor))``, the factor being ``1 − Σ`` the deductions
of the policy it was trained under (kept in the metadata, so a later policy edit does not shift
what the model was evaluated on), at least ``FACTOR_FLOOR``.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from laptop_pricing.pricing.artifact import ArtifactError, atomic_write, default_model_dir
from laptop_pricing.pricing.features import encode_many
from laptop_pricing.pricing.laptop_spec import LaptopSpec
from laptop_pricing.pricing.log_price_model import dense
from laptop_pricing.pricing.schema import FEATURE_ORDER
from laptop_pricing.trade_in.condition import QUESTIONS, Condition, answer_ref
from laptop_pricing.trade_in.offer import PRICING_SOURCES, PricingSource, UsedPrice

if TYPE_CHECKING:
    from lightgbm import Booster

STORE_MODEL_DIR = "store-model"
BOOSTER_FILE = "model.txt"
METADATA_FILE = "store_model_metadata.json"
ALL_STORES = "*"
FACTOR_FLOOR = 0.05
DEFECT_COLUMNS: tuple[str, ...] = tuple(answer_ref(q, a) for q in QUESTIONS for a in q.answers[1:])
EXTRA_COLUMNS: tuple[str, ...] = ("log_market_estimate", "data_age_days")
STORE_FEATURES: tuple[str, ...] = (*FEATURE_ORDER, *DEFECT_COLUMNS, *EXTRA_COLUMNS)


def feature_rows(
    laptops: Sequence[Mapping[str, Any]],
    conditions: Sequence[Condition],
    market_estimates: Sequence[float],
    ages_days: Sequence[float],
) -> np.ndarray:
    """One row per laptop, columns ``STORE_FEATURES``."""
    n = len(laptops)
    encoded = encode_many(laptops).reshape(n, len(FEATURE_ORDER))
    given = [frozenset(ref for _, _, ref in c.answer_refs) for c in conditions]
    defects = np.array([[ref in refs for ref in DEFECT_COLUMNS] for refs in given], float)
    extra = np.array(
        [[math.log(m), a] for m, a in zip(market_estimates, ages_days, strict=True)], float
    )
    return np.hstack(
        [encoded, defects.reshape(n, len(DEFECT_COLUMNS)), extra.reshape(n, len(EXTRA_COLUMNS))]
    )


def condition_factor(condition: Condition, deductions: Mapping[str, Mapping[str, float]]) -> float:
    """What a deductions table keeps of a perfect laptop's resale value for these answers."""
    lost = sum(deductions.get(q.key, {}).get(a.key, 0.0) for q, a in condition.answers()) / 100
    return max(FACTOR_FLOOR, 1 - lost)


@dataclass(frozen=True)
class StoreModelMetadata:
    """``store_model_metadata.json``: which version, whether and where it prices, and the
    held-out numbers it won (or lost) on against the rule."""

    version: str
    pricing_source: PricingSource
    store_ids: tuple[str, ...]
    condition_deductions: Mapping[str, Mapping[str, float]]
    policy_version: str
    model_mape: float
    rule_mape: float
    n_test: int
    cutoff: str
    margin_pct: int
    synthetic: bool
    model_sha256: str
    source: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Any, where: str) -> StoreModelMetadata:
        """Validate once; a problem is an ``ArtifactError`` naming the key."""
        if not isinstance(data, Mapping):
            raise ArtifactError(f"{where}: not a JSON object")
        if list(data.get("feature_order") or ()) != list(STORE_FEATURES):
            raise ArtifactError(
                f"{where}: 'feature_order' is not the store model's features of this schema; "
                "export the store model again"
            )
        source = data.get("pricing_source")
        if source not in PRICING_SOURCES:
            raise ArtifactError(f"{where}: 'pricing_source' must be one of {PRICING_SOURCES}")
        stores = data.get("store_ids")
        if not isinstance(stores, list) or not stores:
            raise ArtifactError(f"{where}: 'store_ids' must list store ids or {ALL_STORES!r}")
        try:
            return cls(
                version=str(data["version"]),
                pricing_source=source,
                store_ids=tuple(str(s) for s in stores),
                condition_deductions={
                    str(q): {str(a): float(p) for a, p in answers.items()}
                    for q, answers in data["condition_deductions"].items()
                },
                policy_version=str(data.get("policy_version") or ""),
                model_mape=float(data["model_MAPE"]),
                rule_mape=float(data["rule_MAPE"]),
                n_test=int(data["n_test"]),
                cutoff=str(data["cutoff"]),
                margin_pct=int(data["margin_pct"]),
                synthetic=bool(data.get("synthetic", False)),
                model_sha256=str(data["model_sha256"]),
                source=None if data.get("source") is None else str(data["source"]),
                raw=data,
            )
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise ArtifactError(f"{where}: malformed ({type(error).__name__}: {error})") from error

    def prices_for(self, store_id: str | None) -> bool:
        """Whether this model prices the offers of ``store_id`` (None: the deployment's)."""
        if self.pricing_source != "store_model":
            return False
        return ALL_STORES in self.store_ids or store_id in self.store_ids


class UsedPriceModel:
    """The loaded store model: a laptop's used sale price, perfect and as it is."""

    def __init__(self, booster: Booster, metadata: StoreModelMetadata):
        self.booster = booster
        self.metadata = metadata

    def predict(
        self, spec: LaptopSpec, conditions: Sequence[Condition], market_estimate: int
    ) -> np.ndarray:
        """Sale prices in reais of one laptop in each condition."""
        n = len(conditions)
        rows = feature_rows([spec.as_dict()] * n, conditions, [market_estimate] * n, [0.0] * n)
        log_ratio = dense(self.booster.predict(rows, num_threads=1))
        deductions = self.metadata.condition_deductions
        factors = np.array([condition_factor(c, deductions) for c in conditions], float)
        prices: np.ndarray = np.exp(log_ratio) * market_estimate * factors
        return prices

    def used_price(self, spec: LaptopSpec, condition: Condition, market_estimate: int) -> UsedPrice:
        if market_estimate <= 0:
            return UsedPrice(0, 0)
        perfect, as_is = self.predict(spec, [Condition.best(), condition], market_estimate)
        return UsedPrice(int(perfect), int(as_is))


def default_store_model_dir() -> Path:
    """``<model dir>/store-model``: beside the market model it ships with."""
    return default_model_dir() / STORE_MODEL_DIR


def read_store_model_metadata(directory: str | Path | None = None) -> StoreModelMetadata | None:
    """The shipped store model's metadata; None when no store model ships."""
    path = Path(directory or default_store_model_dir()) / METADATA_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise ArtifactError(f"cannot read store model metadata {path}: {error}") from error
    return StoreModelMetadata.from_json(data, str(path))


def load_store_model(directory: str | Path | None = None) -> UsedPriceModel | None:
    """The shipped store model; None when none ships (the rule prices)."""
    folder = Path(directory or default_store_model_dir())
    metadata = read_store_model_metadata(folder)
    if metadata is None:
        return None
    path = folder / BOOSTER_FILE
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ArtifactError(f"no store model file at {path}: {error}") from error
    if hashlib.sha256(data).hexdigest() != metadata.model_sha256:
        raise ArtifactError(f"{path} does not match the sha256 in its metadata")
    from lightgbm import Booster

    try:
        booster = Booster(model_str=data.decode("utf-8"))
    except Exception as error:  # LightGBM raises its own error type for a bad model text
        raise ArtifactError(f"{path} is not a LightGBM model ({error})") from error
    if booster.num_feature() != len(STORE_FEATURES):
        raise ArtifactError(f"{path} expects {booster.num_feature()} features")
    return UsedPriceModel(booster, metadata)


def write_store_model(
    booster_text: str, metadata: Mapping[str, Any], directory: str | Path | None = None
) -> Path:
    """Write the booster and its metadata (validated first, with the file's sha256)."""
    folder = Path(directory or default_store_model_dir())
    data = booster_text.encode("utf-8")
    full = {**metadata, "feature_order": list(STORE_FEATURES)}
    full["model_sha256"] = hashlib.sha256(data).hexdigest()
    StoreModelMetadata.from_json(full, "store model metadata to write")
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write(folder / BOOSTER_FILE, lambda handle: handle.write(data))
    text = json.dumps(full, indent=2, ensure_ascii=False) + "\n"
    atomic_write(folder / METADATA_FILE, lambda handle: handle.write(text.encode("utf-8")))
    return folder
