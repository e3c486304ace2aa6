"""The store's offer for a laptop: pure arithmetic on the market estimate, the answers and the
policy. No I/O, no clock: ``compute_offer(market_estimate, condition, policy) -> Offer``.

In whole reais, in this order (docs/trade-in.md has a worked example):

1. resale value = market estimate × resale share, rounded down;
2. minus each answer's deduction, a % of the resale value (never below zero in total);
3. minus the store's margin, a % of what is left;
4. minus the processing cost;
5. rounded down to the rounding step (what rounding took is listed too, so the lines add up).

Below the minimum offer, or for an answer the policy refuses (does not power on, locks not
removed), there is no offer: ``amount`` is None and ``no_offer_reason`` says why in one
sentence, unless the policy pays a fixed parts value for that case. The offer is never negative
and never above the market estimate, and a worse answer never raises it.

When the store model prices (``used_price``, ``trade_in.used_price_model``), steps 1 and 2 are
its estimates instead: the resale value is what it expects a perfect one to sell for, and one
``condition`` line takes it down to what it expects this one to sell for (never up). Refusals,
margin, processing cost, rounding and the minimum stay the policy's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from laptop_pricing.trade_in.condition import QUESTIONS_BY_KEY, Condition
from laptop_pricing.trade_in.policy import StorePolicy

MARGIN_RULE = "margin"
PROCESSING_RULE = "processing_cost"
ROUNDING_RULE = "rounding"
CONDITION_RULE = "condition"  # the store model's step from a perfect laptop to this one
BELOW_MINIMUM = "below_minimum"

# The sentence the clerk reads (and may say to the customer) for each no-offer case.
NO_OFFER_REASONS: dict[str, str] = {
    "powers_on.no": "A loja não compra para revenda notebooks que não ligam.",
    "locks_removed.no": (
        "A loja só compra notebooks sem senhas nem contas: peça ao cliente para removê-las "
        "e avalie de novo."
    ),
    BELOW_MINIMUM: "Pelo estado informado, o valor fica abaixo da oferta mínima da loja.",
}
PARTS_SUFFIX = " A loja paga o valor de peças."
# The same cases as the customer reads them on the PDF at home: what they can do next, not an
# instruction to the clerk.
CUSTOMER_NO_OFFER_TEXTS: dict[str, str] = {
    "powers_on.no": "A loja não compra para revenda notebooks que não ligam.",
    "locks_removed.no": (
        "A loja só compra notebooks sem senhas nem contas. Remova as senhas e as contas "
        "(Windows ou Apple ID, BIOS, nuvem) e traga o notebook de novo: refazemos a avaliação."
    ),
    BELOW_MINIMUM: "Pelo estado informado, o valor fica abaixo da oferta mínima da loja.",
}


# How an offer was reached: the condition rules, the parts value, or no offer at all.
OfferBasis = Literal["condition", "parts", "none"]
OFFER_BASES: tuple[OfferBasis, ...] = ("condition", "parts", "none")
# What estimated the used price the offer starts from: the policy's share and deductions, or
# the store model trained on the store's sales (when it is champion for the store).
PricingSource = Literal["rule", "store_model"]
PRICING_SOURCE_RULE: PricingSource = "rule"
PRICING_SOURCE_MODEL: PricingSource = "store_model"
PRICING_SOURCES: tuple[PricingSource, ...] = (PRICING_SOURCE_RULE, PRICING_SOURCE_MODEL)


@dataclass(frozen=True)
class UsedPrice:
    """The store model's sale-price estimates, in reais: a perfect one, and this one as it is."""

    perfect: int
    as_is: int


@dataclass(frozen=True)
class Deduction:
    """One rule applied between the resale value and the offer, with its amount in reais."""

    rule: str  # "screen.scratched", "margin", "processing_cost", "rounding"
    amount: int
    percent: float | None = None

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"rule": self.rule, "amount": self.amount}
        if self.percent is not None:
            body["percent"] = self.percent
        return body


@dataclass(frozen=True)
class Offer:
    """What the store offers, and how it got there from the market estimate."""

    market_estimate: int
    resale_value: int
    deductions: tuple[Deduction, ...]
    amount: int | None  # None: no offer
    basis: OfferBasis
    no_offer_code: str | None = None
    no_offer_reason: str | None = None
    pricing_source: PricingSource = PRICING_SOURCE_RULE

    @property
    def answer_deductions(self) -> tuple[Deduction, ...]:
        """Only the deductions for answers (not margin, processing, rounding or the store
        model's single condition line)."""
        fixed = {MARGIN_RULE, PROCESSING_RULE, ROUNDING_RULE, CONDITION_RULE}
        return tuple(d for d in self.deductions if d.rule not in fixed)


