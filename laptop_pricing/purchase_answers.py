"""The purchase routes' answers read into typed objects, the same way by both clients:
``UploadedPhoto`` (``POST /purchase/{quote_id}/photos``), ``PurchasePreview``
(``POST /purchase/preview``) and ``PurchaseAnswer`` (``POST /purchase``, ``GET /purchase/{id}``,
``GET /purchase?serial=``), or the typed error the status means (``PurchaseRefused``,
``PurchaseNotStored``, ``QuoteNotFound``; ``api_answers.error_for_status`` for the rest).

The UI reads only these objects: every field the purchase page shows is here. A member the
service left out reads as its empty value, so an older service's answer still reads; a member of
the wrong type is ``InvalidResponse`` (the answer cannot be trusted).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from laptop_pricing.api_answers import error_for_status, field_errors_in
from laptop_pricing.errors import (
    PurchaseNotStored,
    PurchaseRefused,
    QuoteNotFound,
)
from laptop_pricing.json_members import (
    integer,
    items,
    json_object,
    maybe_object,
    member,
    moment,
    number,
    optional_text,
    text,
)

REFUSALS = frozenset({400, 403, 409, 413})


@dataclass(frozen=True)
class UploadedPhoto:
    """A photo stored under a quote, normalized (EXIF gone, ≤ 1600 px, ≤ 500 KB JPEG)."""

    photo_id: str
    bytes: int
    width: int
    height: int


@dataclass(frozen=True)
class PurchaseFlag:
    """A flag the policy raised: ``severity`` ``stop`` (cannot buy) or ``warn`` (an owner
    approves); ``code`` one of ``same_serial``, ``seller_repeat``, ``blocked_serial``,
    ``blocked_seller``."""

    code: str
    severity: str
    message_pt: str


@dataclass(frozen=True)
class LockQuestion:
    id: str
    question: str
    what_to_do: str


@dataclass(frozen=True)
class PayoutOption:
    method: str  # pix | cash | store_credit
    label_pt: str
    amount: int
    bonus_percent: int | float = 0


@dataclass(frozen=True)
class DeductionLine:
    label_pt: str
    amount: int


@dataclass(frozen=True)
class PurchasePreview:
    """What ``POST /purchase/preview`` answers: the offer revised by the inspection, the locks
    to ask for this brand, the payout choices, the flags and the privacy notice. Stores nothing."""

    quote_id: str
    quote_offer: int | None
    quote_agreed: int | None
    revised_offer: int | None
    revised: bool
    no_offer_reason: str | None
    changed_deductions: tuple[DeductionLine, ...]
    deductions: tuple[DeductionLine, ...]
    policy_version: str
    locks: tuple[LockQuestion, ...]
    payout_options: tuple[PayoutOption, ...]
    flags: tuple[PurchaseFlag, ...]
    existing_purchase_id: str | None
    privacy_notice_pt: str
    photos_min: int
    photos_max: int

    @property
    def stopped(self) -> bool:
        """A flag forbids the purchase."""
        return any(flag.severity == "stop" for flag in self.flags)

    @property
    def needs_owner(self) -> bool:
        """A flag asks an owner to approve."""
        return any(flag.severity == "warn" for flag in self.flags)


@dataclass(frozen=True)
class SellerBlock:
    """Who sold: full for an owner; masked for the clerk who made the purchase (first name and
    the CPF as ``***.456.789-**`` only: ``name``, ``cpf``, the document and the phone None)."""

    first_name: str
    cpf_masked: str
    masked: bool
    name: str | None = None
    cpf: str | None = None
    document_type: str | None = None
    document_label: str | None = None
    document_number: str | None = None
    phone: str | None = None


@dataclass(frozen=True)
class Override:
    """A flag (its code) or ``amount_above_revised`` an owner let through, who and when."""

    what: str
    role: str
    email: str | None
    at: datetime | None


@dataclass(frozen=True)
class PurchaseAnswer:
    """A stored purchase as the API answers it; ``created`` True when this call stored it
    (201), False when it was stored before under the same ``event_id`` (200) or was found."""

    purchase_id: str
    quote_id: str
    event_id: str
    recorded_at: datetime | None
    clerk_email: str | None
    policy_version: str | None
    quote_offer: int | None
    quote_decision: str
    quote_agreed: int | None
    condition: Mapping[str, Any]
    revised_offer: int | None
    changed_deductions: tuple[DeductionLine, ...]
    agreed_amount: int
    amount_reason: str | None
    locks: Mapping[str, bool]
    serial: str
    label_brand: str | None
    label_model: str | None
    laptop_brand: str | None
    photos: tuple[str, ...]
    payout_method: str
    payout_amount: int
    payout_bonus_percent: int | float
    declaration_signed: bool
    declaration_photo: str | None
    flags: tuple[PurchaseFlag, ...]
    overrides: tuple[Override, ...]
    seller_access: str  # "full" (owner) or "masked" (the clerk who made it)
    seller: SellerBlock | None  # None: erased (``seller_erased_at``) or not readable
    seller_erased_at: datetime | None = None
    created: bool = False

    @property
    def bonus_amount(self) -> int:
        """What store credit adds to the agreed amount (0 for Pix and cash)."""
        return max(0, self.payout_amount - self.agreed_amount)


def photo_from_response(
    status: int, body: str | bytes | None, headers: Mapping[str, str]
) -> UploadedPhoto:
    if status in (200, 201):
        payload = json_object(body)
        return UploadedPhoto(
            photo_id=text(payload, "photo_id", required=True),
            bytes=integer(payload, "bytes") or 0,
            width=integer(payload, "width") or 0,
            height=integer(payload, "height") or 0,
        )
    raise purchase_error(status, body, headers)


def preview_from_response(
    status: int, body: str | bytes | None, headers: Mapping[str, str]
) -> PurchasePreview:
    if status != 200:
        raise purchase_error(status, body, headers)
    payload = json_object(body)
    photos = member(payload, "photos")
    return PurchasePreview(
        quote_id=text(payload, "quote_id", required=True),
        quote_offer=integer(payload, "quote_offer"),
        quote_agreed=integer(payload, "quote_agreed"),
        revised_offer=integer(payload, "revised_offer"),
        revised=bool(payload.get("revised", False)),
        no_offer_reason=optional_text(payload, "no_offer_reason"),
        changed_deductions=_deductions(payload.get("changed_deductions")),
        deductions=_deductions(payload.get("deductions")),
        policy_version=text(payload, "policy_version"),
        locks=tuple(
            LockQuestion(text(i, "id", True), text(i, "question"), text(i, "what_to_do"))
            for i in items(payload, "locks")
        ),
        payout_options=_payouts(payload.get("payout_options")),
        flags=_flags(payload.get("flags")),
        existing_purchase_id=optional_text(payload, "existing_purchase_id"),
        privacy_notice_pt=text(payload, "privacy_notice_pt"),
        photos_min=integer(photos, "min") or 2,
        photos_max=integer(photos, "max") or 6,
    )


def purchase_from_response(
    status: int, body: str | bytes | None, headers: Mapping[str, str]
) -> PurchaseAnswer:
    """``POST /purchase``'s 201/200, else the typed error."""
    if status in (200, 201):
        return purchase_from_body(json_object(body), created=status == 201)
    raise purchase_error(status, body, headers)


