"""A purchase as stored (``Purchase``: the non-personal facts) and as answered
(``PurchaseView``: the facts with the seller's block, full for owners, masked for the clerk who
made it), the flags and overrides recorded with it, and the preview's answer.

The stored record holds no name, CPF, document or phone, not even masked: the seller is sealed
apart (``vault``), and the masked CPF is computed from the opened seal when a view is made. The
staff's e-mails (the clerk, an owner who let a warning through) are kept as a keyed reference
and sealed (``staff_email``); ``as_record`` refuses to write one still in clear.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from laptop_pricing.purchase.seller import DOCUMENT_LABELS, Seller
from laptop_pricing.store_id import DEFAULT_STORE_ID, store_of

Severity = Literal["stop", "warn"]
Role = Literal["clerk", "owner"]
SAME_SERIAL = "same_serial"
SELLER_REPEAT = "seller_repeat"
BLOCKED_SERIAL = "blocked_serial"
BLOCKED_SELLER = "blocked_seller"
FLAG_CODES: tuple[str, ...] = (SAME_SERIAL, SELLER_REPEAT, BLOCKED_SERIAL, BLOCKED_SELLER)
AMOUNT_ABOVE_REVISED = "amount_above_revised"
CREATED = 201
ALREADY_STORED = 200


def utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_utc(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass(frozen=True)
class Flag:
    """A reason to stop or to ask an owner, as the policy says."""

    code: str
    severity: Severity
    message_pt: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "severity": self.severity, "message_pt": self.message_pt}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Flag:
        severity: Severity = "stop" if raw["severity"] == "stop" else "warn"
        return cls(str(raw["code"]), severity, str(raw["message_pt"]))


class UnsealedEmail(ValueError):
    """A record about to be written with a staff e-mail in clear (a bug: seal it first)."""


def _optional(value: object) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True)
class Override:
    """Who let the purchase go on despite a warning or above the revised offer: the role, and
    the e-mail as a keyed ``reference`` and ``sealed`` (``staff_email``). ``email`` is in clear
    only before the service seals it, or read from a record written before sealing."""

    what: str  # a flag code, or ``amount_above_revised``
    role: str
    at: datetime
    reference: str | None = None
    sealed: str | None = None
    email: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """As stored: never the e-mail in clear."""
        return {
            "what": self.what,
            "role": self.role,
            "reference": self.reference,
            "sealed": self.sealed,
            "at": utc_text(self.at),
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Override:
        return cls(
            str(raw["what"]),
            str(raw["role"]),
            parse_utc(str(raw["at"])),
            _optional(raw.get("reference")),
            _optional(raw.get("sealed")),
            _optional(raw.get("email")),  # a record written before sealing
        )


@dataclass(frozen=True)
class ChangedDeduction:
    label_pt: str
    amount: int  # what the inspection's answer deducts (0 when it no longer deducts)

    def as_dict(self) -> dict[str, Any]:
        return {"label_pt": self.label_pt, "amount": self.amount}


@dataclass(frozen=True)
class Purchase:
    """The stored facts. ``purchase_id`` is the quote id: one purchase per quote."""

    purchase_id: str
    event_id: str
    recorded_at: datetime
    policy_version: str
    quote_offer: int | None
    quote_decision: str
    quote_agreed: int | None  # what the customer agreed at the quote (offer or negotiated)
    condition: Mapping[str, Any]
    revised_offer: int
    changed_deductions: tuple[ChangedDeduction, ...]
    agreed_amount: int
    amount_reason: str | None
    locks: Mapping[str, bool]
    serial: str
    label_brand: str
    label_model: str
    laptop_brand: str | None
    photos: tuple[str, ...]
    payout_method: str
    payout_amount: int
    bonus_percent: int
    declaration_signed: bool
    declaration_photo: str | None
    flags: tuple[Flag, ...] = ()
    overrides: tuple[Override, ...] = ()
    store_id: str = DEFAULT_STORE_ID  # the quote's store; a record older than stores: the default
    clerk_reference: str | None = None  # ``vault.clerk_reference`` of the clerk's e-mail
    clerk_sealed: str | None = None  # the clerk's e-mail sealed (``vault.seal``), ASCII
    # In clear only before the service seals it, or read from a record written before sealing
    # (``staff_email.sealed`` turns it into the reference and the seal); never written.
    clerk_email: str | None = None

    @property
    def quote_id(self) -> str:
        return self.purchase_id

    def as_dict(self) -> dict[str, Any]:
        """The facts as stored: the staff's e-mails sealed, never in clear."""
        return {
            "purchase_id": self.purchase_id,
            "quote_id": self.purchase_id,
            "event_id": self.event_id,
            "recorded_at": utc_text(self.recorded_at),
            "clerk_reference": self.clerk_reference,
            "clerk_sealed": self.clerk_sealed,
            "policy_version": self.policy_version,
            "quote_offer": self.quote_offer,
            "quote_decision": self.quote_decision,
            "quote_agreed": self.quote_agreed,
            "condition": dict(self.condition),
            "revised_offer": self.revised_offer,
            "changed_deductions": [d.as_dict() for d in self.changed_deductions],
            "agreed_amount": self.agreed_amount,
            "amount_reason": self.amount_reason,
            "locks": dict(self.locks),
            "machine": {
                "serial": self.serial,
                "label_brand": self.label_brand,
                "label_model": self.label_model,
                "laptop_brand": self.laptop_brand,
            },
            "photos": list(self.photos),
            "payout": {
                "method": self.payout_method,
                "amount": self.payout_amount,
                "bonus_percent": self.bonus_percent,
            },
            "declaration_signed": self.declaration_signed,
            "declaration_photo": self.declaration_photo,
            "flags": [f.as_dict() for f in self.flags],
            "overrides": [o.as_dict() for o in self.overrides],
            "store_id": self.store_id,
        }

    def as_record(self) -> bytes:
        """Refuses (``UnsealedEmail``) while an e-mail is in clear: ``staff_email.sealed`` first."""
        if self.clerk_email or any(o.email for o in self.overrides):
            raise UnsealedEmail(f"purchase {self.purchase_id}: a staff e-mail is not sealed")
        return json.dumps(self.as_dict(), ensure_ascii=False, sort_keys=True).encode("utf-8")

    @classmethod
    def from_record(cls, data: bytes) -> Purchase:
        raw = json.loads(data.decode("utf-8"))
        machine, payout = raw["machine"], raw["payout"]
        return cls(
            purchase_id=str(raw["purchase_id"]),
            event_id=str(raw["event_id"]),
            recorded_at=parse_utc(str(raw["recorded_at"])),
            clerk_reference=_optional(raw.get("clerk_reference")),
            clerk_sealed=_optional(raw.get("clerk_sealed")),
            policy_version=str(raw["policy_version"]),
            quote_offer=raw.get("quote_offer"),
            quote_decision=str(raw["quote_decision"]),
            quote_agreed=raw.get("quote_agreed"),
            condition=dict(raw["condition"]),
            revised_offer=int(raw["revised_offer"]),
            changed_deductions=tuple(
                ChangedDeduction(str(d["label_pt"]), int(d["amount"]))
                for d in raw["changed_deductions"]
            ),
            agreed_amount=int(raw["agreed_amount"]),
            amount_reason=raw.get("amount_reason"),
            locks={str(k): bool(v) for k, v in raw["locks"].items()},
            serial=str(machine["serial"]),
            label_brand=str(machine["label_brand"]),
            label_model=str(machine["label_model"]),
            laptop_brand=machine.get("laptop_brand"),
            photos=tuple(str(p) for p in raw["photos"]),
            payout_method=str(payout["method"]),
            payout_amount=int(payout["amount"]),
            bonus_percent=int(payout["bonus_percent"]),
            declaration_signed=bool(raw["declaration_signed"]),
            declaration_photo=raw.get("declaration_photo"),
            flags=tuple(Flag.from_dict(f) for f in raw.get("flags", ())),
            overrides=tuple(Override.from_dict(o) for o in raw.get("overrides", ())),
            store_id=store_of(raw.get("store_id")),
            clerk_email=_optional(raw.get("clerk_email")),  # a record written before sealing
        )


