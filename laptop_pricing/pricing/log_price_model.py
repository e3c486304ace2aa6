"""A LightGBM booster of the log price, answering in BRL: how the app and the API hold the model.

Training fits scikit-learn's ``TransformedTargetRegressor`` over ``LGBMRegressor`` (what MLflow
logs and the CV compares). What prices at run time needs only the booster: its own text format
(``model_to_string``) is exact, readable and loads with LightGBM alone, so the app and the Lambda
image install neither scikit-learn nor a pickle loader, and importing LightGBM no longer pulls in
scikit-learn (44–48 MB a process, measured; ``docs/performance.md``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # importing LightGBM is left to the loaders of the model
    from lightgbm import Booster


class LogPriceBooster:
    """``predict(X)`` is ``exp`` of the booster's prediction: the same prices as the fitted
    ``TransformedTargetRegressor`` it came from, to the last bit."""

    def __init__(self, booster: Booster):
        self.booster = booster
        self.n_features_in_ = booster.num_feature()

    @classmethod
    def from_text(cls, text: str) -> LogPriceBooster:
        from lightgbm import Booster  # only the loaders of the model pay for it

        return cls(Booster(model_str=text))

    def to_text(self) -> str:
        return self.booster.model_to_string()

    def predict(self, X: Any) -> np.ndarray:
        prices: np.ndarray = np.exp(
            dense(self.booster.predict(np.asarray(X, dtype=np.float64), num_threads=1))
        )
        return prices


def dense(answer: object) -> np.ndarray:
    """A booster's ``predict`` answer for a dense input: LightGBM's annotation also allows
    sparse matrices (only ``pred_contrib`` on sparse input makes them)."""
    if not isinstance(answer, np.ndarray):
        raise TypeError(f"LightGBM answered {type(answer).__name__}, not an array")
    return answer


def log_price_booster(model: Any) -> Booster | None:
    """The LightGBM booster of a log-price model (a ``LogPriceBooster``, or a fitted
    ``TransformedTargetRegressor`` with ``func=np.log`` over LightGBM), else None."""
    if isinstance(model, LogPriceBooster):
        return model.booster
    booster: Booster | None = getattr(getattr(model, "regressor_", None), "booster_", None)
    if booster is None or getattr(model, "func", None) is not np.log:
        return None
    return booster
