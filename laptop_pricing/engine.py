"""Price a validated laptop with the shipped model: the one pricing path for API and app.

``PricingEngine.load(model_dir=None)`` loads ``model/`` once per folder and process (cached);
``engine.price(spec) -> Quote``; ``engine.explain(spec, quote) -> Explanation`` (each field's
contribution in R$, see ``laptop_pricing.explanation``); ``engine.comparables(spec)`` (the closest
real laptops of the data, see ``laptop_pricing.comparables``). The range is the model's
calibrated price range (``metadata.price_range``): a multiplication of the point price, so it
costs nothing per call. No pandas here: a single-row price is the encoded row, one predict and a
few multiplications.

Hot path: when the model is a LightGBM regressor on log price (wrapped in scikit-learn's
``TransformedTargetRegressor``), the engine calls its raw booster directly (about 0.03 ms instead
of 0.5 ms through the scikit-learn wrapper) and takes ``exp`` itself; the same booster's
``pred_contrib`` gives the exact TreeSHAP values the explanation needs. Always one thread: a
single row gains nothing from OpenMP, and on a busy machine its spinning threads made a
predict 40x slower (measured: 17 ms instead of 0.4 ms under load).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from laptop_pricing.artifact import ModelMetadata
from laptop_pricing.comparables import DEFAULT_COUNT, Comparable, ComparablesFinder
from laptop_pricing.explanation import Explanation, explain
from laptop_pricing.features import FIELD_COLUMNS, encode
from laptop_pricing.laptop_spec import LaptopSpec
from laptop_pricing.schema import FIELD_NAMES


class ExplanationUnavailable(RuntimeError):
    """The shipped model cannot give exact per-field contributions (not a tree booster)."""


@dataclass(frozen=True)
class Quote:
    """A price for one laptop: point estimate and range in whole units of ``currency``."""

    price: int
    low: int
    high: int
    currency: str
    version: str
    coverage: float | None = None  # nominal share of true prices the [low, high] range holds
    # Only when asked for (``"explain": true``); the API adds them beside the contract's fields.
    explanation: Explanation | None = None
    comparables: tuple[Comparable, ...] = ()

    def as_body(self) -> dict[str, Any]:
        """The API's success body (contract fields first; currency and range are additions)."""
        body: dict[str, Any] = {
            "prediction": self.price,
            "version": self.version,
            "currency": self.currency,
            "range": {"low": self.low, "high": self.high, "coverage": self.coverage},
        }
        return body


_cache: dict[Path, PricingEngine] = {}
_cache_lock = threading.Lock()


def _log_price_booster(model: Any) -> Any | None:
    """The LightGBM booster of a log-price model, or None for any other model."""
    regressor = getattr(model, "regressor_", None)
    booster = getattr(regressor, "booster_", None)
    if booster is None or getattr(model, "func", None) is not np.log:
        return None
    return booster


class PricingEngine:
    def __init__(self, model: Any, metadata: ModelMetadata):
        self._model = model
        self._metadata = metadata
        price_range = metadata.price_range
        self._low_factor = price_range.low_factor if price_range else 1.0
        self._high_factor = price_range.high_factor if price_range else 1.0
        self._coverage = price_range.nominal_coverage if price_range else None
        self._version = metadata.version
        self._currency = metadata.currency
        self._booster = _log_price_booster(model)
        self._finder = ComparablesFinder(metadata.comparables) if metadata.comparables else None

    @classmethod
    def load(cls, model_dir: str | Path | None = None) -> PricingEngine:
        """The engine for ``model_dir`` (default ``$MODEL_DIR`` or ``model/``), loaded once."""
        from laptop_pricing.artifact import default_model_dir, load_artifact

        key = Path(model_dir or default_model_dir()).resolve()
        engine = _cache.get(key)
        if engine is None:
            with _cache_lock:
                engine = _cache.get(key)
                if engine is None:
                    artifact = load_artifact(key)
                    engine = _cache[key] = cls(artifact.model, artifact.metadata)
        return engine

    @property
    def metadata(self) -> ModelMetadata:
        return self._metadata

    @property
    def version(self) -> str:
        return self._version

    @property
    def model(self) -> Any:
        return self._model

    @property
    def explains(self) -> bool:
        return self._booster is not None

    def predict_value(self, spec: LaptopSpec) -> float:
        """The unrounded price in BRL."""
        row = encode(spec)
        if self._booster is not None:
            return math.exp(float(self._booster.predict(row, num_threads=1)[0]))
        return float(self._model.predict(row)[0])

    def price(self, spec: LaptopSpec) -> Quote:
        value = self.predict_value(spec)
        price = round(value)
        return Quote(
            price=price,
            low=min(price, round(value * self._low_factor)),
            high=max(price, round(value * self._high_factor)),
            currency=self._currency,
            version=self._version,
            coverage=self._coverage,
        )

    def field_log_contributions(self, spec: LaptopSpec) -> tuple[np.ndarray, float]:
        """Exact TreeSHAP per field on log price (one-hot columns summed) and the expected
        log price: ``sum(per_field) + expected == log(price)``."""
        if self._booster is None:
            raise ExplanationUnavailable(f"model family {self._metadata.family} has no TreeSHAP")
        contributions = self._booster.predict(encode(spec), pred_contrib=True, num_threads=1)[0]
        per_field = np.array([contributions[FIELD_COLUMNS[name]].sum() for name in FIELD_NAMES])
        return per_field, float(contributions[-1])

    def explain(self, spec: LaptopSpec, quote: Quote) -> Explanation:
        """Each field's contribution in R$ to ``quote.price``, from the stated baseline."""
        per_field, expected = self.field_log_contributions(spec)
        values = spec.as_dict()
        return explain(per_field, expected, quote.price, [values[n] for n in FIELD_NAMES])

    def comparables(self, spec: LaptopSpec, count: int = DEFAULT_COUNT) -> tuple[Comparable, ...]:
        """The closest real laptops of the training data (empty when the artifact has none)."""
        return self._finder.nearest(spec, count) if self._finder is not None else ()

    def explanation_body(self, spec: LaptopSpec, quote: Quote) -> Mapping[str, Any]:
        """What ``"explain": true`` adds to the API's answer."""
        explanation = self.explain(spec, quote).as_body() if self.explains else None
        return {
            "explanation": explanation,
            "comparables": [c.as_body() for c in self.comparables(spec)],
        }
