"""Offer arithmetic as properties: over any market estimate, any answers and any valid policy."""

from __future__ import annotations

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from laptop_pricing.trade_in.condition import QUESTIONS, Condition
from laptop_pricing.trade_in.offer import (
    BELOW_MINIMUM,
    MARGIN_RULE,
    PROCESSING_RULE,
    ROUNDING_RULE,
    compute_offer,
)
from laptop_pricing.trade_in.policy import StorePolicy, load_policy

DEFAULT = load_policy()
markets = st.integers(min_value=0, max_value=60_000)


def _ordered_percents(draw, n: int) -> tuple[float, ...]:
    values = sorted(draw(st.lists(st.integers(0, 100), min_size=n, max_size=n)))
    return tuple(float(v) for v in values)


@st.composite
def policies(draw) -> StorePolicy:
    """Any policy the loader would accept (worse answers deduct at least as much)."""
    deductions = {}
    for question in QUESTIONS:
        if question.key in DEFAULT.deductions:
            percents = _ordered_percents(draw, len(question.answers))
            deductions[question.key] = {
                a.key: p for a, p in zip(question.answers, percents, strict=True)
            }
    step = draw(st.sampled_from([1, 5, 10, 50, 100]))
    minimum = draw(st.integers(0, 2_000))
    return dataclasses.replace(
        DEFAULT,
        resale_share_pct=float(draw(st.integers(0, 100))),
        margin_pct=float(draw(st.integers(0, 100))),
        processing_cost=draw(st.integers(0, 1_000)),
        minimum_offer=minimum,
        rounding_step=step,
        deductions=deductions,
        parts_value=draw(st.sampled_from([0, min(50, minimum), minimum])),
    )


conditions = st.builds(
    Condition,
    **{q.key: st.sampled_from(q.values) for q in QUESTIONS},
)


@settings(max_examples=400)
@given(markets, conditions, policies())
def test_never_negative_never_above_the_market_and_the_lines_add_up(market, condition, policy):
    offer = compute_offer(market, condition, policy)
    if offer.amount is not None:
        assert 0 < offer.amount <= market
    assert offer.resale_value <= market
    if offer.basis == "condition":
        assert offer.resale_value - sum(d.amount for d in offer.deductions) == offer.amount
        assert all(d.amount >= 0 for d in offer.deductions)


@settings(max_examples=400)
@given(markets, conditions, policies())
def test_rounding_is_always_down_to_the_step_and_the_minimum_is_respected(
    market, condition, policy
):
    offer = compute_offer(market, condition, policy)
    if offer.basis == "condition":
        assert offer.amount % policy.rounding_step == 0
        assert offer.amount >= policy.minimum_offer
        rounding = sum(d.amount for d in offer.deductions if d.rule == ROUNDING_RULE)
        assert 0 <= rounding < policy.rounding_step
    if offer.basis == "parts":
        assert offer.amount == min(policy.parts_value, market) <= policy.minimum_offer
    if offer.amount is None:
        assert offer.no_offer_reason


@st.composite
def worse_pairs(draw):
    """A condition and the same one with one answer made worse (or equal)."""
    better = draw(conditions)
    question = draw(st.sampled_from(QUESTIONS))
    rank = question.rank(getattr(better, question.key))
    worse_rank = draw(st.integers(rank, len(question.answers) - 1))
    worse = dataclasses.replace(better, **{question.key: question.answers[worse_rank].value})
    return better, worse


@settings(max_examples=600)
@given(markets, worse_pairs(), policies())
def test_a_worse_answer_never_raises_the_offer(market, pair, policy):
    better, worse = pair
    better_offer = compute_offer(market, better, policy).amount or 0
    worse_offer = compute_offer(market, worse, policy).amount or 0
    assert worse_offer <= better_offer


@given(markets, policies())
def test_a_higher_market_estimate_never_lowers_the_offer(market, policy):
    condition = Condition.best()
    assert (compute_offer(market, condition, policy).amount or 0) <= (
        compute_offer(market + 1, condition, policy).amount or 0
    )


def test_worked_example_of_the_docs():
    """docs/trade-in.md walks through exactly these numbers."""
    condition = dataclasses.replace(Condition.best(), screen="scratched", battery="weak")
    offer = compute_offer(6691, condition, DEFAULT)
    rules = {d.rule: d.amount for d in offer.deductions}
    assert offer.resale_value == 3345
    assert rules == {
        "screen.scratched": 334,
        "battery.weak": 334,
        MARGIN_RULE: 535,
        PROCESSING_RULE: 80,
        ROUNDING_RULE: 2,
    }
    assert offer.amount == 2060 and offer.basis == "condition"


def test_no_offer_cases_say_why_in_one_sentence_or_pay_the_parts_value():
    dead = dataclasses.replace(Condition.best(), powers_on=False)
    locked = dataclasses.replace(Condition.best(), locks_removed=False)
    offer = compute_offer(6691, dead, DEFAULT)
    assert offer.amount is None and offer.no_offer_code == "powers_on.no"
    assert offer.no_offer_reason.count(".") == 1
    assert compute_offer(6691, locked, DEFAULT).no_offer_code == "locks_removed.no"
    cheap = compute_offer(300, Condition.best(), DEFAULT)
    assert cheap.amount is None and cheap.no_offer_code == BELOW_MINIMUM
    parts = dataclasses.replace(DEFAULT, parts_value=60)
    assert compute_offer(6691, dead, parts).amount == 60
    assert compute_offer(6691, dead, parts).basis == "parts"
    assert compute_offer(6691, locked, parts).amount is None  # never bought, not even for parts
