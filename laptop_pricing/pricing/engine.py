"""Price a validated laptop with the shipped model: the one pricing path for API and app.

``PricingEngine.load(model_dir=None)`` loads ``model/`` once per folder and process (cached);
``engine.price(spec) -> MarketEstimate``; ``engine.price_with_explanation(spec) -> MarketEstimate``
(the same
price, plus each field's contribution in R$, see ``laptop_pricing.pricing.explanation``); either
with
``comparables=True`` adds the closest real laptops of the data
(``laptop_pricing.pricing.comparables``).
The range is the model's calibrated price range (``metadata.price_range``): a multiplication
of the point price, so it costs nothing per call. No pandas here: a single-row price is the
encoded row, one predict and a few multiplications.

Hot path: when the model is a LightGBM booster of the log price (the shipped ``model.txt``, or a
freshly fitted ``TransformedTargetRegressor`` over LightGBM), the engine calls the raw booster
directly (about 0.03 ms instead of 0.5 ms through the scikit-learn wrapper) and takes ``exp``
itself. Always one thread: a single row gains nothing from OpenMP, and on a busy machine its
spinning threads made a predict 40x slower (measured: 17 ms instead of 0.4 ms under load). The
explanation is the exact path decomposition of the trees (``laptop_pricing.pricing.tree_paths``),
tabled per
leaf when the model loads: an explained price is one ``pred_leaf`` predict, a gather and a sum, and
the same leaves give the price itself.
"""

from __future__ import annotations

import math
import operator
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from laptop_pricing.pricing.artifact import ModelMetadata
from laptop_pricing.pricing.comparables import DEFAULT_COUNT, Comparable, ComparablesFinder
from laptop_pricing.pricing.explanation import Explanation, explain
from laptop_pricing.pricing.features import FIELD_COLUMNS, encode
from laptop_pricing.pricing.laptop_spec import LaptopSpec
from laptop_pricing.pricing.log_price_model import dense, log_price_booster
from laptop_pricing.pricing.schema import FIELD_NAMES
from laptop_pricing.pricing.tree_paths import LeafTable, leaf_table

if TYPE_CHECKING:
    from lightgbm import Booster


class ExplanationUnavailable(RuntimeError):
    """The shipped model cannot give exact per-field contributions (not a LightGBM booster)."""