def found_purchase_from_response(
    status: int, body: str | bytes | None, headers: Mapping[str, str]
) -> PurchaseAnswer | None:
    """``GET /purchase/{id}`` and ``GET /purchase?serial=``: the purchase, None for 404."""
    if status == 200:
        return purchase_from_body(json_object(body))
    if status == 404 and maybe_object(body).get("reason_code") != "no_route":
        return None
    raise purchase_error(status, body, headers)


def purchase_from_body(payload: Mapping[str, Any], created: bool = False) -> PurchaseAnswer:
    """A ``PurchaseView.as_dict()`` read back (``created``: the answer was a 201)."""
    payout = member(payload, "payout")
    machine = member(payload, "machine")
    seller = payload.get("seller")
    access = text(payload, "seller_access")
    return PurchaseAnswer(
        purchase_id=text(payload, "purchase_id", required=True),
        quote_id=text(payload, "quote_id") or text(payload, "purchase_id"),
        event_id=text(payload, "event_id"),
        recorded_at=moment(payload.get("recorded_at")),
        clerk_email=optional_text(payload, "clerk_email"),
        policy_version=optional_text(payload, "policy_version"),
        quote_offer=integer(payload, "quote_offer"),
        quote_decision=text(payload, "quote_decision"),
        quote_agreed=integer(payload, "quote_agreed"),
        condition=member(payload, "condition"),
        revised_offer=integer(payload, "revised_offer"),
        changed_deductions=_deductions(payload.get("changed_deductions")),
        agreed_amount=integer(payload, "agreed_amount") or 0,
        amount_reason=optional_text(payload, "amount_reason"),
        locks={str(k): bool(v) for k, v in member(payload, "locks").items()},
        serial=text(machine, "serial"),
        label_brand=optional_text(machine, "label_brand"),
        label_model=optional_text(machine, "label_model"),
        laptop_brand=optional_text(machine, "laptop_brand"),
        photos=tuple(str(p) for p in payload.get("photos") or () if isinstance(p, str)),
        payout_method=text(payout, "method"),
        payout_amount=integer(payout, "amount") or 0,
        payout_bonus_percent=number(payout, "bonus_percent"),
        declaration_signed=payload.get("declaration_signed") is True,
        declaration_photo=optional_text(payload, "declaration_photo"),
        flags=_flags(payload.get("flags")),
        overrides=tuple(
            Override(
                text(i, "what"),
                text(i, "role"),
                optional_text(i, "email"),
                moment(i.get("at")),
            )
            for i in items(payload, "overrides")
        ),
        seller_access=access or "masked",
        seller=_seller(seller, access) if isinstance(seller, dict) else None,
        seller_erased_at=moment(payload.get("seller_erased_at")),
        created=created,
    )


