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

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from laptop_pricing.api_answers import error_for_status, field_errors_in
from laptop_pricing.errors import (
    InvalidResponse,
    PurchaseNotStored,
    PurchaseRefused,
    QuoteNotFound,
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
    revised_offer: int | None
    revised: bool
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
    """Who sold: full for an owner; masked for the clerk who made the purchase (CPF as
    ``***.456.789-**``, first name only, no document number and no phone)."""

    name: str
    cpf: str
    document_type: str | None
    document_number: str | None
    phone: str | None
    masked: bool


@dataclass(frozen=True)
class Override:
    """A flag or an amount an owner let through, with who decided."""

    code: str
    decided_by: str | None
    note: str | None = None


@dataclass(frozen=True)
class PurchaseAnswer:
    """A stored purchase as the API answers it; ``created`` True when this call stored it
    (201), False when it was stored before under the same ``event_id`` (200) or was found."""

    purchase_id: str
    quote_id: str
    recorded_at: datetime | None
    laptop: Mapping[str, Any]
    laptop_description: str
    serial: str
    label_brand: str | None
    label_model: str | None
    condition: Mapping[str, Any]
    quote_offer: int | None
    revised_offer: int | None
    agreed_amount: int
    amount_reason: str | None
    payout_method: str
    payout_amount: int
    payout_bonus_percent: int | float
    flags: tuple[PurchaseFlag, ...]
    overrides: tuple[Override, ...]
    photos: tuple[str, ...]
    declaration_photo: str | None
    clerk_email: str | None
    policy_version: str | None
    seller: SellerBlock | None
    created: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)


def photo_from_response(
    status: int, body: str | bytes | None, headers: Mapping[str, str]
) -> UploadedPhoto:
    if status in (200, 201):
        payload = _object(body)
        return UploadedPhoto(
            photo_id=_text(payload, "photo_id", required=True),
            bytes=_int(payload, "bytes") or 0,
            width=_int(payload, "width") or 0,
            height=_int(payload, "height") or 0,
        )
    raise purchase_error(status, body, headers)


def preview_from_response(
    status: int, body: str | bytes | None, headers: Mapping[str, str]
) -> PurchasePreview:
    if status != 200:
        raise purchase_error(status, body, headers)
    payload = _object(body)
    photos = _member(payload, "photos")
    return PurchasePreview(
        quote_id=_text(payload, "quote_id", required=True),
        quote_offer=_int(payload, "quote_offer"),
        revised_offer=_int(payload, "revised_offer"),
        revised=bool(payload.get("revised", False)),
        changed_deductions=_deductions(payload.get("changed_deductions")),
        deductions=_deductions(payload.get("deductions")),
        policy_version=_text(payload, "policy_version"),
        locks=tuple(
            LockQuestion(_text(i, "id", True), _text(i, "question"), _text(i, "what_to_do"))
            for i in _items(payload, "locks")
        ),
        payout_options=_payouts(payload.get("payout_options")),
        flags=_flags(payload.get("flags")),
        existing_purchase_id=_optional_text(payload, "existing_purchase_id"),
        privacy_notice_pt=_text(payload, "privacy_notice_pt"),
        photos_min=_int(photos, "min") or 2,
        photos_max=_int(photos, "max") or 6,
    )


def purchase_from_response(
    status: int, body: str | bytes | None, headers: Mapping[str, str]
) -> PurchaseAnswer:
    """``POST /purchase``'s 201/200, else the typed error."""
    if status in (200, 201):
        return purchase_from_body(_object(body), created=status == 201)
    raise purchase_error(status, body, headers)


def found_purchase_from_response(
    status: int, body: str | bytes | None, headers: Mapping[str, str]
) -> PurchaseAnswer | None:
    """``GET /purchase/{id}`` and ``GET /purchase?serial=``: the purchase, None for 404."""
    if status == 200:
        return purchase_from_body(_object(body))
    if status == 404 and _maybe(body).get("reason_code") != "no_route":
        return None
    raise purchase_error(status, body, headers)


def purchase_from_body(payload: Mapping[str, Any], created: bool = False) -> PurchaseAnswer:
    payout = _member(payload, "payout")
    machine = _member(payload, "machine")
    laptop = _member(payload, "laptop")
    condition = _member(payload, "condition")
    seller = payload.get("seller")
    known = set(_PURCHASE_KEYS)
    return PurchaseAnswer(
        purchase_id=_text(payload, "purchase_id", required=True),
        quote_id=_text(payload, "quote_id") or _text(payload, "purchase_id"),
        recorded_at=_when(payload.get("recorded_at")),
        laptop=dict(laptop),
        laptop_description=_text(payload, "laptop_description"),
        serial=_text(payload, "serial") or _text(machine, "serial"),
        label_brand=_optional_text(payload, "label_brand")
        or _optional_text(machine, "label_brand"),
        label_model=_optional_text(payload, "label_model")
        or _optional_text(machine, "label_model"),
        condition=dict(condition),
        quote_offer=_int(payload, "quote_offer"),
        revised_offer=_int(payload, "revised_offer"),
        agreed_amount=_int(payload, "agreed_amount") or 0,
        amount_reason=_optional_text(payload, "amount_reason"),
        payout_method=_text(payout, "method"),
        payout_amount=_int(payout, "amount") or 0,
        payout_bonus_percent=_number(payout, "bonus_percent"),
        flags=_flags(payload.get("flags")),
        overrides=tuple(
            Override(
                _text(i, "code"),
                _optional_text(i, "decided_by") or _optional_text(i, "by"),
                _optional_text(i, "note"),
            )
            for i in _items(payload, "overrides")
        ),
        photos=tuple(str(p) for p in payload.get("photos") or () if isinstance(p, str)),
        declaration_photo=_optional_text(payload, "declaration_photo"),
        clerk_email=_optional_text(payload, "clerk_email"),
        policy_version=_optional_text(payload, "policy_version"),
        seller=_seller(seller) if isinstance(seller, dict) else None,
        created=created,
        extra={k: v for k, v in payload.items() if k not in known},
    )


