"""Price a validated laptop with the shipped model: the one pricing path for API and app.

``PricingEngine.load(model_dir=None)`` loads ``model/`` once per folder and process (cached);
``engine.price(spec) -> Quote``. The range is the model's calibrated price range (see
``metadata["price_range"]``): a multiplication of the point price, so it costs nothing per call.
No pandas here: a single-row price is the encoded row, one ``predict`` and a few multiplications.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from laptop_pricing.features import encode
from laptop_pricing.schema import LaptopSpec


@dataclass(frozen=True)
class Quote:
    """A price for one laptop: point estimate and range in whole units of ``currency``."""

    price: int
    low: int
    high: int
    currency: str
    version: str
    coverage: float | None = None  # nominal share of true prices the [low, high] range holds

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


class PricingEngine:
    def __init__(self, model: Any, metadata: dict[str, Any]):
        self._model = model
        self._metadata = metadata
        price_range = metadata.get("price_range") or {}
        self._low_factor = float(price_range.get("low_factor", 1.0))
        self._high_factor = float(price_range.get("high_factor", 1.0))
        coverage = price_range.get("nominal_coverage")
        self._coverage = float(coverage) if coverage is not None else None
        self._version = str(metadata["version"])
        self._currency = str(metadata.get("currency", "BRL"))

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
    def metadata(self) -> dict[str, Any]:
        return self._metadata

    @property
    def version(self) -> str:
        return self._version

    @property
    def model(self) -> Any:
        return self._model

    def price(self, spec: LaptopSpec) -> Quote:
        value = float(self._model.predict(encode(spec))[0])
        price = round(value)
        return Quote(
            price=price,
            low=min(price, round(value * self._low_factor)),
            high=max(price, round(value * self._high_factor)),
            currency=self._currency,
            version=self._version,
            coverage=self._coverage,
        )
