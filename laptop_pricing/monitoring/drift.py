"""Do today's requests still look like the data the model learned from?

Per field, the share of each allowed value among the requests is compared with its share in the
training data (``reference.fields`` of the model metadata). Values outside the schema go to one
extra bin that the training data never had, so a flood of "RAM 252 GB" shows up as drift: the
model is being asked about laptops it never saw. The price is compared bin by bin between the
reference quantiles (the model's own predictions on its training data when the metadata has them,
since the log holds predictions).

PSI = sum((a - e) * ln(a / e)) with empty bins set to ``EPSILON`` (then renormalised): ok below
0.1, "warning" from 0.1, "drift" from 0.25 — the usual credit-scoring thresholds. Jensen–Shannon
divergence (base 2, between 0 and 1) is the second opinion: symmetric, bounded, and calm about
bins that are empty on one side, where PSI is loud. Fewer than ``MIN_ROWS`` requests: no verdict.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.spatial.distance import jensenshannon

from laptop_pricing import log_columns
from laptop_pricing.pricing import schema
from laptop_pricing.pricing.artifact import ModelMetadata

# Counts (or shares) over the same bins: a list from the metadata or an array from a window.
Counts = Sequence[float] | np.ndarray

EPSILON = 1e-4
WARNING_PSI = 0.1
DRIFT_PSI = 0.25
MIN_ROWS = 50

OK = "ok"
WARNING = "warning"
DRIFT = "drift"
INSUFFICIENT = "insufficient"
_SEVERITY = {DRIFT: 0, WARNING: 1, OK: 2, INSUFFICIENT: 3}

OUTSIDE_BIN = "__outside__"
PRICE = log_columns.PRICE_COLUMN
DRIFT_COLUMNS = ("field", "psi", "js", "status", "rows", "biggest_change", "outside_share")
_QUANTILE_KEYS = ("prediction_quantiles", "price_quantiles")


class ReferenceMissing(ValueError):
    """The model metadata carries no usable training distribution."""


@dataclass(frozen=True)
class PriceReference:
    edges: tuple[float, ...]  # inner edges; the outer bins are open-ended
    shares: tuple[float, ...]  # expected share of each of len(edges) + 1 bins
    source: str


@dataclass(frozen=True)
class Reference:
    n_rows: int
    fields: Mapping[str, Mapping[str, int]]
    price: PriceReference | None

    @classmethod
    def from_metadata(cls, metadata: ModelMetadata) -> Reference:
        """The training distribution of the shipped model (``metadata.reference``)."""
        return cls.from_reference(metadata.reference)

    @classmethod
    def from_reference(cls, reference: Mapping[str, Any] | None) -> Reference:
        if not isinstance(reference, Mapping) or not isinstance(reference.get("fields"), Mapping):
            raise ReferenceMissing("model metadata has no reference.fields")
        fields = {
            name: {str(k): int(v) for k, v in counts.items()}
            for name, counts in reference["fields"].items()
            if name in schema.FIELDS_BY_NAME and isinstance(counts, Mapping)
        }
        if not fields:
            raise ReferenceMissing("reference.fields names no schema field")
        return cls(int(reference.get("n_rows", 0)), fields, _price_reference(reference))


def _price_reference(reference: Mapping[str, Any]) -> PriceReference | None:
    for key in _QUANTILE_KEYS:
        quantiles = reference.get(key)
        if not isinstance(quantiles, Mapping) or len(quantiles) < 2:
            continue
        pairs = sorted((float(q), float(v)) for q, v in quantiles.items())
        levels = [0.0, *(q for q, _ in pairs), 1.0]
        shares = tuple(b - a for a, b in itertools.pairwise(levels))
        edges = tuple(v for _, v in pairs)
        if all(b > a for a, b in itertools.pairwise(edges)):
            return PriceReference(edges, shares, key)
    return None


def proportions(counts: Counts, epsilon: float = EPSILON) -> np.ndarray:
    values = np.asarray(counts, dtype=np.float64)
    total = values.sum()
    shares = values / total if total > 0 else np.full(len(values), 1.0 / len(values))
    shares = np.where(shares <= 0, epsilon, shares)
    normalised: np.ndarray = shares / shares.sum()
    return normalised


def psi(expected: Counts, actual: Counts, epsilon: float = EPSILON) -> float:
    """Population stability index between two count (or share) vectors over the same bins.

    Written here because neither scipy nor scikit-learn has it: it is one line over the
    smoothed shares (the epsilon keeps an empty bin from making it infinite)."""
    e, a = proportions(expected, epsilon), proportions(actual, epsilon)
    return float(np.sum((a - e) * np.log(a / e)))


def jensen_shannon(expected: Counts, actual: Counts) -> float:
    """Jensen–Shannon divergence in bits (0 identical, 1 disjoint), from scipy, which gives the
    distance (its square root); empty bins need no epsilon."""
    e, a = proportions(expected, 0.0), proportions(actual, 0.0)
    return float(jensenshannon(e, a, base=2) ** 2)


def status_for(psi_value: float, rows: int) -> str:
    if rows < MIN_ROWS:
        return INSUFFICIENT
    if psi_value >= DRIFT_PSI:
        return DRIFT
    if psi_value >= WARNING_PSI:
        return WARNING
    return OK


@dataclass(frozen=True)
class Comparison:
    """One field's distributions side by side, ready for the drift table or a chart."""

    field: str
    bins: tuple[str, ...]
    expected: np.ndarray
    actual: np.ndarray

    @property
    def rows(self) -> int:
        return int(self.actual.sum())

    def as_record(self) -> dict[str, Any]:
        psi_value = psi(self.expected, self.actual)
        e, a = proportions(self.expected, 0.0), proportions(self.actual, 0.0)
        biggest = int(np.argmax(np.abs(a - e))) if self.rows else 0
        outside = self.bins.index(OUTSIDE_BIN) if OUTSIDE_BIN in self.bins else None
        return {
            "field": self.field,
            "psi": psi_value,
            "js": jensen_shannon(self.expected, self.actual),
            "status": status_for(psi_value, self.rows),
            "rows": self.rows,
            "biggest_change": (self.bins[biggest], float(e[biggest]), float(a[biggest])),
            "outside_share": float(a[outside]) if outside is not None and self.rows else 0.0,
        }


