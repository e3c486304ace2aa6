"""The rules a purchase is checked against, before anything is stored: the quote's state, the
inspection's revised offer, and the flags that stop or warn.

The revised offer reuses the trade-in arithmetic (``trade_in.offer.compute_offer``) on the
quote's market estimate with the answers as inspected; it is only recomputed under the policy
the quote was made with (its version, its store's: a chain's quote is re-checked under the
policy of the store that issued it): when that policy changed since and an answer changed, the
quote must be made again. The purchase's terms (locks, payout, photos, flags, notice) are the
quote's store's too (``quote_terms``). A quote the store model priced (``pricing_source``) is
re-priced by it; when no store model prices that store here any more, the quote stands as it
was if no answer changed, else it must be made again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from laptop_pricing.errors import QuoteNotFound
from laptop_pricing.pricing.laptop_spec import FieldError
from laptop_pricing.purchase.errors import InvalidPurchase, PurchaseConflict, PurchaseForbidden
from laptop_pricing.purchase.policy_terms import (
    PAYOUT_LABELS,
    PurchaseTerms,
    StoreTerms,
)
from laptop_pricing.purchase.purchase import (
    AMOUNT_ABOVE_REVISED,
    BLOCKED_SELLER,
    BLOCKED_SERIAL,
    SAME_SERIAL,
    SELLER_REPEAT,
    Caller,
    ChangedDeduction,
    Flag,
    Override,
    PayoutOption,
    flags_of,
)
from laptop_pricing.purchase.request import PurchaseRequest, quote_id_field
from laptop_pricing.purchase.store import PurchaseStore
from laptop_pricing.trade_in.condition import Condition
from laptop_pricing.trade_in.offer import CONDITION_RULE, PRICING_SOURCE_MODEL, Offer, compute_offer
from laptop_pricing.trade_in.outcome import DEAL_DECISIONS
from laptop_pricing.trade_in.policy import StorePolicy
from laptop_pricing.trade_in.quote_id import InvalidQuoteId
from laptop_pricing.trade_in.quote_lookup import QuoteLookup, StoredQuote
from laptop_pricing.trade_in.store_policies import NoStorePolicy, StorePolicies
from laptop_pricing.trade_in.used_price_model import UsedPriceModel

POLICY_CHANGED_PT = (
    "A política da loja mudou desde esta cotação e a inspeção mudou uma resposta: "
    "faça uma nova cotação."
)
PRICING_CHANGED_PT = (
    "O modelo da loja que calculou esta cotação não está mais em uso e a inspeção mudou uma "
    "resposta: faça uma nova cotação."
)
STORE_MODEL_CONDITION_PT = "Estado do aparelho, pelas vendas da loja"


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


def inspect(
    quote: StoredQuote,
    inspected: Condition,
    policy: StorePolicy | StorePolicies,
    used_prices: UsedPriceModel | None = None,
) -> Inspection:
    """The inspection under the quote's policy (a chain's: the quote's store's), priced by
    what priced the quote (the rule, or ``used_prices`` when the store model did)."""
    if isinstance(policy, StorePolicies):
        policy = quote_policy(quote, policy)
    same_answers = quote.condition == inspected
    if policy.version != quote.policy_version:
        if not same_answers:
            raise PurchaseConflict("policy_changed", POLICY_CHANGED_PT)
        return Inspection(inspected, quote.offer, None, (), ())
    used = None
    if quote.pricing_source == PRICING_SOURCE_MODEL:
        model = used_prices
        if model is None or quote.spec is None or not model.metadata.prices_for(quote.store_id):
            if not same_answers:
                raise PurchaseConflict("pricing_changed", PRICING_CHANGED_PT)
            return Inspection(inspected, quote.offer, None, (), ())
        used = model.used_price(quote.spec, inspected, quote.market_estimate)
    offer = compute_offer(quote.market_estimate, inspected, policy, used)
    return Inspection(
        inspected,
        offer.amount,
        offer.no_offer_reason,
        changed_deductions(quote.condition, inspected, offer),
        tuple(d.as_dict() for d in offer.deductions),
    )


def quote_policy(quote: StoredQuote, policies: StorePolicies) -> StorePolicy:
    """The policy a quote is re-checked under: its own store's, never the deployment's for
    another store's quote; a store this service has no policy for is refused (400)."""
    try:
        return policies.for_store(quote.store_id)
    except NoStorePolicy:
        reason = "this service has no trade-in policy for the quote's store"
        raise InvalidPurchase([FieldError("store_id", quote.store_id, reason)]) from None


def named_quote(lookup: QuoteLookup, body: object) -> tuple[StoredQuote, Any] | None:
    """The quote a purchase body names, found before the body is checked (its store's terms
    check it); None when the id is not one or no quote has it (the checks then say so)."""
    raw = body.get("quote_id") if isinstance(body, Mapping) else None
    quote_id = quote_id_field(raw, [])
    if quote_id is None:
        return None
    result = lookup.find(quote_id)
    return None if result.quote is None else (result.quote, result)


def quote_terms(quote: StoredQuote | None, terms: PurchaseTerms | StoreTerms) -> PurchaseTerms:
    """The purchase terms of the quote's store (no quote: the deployment's own); a store this
    service has no policy for is refused (400 naming ``store_id``)."""
    if isinstance(terms, PurchaseTerms):
        return terms
    store_id = terms.home if quote is None else quote.store_id
    try:
        return terms.for_store(store_id)
    except NoStorePolicy:
        reason = "this service has no trade-in policy for the quote's store"
        raise InvalidPurchase([FieldError("store_id", store_id, reason)]) from None


