"""A synthetic store's year, seeded, from a planted used-price rule: for tests, benches and demos.

``generate_year(seed, plan, rule, catalog, policy) -> SyntheticYear`` simulates, day by day,
quotes (a laptop drawn from the real dataset, priced by the shipped model; condition answers
drawn per question), the customer's decision on the policy's offer (accepted, negotiated up a
little, declined), the purchase, the stock (em preparo, à venda, vendido) and the sale at a
price drawn from the **planted rule**:

    sale = market estimate × share[segment] × max(0, 1 − Σ deduction[answer]) × noise,

with ``noise`` log-normal of median 1 (``noise_sigma``), so the median realized share of the
sales without defects in a segment is exactly the planted share: the advisor must recover it.
``PLANTED`` sells gamer laptops at 61 % and thin-and-light ones at 55 % of the market estimate
(the policy says 50 % for all) and deducts differently from the policy; ``policy_rule(policy)``
is the world where the policy is right (then a store model has nothing to learn).

Everything it makes says so: every item has ``synthetic=True``, ids start with ``SYN-``, and
``python -m laptop_pricing.resale.synthetic --seed N --out DIR`` writes under
``DIR/synthetic-store-seed<N>/``. Nothing in the app reads these files; the demo and benches
load them explicitly (``synthetic_files.read_items``), never mixed with a store's real records.
"""

from __future__ import annotations

import argparse
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from laptop_pricing.pricing.laptop_spec import LaptopSpec
from laptop_pricing.resale.sales import SEGMENTS, SoldItem, StockedItem
from laptop_pricing.trade_in.condition import QUESTIONS, Condition
from laptop_pricing.trade_in.offer import compute_offer
from laptop_pricing.trade_in.policy import StorePolicy, load_policy

SYNTHETIC_PREFIX = "SYN"
SYNTHETIC_STORE_ID = "sintetica"


@dataclass(frozen=True)
class PlantedRule:
    """The ground truth of a synthetic store's sale prices (shares and deductions are 0–1)."""

    resale_share: Mapping[str, float]  # segment -> share of the market estimate, no defects
    deductions: Mapping[str, float]  # answer ref ("screen.scratched") -> share of resale lost
    noise_sigma: float = 0.08  # log-normal sigma of sale / expected sale

    def expected_sale(self, market_estimate: float, segment: str, condition: Condition) -> float:
        lost = sum(self.deductions.get(ref, 0.0) for _, _, ref in condition.answer_refs)
        return market_estimate * self.resale_share[segment] * max(0.0, 1.0 - lost)


PLANTED = PlantedRule(
    resale_share={"casual": 0.50, "gaming": 0.61, "thinnlight": 0.55},
    deductions={
        "screen.scratched": 0.06,
        "screen.broken": 0.45,
        "body.worn": 0.12,
        "body.damaged": 0.35,
        "keyboard_ports.faulty": 0.10,
        "battery.weak": 0.04,
        "battery.dead": 0.12,
        "charger.no": 0.08,
    },
)


def policy_rule(policy: StorePolicy, noise_sigma: float = 0.08) -> PlantedRule:
    """The world where the policy is exactly right: its share for every segment, its
    deductions. A store-trained model should not beat the rule here."""
    return PlantedRule(
        resale_share={segment: policy.resale_share_pct / 100 for segment in SEGMENTS},
        deductions={
            f"{question}.{answer}": pct / 100
            for question, answers in policy.deductions.items()
            for answer, pct in answers.items()
        },
        noise_sigma=noise_sigma,
    )


# Per question, the chance of each answer, best first (about 4 in 10 laptops have no defect).
ANSWER_CHANCES: Mapping[str, tuple[float, ...]] = {
    "powers_on": (0.97, 0.03),
    "screen": (0.80, 0.15, 0.05),
    "body": (0.70, 0.25, 0.05),
    "keyboard_ports": (0.93, 0.07),
    "battery": (0.80, 0.15, 0.05),
    "charger": (0.92, 0.08),
    "locks_removed": (0.97, 0.03),
}


@dataclass(frozen=True)
class YearPlan:
    """The shape of the year: how many quotes, the mix of laptops, how customers decide, how
    long laptops wait."""

    quotes: int = 1200
    start: date = date(2026, 1, 1)
    days: int = 365
    store_id: str = SYNTHETIC_STORE_ID
    segment_mix: Mapping[str, float] = field(
        default_factory=lambda: {"casual": 0.5, "gaming": 0.2, "thinnlight": 0.3}
    )
    accept_chance: float = 0.55
    negotiate_chance: float = 0.15
    negotiate_raise: float = 0.05  # a negotiated deal pays this much over the offer
    preparation_days: tuple[int, int] = (1, 7)
    mean_days_for_sale: float = 30.0
    online_chance: float = 0.3


