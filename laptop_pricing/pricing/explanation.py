"""Why this price: each field's contribution in R$, adding up exactly to the price.

The model predicts the log of the price, and the exact path decomposition of its trees
(``laptop_pricing.pricing.tree_paths``) splits ``log(price)`` additively: ``log P = phi_0 +
sum(phi_i)``,
where ``phi_0`` is the model's expected log price over its training rows (the same ``phi_0`` as
LightGBM's TreeSHAP). The stated baseline is ``B = exp(phi_0)``, the price of "the
typical laptop" (a geometric mean). The price is then a product, ``P = B * prod(exp(phi_i))``, and
a product has no unique split into a sum of reais.

We use the logarithmic-mean (LMDI) conversion: ``amount_i = phi_i * (P - B) / (log P - log B)``
(``= phi_i * B`` when ``P == B``). It is exact (the amounts add up to ``P - B``), keeps each sign
(a field that raises the log price raises the price), does not depend on any order of the fields,
and two fields with equal log contributions get equal reais. The alternatives were worse for a
clerk: a sequential conversion gives different reais depending on the order of the fields; a
share of ``P - B`` proportional to ``phi_i`` blows up when the log contributions nearly cancel.

Reais are whole numbers: the baseline is rounded, then the amounts are rounded by largest
remainder so that ``baseline + sum(amounts) == prediction`` exactly (the contract asks for R$ 1).
"""

from __future__ import annotations

import json
import math
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import starmap
from typing import Any, NamedTuple

import numpy as np

from laptop_pricing.pricing.schema import FIELD_NAMES, FIELDS, Value

BASELINE_METHOD = (
    "exact path decomposition (Saabas) of the trees on log(price), tabled per leaf, converted to "
    "R$ by the logarithmic mean: amount_i = phi_i * (P - B) / (ln P - ln B); baseline "
    "B = exp(expected log price over the training rows)"
)


class Contribution(NamedTuple):
    """One field's share of the price (a named tuple: fifteen per explained answer, built fast)."""

    field: str
    value: Value | None
    amount: int  # BRL; positive raises the price


@dataclass(frozen=True)
class Explanation:
    """``baseline + sum(c.amount for c in contributions) == price``; one entry per field."""

    baseline: int
    contributions: tuple[Contribution, ...]

    def as_body(self) -> dict[str, Any]:
        return {
            "baseline": self.baseline,
            "contributions": [
                {"field": c.field, "value": c.value, "amount": c.amount} for c in self.contributions
            ],
        }

    def as_json(self) -> str:
        """``json.dumps(self.as_body())``, with each field's and value's JSON encoded once."""
        prefixes = _PREFIXES
        members = ", ".join(
            [f"{prefixes.get((f, v)) or _prefix(f, v)}{a}}}" for f, v, a in self.contributions]
        )
        return f'{{"baseline": {self.baseline}, "contributions": [{members}]}}'

    def top(self, n: int) -> tuple[Contribution, ...]:
        """The ``n`` largest effects (either sign), largest first; zero effects left out."""
        ranked = sorted(self.contributions, key=lambda c: (-abs(c.amount), c.field))
        return tuple(c for c in ranked[:n] if c.amount != 0)


def _prefix(name: str, value: Value | None) -> str:
    return f'{{"field": {json.dumps(name)}, "value": {json.dumps(value)}, "amount": '


# Every value the schema allows, encoded once; anything else (a hand-built Explanation) on the fly.
_PREFIXES = {(f.name, v): _prefix(f.name, v) for f in FIELDS for v in f.form_values}


def reais(
    log_contributions: Sequence[float] | np.ndarray, log_baseline: float
) -> tuple[float, list[float]]:
    """(baseline B, amounts) in unrounded reais; ``B + sum(amounts) == P`` up to float error."""
    # Plain floats: for 15 numbers Python's arithmetic beats numpy's per-call overhead.
    phis = (
        log_contributions.tolist()
        if isinstance(log_contributions, np.ndarray)
        else list(log_contributions)
    )
    total = sum(phis)
    baseline = math.exp(log_baseline)
    price = math.exp(log_baseline + total)
    scale = baseline if abs(total) < 1e-12 else (price - baseline) / total
    return baseline, [phi * scale for phi in phis]


def round_to_total(amounts: Sequence[float], total: int) -> list[int]:
    """Whole reais summing to ``total`` exactly, each within 1 of its unrounded amount
    (largest remainder: floor all, then give the missing units to the largest remainders;
    equal remainders in field order)."""
    floors = list(map(math.floor, amounts))
    missing = total - sum(floors)
    if missing:
        # (floor - amount, position) ascending: the largest remainder first.
        order = sorted(zip(map(operator.sub, floors, amounts), range(len(floors)), strict=True))
        if missing > 0:
            for _, i in order[:missing]:
                floors[i] += 1
        else:  # only when the rounded price and baseline pull apart: take from the smallest rests
            for _, i in order[::-1][:-missing]:
                floors[i] -= 1
    return floors


def explain(
    field_log_contributions: np.ndarray,
    log_baseline: float,
    price: int,
    values: Sequence[Value | None],
) -> Explanation:
    """The explanation of one price from per-field log contributions (in ``FIELD_NAMES`` order)."""
    baseline, amounts = reais(field_log_contributions, log_baseline)
    rounded_baseline = round(baseline)
    whole = round_to_total(amounts, price - rounded_baseline)
    return Explanation(
        baseline=rounded_baseline,
        contributions=tuple(starmap(Contribution, zip(FIELD_NAMES, values, whole, strict=True))),
    )
