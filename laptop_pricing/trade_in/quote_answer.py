"""``GET /quote/{quote_id}``'s answer: a quote found again, as the API sends it and as a client
reads it back (``FoundQuote.as_body`` and ``FoundQuote.from_body``, one pair, so the two sides
cannot drift).

The request log keeps a quote's laptop, answers, market estimate, offer, policy version and
validity, not its deductions: they are computed again from those under the store's policy when
the quote was made under the policy in force and the same arithmetic gives the stored offer;
otherwise ``deductions`` is ``None`` (the policy changed since: the lines are not known).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal

from laptop_pricing.pricing.laptop_spec import LaptopSpec
from laptop_pricing.trade_in.condition import Condition
from laptop_pricing.trade_in.offer import Deduction, compute_offer
from laptop_pricing.trade_in.outcome import Outcome
from laptop_pricing.trade_in.policy import StorePolicy
from laptop_pricing.trade_in.quote_id import parse_quote_id
from laptop_pricing.trade_in.quote_lookup import LookupResult, StoredQuote

QuoteState = Literal["valid", "expired"]
STATES: tuple[QuoteState, ...] = ("valid", "expired")


class InvalidQuoteAnswer(ValueError):
    """A ``GET /quote`` answer whose fields cannot be read."""


@dataclass(frozen=True)
class FoundQuote:
    """A quote found by its id: what the request log keeps, its state today, the deductions
    (``None`` when the policy changed since) and every decision recorded, oldest first."""

    state: QuoteState
    quote: StoredQuote
    deductions: tuple[Deduction, ...] | None
    resale_value: int | None  # what the deductions are taken from (None with them)
    no_offer_reason: str | None
    outcomes: tuple[Outcome, ...]

    @property
    def quote_id(self) -> str:
        return self.quote.quote_id

    @classmethod
    def from_lookup(cls, result: LookupResult, policy: StorePolicy | None) -> FoundQuote:
        """``result`` must hold a quote (status valid or expired)."""
        if result.quote is None or result.status not in STATES:
            raise ValueError("only a found quote has an answer")
        quote = result.quote
        deductions: tuple[Deduction, ...] | None = None
        reason = resale = None
        same_policy = policy is not None and quote.policy_version == policy.version
        by_rule = quote.pricing_source == "rule"  # a store-model quote's lines are not re-derived
        if policy is not None and same_policy and by_rule and quote.condition is not None:
            offer = compute_offer(quote.market_estimate, quote.condition, policy)
            if offer.amount == quote.offer:
                deductions, reason = offer.deductions, offer.no_offer_reason
                resale = offer.resale_value
        state: QuoteState = "expired" if result.status == "expired" else "valid"
        return cls(state, quote, deductions, resale, reason, result.outcomes)

    def as_body(self) -> dict[str, Any]:
        quote = self.quote
        deductions = None if self.deductions is None else [d.as_dict() for d in self.deductions]
        return {
            "quote_id": quote.quote_id,
            "state": self.state,
            "quoted_at": quote.quoted_at.isoformat().replace("+00:00", "Z"),
            "valid_until": quote.valid_until.isoformat(),
            "policy_version": quote.policy_version,
            "model_version": quote.model_version,
            "market_estimate": quote.market_estimate,
            "offer": quote.offer,
            "no_offer_reason": self.no_offer_reason,
            "resale_value": self.resale_value,
            "deductions": deductions,
            "laptop": None if quote.spec is None else quote.spec.to_payload()["data"],
            "condition": None if quote.condition is None else quote.condition.as_dict(),
            "outcomes": [outcome.as_dict() for outcome in self.outcomes],
        }

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> FoundQuote:
        """The reverse of ``as_body``; raises ``InvalidQuoteAnswer``."""
        try:
            state = body["state"]
            if state not in STATES:
                raise ValueError(f"state {state!r}")
            quote = StoredQuote(
                quote_id=parse_quote_id(str(body["quote_id"])),
                quoted_at=datetime.fromisoformat(str(body["quoted_at"])).astimezone(UTC),
                spec=None
                if body.get("laptop") is None
                else LaptopSpec.from_payload(body["laptop"]),
                condition=(
                    None
                    if body.get("condition") is None
                    else Condition.from_payload(body["condition"])
                ),
                market_estimate=_whole(body["market_estimate"]),
                offer=None if body.get("offer") is None else _whole(body["offer"]),
                policy_version=str(body.get("policy_version") or ""),
                valid_until=date.fromisoformat(str(body["valid_until"])),
                model_version=str(body.get("model_version") or ""),
            )
            raw = body.get("deductions")
            deductions = None if raw is None else tuple(_deduction(item) for item in raw)
            outcomes = tuple(Outcome.from_record(item) for item in body.get("outcomes") or ())
            reason = body.get("no_offer_reason")
            resale = None if body.get("resale_value") is None else _whole(body["resale_value"])
            reason_text = str(reason) if reason else None
            return cls(state, quote, deductions, resale, reason_text, outcomes)
        except (KeyError, TypeError, ValueError) as error:  # InvalidSpec, InvalidQuoteId... too
            raise InvalidQuoteAnswer(f"quote answer unreadable: {error}") from None


def _whole(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("not a whole number")
    return value


def _deduction(item: Mapping[str, Any]) -> Deduction:
    percent = item.get("percent")
    return Deduction(
        str(item["rule"]), _whole(item["amount"]), None if percent is None else float(percent)
    )