@dataclass(frozen=True)
class CatalogLaptop:
    """A real laptop of the dataset and the shipped model's market estimate for it."""

    laptop: LaptopSpec
    market_estimate: int


@dataclass(frozen=True)
class SyntheticQuote:
    quote_id: str
    quoted_on: date
    laptop: LaptopSpec
    condition: Condition
    market_estimate: int
    offer: int | None
    decision: str  # accepted, negotiated, declined; "" when there was no offer
    paid: int | None


@dataclass(frozen=True)
class StockEvent:
    purchase_id: str
    state: str  # in_preparation, for_sale, sold
    on: date


@dataclass(frozen=True)
class SyntheticYear:
    seed: int
    rule: PlantedRule
    plan: YearPlan
    policy_version: str
    quotes: tuple[SyntheticQuote, ...]
    stock_events: tuple[StockEvent, ...]
    sold: tuple[SoldItem, ...]
    stocked: tuple[StockedItem, ...]  # bought, not sold by the year's last day

    @property
    def end(self) -> date:
        return self.plan.start + timedelta(days=self.plan.days - 1)


@functools.cache
def model_catalog(model_dir: str | None = None) -> tuple[CatalogLaptop, ...]:
    """Every laptop of the training data with the shipped model's estimate (about 1 s once)."""
    from laptop_pricing.pricing.engine import PricingEngine
    from laptop_pricing.pricing.schema import FIELD_NAMES
    from laptop_pricing.training.prepare import prepare_table

    engine = PricingEngine.load(model_dir)
    table = prepare_table()
    catalog = []
    for row in table[list(FIELD_NAMES)].to_dict("records"):
        laptop = LaptopSpec(**{k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()})
        catalog.append(CatalogLaptop(laptop, round(engine.predict_value(laptop))))
    return tuple(catalog)


def _draw_conditions(rng: np.random.Generator, count: int) -> list[Condition]:
    """``count`` conditions, each question drawn on its own (one vectorised draw per question;
    the few distinct answer sets are built once)."""
    picks = np.column_stack(
        [
            np.searchsorted(np.cumsum(ANSWER_CHANCES[q.key])[:-1], rng.random(count), side="right")
            for q in QUESTIONS
        ]
    )
    made: dict[tuple[int, ...], Condition] = {}
    conditions = []
    for row in map(tuple, picks.tolist()):
        if row not in made:
            values = {q.key: q.answers[i].value for q, i in zip(QUESTIONS, row, strict=True)}
            made[row] = Condition(**values)
        conditions.append(made[row])
    return conditions


def _catalog_by_segment(catalog: Sequence[CatalogLaptop]) -> dict[str, list[CatalogLaptop]]:
    by_segment: dict[str, list[CatalogLaptop]] = {s: [] for s in SEGMENTS}
    for item in catalog:
        by_segment[str(item.laptop.weight)].append(item)
    return by_segment


