"""The rules a purchase is checked against, before anything is stored: the quote's state, the
inspection's revised offer, and the flags that stop or warn.

The revised offer reuses the trade-in arithmetic (``trade_in.offer.compute_offer``) on the
quote's market estimate with the answers as inspected; it is only recomputed under the policy
the quote was made with (its version): when the store's policy changed since and an answer
changed, the quote must be made again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from laptop_pricing.errors import QuoteNotFound
from laptop_pricing.pricing.laptop_spec import FieldError
from laptop_pricing.purchase.errors import InvalidPurchase, PurchaseConflict
from laptop_pricing.purchase.policy_terms import PurchaseTerms
from laptop_pricing.purchase.purchase import (
    BLOCKED_SELLER,
    BLOCKED_SERIAL,
    SAME_SERIAL,
    SELLER_REPEAT,
    ChangedDeduction,
    Flag,
)
from laptop_pricing.purchase.store import PurchaseStore
from laptop_pricing.trade_in.condition import Condition
from laptop_pricing.trade_in.offer import Offer, compute_offer
from laptop_pricing.trade_in.outcome import DEAL_DECISIONS
from laptop_pricing.trade_in.policy import StorePolicy
from laptop_pricing.trade_in.quote_id import InvalidQuoteId
from laptop_pricing.trade_in.quote_lookup import QuoteLookup, StoredQuote

POLICY_CHANGED_PT = (
    "A política da loja mudou desde esta cotação e a inspeção mudou uma resposta: "
    "faça uma nova cotação."
)


@dataclass(frozen=True)
class Deal:
    """A quote the customer said yes to: how (accepted, negotiated, revised) and at what."""

    quote: StoredQuote
    decision: str
    agreed: int | None

    @property
    def brand(self) -> str | None:
        return None if self.quote.spec is None else str(self.quote.spec.brand)


@dataclass(frozen=True)
class Inspection:
    """The offer again with the answers as inspected."""

    condition: Condition
    revised_offer: int | None
    no_offer_reason: str | None
    changed: tuple[ChangedDeduction, ...]
    deductions: tuple[dict[str, Any], ...]


def found_quote(lookup: QuoteLookup, quote_id: str) -> tuple[StoredQuote, Any]:
    """The quote (404 when unknown) and the lookup's result (state and decisions)."""
    try:
        result = lookup.find(quote_id)
    except InvalidQuoteId:
        raise InvalidPurchase([FieldError("quote_id", quote_id, "not a quote id")]) from None
    if result.quote is None:
        raise QuoteNotFound(quote_id)
    return result.quote, result


def deal_of(result: Any) -> Deal:
    """409 when the quote expired or the customer has not said yes (the last decision)."""
    quote = result.quote
    if result.status == "expired":
        day = quote.valid_until.strftime("%d/%m/%Y")
        raise PurchaseConflict(
            "quote_expired", f"A cotação valeu até {day}: faça uma nova cotação antes da compra."
        )
    last = result.outcomes[-1] if result.outcomes else None
    if last is None or last.decision not in DEAL_DECISIONS:
        raise PurchaseConflict(
            "quote_not_accepted",
            "O cliente ainda não aceitou esta cotação: registre o “sim” (ou o valor negociado) "
            "antes da compra.",
        )
    return Deal(quote, last.decision, last.paid)


def inspect(quote: StoredQuote, inspected: Condition, policy: StorePolicy) -> Inspection:
    same_answers = quote.condition == inspected
    if policy.version != quote.policy_version:
        if not same_answers:
            raise PurchaseConflict("policy_changed", POLICY_CHANGED_PT)
        return Inspection(inspected, quote.offer, None, (), ())
    offer = compute_offer(quote.market_estimate, inspected, policy)
    return Inspection(
        inspected,
        offer.amount,
        offer.no_offer_reason,
        changed_deductions(quote.condition, inspected, offer),
        tuple(d.as_dict() for d in offer.deductions),
    )


def changed_deductions(
    before: Condition | None, after: Condition, offer: Offer
) -> tuple[ChangedDeduction, ...]:
    """One line per answer the inspection changed: "Tela: Riscos leves" and what it deducts."""
    amounts = {d.rule: d.amount for d in offer.answer_deductions}
    lines = []
    for question, answer, ref in after.answer_refs:
        if before is not None and getattr(before, question.key) == getattr(after, question.key):
            continue
        lines.append(
            ChangedDeduction(f"{question.short_label}: {answer.label}", amounts.get(ref, 0))
        )
    return tuple(lines)


def flags_for(
    store: PurchaseStore,
    terms: PurchaseTerms,
    purchase_id: str,
    serial: str | None,
    seller_hash: str | None,
    now: datetime,
) -> tuple[tuple[Flag, ...], str | None]:
    """The flags raised by this serial and seller, and the purchase that already has the
    serial (None when none)."""
    flags: list[Flag] = []
    existing = None
    if serial is not None:
        existing = store.serial_purchase(serial)
        if existing == purchase_id:
            existing = None
        if existing is not None:
            flags.append(
                Flag(SAME_SERIAL, "stop", "Este número de série já foi comprado pela loja.")
            )
        if store.is_blocked("serial", serial):
            flags.append(
                Flag(BLOCKED_SERIAL, "stop", "Este número de série está na lista de bloqueio.")
            )
    if seller_hash is not None:
        if store.is_blocked("seller", seller_hash):
            flags.append(
                Flag(BLOCKED_SELLER, "stop", "Este vendedor está na lista de bloqueio da loja.")
            )
        since = now - timedelta(days=terms.seller_window_days)
        earlier = store.seller_purchases(seller_hash)
        count = sum(1 for pid, at in earlier.items() if pid != purchase_id and at >= since)
        if count >= terms.max_purchases_per_seller:
            flags.append(
                Flag(
                    SELLER_REPEAT,
                    "warn",
                    f"Este vendedor já vendeu {count} notebooks à loja nos últimos "
                    f"{terms.seller_window_days} dias: a compra precisa da aprovação do dono.",
                )
            )
    return tuple(flags), existing


def lock_errors(
    terms: PurchaseTerms, brand: str | None, answered: dict[str, bool]
) -> list[FieldError]:
    """Every lock of this brand must be answered "sim" (a "não" was refused with the body)."""
    return [
        FieldError(f"locks.{lock.id}", None, "missing: answer every lock")
        for lock in terms.locks_for(brand)
        if lock.id not in answered
    ]
