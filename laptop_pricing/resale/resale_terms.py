"""The resale part of the store policy (``[resale]`` in ``policy/store_policy.toml``, optional).

How many sales a segment needs before the advisor speaks of it, and by how much a model trained
on the store's own sales must beat today's rule before it may price offers. The owner sets both;
absent, the defaults below apply. A bad value raises ``PolicyError`` naming its key
(``resale.min_sales_per_segment: must be a whole number from 6 to 10000``).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from laptop_pricing.trade_in.policy import PolicyError, load_policy, policy_file

RESALE_KEYS: tuple[str, ...] = ("min_sales_per_segment", "store_model_margin_pct")
DEFAULT_MIN_SALES = 20
# Below six sales no 95 % interval for a median exists (0.5**6 * 2 > 5 %).
MIN_SALES_FLOOR = 6
DEFAULT_STORE_MODEL_MARGIN_PCT = 10


@dataclass(frozen=True)
class ResaleTerms:
    """``min_sales_per_segment``: sales without defects a segment needs for a suggestion;
    ``store_model_margin_pct``: how much lower (in %) the store model's held-out MAPE must be
    than the rule's for it to become champion."""

    min_sales_per_segment: int = DEFAULT_MIN_SALES
    store_model_margin_pct: int = DEFAULT_STORE_MODEL_MARGIN_PCT


def load_resale_terms(path: str | Path | None = None, store_id: str | None = None) -> ResaleTerms:
    """The ``[resale]`` table of the store's policy file (the whole policy validated first)."""
    load_policy(path, store_id)
    chosen = policy_file(path, store_id)
    raw = tomllib.loads(chosen.read_text(encoding="utf-8"))
    return parse_resale_terms(raw.get("resale"), str(chosen))


def parse_resale_terms(table: Any, source: str = "") -> ResaleTerms:
    if table is None:
        return ResaleTerms()
    if not isinstance(table, dict):
        raise PolicyError("resale", "must be a table ([resale])", source)
    for key in table:
        if key not in RESALE_KEYS:
            raise PolicyError(
                f"resale.{key}", f"unknown key (allowed: {', '.join(RESALE_KEYS)})", source
            )

    def whole(key: str, default: int, low: int, high: int) -> int:
        value = table.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise PolicyError(
                f"resale.{key}", f"must be a whole number from {low} to {high}", source
            )
        return value

    return ResaleTerms(
        min_sales_per_segment=whole(
            "min_sales_per_segment", DEFAULT_MIN_SALES, MIN_SALES_FLOOR, 10_000
        ),
        store_model_margin_pct=whole(
            "store_model_margin_pct", DEFAULT_STORE_MODEL_MARGIN_PCT, 0, 90
        ),
    )
