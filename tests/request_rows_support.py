"""Request rows shaped like the monitoring reader's output, built directly (fast for big n);
shared by the monitoring chart, frame and view tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

from laptop_pricing.monitoring import quality
from laptop_pricing.pricing import schema


def make_rows(n: int, days: int = 365, seed: int = 0) -> pd.DataFrame:
    """``n`` random requests over ``days`` days from 2025-01-01, sorted by time."""
    rng = np.random.default_rng(seed)
    data = {}
    for field in schema.FIELDS:
        data[field.name] = pd.Categorical(rng.choice([str(v) for v in field.values], size=n))
    data["price"] = rng.lognormal(8.4, 0.3, n).round()
    start = pd.Timestamp("2025-01-01T03:00", tz="UTC")  # midnight in Brasília
    data["timestamp"] = start + pd.to_timedelta(rng.integers(0, days * 86_400, n), unit="s")
    data["model_version"] = pd.Categorical(rng.choice(["1.0.0", "1.1.0"], size=n))
    data["file"] = pd.Categorical(
        data["timestamp"].strftime("%Y-%m-%d") + "_laptop_prediction_data.csv"
    )
    data["line"] = np.arange(n, dtype=np.int32) + 2
    return quality.with_in_schema(pd.DataFrame(data).sort_values("timestamp", ignore_index=True))
