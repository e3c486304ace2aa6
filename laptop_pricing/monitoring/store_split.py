"""The chain view's sentences: which store stands out from the others, in words an owner reads
("A loja Centro recusa 2× mais por preço baixo que a média das outras lojas").

Input is one row per store, already aggregated where the data is (``store_id``, ``offers``,
``accepted``, ``declined_low_price``): this module only compares. A store is compared with the
pooled rate of the *other* stores, not with a mean that includes it (one large store would
otherwise hide in its own average), and only when both sides have at least ``min_offers``
offers and the rates differ by at least ``factor``: a store with 3 offers is noise, not news.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from laptop_pricing.formatting import format_int, format_percent, format_threshold
from laptop_pricing.monitoring import business
from laptop_pricing.monitoring.aggregate import store_groups
from laptop_pricing.store_id import store_label

STORE_ID = "store_id"
OFFERS = "offers"
ACCEPTED = "accepted"
DECLINED_LOW_PRICE = "declined_low_price"
SPLIT_COLUMNS: tuple[str, ...] = (STORE_ID, OFFERS, ACCEPTED, DECLINED_LOW_PRICE)
DEFAULT_FACTOR = 2.0  # a store at twice (or half) the others' rate is worth a sentence
DEFAULT_MIN_OFFERS = 30  # offers on each side before a rate is compared


@dataclass(frozen=True)
class StoreDeviation:
    """One store whose rate stands ``ratio`` times the other stores' (below 1: fewer)."""

    store_id: str
    measure: str  # DECLINED_LOW_PRICE or ACCEPTED
    ratio: float
    count: int
    offers: int
    sentence: str


def times(ratio: float) -> str:
    """``2.0`` -> ``2×``, ``2.34`` -> ``2,3×`` (one decimal, none when whole)."""
    return f"{format_threshold(round(ratio, 1))}×"


def store_deviations(
    per_store: pd.DataFrame,
    factor: float = DEFAULT_FACTOR,
    min_offers: int = DEFAULT_MIN_OFFERS,
) -> list[StoreDeviation]:
    """Every store that declines for a low price ``factor`` times more than the other stores,
    or closes ``factor`` times fewer deals, worst first; empty with fewer than two stores."""
    missing = [c for c in SPLIT_COLUMNS if c not in per_store.columns]
    if missing:
        raise ValueError(f"per-store counts lack {', '.join(missing)}")
    counts = per_store.groupby(STORE_ID, sort=True)[[OFFERS, ACCEPTED, DECLINED_LOW_PRICE]].sum()
    if len(counts) < 2:
        return []
    totals = counts.sum()
    found: list[StoreDeviation] = []
    for store_id, row in counts.iterrows():
        offers, rest_offers = int(row[OFFERS]), int(totals[OFFERS] - row[OFFERS])
        if offers < min_offers or rest_offers < min_offers:
            continue
        for measure in (DECLINED_LOW_PRICE, ACCEPTED):
            count = int(row[measure])
            own, rest = count / offers, int(totals[measure] - row[measure]) / rest_offers
            deviation = _deviation(str(store_id), measure, own, rest, count, offers, factor)
            if deviation is not None:
                found.append(deviation)
    return sorted(found, key=_strength, reverse=True)


def _strength(deviation: StoreDeviation) -> float:
    """How far from the others, either way (2× more and 2× fewer weigh the same)."""
    ratio = deviation.ratio
    return max(ratio, 1 / ratio) if ratio > 0 else math.inf


def chain_sentences(
    per_store: pd.DataFrame,
    factor: float = DEFAULT_FACTOR,
    min_offers: int = DEFAULT_MIN_OFFERS,
) -> list[str]:
    """The sentences the chain view shows (none when no store stands out)."""
    return [d.sentence for d in store_deviations(per_store, factor, min_offers)]


def _deviation(
    store_id: str, measure: str, own: float, rest: float, count: int, offers: int, factor: float
) -> StoreDeviation | None:
    """More declines for price, or fewer deals, than the others by ``factor``; None if not."""
    name = f"A loja {store_label(store_id)}"
    of = f"({format_int(count)} de {format_int(offers)} ofertas)"
    if measure == DECLINED_LOW_PRICE:
        if own == 0 or (rest > 0 and own / rest < factor):
            return None
        ratio = own / rest if rest > 0 else math.inf
        if math.isinf(ratio):
            words = f"{name} teve ofertas recusadas por preço baixo e as outras lojas, nenhuma"
        else:
            words = (
                f"{name} recusa {times(ratio)} mais por preço baixo que a média das outras lojas"
            )
    else:
        if rest == 0 or (own > 0 and rest / own < factor):
            return None
        ratio = own / rest
        if own == 0:
            words = (
                f"{name} não fechou nenhum negócio e as outras lojas fecham {format_percent(rest)}"
            )
        else:
            words = f"{name} fecha {times(1 / ratio)} menos negócios que a média das outras lojas"
    return StoreDeviation(store_id, measure, ratio, count, offers, f"{words} {of}.")


def per_store_counts(joined: pd.DataFrame) -> pd.DataFrame:
    """``SPLIT_COLUMNS`` from the quotes joined with their outcomes (``business.join_outcomes``):
    per store, the offers made, the deals closed and those declined as too low, counted with
    ``np.bincount`` over each quote's store index (a chain's year: 3.65 M quotes)."""
    if joined.empty:
        return pd.DataFrame(columns=list(SPLIT_COLUMNS))
    group, stores = store_groups(joined)

    def count(flags: np.ndarray | None = None) -> np.ndarray:
        weights = None if flags is None else flags.astype(np.float64)
        return np.bincount(group, weights, minlength=len(stores)).astype(np.int64)

    counts = pd.DataFrame(
        {
            STORE_ID: stores,
            OFFERS: count(),
            ACCEPTED: count((joined[business.STATUS] == business.DEAL).to_numpy(dtype=bool)),
            DECLINED_LOW_PRICE: count(joined[business.LOW_OFFER].to_numpy(dtype=bool)),
        }
    )
    return counts[counts[OFFERS] > 0].reset_index(drop=True)