def payout_options(terms: PurchaseTerms, base: int) -> tuple[PayoutOption, ...]:
    """What each payout method of the terms pays for ``base`` (store credit with its bonus)."""
    return tuple(
        PayoutOption(
            method,
            PAYOUT_LABELS[method],
            terms.payout_amount(method, base),
            terms.bonus_percent(method),
        )
        for method in terms.payout_methods
    )


def changed_deductions(
    before: Condition | None, after: Condition, offer: Offer
) -> tuple[ChangedDeduction, ...]:
    """One line per answer the inspection changed: "Tela: Riscos leves" and what it deducts; a
    store-model offer prices the answers together: one line naming them, its condition line."""
    amounts = {d.rule: d.amount for d in offer.answer_deductions}
    lines = []
    for question, answer, ref in after.answer_refs:
        if before is not None and getattr(before, question.key) == getattr(after, question.key):
            continue
        lines.append(
            ChangedDeduction(f"{question.short_label}: {answer.label}", amounts.get(ref, 0))
        )
    if offer.pricing_source == PRICING_SOURCE_MODEL and lines:
        together = sum(d.amount for d in offer.deductions if d.rule == CONDITION_RULE)
        named = "; ".join(line.label_pt for line in lines)
        return (ChangedDeduction(f"{STORE_MODEL_CONDITION_PT} ({named})", together),)
    return tuple(lines)


def flags_for(
    store: PurchaseStore,
    terms: PurchaseTerms,
    purchase_id: str,
    serial: str | None,
    seller_hash: str | None,
    now: datetime,
    pool: Executor | None = None,
) -> tuple[tuple[Flag, ...], str | None]:
    """The flags raised by this serial and seller, and the purchase that already has the
    serial (None when none). The four reads are independent: with ``pool`` they run at once
    (the caller must not be one of its threads)."""

    def serial_owner() -> str | None:
        return None if serial is None else store.serial_purchase(serial)

    def blocked(what: str, value: str | None) -> Callable[[], bool]:
        return lambda: value is not None and store.is_blocked(what, value)

    def earlier() -> dict[str, datetime]:
        return {} if seller_hash is None else store.seller_purchases(seller_hash)

    reads: list[Callable[[], Any]] = [
        serial_owner,
        blocked("serial", serial),
        blocked("seller", seller_hash),
        earlier,
    ]
    if pool is None:
        results = [read() for read in reads]
    else:
        results = [future.result() for future in [pool.submit(read) for read in reads]]
    existing, serial_blocked, seller_blocked, previous = results
    flags: list[Flag] = []
    if existing == purchase_id:
        existing = None
    if existing is not None:
        flags.append(Flag(SAME_SERIAL, "stop", "Este número de série já foi comprado pela loja."))
    if serial_blocked:
        flags.append(
            Flag(BLOCKED_SERIAL, "stop", "Este número de série está na lista de bloqueio.")
        )
    if seller_blocked:
        flags.append(
            Flag(BLOCKED_SELLER, "stop", "Este vendedor está na lista de bloqueio da loja.")
        )
    since = now - timedelta(days=terms.seller_window_days)
    count = sum(1 for pid, at in previous.items() if pid != purchase_id and at >= since)
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


def amount_overrides(
    request: PurchaseRequest, revised: int, caller: Caller, now: datetime
) -> list[Override]:
    """A reason whenever the agreed amount differs from the revised offer; above it, only an
    owner who approves (recorded)."""
    agreed = request.agreed_amount
    if agreed != revised and not request.amount_reason:
        reason = f"required when the agreed amount differs from the revised offer ({revised})"
        raise InvalidPurchase([FieldError("amount_reason", None, reason)])
    if agreed <= revised:
        return []
    if not (caller.is_owner and request.owner_approval):
        reason = f"above the revised offer ({revised}): only with the owner's approval"
        raise InvalidPurchase([FieldError("agreed_amount", agreed, reason)])
    return [Override(AMOUNT_ABOVE_REVISED, caller.role, now, email=caller.email)]


def flag_overrides(
    flags: tuple[Flag, ...],
    same_serial: str | None,
    request: PurchaseRequest,
    caller: Caller,
    now: datetime,
) -> list[Override]:
    """A flag that stops is 409 (the earlier purchase named to owners only); a warning needs
    an owner who approves, recorded with who decided."""
    stops = flags_of(flags, "stop")
    if stops:
        shown = same_serial if caller.is_owner else None
        raise PurchaseConflict("flag_stop", stops[0].message_pt, shown, flags)
    warnings = flags_of(flags, "warn")
    if not warnings:
        return []
    if not caller.is_owner:
        raise PurchaseForbidden(warnings[0].message_pt)
    if not request.owner_approval:
        raise PurchaseConflict("owner_approval_required", warnings[0].message_pt, None, flags)
    return [Override(flag.code, caller.role, now, email=caller.email) for flag in warnings]


def photo_errors(request: PurchaseRequest, missing: list[str]) -> list[FieldError]:
    """The photos a purchase names that were never uploaded for its quote, each a field error."""
    errors = [
        FieldError("photos", photo, "not uploaded for this quote")
        for photo in request.photos
        if photo in missing
    ]
    if request.declaration_photo is not None and request.declaration_photo in missing:
        errors.append(FieldError("declaration_photo", request.declaration_photo, "not uploaded"))
    return errors