SellerAccess = Literal["full", "masked"]


@dataclass(frozen=True)
class Caller:
    """Who asks, as the transport established it (an owner's API key, or in-process)."""

    role: Role
    email: str | None = None

    @property
    def is_owner(self) -> bool:
        return self.role == "owner"


@dataclass(frozen=True)
class StoredPhoto:
    """A photo normalized and stored under its quote (``POST /purchase/{id}/photos``)."""

    photo_id: str
    bytes: int
    width: int
    height: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "photo_id": self.photo_id,
            "bytes": self.bytes,
            "width": self.width,
            "height": self.height,
        }


@dataclass(frozen=True)
class PurchaseView:
    """What the API answers: the facts and the seller as the caller may see them. ``seller``
    None with ``seller_erased_at``: the seller's data was erased (LGPD request or retention).
    ``clerk_email`` and ``override_emails`` (one per override): opened for an owner, masked
    for the clerk; the stored reference and seals are never answered."""

    purchase: Purchase
    access: SellerAccess
    seller: Seller | None
    seller_erased_at: datetime | None = None
    clerk_email: str | None = None
    override_emails: tuple[str | None, ...] = ()

    @property
    def purchase_id(self) -> str:
        return self.purchase.purchase_id

    def seller_block(self) -> dict[str, Any] | None:
        if self.seller is None:
            return None
        seller = self.seller
        if self.access == "masked":
            return {"first_name": seller.first_name, "cpf_masked": seller.masked_cpf}
        return {
            **seller.as_dict(),
            "first_name": seller.first_name,
            "cpf_masked": seller.masked_cpf,
            "document_label": DOCUMENT_LABELS.get(seller.document_type, seller.document_type),
        }

    def as_dict(self) -> dict[str, Any]:
        erased = None if self.seller_erased_at is None else utc_text(self.seller_erased_at)
        facts = self.purchase.as_dict()
        del facts["clerk_reference"], facts["clerk_sealed"]
        emails = [*self.override_emails, *[None] * len(self.purchase.overrides)]
        overrides = [
            {"what": o.what, "role": o.role, "email": email, "at": utc_text(o.at)}
            for o, email in zip(self.purchase.overrides, emails, strict=False)
        ]
        return {
            **facts,
            "clerk_email": self.clerk_email,
            "overrides": overrides,
            "seller_access": self.access,
            "seller": self.seller_block(),
            "seller_erased_at": erased,
        }


