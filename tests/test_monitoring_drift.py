"""Drift statistics on known distributions, and the table against a metadata-shaped reference."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from laptop_pricing.monitoring import drift
from laptop_pricing.monitoring.reading import read_log
from laptop_pricing.pricing import schema
from laptop_pricing.record_kinds import PREDICTIONS
from laptop_pricing.request_log import LogLayout
from laptop_pricing.storage.stores import LocalRecordStore
from tests.monitoring_fixtures import SAMPLE_DIR


def test_identical_distributions_have_zero_psi_and_js():
    counts = [10, 30, 60]
    assert drift.psi(counts, counts) == pytest.approx(0.0, abs=1e-12)
    assert drift.psi(counts, [c * 7 for c in counts]) == pytest.approx(0.0, abs=1e-12)
    assert drift.jensen_shannon(counts, counts) == pytest.approx(0.0, abs=1e-12)


def test_psi_matches_the_formula_on_a_hand_computed_case():
    expected, actual = [0.5, 0.5], [0.8, 0.2]
    by_hand = (0.8 - 0.5) * math.log(0.8 / 0.5) + (0.2 - 0.5) * math.log(0.2 / 0.5)
    assert drift.psi(expected, actual) == pytest.approx(by_hand)
    assert drift.status_for(by_hand, rows=1000) == drift.DRIFT  # 0.416


def test_thresholds_and_too_few_rows():
    assert drift.status_for(0.099, 1000) == drift.OK
    assert drift.status_for(0.1, 1000) == drift.WARNING
    assert drift.status_for(0.25, 1000) == drift.DRIFT
    assert drift.status_for(5.0, drift.MIN_ROWS - 1) == drift.INSUFFICIENT


def test_empty_bin_uses_epsilon_and_stays_finite():
    value = drift.psi([50, 50, 0], [45, 45, 10])
    assert math.isfinite(value) and value > drift.DRIFT_PSI
    js = drift.jensen_shannon([50, 50, 0], [45, 45, 10])
    assert 0 < js < 1
    assert drift.jensen_shannon([1, 0], [0, 1]) == pytest.approx(1.0)


def test_a_small_shift_warns_and_a_large_one_drifts():
    base = np.array([25, 25, 25, 25])
    small = np.array([33, 27, 22, 18])
    large = np.array([55, 25, 12, 8])
    assert drift.status_for(drift.psi(base, small), 1000) in (drift.OK, drift.WARNING)
    assert drift.psi(base, small) < drift.psi(base, large)
    assert drift.status_for(drift.psi(base, large), 1000) == drift.DRIFT


def reference_from(frame: pd.DataFrame, prices: np.ndarray) -> dict:
    """A reference in the agreed metadata shape, built from a frame of allowed values."""
    fields = {}
    for field in schema.FIELDS:
        counts = frame[field.name].astype(str).value_counts()
        fields[field.name] = {str(v): int(counts.get(str(v), 0)) for v in field.values}
    quantiles = (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95)
    return {
        "reference": {
            "n_rows": len(frame),
            "fields": fields,
            "price_quantiles": {str(q): float(np.quantile(prices, q)) for q in quantiles},
        }
    }


def sample_rows(n: int, seed: int, shift: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    data = {}
    for field in schema.FIELDS:
        values = [str(v) for v in field.values]
        weights = np.ones(len(values))
        if shift and field.name == "ram_gb":
            weights = np.array([0.02, 0.08, 0.3, 0.6])
        data[field.name] = pd.Categorical(rng.choice(values, size=n, p=weights / weights.sum()))
    prices = rng.lognormal(8.5, 0.3, n) * (1.6 if shift else 1.0)
    data["price"] = prices
    return pd.DataFrame(data)


def test_table_against_the_same_population_is_all_ok():
    train = sample_rows(20_000, seed=1)
    reference = drift.Reference.from_reference(
        reference_from(train, train["price"].to_numpy())["reference"]
    )
    table = drift.drift_table(sample_rows(5_000, seed=2), reference)
    assert set(table["status"]) == {drift.OK}
    assert len(table) == len(schema.FIELDS) + 1
    assert (table["psi"] < 0.02).all()


def test_table_flags_the_shifted_field_and_price_worst_first():
    train = sample_rows(20_000, seed=1)
    reference = drift.Reference.from_reference(
        reference_from(train, train["price"].to_numpy())["reference"]
    )
    table = drift.drift_table(sample_rows(5_000, seed=3, shift=True), reference)
    worst = table.head(2).set_index("field")
    assert set(worst.index) == {"ram_gb", "price"}
    assert set(worst["status"]) == {drift.DRIFT}
    assert table["psi"].iloc[0] >= table["psi"].iloc[1]
    assert set(table["status"].iloc[2:]) == {drift.OK}
    value, before, after = worst.loc["ram_gb", "biggest_change"]
    assert value == "32" and before == pytest.approx(0.25, abs=0.02)
    assert after == pytest.approx(0.6, abs=0.03)


def test_values_outside_the_schema_count_as_drift_on_the_real_logs():
    train = sample_rows(20_000, seed=1)
    reference = drift.Reference.from_reference(
        reference_from(train, train["price"].to_numpy())["reference"]
    )
    rows = read_log(LocalRecordStore(SAMPLE_DIR, LogLayout("", PREDICTIONS))).rows
    table = drift.drift_table(rows, reference).set_index("field")
    assert table.loc["ram_gb", "status"] == drift.DRIFT
    assert table.loc["ram_gb", "outside_share"] > 0.7
    assert table.loc["brand", "outside_share"] == pytest.approx(11 / len(rows))


def test_prediction_quantiles_are_preferred_and_missing_reference_is_typed():
    metadata = reference_from(sample_rows(100, seed=1), np.arange(100.0))
    metadata["reference"]["prediction_quantiles"] = {"0.5": 10.0, "0.25": 5.0, "0.75": 20.0}
    reference = drift.Reference.from_reference(metadata["reference"])
    assert reference.price.source == "prediction_quantiles"
    assert reference.price.edges == (5.0, 10.0, 20.0)
    assert reference.price.shares == pytest.approx((0.25, 0.25, 0.25, 0.25))
    with pytest.raises(drift.ReferenceMissing):
        drift.Reference.from_reference({"n_rows": 1})


def test_too_few_rows_get_no_verdict():
    train = sample_rows(2_000, seed=1)
    reference = drift.Reference.from_reference(
        reference_from(train, train["price"].to_numpy())["reference"]
    )
    table = drift.drift_table(sample_rows(10, seed=5, shift=True), reference)
    assert set(table["status"]) == {drift.INSUFFICIENT}
    empty = drift.drift_table(sample_rows(0, seed=5), reference)
    assert set(empty["status"]) == {drift.INSUFFICIENT} and (empty["rows"] == 0).all()