def field_comparison(rows: pd.DataFrame, field_name: str, reference: Reference) -> Comparison:
    """An optional (v2) field left empty reads as its ``missing`` value ("not available" for the
    generation); when that is "not informed", the empty rows are left out of the comparison, so
    day files written before the field existed, and v1 clients, do not count as drift."""
    counts = rows[field_name].value_counts() if len(rows) else pd.Series(dtype="int64")
    return comparison_of_counts(field_name, counts, len(rows), reference)


def comparison_of_counts(
    field_name: str, value_counts: pd.Series, total: int, reference: Reference
) -> Comparison:
    """``field_comparison`` from the field's value counts among ``total`` requests."""
    field = schema.FIELDS_BY_NAME[field_name]
    allowed = [str(v) for v in field.values]
    expected_counts = reference.fields.get(field_name, {})
    counts = value_counts.copy()
    counts.index = counts.index.astype(str)
    counts = counts.groupby(level=0).sum()
    informed = total
    if not field.required and "" in counts.index:
        empty = int(counts.pop(""))
        if field.missing is None:
            informed -= empty
        else:
            counts[str(field.missing)] = counts.get(str(field.missing), 0) + empty
    actual = [int(counts.get(v, 0)) for v in allowed]
    actual.append(informed - sum(actual))
    expected = [float(expected_counts.get(v, 0)) for v in allowed] + [0.0]
    return Comparison(field_name, (*allowed, OUTSIDE_BIN), np.array(expected), np.array(actual))


def price_comparison(prices: pd.Series, reference: PriceReference) -> Comparison:
    values = prices.dropna().to_numpy(dtype=np.float64)
    bins = np.searchsorted(np.asarray(reference.edges), values, side="right")
    actual = np.bincount(bins, minlength=len(reference.shares)).astype(np.float64)
    return price_comparison_of_counts(actual, reference)


def price_comparison_of_counts(actual: np.ndarray, reference: PriceReference) -> Comparison:
    """The price's comparison from the requests per reference bin (``searchsorted`` right)."""
    labels = [f"< {reference.edges[0]:.0f}"]
    labels += [f"{a:.0f}–{b:.0f}" for a, b in itertools.pairwise(reference.edges)]
    labels.append(f">= {reference.edges[-1]:.0f}")
    return Comparison(PRICE, tuple(labels), np.asarray(reference.shares), actual)


