"""Are the offers right? Quotes joined to what became of them, as small tables for the page.

Input: the quotes (request-log rows that carry a ``quote_id`` and an ``offer``: the laptop
fields, the condition answers, the market estimate ``price``, ``timestamp``, ``model_version``,
``policy_version``) and the stored outcomes (``laptop_pricing.trade_in.outcome``). Each quote
counts with
its *current* outcome (the latest); a quote with none is *open*.

Words used throughout: a quote is *decided* once it has an outcome; a *deal* is an accepted,
negotiated or revised outcome (the store bought the laptop); the *acceptance rate* is deals over
decided quotes, with a 95 % Wilson score interval (well-behaved for small counts and for rates
near 0 or 1, where the normal approximation leaves [0, 1]); the *paid/offer ratio* is what the
store paid over the offer, for deals. Every function is pure: frames in, frames out.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from laptop_pricing import log_columns
from laptop_pricing.formatting import format_whole_price
from laptop_pricing.monitoring.aggregate import brasilia_days
from laptop_pricing.monitoring.categories import of_categories
from laptop_pricing.monitoring.parsing import FILE_COLUMN, LINE_COLUMN
from laptop_pricing.monitoring.quality import IN_SCHEMA_COLUMN
from laptop_pricing.monitoring.quote_outcomes import current_outcome_columns, first_of_each_quote
from laptop_pricing.pricing import schema
from laptop_pricing.store_id import store_label, store_of
from laptop_pricing.trade_in import outcome
from laptop_pricing.trade_in.condition import DEFECT_LOG_CELLS

QUOTE_ID = outcome.QUOTE_ID
OFFER = outcome.OFFER
POLICY_VERSION = "policy_version"
STORE_ID = log_columns.STORE_ID_COLUMN
PRICE = log_columns.PRICE_COLUMN
TIMESTAMP = log_columns.TIMESTAMP_COLUMN
VERSION = log_columns.VERSION_COLUMN

STATUS = "status"
DEAL = "deal"
DECLINED = "declined"
OPEN = "open"
STATUSES = (DEAL, DECLINED, OPEN)  # a quote's status is a categorical of these
STATUS_LABELS: Mapping[str, str] = {
    DEAL: "Fechadas",
    DECLINED: "Recusadas",
    OPEN: "Em aberto",
}
PAID = "paid"
PAID_RATIO = "paid_ratio"
LOW_OFFER = "low_offer"  # declined because the offer was too low
Z_95 = 1.959963984540054
# Below this many decided quotes a segment's or a week's rate is one or two customers' choice
# (n = 1 reads as 0 % or 100 %): the charts leave such segments out and mark such weeks.
MIN_DECIDED = 5

# Market-estimate bands (R$), around the training data's quartiles (about 3.100, 4.300, 6.000).
PRICE_BAND = "price_band"
PRICE_BAND_EDGES: tuple[int, ...] = (3000, 4500, 6000, 9000)

# Condition grade: how many answers describe a defect, from the request log's condition columns
# (``condition.DEFECT_LOG_CELLS``: every answer but a question's best one).
CONDITION = "condition"
CONDITION_DEFECTS: Mapping[str, frozenset[str]] = DEFECT_LOG_CELLS
NO_DEFECTS = "Sem defeitos"
ONE_DEFECT = "1 defeito"
MANY_DEFECTS = "2 ou mais defeitos"
NOT_ANSWERED = "Sem condição informada"


@dataclass(frozen=True)
class Segment:
    """One way to split the quotes: a column and the pt-BR words for it and its values."""

    column: str
    label: str
    value_label: Callable[[str], str]


def _schema_label(field_name: str) -> Callable[[str], str]:
    field = schema.FIELDS_BY_NAME[field_name]
    by_text = {str(v): label for v, label in ((o.value, o.label) for o in field.options)}
    return lambda value: by_text.get(str(value), str(value))


def _as_is(value: str) -> str:
    return str(value)


SEGMENTS: tuple[Segment, ...] = (
    Segment("brand", "Marca", _schema_label("brand")),
    Segment("processor_name", "Processador", _schema_label("processor_name")),
    Segment(PRICE_BAND, "Faixa do preço de mercado", _as_is),
    Segment(CONDITION, "Condição", _as_is),
    Segment(VERSION, "Versão do modelo", _as_is),
    Segment(POLICY_VERSION, "Versão da política", _as_is),
    Segment(STORE_ID, "Loja", lambda value: store_label(store_of(value))),
)
SEGMENTS_BY_COLUMN: Mapping[str, Segment] = {s.column: s for s in SEGMENTS}


def price_band_labels(edges: tuple[int, ...] = PRICE_BAND_EDGES) -> tuple[str, ...]:
    labels = [f"até {format_whole_price(edges[0])}"]
    labels += [
        f"{format_whole_price(a)} a {format_whole_price(b)}" for a, b in itertools.pairwise(edges)
    ]
    labels.append(f"acima de {format_whole_price(edges[-1])}")
    return tuple(labels)


def price_bands(prices: pd.Series, edges: tuple[int, ...] = PRICE_BAND_EDGES) -> pd.Series:
    """Each market estimate's band, as an ordered categorical of pt-BR labels."""
    labels = price_band_labels(edges)
    values = pd.to_numeric(prices, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    codes = np.searchsorted(np.asarray(edges, dtype=np.float64), values, side="left")
    codes = np.where(np.isnan(values), -1, codes)
    return pd.Series(
        pd.Categorical.from_codes(codes, categories=list(labels), ordered=True), index=prices.index
    )


def condition_grades(quotes: pd.DataFrame) -> pd.Series:
    """'Sem defeitos', '1 defeito' or '2 ou mais defeitos' from the condition answers."""
    order = [NO_DEFECTS, ONE_DEFECT, MANY_DEFECTS, NOT_ANSWERED]
    present = [c for c in CONDITION_DEFECTS if c in quotes]
    if not present:
        grades = np.full(len(quotes), NOT_ANSWERED, dtype=object)
        return pd.Series(pd.Categorical(grades, categories=order, ordered=True), quotes.index)
    defects = np.zeros(len(quotes), dtype=np.int64)
    answered = np.zeros(len(quotes), dtype=bool)
    for column in present:
        answer, defect = _answer_flags(quotes[column], CONDITION_DEFECTS[column])
        answered |= answer
        defects += defect
    codes = np.where(answered, np.minimum(defects, 2), 3).astype(np.int8)  # ``order``'s
    return pd.Series(pd.Categorical.from_codes(codes, categories=order, ordered=True), quotes.index)


def _answer_flags(values: pd.Series, defects: frozenset[str]) -> tuple[np.ndarray, np.ndarray]:
    """Per row: is the question answered, and does the answer describe a defect (a missing
    answer: neither)."""

    def text(answers: pd.Series) -> pd.Series:
        return answers.astype(str).str.strip().str.lower()

    answered = of_categories(values, lambda v: ~text(v).isin(UNANSWERED).to_numpy(), False)
    return answered, of_categories(values, lambda v: text(v).isin(defects).to_numpy(), False)


UNANSWERED = ("", "nan", "none", "<na>")  # what an empty or missing answer reads as in text


def numbers(values: pd.Series) -> pd.Series:
    """``pd.to_numeric(errors="coerce")`` as floats (a missing value: NaN)."""

    def parse(text: pd.Series) -> np.ndarray:
        parsed: np.ndarray = pd.to_numeric(text, errors="coerce").to_numpy(
            dtype=np.float64, na_value=np.nan
        )
        return parsed

    return pd.Series(of_categories(values, parse, np.nan), index=values.index)


# Request-log columns no figure, rate or sentence of the section reads: left behind before the
# join copies the quotes (a chain's year of them is 3.65 M rows).
NOT_JOINED: frozenset[str] = frozenset(
    {
        *(f.name for f in schema.FIELDS if f.name not in ("brand", "processor_name")),
        log_columns.REQUEST_ID_COLUMN,
        log_columns.CLERK_EMAIL_COLUMN,
        log_columns.VALID_UNTIL_COLUMN,
        log_columns.PRICING_SOURCE_COLUMN,
        FILE_COLUMN,
        LINE_COLUMN,
        IN_SCHEMA_COLUMN,
    }
)


def join_outcomes(quotes: pd.DataFrame, outcomes: pd.DataFrame) -> pd.DataFrame:
    """Quotes that made an offer, each with its current outcome (none: open) and its segments.

    Adds ``decision``, ``reason``, ``amount``, ``status`` (deal / declined / open), ``paid``,
    ``paid_ratio``, ``low_offer``, ``price_band`` and ``condition``."""
    if QUOTE_ID not in quotes or OFFER not in quotes:  # a log from before the trade-in offer
        quotes = quotes.iloc[0:0].assign(
            **{QUOTE_ID: pd.Series(dtype=object), OFFER: pd.Series(dtype="float64")}
        )
    quotes = quotes[[c for c in quotes.columns if c not in NOT_JOINED]]
    offers = numbers(quotes[OFFER])
    made = (offers.notna() & (offers > 0)).to_numpy()
    quotes = (quotes if made.all() else quotes[made]).assign(**{OFFER: offers[made]})
    quotes, keys = first_of_each_quote(quotes)
    quotes = quotes.reset_index(drop=True)
    joined = quotes.assign(**current_outcome_columns(quotes[QUOTE_ID], outcomes, keys))
    del keys  # 8 bytes a quote, not needed past the lookup
    decision = joined[outcome.DECISION]  # a categorical: compared once per decision
    deal = decision.isin(list(outcome.DEAL_DECISIONS)).to_numpy(dtype=bool)
    declined = (decision == outcome.DECLINED).to_numpy(dtype=bool)
    accepted = (decision == outcome.ACCEPTED).to_numpy(dtype=bool)
    offer = joined[OFFER].to_numpy(dtype=np.float64)
    amount = pd.to_numeric(joined[outcome.AMOUNT], errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan
    )
    paid = np.where(accepted, offer, np.where(deal, amount, np.nan))
    status = np.select([deal, declined], [0, 1], 2).astype(np.int8)  # ``STATUSES``' order
    joined[STATUS] = pd.Categorical.from_codes(status, categories=list(STATUSES))
    joined[PAID] = paid
    joined[PAID_RATIO] = paid / offer
    too_low = (joined[outcome.REASON] == outcome.OFFER_TOO_LOW).to_numpy(dtype=bool)
    joined[LOW_OFFER] = declined & too_low
    joined[PRICE_BAND] = price_bands(joined[PRICE]) if PRICE in joined else None
    joined[CONDITION] = condition_grades(joined)
    if POLICY_VERSION not in joined:
        joined[POLICY_VERSION] = ""
    if STORE_ID not in joined:  # a log from before stores: every quote is the default store's
        joined[STORE_ID] = ""
    return joined


# ---------------------------------------------------------------------------------------------
# Rates


def wilson_interval(
    successes: npt.ArrayLike, trials: npt.ArrayLike, z: float = Z_95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a proportion (vectorised); NaN where there are no trials."""
    k = np.asarray(successes, dtype=np.float64)
    n = np.asarray(trials, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denominator = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denominator
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denominator
    low = np.where(n > 0, np.clip(centre - half, 0, 1), np.nan)
    high = np.where(n > 0, np.clip(centre + half, 0, 1), np.nan)
    return low, high


RATE_COLUMNS = (
    "quotes",
    "decided",
    "deals",
    "acceptance",
    "acceptance_low",
    "acceptance_high",
    "declined_low_offer",
    "low_offer_share",
    "paid_ratio",
    "open",
)


# What became of a quote, as ``_group_rates`` counts it: one small code per quote.
_KIND_DEAL, _KIND_LOW_OFFER, _KIND_DECLINED, _KIND_OPEN = range(4)


@dataclass(frozen=True)
class _Counted:
    """What ``_group_rates`` counts of each quote, read once for every segment: its outcome
    kind, and the few quotes with a paid ratio (the deals) with that ratio."""

    kind: np.ndarray  # ``_KIND_*``, one byte a quote
    paid: np.ndarray  # the rows with a paid ratio
    paid_ratio: np.ndarray  # their ratio

    @classmethod
    def of(cls, joined: pd.DataFrame) -> _Counted:
        status = joined[STATUS]  # compared as a column: never turned into a million texts
        kind = np.full(len(joined), _KIND_DECLINED, dtype=np.int8)
        kind[joined[LOW_OFFER].to_numpy(dtype=bool)] = _KIND_LOW_OFFER
        kind[(status == DEAL).to_numpy(dtype=bool)] = _KIND_DEAL
        kind[(status == OPEN).to_numpy(dtype=bool)] = _KIND_OPEN
        ratio = joined[PAID_RATIO].to_numpy(dtype=np.float64, na_value=np.nan)
        paid = np.flatnonzero(~np.isnan(ratio))
        return cls(kind, paid, ratio[paid])


def _group_rates(counted: _Counted, group: np.ndarray, groups: int) -> pd.DataFrame:
    """``RATE_COLUMNS`` per group (``group``: each quote's group, 0..groups-1, or -1 for none),
    counted with one ``np.bincount`` of group and outcome kind: no copy of the quotes and no
    Python per group; a group with no quote is left out by the callers."""
    kinds = _KIND_OPEN + 1
    cell = group * kinds + counted.kind  # -4..-1: a quote in no group
    cells = np.bincount(cell[cell >= 0], minlength=groups * kinds).reshape(groups, kinds)
    paid_group = group[counted.paid]
    in_group = paid_group >= 0
    ratio_sum = np.bincount(paid_group[in_group], counted.paid_ratio[in_group], minlength=groups)
    ratio_count = np.bincount(paid_group[in_group], minlength=groups)
    table = pd.DataFrame(
        {
            "quotes": cells.sum(axis=1),
            "decided": cells.sum(axis=1) - cells[:, _KIND_OPEN],
            "deals": cells[:, _KIND_DEAL],
            "declined_low_offer": cells[:, _KIND_LOW_OFFER],
            "open": cells[:, _KIND_OPEN],
        }
    )
    decided = table["decided"].to_numpy(dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        table["paid_ratio"] = np.where(ratio_count > 0, ratio_sum / ratio_count, np.nan)
        table["acceptance"] = np.where(decided > 0, table["deals"] / decided, np.nan)
        table["low_offer_share"] = np.where(
            decided > 0, table["declined_low_offer"] / decided, np.nan
        )
    table["acceptance_low"], table["acceptance_high"] = wilson_interval(table["deals"], decided)
    return table[list(RATE_COLUMNS)]


def _segment_groups(keys: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Each quote's group and the groups' values as text: an ordered categorical (price
    bands, condition) in its order, anything else in text order; a missing value in no group
    (-1). A categorical is read once per category, not once per quote."""
    if isinstance(keys.dtype, pd.CategoricalDtype):
        codes = keys.cat.codes.to_numpy().astype(np.int64)
        labels = [str(c) for c in keys.cat.categories]
        if keys.cat.ordered or not labels:
            return codes, labels
        distinct, slot = np.unique(np.array(labels, dtype=object), return_inverse=True)
        return np.where(codes >= 0, slot[np.maximum(codes, 0)], -1), [str(v) for v in distinct]
    codes, uniques = pd.factorize(keys.astype(str), sort=True)
    return codes.astype(np.int64), [str(v) for v in uniques]


def segment_rates(
    joined: pd.DataFrame, column: str, counted: _Counted | None = None
) -> pd.DataFrame:
    """Per value of one segment: quotes, decided, deals, acceptance with its Wilson interval,
    share declined as too low, mean paid/offer ratio of the deals and open quotes.
    ``counted``: ``_Counted.of(joined)``, when the caller reads several segments."""
    segment = SEGMENTS_BY_COLUMN[column]
    if joined.empty:
        return pd.DataFrame(columns=["segment", "value", "label", *RATE_COLUMNS])
    group, values = _segment_groups(joined[column])
    counted = _Counted.of(joined) if counted is None else counted
    table = _group_rates(counted, group, len(values))
    table.insert(0, "value", values)
    table = table[table["quotes"] > 0].reset_index(drop=True)
    table.insert(0, "segment", column)
    table.insert(2, "label", [segment.value_label(v) for v in table["value"]])
    return table


def all_segment_rates(joined: pd.DataFrame) -> pd.DataFrame:
    """``segment_rates`` for every segment, one long table (the page's per-segment view)."""
    counted = _Counted.of(joined)
    tables = [segment_rates(joined, s.column, counted) for s in SEGMENTS if s.column in joined]
    return pd.concat(tables, ignore_index=True) if tables else segment_rates(joined, "brand")


def quote_days(joined: pd.DataFrame) -> pd.Series:
    """The Brasília day each quote was made (midnight timestamps, naive)."""
    return pd.Series(pd.to_datetime(brasilia_days(joined[TIMESTAMP])), index=joined.index)


def quotes_per_day(joined: pd.DataFrame) -> pd.DataFrame:
    """Quotes made per day, by what became of them (day, status, quotes)."""
    if joined.empty:
        return pd.DataFrame({"day": pd.to_datetime([]), STATUS: [], "quotes": []})
    counts = joined.assign(day=quote_days(joined)).groupby(["day", STATUS]).size()
    return counts.rename("quotes").reset_index()


def acceptance_over_time(joined: pd.DataFrame, freq: str = "W-SUN") -> pd.DataFrame:
    """Acceptance of the quotes made in each period, with its 95 % Wilson interval. Weeks run
    Monday to Sunday by default (pandas names a week by its last day: "W-SUN")."""
    columns = ["period", *RATE_COLUMNS]
    if joined.empty:
        return pd.DataFrame(columns=columns)
    days = quote_days(joined)
    # A few hundred distinct days among millions of quotes: hashed, then only those sorted.
    group, distinct = pd.factorize(days.to_numpy(), sort=True)
    timed = group >= 0  # a quote whose time cannot be read (code -1) is in no week
    starts = pd.Series(pd.to_datetime(distinct)).dt.to_period(freq).dt.start_time
    periods, by_day = np.unique(starts.to_numpy(), return_inverse=True)
    week = np.where(timed, by_day[np.maximum(group, 0)], -1)
    table = _group_rates(_Counted.of(joined), week, len(periods))
    table.insert(0, "period", pd.to_datetime(periods))
    return table[table["quotes"] > 0].reset_index(drop=True)[columns]