@dataclass(frozen=True)
class PurchaseDecision:
    """201: stored now; 200: this ``event_id`` was stored before (the stored view)."""

    status: int
    view: PurchaseView


@dataclass(frozen=True)
class PayoutOption:
    method: str
    label_pt: str
    amount: int
    bonus_percent: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "label_pt": self.label_pt,
            "amount": self.amount,
            "bonus_percent": self.bonus_percent,
        }


@dataclass(frozen=True)
class PurchasePreview:
    """``POST /purchase/preview``: what the page shows before the purchase; stores nothing."""

    quote_id: str
    quote_offer: int | None
    revised_offer: int | None
    changed_deductions: tuple[ChangedDeduction, ...]
    deductions: tuple[dict[str, Any], ...]
    policy_version: str
    locks: tuple[dict[str, str], ...]
    payout_options: tuple[PayoutOption, ...]
    flags: tuple[Flag, ...]
    existing_purchase_id: str | None
    privacy_notice_pt: str
    photos_min: int
    photos_max: int
    quote_agreed: int | None = None
    no_offer_reason: str | None = None

    @property
    def revised(self) -> bool:
        return self.revised_offer != self.quote_offer

    def as_dict(self) -> dict[str, Any]:
        return {
            "quote_id": self.quote_id,
            "quote_offer": self.quote_offer,
            "quote_agreed": self.quote_agreed,
            "revised_offer": self.revised_offer,
            "revised": self.revised,
            "no_offer_reason": self.no_offer_reason,
            "changed_deductions": [d.as_dict() for d in self.changed_deductions],
            "deductions": list(self.deductions),
            "policy_version": self.policy_version,
            "locks": list(self.locks),
            "payout_options": [p.as_dict() for p in self.payout_options],
            "flags": [f.as_dict() for f in self.flags],
            "existing_purchase_id": self.existing_purchase_id,
            "privacy_notice_pt": self.privacy_notice_pt,
            "photos": {"min": self.photos_min, "max": self.photos_max},
        }


def flags_of(items: Sequence[Flag], severity: Severity) -> tuple[Flag, ...]:
    return tuple(f for f in items if f.severity == severity)