def generate_year(
    seed: int,
    plan: YearPlan | None = None,
    rule: PlantedRule = PLANTED,
    catalog: Sequence[CatalogLaptop] | None = None,
    policy: StorePolicy | None = None,
) -> SyntheticYear:
    """A store's year, the same for the same arguments."""
    plan = plan or YearPlan()
    policy = policy or load_policy()
    by_segment = _catalog_by_segment(catalog if catalog is not None else model_catalog())
    segments = [s for s in SEGMENTS if by_segment[s] and plan.segment_mix.get(s, 0) > 0]
    mix = np.array([plan.segment_mix[s] for s in segments], dtype=float)
    rng = np.random.default_rng(seed)
    end = plan.start + timedelta(days=plan.days - 1)
    count = plan.quotes
    days = np.sort(rng.integers(0, plan.days, size=count))
    segment_picks = rng.choice(len(segments), size=count, p=mix / mix.sum())
    laptop_draws = rng.random(count)
    conditions = _draw_conditions(rng, count)
    decisions = rng.random(count)
    preparation_extra = rng.integers(0, 41, size=count)
    preparation_days = rng.integers(*plan.preparation_days, size=count)
    days_for_sale = rng.exponential(plan.mean_days_for_sale, size=count)
    noises = rng.lognormal(0.0, rule.noise_sigma, size=count)
    online = rng.random(count) < plan.online_chance
    quotes: list[SyntheticQuote] = []
    events: list[StockEvent] = []
    sold: list[SoldItem] = []
    stocked: list[StockedItem] = []
    for number, day in enumerate(days.tolist()):
        quoted_on = plan.start + timedelta(days=day)
        segment = segments[int(segment_picks[number])]
        choices = by_segment[segment]
        pick = choices[int(laptop_draws[number] * len(choices))]
        condition = conditions[number]
        offer = compute_offer(pick.market_estimate, condition, policy).amount
        decision, paid = _decide(float(decisions[number]), plan, offer, policy.rounding_step)
        quote_id = f"{SYNTHETIC_PREFIX}-Q-{seed}-{number:05d}"
        quotes.append(
            SyntheticQuote(
                quote_id,
                quoted_on,
                pick.laptop,
                condition,
                pick.market_estimate,
                offer,
                decision,
                paid,
            )
        )
        if paid is None:
            continue
        purchase_id = f"{SYNTHETIC_PREFIX}-P-{seed}-{number:05d}"
        defects = sum(a is not q.answers[0] for q, a in condition.answers())
        item = StockedItem(
            purchase_id=purchase_id,
            store_id=plan.store_id,
            laptop=pick.laptop,
            condition=condition,
            market_estimate=pick.market_estimate,
            paid=paid,
            purchased_on=quoted_on,
            preparation_cost=policy.processing_cost
            - 20
            + 25 * defects
            + int(preparation_extra[number]),
            synthetic=True,
        )
        events.append(StockEvent(purchase_id, "in_preparation", quoted_on))
        listed_on = quoted_on + timedelta(days=int(preparation_days[number]))
        sold_on = listed_on + timedelta(days=int(days_for_sale[number]))
        noise = float(noises[number])
        if listed_on > end:
            stocked.append(item)
            continue
        events.append(StockEvent(purchase_id, "for_sale", listed_on))
        if sold_on > end:
            stocked.append(item)
            continue
        price = max(1, round(rule.expected_sale(pick.market_estimate, segment, condition) * noise))
        events.append(StockEvent(purchase_id, "sold", sold_on))
        sold.append(
            SoldItem(
                **{name: getattr(item, name) for name in item.__dataclass_fields__},
                sale_price=price,
                sold_on=sold_on,
                channel="online" if online[number] else "counter",
            )
        )
    return SyntheticYear(
        seed,
        rule,
        plan,
        policy.version,
        tuple(quotes),
        tuple(sorted(events, key=lambda e: (e.on, e.purchase_id))),
        tuple(sorted(sold, key=lambda s: (s.sold_on, s.purchase_id))),
        tuple(stocked),
    )


def _decide(draw: float, plan: YearPlan, offer: int | None, step: int) -> tuple[str, int | None]:
    """The customer's decision on an offer, from a uniform draw in [0, 1)."""
    if offer is None:
        return "", None
    if draw < plan.accept_chance:
        return "accepted", offer
    if draw < plan.accept_chance + plan.negotiate_chance:
        raise_by = max(step, round(offer * plan.negotiate_raise / step) * step)
        return "negotiated", offer + raise_by
    return "declined", None


def main(argv: Sequence[str] | None = None) -> int:
    from laptop_pricing.resale.synthetic_files import write_year

    parser = argparse.ArgumentParser(
        prog="python -m laptop_pricing.resale.synthetic",
        description="Write a synthetic store's year (quotes, stock events, sales), marked "
        "synthetic, under OUT/synthetic-store-seed<SEED>/.",
    )
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--quotes", type=int, default=YearPlan.quotes)
    parser.add_argument(
        "--policy-rule",
        action="store_true",
        help="plant the policy's own share and deductions (a store model has nothing to learn)",
    )
    args = parser.parse_args(argv)
    policy = load_policy()
    rule = policy_rule(policy) if args.policy_rule else PLANTED
    year = generate_year(args.seed, YearPlan(quotes=args.quotes), rule, policy=policy)
    folder = write_year(year, args.out)
    print(
        f"{folder}: {len(year.quotes)} quotes, {len(year.sold) + len(year.stocked)} purchases, "
        f"{len(year.sold)} sold, {len(year.stocked)} still in stock (synthetic)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