@dataclass(frozen=True)
class MarketEstimate:
    """A price for one laptop: point estimate and range in whole units of ``currency``."""

    price: int
    low: int | None  # None: an API answer without a range (the course's API sends none)
    high: int | None
    currency: str
    version: str
    coverage: float | None = None  # nominal share of true prices the [low, high] range holds
    # Only when asked for (``"explain": true``); the API adds them beside the contract's fields.
    explanation: Explanation | None = None
    comparables: tuple[Comparable, ...] = ()

    def explanation_body(self, explain: bool = True, comparables: bool = True) -> dict[str, Any]:
        """What ``"explain": true`` (``explanation``) and ``"comparables": true``
        (``comparables``) add to the API's answer."""
        body: dict[str, Any] = {}
        if explain:
            body["explanation"] = self.explanation.as_body() if self.explanation else None
        if comparables:
            body["comparables"] = [c.as_body() for c in self.comparables]
        return body

    def explanation_json(self, explain: bool = True, comparables: bool = True) -> str:
        """The members ``explanation_body()`` adds, as ``json.dumps`` writes them inside an
        object (``"explanation": ..., "comparables": [...]``), from parts encoded once."""
        members = []
        if explain:
            explanation = self.explanation.as_json() if self.explanation else "null"
            members.append(f'"explanation": {explanation}')
        if comparables:
            members.append(f'"comparables": [{", ".join(c.as_json() for c in self.comparables)}]')
        return ", ".join(members)

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
_field_values = operator.attrgetter(*FIELD_NAMES)  # a spec's values in contract order
_cache_lock = threading.Lock()


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
        self._booster = log_price_booster(model)
        self._leaves = (
            leaf_table(self._booster.model_to_string(), [FIELD_COLUMNS[n] for n in FIELD_NAMES])
            if self._booster is not None
            else None
        )
        self._finder = ComparablesFinder(metadata.comparables) if metadata.comparables else None

    @classmethod
    def load(cls, model_dir: str | Path | None = None) -> PricingEngine:
        """The engine for ``model_dir`` (default ``$MODEL_DIR`` or ``model/``), loaded once."""
        from laptop_pricing.pricing.artifact import default_model_dir, load_artifact

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
    def booster(self) -> Booster | None:
        """The raw LightGBM booster of a log-price model (None for any other model)."""
        return self._booster

    @property
    def explains(self) -> bool:
        return self._booster is not None

    def predict_value(self, spec: LaptopSpec) -> float:
        """The unrounded price in BRL."""
        row = encode(spec)
        if self._booster is not None:
            return math.exp(float(dense(self._booster.predict(row, num_threads=1))[0]))
        return float(self._model.predict(row)[0])

    def _quote(self, value: float, **extras: Any) -> MarketEstimate:
        price = round(value)
        return MarketEstimate(
            price=price,
            low=min(price, round(value * self._low_factor)),
            high=max(price, round(value * self._high_factor)),
            currency=self._currency,
            version=self._version,
            coverage=self._coverage,
            **extras,
        )

    def price(self, spec: LaptopSpec, *, comparables: bool = False) -> MarketEstimate:
        """The price of ``spec``; with ``comparables`` also the closest real laptops."""
        found = self.comparables(spec) if comparables else ()
        return self._quote(self.predict_value(spec), comparables=found)

    def _leaf_table(self) -> LeafTable:
        if self._leaves is None:
            raise ExplanationUnavailable(f"model family {self._metadata.family} has no tree paths")
        return self._leaves

    def _decompose(self, spec: LaptopSpec) -> tuple[np.ndarray, float]:
        """(per-field log contributions, log price) from the leaves ``spec`` reaches."""
        table = self._leaf_table()
        if self._booster is None:  # never: the leaf table is read from the booster
            raise ExplanationUnavailable(f"model family {self._metadata.family} has no booster")
        return table.decompose(
            dense(self._booster.predict(encode(spec), pred_leaf=True, num_threads=1))[0]
        )

    def field_log_contributions(self, spec: LaptopSpec) -> tuple[np.ndarray, float]:
        """Each field's exact path contribution to the log price (one-hot columns summed) and
        the expected log price: ``sum(per_field) + expected == log(price)``."""
        per_field, _ = self._decompose(spec)
        return per_field, self._leaf_table().expected

    def _explanation(self, spec: LaptopSpec, per_field: np.ndarray, price: int) -> Explanation:
        expected = self._leaf_table().expected
        return explain(per_field, expected, price, _field_values(spec))

    def explain(self, spec: LaptopSpec, quote: MarketEstimate) -> Explanation:
        """Each field's contribution in R$ to ``quote.price``, from the stated baseline."""
        per_field, _ = self._decompose(spec)
        return self._explanation(spec, per_field, quote.price)

    def price_with_explanation(
        self, spec: LaptopSpec, *, comparables: bool = False
    ) -> MarketEstimate:
        """``price(spec)`` with its explanation (None when the model has no tree paths): one
        predict for both the price and its contributions; with ``comparables`` also the
        closest real laptops."""
        found = self.comparables(spec) if comparables else ()
        if self._leaves is None:
            return self._quote(self.predict_value(spec), comparables=found)
        per_field, log_price = self._decompose(spec)
        value = math.exp(log_price)
        explanation = self._explanation(spec, per_field, round(value))
        return self._quote(value, explanation=explanation, comparables=found)

    def comparables(self, spec: LaptopSpec, count: int = DEFAULT_COUNT) -> tuple[Comparable, ...]:
        """The closest real laptops of the training data (empty when the artifact has none)."""
        return self._finder.nearest(spec, count) if self._finder is not None else ()