def purchase_error(status: int, body: str | bytes | None, headers: Mapping[str, str]) -> Exception:
    """The typed error of a purchase route's non-2xx answer. A 403 from the gateway (no or a
    wrong key: no ``message_pt``) stays an ``AuthError``; the service's own 403 (an owner must
    do it) is a ``PurchaseRefused``."""
    payload = maybe_object(body)
    message_pt = text(payload, "message_pt") if isinstance(payload.get("message_pt"), str) else ""
    english = str(payload.get("message") or "")[:200]
    if status == 404 and payload.get("quote_id") and payload.get("reason_code") != "no_route":
        return QuoteNotFound(str(payload["quote_id"]), f"purchase answered 404: {english}")
    if status == 413 and not message_pt:
        message_pt = "A foto passa do tamanho máximo; envie uma foto menor."
    if status in REFUSALS and (status != 403 or message_pt):
        return PurchaseRefused(
            status,
            message_pt,
            field_errors_in(body),
            reason_code=optional_text(payload, "reason_code"),
            purchase_id=optional_text(payload, "purchase_id"),
            flags=[
                {"code": f.code, "severity": f.severity, "message_pt": f.message_pt}
                for f in _flags(payload.get("flags"))
            ],
            message=f"purchase answered {status}: {english or message_pt}",
        )
    if status == 503 and message_pt:
        return PurchaseNotStored(f"purchase answered 503: {english}", status)
    return error_for_status(status, body, headers)


def _deductions(value: Any) -> tuple[DeductionLine, ...]:
    return tuple(
        DeductionLine(text(i, "label_pt") or text(i, "label"), integer(i, "amount") or 0)
        for i in items({"deductions": value}, "deductions")
    )


def _payouts(value: Any) -> tuple[PayoutOption, ...]:
    return tuple(
        PayoutOption(
            method=text(i, "method", True),
            label_pt=text(i, "label_pt"),
            amount=integer(i, "amount") or 0,
            bonus_percent=number(i, "bonus_percent"),
        )
        for i in items({"payout_options": value}, "payout_options")
    )


def _flags(value: Any) -> tuple[PurchaseFlag, ...]:
    return tuple(
        PurchaseFlag(text(i, "code", True), text(i, "severity"), text(i, "message_pt"))
        for i in items({"flags": value}, "flags")
    )


def _seller(payload: Mapping[str, Any], access: str) -> SellerBlock:
    return SellerBlock(
        first_name=text(payload, "first_name"),
        cpf_masked=text(payload, "cpf_masked"),
        masked=access != "full",
        name=optional_text(payload, "name"),
        cpf=optional_text(payload, "cpf"),
        document_type=optional_text(payload, "document_type"),
        document_label=optional_text(payload, "document_label"),
        document_number=optional_text(payload, "document_number"),
        phone=optional_text(payload, "phone"),
    )