def round_down(value: int, step: int) -> int:
    return (value // step) * step if value > 0 else 0


def compute_offer(
    market_estimate: int,
    condition: Condition,
    policy: StorePolicy,
    used_price: UsedPrice | None = None,
) -> Offer:
    """The offer for a laptop the model values at ``market_estimate`` reais; with
    ``used_price`` the store model's estimates replace the resale share and deductions."""
    market = max(0, int(market_estimate))
    source = PRICING_SOURCE_RULE if used_price is None else PRICING_SOURCE_MODEL
    if used_price is None:
        resale = market * round(policy.resale_share_pct * 100) // 10_000
    else:
        resale = max(0, int(used_price.perfect))
    answers = condition.answer_refs
    refusals = [ref for _, _, ref in answers if ref in policy.no_offer_answers]
    if refusals:  # an answer the store never buys with outranks one it buys for parts
        never = [ref for ref in refusals if ref in policy.never_buy]
        return _no_offer(market, resale, (), (never or refusals)[0], policy, bool(never), source)

    deductions = (
        _answer_deductions(resale, condition, policy)
        if used_price is None
        else _model_condition(resale, used_price)
    )
    remaining = resale - sum(d.amount for d in deductions)
    margin = round(remaining * policy.margin_pct / 100)
    deductions.append(Deduction(MARGIN_RULE, margin, policy.margin_pct))
    after_margin = remaining - margin
    processing = min(after_margin, policy.processing_cost)
    deductions.append(Deduction(PROCESSING_RULE, processing))
    before_rounding = after_margin - processing
    offer = round_down(before_rounding, policy.rounding_step)
    if before_rounding - offer:
        deductions.append(Deduction(ROUNDING_RULE, before_rounding - offer))
    if offer < policy.minimum_offer or offer <= 0:
        lines = tuple(deductions)
        return _no_offer(market, resale, lines, BELOW_MINIMUM, policy, False, source)
    amount = min(offer, market)
    return Offer(market, resale, tuple(deductions), amount, "condition", pricing_source=source)


def _answer_deductions(resale: int, condition: Condition, policy: StorePolicy) -> list[Deduction]:
    """Each answer's deduction, a % of the resale value, never more than is left."""
    deductions: list[Deduction] = []
    remaining = resale
    for question, answer, ref in condition.answer_refs:
        percent = policy.deduction_pct(question.key, answer.key)
        if percent <= 0:
            continue
        amount = min(remaining, round(resale * percent / 100))
        remaining -= amount
        deductions.append(Deduction(ref, amount, percent))
    return deductions


def _model_condition(resale: int, used_price: UsedPrice) -> list[Deduction]:
    """The store model's one condition line: from a perfect laptop to this one, never up."""
    as_is = min(resale, max(0, int(used_price.as_is)))
    if as_is >= resale:
        return []
    percent = round(100 * (resale - as_is) / resale, 1)
    return [Deduction(CONDITION_RULE, resale - as_is, percent)]


def no_offer_reason(code: str) -> str:
    """The sentence for a no-offer case; any answer a policy refuses gets one."""
    if code in NO_OFFER_REASONS:
        return NO_OFFER_REASONS[code]
    question_key, answer_key = code.split(".", 1)
    question = QUESTIONS_BY_KEY[question_key]
    answer = question.answer_by_key(answer_key)
    return f"A loja não compra para revenda notebooks com “{question.short_label}: {answer.label}”."


def customer_no_offer_text(code: str | None, reason: str | None) -> str | None:
    """The no-offer sentence for the customer's PDF; a case without its own wording keeps the
    clerk's sentence, which already speaks of the laptop, not to the clerk."""
    if code is not None and code in CUSTOMER_NO_OFFER_TEXTS:
        return CUSTOMER_NO_OFFER_TEXTS[code]
    return reason


def _no_offer(
    market: int,
    resale: int,
    deductions: tuple[Deduction, ...],
    code: str,
    policy: StorePolicy,
    never_buy: bool,
    source: PricingSource = PRICING_SOURCE_RULE,
) -> Offer:
    reason = no_offer_reason(code)
    parts = min(policy.parts_value, market)
    if parts > 0 and not never_buy:
        parted = reason + PARTS_SUFFIX
        return Offer(market, resale, deductions, parts, "parts", code, parted, source)
    return Offer(market, resale, deductions, None, "none", code, reason, source)