_PURCHASE_KEYS = (
    "purchase_id",
    "quote_id",
    "recorded_at",
    "laptop",
    "laptop_description",
    "serial",
    "label_brand",
    "label_model",
    "machine",
    "condition",
    "quote_offer",
    "revised_offer",
    "agreed_amount",
    "amount_reason",
    "payout",
    "flags",
    "overrides",
    "photos",
    "declaration_photo",
    "clerk_email",
    "policy_version",
    "seller",
)


def purchase_error(status: int, body: str | bytes | None, headers: Mapping[str, str]) -> Exception:
    """The typed error of a purchase route's non-2xx answer. A 403 from the gateway (no or a
    wrong key: no ``message_pt``) stays an ``AuthError``; the service's own 403 (an owner must
    do it) is a ``PurchaseRefused``."""
    payload = _maybe(body)
    message_pt = _text(payload, "message_pt") if isinstance(payload.get("message_pt"), str) else ""
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
            reason_code=_optional_text(payload, "reason_code"),
            purchase_id=_optional_text(payload, "purchase_id"),
            flags=[
                {"code": f.code, "severity": f.severity, "message_pt": f.message_pt}
                for f in _flags(payload.get("flags"))
            ],
            message=f"purchase answered {status}: {english or message_pt}",
        )
    if status == 503 and message_pt:
        return PurchaseNotStored(f"purchase answered 503: {english}", status)
    return error_for_status(status, body, headers)


# -- reading JSON members ----------------------------------------------------------------------


def _maybe(body: str | bytes | None) -> dict[str, Any]:
    try:
        payload = json.loads(body) if body else None
    except (ValueError, UnicodeDecodeError):
        return {}
    return payload if isinstance(payload, dict) else {}


def _object(body: str | bytes | None) -> dict[str, Any]:
    if body is None or body in ("", b""):
        raise InvalidResponse("purchase answer is empty")
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise InvalidResponse("purchase answer is not JSON") from None
    if not isinstance(payload, dict):
        raise InvalidResponse("purchase answer is not a JSON object")
    return payload


def _member(payload: Mapping[str, Any], key: str) -> dict[str, Any]:
    """A nested object, ``{}`` when absent or not an object."""
    value = payload.get(key)
    return value if isinstance(value, dict) else {}


def _text(payload: Mapping[str, Any], key: str, required: bool = False) -> str:
    value = payload.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        raise InvalidResponse(f"purchase answer: {key} is not text")
    return value


def _optional_text(payload: Mapping[str, Any], key: str) -> str | None:
    value = payload.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidResponse(f"purchase answer: {key} is not text")
    return value


def _int(payload: Mapping[str, Any], key: str) -> int | None:
    value = payload.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidResponse(f"purchase answer: {key} is not a number")
    return round(value)


def _number(payload: Mapping[str, Any], key: str) -> int | float:
    value = payload.get(key)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidResponse(f"purchase answer: {key} is not a number")
    return value


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise InvalidResponse("purchase answer: recorded_at is not a date and time") from None


def _items(payload: Mapping[str, Any], key: str) -> list[dict[str, Any]]:
    value = payload.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise InvalidResponse(f"purchase answer: {key} is not a list of objects")
    return value


def _deductions(value: Any) -> tuple[DeductionLine, ...]:
    items = _items({"deductions": value}, "deductions")
    return tuple(
        DeductionLine(_text(i, "label_pt") or _text(i, "label"), _int(i, "amount") or 0)
        for i in items
    )


def _payouts(value: Any) -> tuple[PayoutOption, ...]:
    return tuple(
        PayoutOption(
            method=_text(i, "method", True),
            label_pt=_text(i, "label_pt"),
            amount=_int(i, "amount") or 0,
            bonus_percent=_number(i, "bonus_percent"),
        )
        for i in _items({"payout_options": value}, "payout_options")
    )


def _flags(value: Any) -> tuple[PurchaseFlag, ...]:
    return tuple(
        PurchaseFlag(_text(i, "code", True), _text(i, "severity"), _text(i, "message_pt"))
        for i in _items({"flags": value}, "flags")
    )


def _seller(payload: Mapping[str, Any]) -> SellerBlock:
    return SellerBlock(
        name=_text(payload, "name"),
        cpf=_text(payload, "cpf") or _text(payload, "masked_cpf"),
        document_type=_optional_text(payload, "document_type"),
        document_number=_optional_text(payload, "document_number"),
        phone=_optional_text(payload, "phone"),
        masked=bool(payload.get("masked", False)),
    )