def comparisons(
    rows: pd.DataFrame,
    reference: Reference,
    value_counts: Mapping[str, pd.Series] | None = None,
) -> list[Comparison]:
    """Every field the reference knows, in contract order, then the price when it has one.
    ``value_counts``: each field's counts in ``rows``, when the caller has them."""
    found = [
        field_comparison(rows, name, reference)
        if value_counts is None
        else comparison_of_counts(name, value_counts[name], len(rows), reference)
        for name in schema.FIELD_NAMES
        if name in reference.fields
    ]
    if reference.price is not None:
        found.append(price_comparison(rows[PRICE], reference.price))
    return found


def drift_table(
    rows: pd.DataFrame,
    reference: Reference,
    band: BandSettings | None = None,
    value_counts: Mapping[str, pd.Series] | None = None,
) -> pd.DataFrame:
    """One line per field (and the price), worst first: drift, warning, ok, too few rows.

    With ``band``, two more columns: ``band`` (the PSI that resamples of the training data of
    this window's size stay under, see ``psi_band``) and ``outside_band``. ``value_counts`` as
    in ``comparisons``."""
    return table_of_comparisons(comparisons(rows, reference, value_counts), band)


def table_of_comparisons(
    found: Sequence[Comparison], band: BandSettings | None = None
) -> pd.DataFrame:
    """``drift_table`` from the comparisons themselves (the warehouse builds them from counts)."""
    table = pd.DataFrame.from_records([c.as_record() for c in found], columns=list(DRIFT_COLUMNS))
    if band is not None:
        limits = [psi_band(c.expected, c.rows, band) for c in found]
        table["band"] = limits
        table["outside_band"] = [
            c.rows > 0 and value > limit
            for c, value, limit in zip(found, table["psi"], limits, strict=True)
        ]
    table["severity"] = table["status"].map(_SEVERITY)
    table = table.sort_values(["severity", "psi", "js"], ascending=[True, False, False])
    return table.drop(columns="severity").reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Bands from the reference (beside the fixed cut-offs above)
#
# A window of 30 requests drawn from the training data itself often has a PSI above 0.1: the
# fixed cut-offs flag noise in small windows and, with thousands of rows, miss a real but
# modest move. The band asks instead: how large is the PSI of a bootstrap resample of the
# training data *of this window's size*? For one categorical field, resampling the training rows
# with replacement is a multinomial draw from the training counts, so the resamples are drawn
# that way (the price from its reference bin shares). A window is outside its band when its PSI
# exceeds the ``confidence`` quantile of the resamples' PSI.


@dataclass(frozen=True)
class BandSettings:
    confidence: float = 0.95
    resamples: int = 1000
    seed: int = 0  # fixed: the page and the alerts command draw the same band


def psi_of_counts(expected: Counts, counts: np.ndarray, epsilon: float = EPSILON) -> np.ndarray:
    """``psi`` of each row of ``counts`` against ``expected`` (vectorised, same formula)."""
    e = proportions(expected, epsilon)
    counts = np.atleast_2d(np.asarray(counts, dtype=np.float64))
    totals = counts.sum(axis=1, keepdims=True)
    shares = np.divide(counts, totals, out=np.full_like(counts, 1.0 / counts.shape[1]),
                       where=totals > 0)  # fmt: skip
    shares = np.where(shares <= 0, epsilon, shares)
    shares = shares / shares.sum(axis=1, keepdims=True)
    values: np.ndarray = np.sum((shares - e) * np.log(shares / e), axis=1)
    return values


def resample_psi(
    expected: Counts, rows: int, resamples: int, rng: np.random.Generator
) -> np.ndarray:
    """PSI of ``resamples`` bootstrap resamples of ``rows`` rows from the reference."""
    p = proportions(expected, 0.0)
    return psi_of_counts(expected, rng.multinomial(rows, p, size=resamples))


def psi_band(expected: Counts, rows: int, settings: BandSettings = BandSettings()) -> float:
    """The PSI that resamples of the reference of ``rows`` rows stay under with the given
    confidence (NaN for an empty window)."""
    if rows <= 0:
        return float("nan")
    rng = np.random.default_rng(settings.seed)
    values = resample_psi(expected, rows, settings.resamples, rng)
    return float(np.quantile(values, settings.confidence))
