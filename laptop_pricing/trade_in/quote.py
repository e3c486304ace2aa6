"""A trade-in quote: the offer for one laptop in one condition, with an id and a validity.

``QuoteIssuer(policy)`` is what the API holds: ``issue(market_estimate, condition)`` computes
the offer (``laptop_pricing.trade_in.offer``), gives it a quote id
(``laptop_pricing.trade_in.quote_id``) and the
date it is valid until. ``TradeInQuote`` turns into the API answer's added fields
(``body_fields``), back from them on the client (``from_body``), and into the request-log cells
that let it be found again (``log_values``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from laptop_pricing.formatting import BRASILIA
from laptop_pricing.log_columns import (
    OFFER_COLUMN,
    POLICY_VERSION_COLUMN,
    PRICING_SOURCE_COLUMN,
    QUOTE_ID_COLUMN,
    VALID_UNTIL_COLUMN,
)
from laptop_pricing.pricing.laptop_spec import LaptopSpec
from laptop_pricing.trade_in.condition import Condition
from laptop_pricing.trade_in.offer import (
    OFFER_BASES,
    PRICING_SOURCE_RULE,
    PRICING_SOURCES,
    Deduction,
    Offer,
    OfferBasis,
    PricingSource,
    compute_offer,
)
from laptop_pricing.trade_in.policy import StorePolicy
from laptop_pricing.trade_in.quote_id import InvalidQuoteId, QuoteIdGenerator, parse_quote_id
from laptop_pricing.trade_in.store_policies import StorePolicies
from laptop_pricing.trade_in.used_price_model import UsedPriceModel

Clock = Callable[[], datetime]


class InvalidTradeInAnswer(ValueError):
    """An API answer whose trade-in fields cannot be read."""


@dataclass(frozen=True)
class TradeInQuote:
    quote_id: str
    quoted_at: datetime  # UTC
    valid_until: date  # last day (Brasília) the offer holds
    policy_version: str
    condition: Condition
    offer: Offer

    def body_fields(self) -> dict[str, Any]:
        """What the API answer adds beside ``prediction`` when the request had a condition."""
        return {
            "offer": self.offer.amount,
            "quote_id": self.quote_id,
            "valid_until": self.valid_until.isoformat(),
            "policy_version": self.policy_version,
            "deductions": [d.as_dict() for d in self.offer.deductions],
            "no_offer_reason": self.offer.no_offer_reason,
            "offer_basis": self.offer.basis,
            "resale_value": self.offer.resale_value,
            "pricing_source": self.offer.pricing_source,
            "quoted_at": self.quoted_at.isoformat().replace("+00:00", "Z"),  # held in UTC
        }

    def log_values(self) -> dict[str, str]:
        """The request-log cells of this quote (``log_columns.TRADE_IN_LOG_COLUMNS``)."""
        return {
            QUOTE_ID_COLUMN: self.quote_id,
            **self.condition.log_values(),
            OFFER_COLUMN: "" if self.offer.amount is None else str(self.offer.amount),
            POLICY_VERSION_COLUMN: self.policy_version,
            VALID_UNTIL_COLUMN: self.valid_until.isoformat(),
            PRICING_SOURCE_COLUMN: self.offer.pricing_source,
        }

    @classmethod
    def from_body(
        cls, body: Mapping[str, Any], condition: Condition, market_estimate: int
    ) -> TradeInQuote:
        """Read the trade-in fields of an API answer (the client knows the condition it sent)."""
        try:
            offer_amount = body["offer"]
            if offer_amount is not None and (
                isinstance(offer_amount, bool) or not isinstance(offer_amount, int)
            ):
                raise InvalidTradeInAnswer("offer is not a whole number")
            deductions = tuple(
                Deduction(
                    str(item["rule"]),
                    int(item["amount"]),
                    float(item["percent"]) if item.get("percent") is not None else None,
                )
                for item in body.get("deductions") or ()
            )
            received = body.get("offer_basis") or (
                "condition" if offer_amount is not None else "none"
            )
            basis: OfferBasis = next((b for b in OFFER_BASES if b == received), "none")
            sent = body.get("pricing_source") or PRICING_SOURCE_RULE
            source: PricingSource = next((s for s in PRICING_SOURCES if s == sent), "rule")
            offer = Offer(
                market_estimate=market_estimate,
                resale_value=int(body.get("resale_value") or 0),
                deductions=deductions,
                amount=offer_amount,
                basis=basis,
                no_offer_reason=body.get("no_offer_reason") or None,
                pricing_source=source,
            )
            quoted_at = body.get("quoted_at")
            return cls(
                quote_id=parse_quote_id(str(body["quote_id"])),
                quoted_at=(
                    datetime.fromisoformat(quoted_at) if quoted_at else datetime.now(UTC)
                ).astimezone(UTC),
                valid_until=date.fromisoformat(str(body["valid_until"])),
                policy_version=str(body["policy_version"]),
                condition=condition,
                offer=offer,
            )
        except (KeyError, TypeError, ValueError, InvalidQuoteId) as error:
            raise InvalidTradeInAnswer(f"trade-in fields unreadable: {error}") from None


def valid_until(quoted_at: datetime, validity_days: int) -> date:
    """The last day the quote holds: its Brasília date plus the policy's validity (0 = today)."""
    return quoted_at.astimezone(BRASILIA).date() + timedelta(days=validity_days)


class QuoteIssuer:
    """Turns a market estimate and a condition into a quote under the store's policy
    (``policies``; without them ``policy`` prices every request). ``used_prices``: the shipped
    store model; it prices the used value of the stores it is champion for, the rule the rest."""

    def __init__(
        self,
        policy: StorePolicy,
        ids: QuoteIdGenerator | None = None,
        clock: Clock | None = None,
        policies: StorePolicies | None = None,
        used_prices: UsedPriceModel | None = None,
    ):
        self.policy = policy
        self.policies = policies
        self.used_prices = used_prices
        self.ids = ids or QuoteIdGenerator()
        self.clock: Clock = clock or (lambda: datetime.now(UTC))

    @classmethod
    def for_stores(
        cls, policies: StorePolicies, used_prices: UsedPriceModel | None = None
    ) -> QuoteIssuer:
        """The issuer of a chain: the deployment's store policy, and each store's."""
        return cls(policies.home_policy, policies=policies, used_prices=used_prices)

    def policy_for(self, store_id: str | None) -> StorePolicy:
        """The store's policy; raises ``NoStorePolicy`` for a store that has none."""
        if store_id is None or self.policies is None:
            return self.policy
        return self.policies.for_store(store_id)

    def issue(
        self,
        market_estimate: int,
        condition: Condition,
        store_id: str | None = None,
        spec: LaptopSpec | None = None,
    ) -> TradeInQuote:
        """``spec`` lets the store model price (it reads the laptop); without it the rule does."""
        policy = self.policy_for(store_id)
        used = None
        model = self.used_prices
        if spec is not None and model is not None and model.metadata.prices_for(store_id):
            used = model.used_price(spec, condition, market_estimate)
        now = self.clock().astimezone(UTC)
        return TradeInQuote(
            quote_id=self.ids.new(now),
            quoted_at=now,
            valid_until=valid_until(now, policy.validity_days),
            policy_version=policy.version,
            condition=condition,
            offer=compute_offer(market_estimate, condition, policy, used),
        )
