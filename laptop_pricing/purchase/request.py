"""A ``POST /purchase`` body (and a ``POST /purchase/preview`` body), validated: every field at
fault named at once in one ``InvalidPurchase`` (400).

Only the shape is checked here, against the policy's purchase terms (lock ids, payout methods,
how many photos); the rules that need the quote (its state, the revised offer, the locks of its
brand, the photos stored under it, the flags) are the service's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from laptop_pricing import free_text, safe_csv
from laptop_pricing.access import EMAIL_PATTERN, MAX_EMAIL_LENGTH
from laptop_pricing.pricing.laptop_spec import FieldError, preview
from laptop_pricing.purchase.errors import InvalidPurchase
from laptop_pricing.purchase.policy_terms import PurchaseTerms
from laptop_pricing.purchase.seller import Seller, cpf_digits
from laptop_pricing.trade_in.condition import Condition, InvalidCondition
from laptop_pricing.trade_in.quote_id import InvalidQuoteId, parse_quote_id

PHOTO_KINDS: tuple[str, ...] = ("lid", "screen", "keyboard", "label", "damage")
DECLARATION_KIND = "declaration"
UPLOAD_KINDS: tuple[str, ...] = (*PHOTO_KINDS, DECLARATION_KIND)
PHOTO_ID = re.compile(r"^(lid|screen|keyboard|label|damage)-[0-9a-f]{16}$")
DECLARATION_PHOTO_ID = re.compile(r"^declaration-[0-9a-f]{16}$")
SERIAL = re.compile(r"^[A-Z0-9\-./ ]{3,40}$")
EVENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
LABEL_MAX = 60
REASON_MAX = 200
MAX_AMOUNT = 1_000_000
BODY_KEYS: tuple[str, ...] = (
    "event_id",
    "quote_id",
    "clerk_email",
    "condition",
    "agreed_amount",
    "amount_reason",
    "owner_approval",
    "locks",
    "machine",
    "photos",
    "seller",
    "privacy_notice_read",
    "payout",
    "declaration_signed",
    "declaration_photo",
)
PREVIEW_KEYS: tuple[str, ...] = (
    "quote_id",
    "condition",
    "agreed_amount",
    "machine",
    "seller",
    "clerk_email",
)
MACHINE_KEYS: tuple[str, ...] = ("serial", "label_brand", "label_model")


@dataclass(frozen=True)
class Machine:
    serial: str
    label_brand: str
    label_model: str


@dataclass(frozen=True)
class PurchaseRequest:
    event_id: str
    quote_id: str
    clerk_email: str | None
    condition: Condition
    agreed_amount: int
    amount_reason: str | None
    owner_approval: bool
    locks: Mapping[str, bool]
    machine: Machine
    photos: tuple[str, ...]
    seller: Seller
    payout_method: str
    declaration_photo: str | None

    @classmethod
    def from_payload(cls, body: Any, terms: PurchaseTerms) -> PurchaseRequest:
        if not isinstance(body, Mapping):
            raise InvalidPurchase([FieldError("body", preview(body), "must be a JSON object")])
        errors: list[FieldError] = []
        event_id = _event_id(body.get("event_id"), errors)
        quote_id = quote_id_field(body.get("quote_id"), errors)
        clerk_email = clerk_email_field(body.get("clerk_email"), errors)
        condition = condition_field(body.get("condition"), errors)
        agreed = amount_field(body.get("agreed_amount"), "agreed_amount", errors)
        reason = _reason(body.get("amount_reason"), errors)
        approval = body.get("owner_approval", False)
        if not isinstance(approval, bool):
            errors.append(FieldError("owner_approval", preview(approval), "must be true or false"))
            approval = False
        locks = _locks(body.get("locks"), terms, errors)
        machine = _machine(body.get("machine"), errors)
        photos = _photos(body.get("photos"), terms, errors)
        seller: Seller | None = None
        try:
            seller = Seller.from_payload(body.get("seller"))
        except InvalidPurchase as error:
            errors += error.errors
        for key in ("privacy_notice_read", "declaration_signed"):
            if body.get(key) is not True:
                errors.append(FieldError(key, preview(body.get(key)), "must be true"))
        method = _payout(body.get("payout"), terms, errors)
        declaration = body.get("declaration_photo")
        if declaration is not None and not (
            isinstance(declaration, str) and DECLARATION_PHOTO_ID.match(declaration)
        ):
            errors.append(FieldError("declaration_photo", preview(declaration), "not a photo id"))
            declaration = None
        for key in body:
            if key not in BODY_KEYS:
                errors.append(FieldError(str(key)[:64], None, "unknown field", BODY_KEYS))
        if errors:
            raise InvalidPurchase(errors)
        assert event_id and quote_id and condition and agreed and machine and seller and method
        return cls(
            event_id,
            quote_id,
            clerk_email,
            condition,
            agreed,
            reason,
            approval,
            locks,
            machine,
            photos,
            seller,
            method,
            declaration,
        )


@dataclass(frozen=True)
class PreviewRequest:
    """What the page knows so far: every part but the quote id may be missing."""

    quote_id: str
    condition: Condition | None
    agreed_amount: int | None
    serial: str | None
    cpf: str | None
    clerk_email: str | None

    @classmethod
    def from_payload(cls, body: Any) -> PreviewRequest:
        if not isinstance(body, Mapping):
            raise InvalidPurchase([FieldError("body", preview(body), "must be a JSON object")])
        errors: list[FieldError] = []
        quote_id = quote_id_field(body.get("quote_id"), errors)
        condition = None
        if body.get("condition") is not None:
            condition = condition_field(body.get("condition"), errors)
        agreed = None
        if body.get("agreed_amount") is not None:
            agreed = amount_field(body.get("agreed_amount"), "agreed_amount", errors)
        serial = None
        machine = body.get("machine")
        if isinstance(machine, Mapping) and machine.get("serial") not in (None, ""):
            serial = serial_field(machine.get("serial"), errors)
        elif machine is not None and not isinstance(machine, Mapping):
            errors.append(FieldError("machine", preview(machine), "must be a JSON object"))
        cpf = None
        seller = body.get("seller")
        if isinstance(seller, Mapping) and seller.get("cpf") not in (None, ""):
            cpf = cpf_digits(seller.get("cpf"), "seller.cpf", errors)
        elif seller is not None and not isinstance(seller, Mapping):
            errors.append(FieldError("seller", preview(seller), "must be a JSON object"))
        clerk_email = clerk_email_field(body.get("clerk_email"), errors)
        for key in body:
            if key not in PREVIEW_KEYS:
                errors.append(FieldError(str(key)[:64], None, "unknown field", PREVIEW_KEYS))
        if errors:
            raise InvalidPurchase(errors)
        assert quote_id is not None
        return cls(quote_id, condition, agreed, serial, cpf, clerk_email)


def normalize_serial(raw: str) -> str:
    return raw.strip().upper()


def serial_field(raw: Any, errors: list[FieldError], field: str = "machine.serial") -> str | None:
    """Stripped, upper-case, 3 to 40 of ``A-Z 0-9 - . / space``; anything else (a control
    character, an emoji, a lone surrogate) is refused without echoing it."""
    if raw is None:
        errors.append(FieldError(field, None, "missing"))
        return None
    text = normalize_serial(raw) if isinstance(raw, str) else ""
    if not SERIAL.match(text):
        errors.append(FieldError(field, None, "3 to 40 letters, digits, '-', '.', '/' or spaces"))
        return None
    return text


def quote_id_field(raw: Any, errors: list[FieldError]) -> str | None:
    if raw is None:
        errors.append(FieldError("quote_id", None, "missing"))
        return None
    try:
        return parse_quote_id(str(raw)) if isinstance(raw, str) else parse_quote_id("")
    except InvalidQuoteId:
        errors.append(FieldError("quote_id", preview(raw), "not a quote id"))
        return None


def clerk_email_field(raw: Any, errors: list[FieldError]) -> str | None:
    if raw is None:
        return None
    text = raw.strip() if isinstance(raw, str) else ""
    if not (text.isascii() and len(text) <= MAX_EMAIL_LENGTH and EMAIL_PATTERN.fullmatch(text)):
        errors.append(FieldError("clerk_email", None, "not an e-mail address"))
        return None
    return text.lower()


def condition_field(raw: Any, errors: list[FieldError]) -> Condition | None:
    try:
        return Condition.from_payload(raw)
    except InvalidCondition as error:
        errors += error.errors
        return None


def amount_field(raw: Any, field: str, errors: list[FieldError]) -> int | None:
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= MAX_AMOUNT:
        errors.append(
            FieldError(field, preview(raw), f"a whole number of reais, 1 to {MAX_AMOUNT}")
        )
        return None
    return raw


def _event_id(raw: Any, errors: list[FieldError]) -> str | None:
    if not isinstance(raw, str) or not EVENT_ID.match(raw):
        reason = "missing" if raw is None else "must be 8 to 64 letters, digits, '-' or '_'"
        errors.append(FieldError("event_id", preview(raw), reason))
        return None
    return raw


def _reason(raw: Any, errors: list[FieldError]) -> str | None:
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str):
        errors.append(FieldError("amount_reason", preview(raw), "must be a string"))
        return None
    text = free_text.one_line(raw)
    fault = free_text.fault(text) if len(text) <= REASON_MAX else None
    if len(text) > REASON_MAX:
        errors.append(FieldError("amount_reason", None, f"at most {REASON_MAX} characters"))
    elif fault is not None:
        errors.append(FieldError("amount_reason", None, fault.reason))
    else:
        return safe_csv.neutralise(text) or None
    return None


def _locks(raw: Any, terms: PurchaseTerms, errors: list[FieldError]) -> dict[str, bool]:
    if not isinstance(raw, Mapping):
        errors.append(FieldError("locks", preview(raw), "must be a JSON object"))
        return {}
    known = {lock.id: lock for lock in terms.locks}
    answers: dict[str, bool] = {}
    for key, value in raw.items():
        lock = known.get(str(key))
        if lock is None:
            errors.append(FieldError(f"locks.{str(key)[:40]}", None, "unknown lock", tuple(known)))
        elif not isinstance(value, bool):
            errors.append(FieldError(f"locks.{lock.id}", preview(value), "must be true or false"))
        elif not value:
            errors.append(FieldError(f"locks.{lock.id}", False, lock.what_to_do))
        else:
            answers[lock.id] = True
    return answers


def _machine(raw: Any, errors: list[FieldError]) -> Machine | None:
    if not isinstance(raw, Mapping):
        errors.append(FieldError("machine", preview(raw), "must be a JSON object"))
        return None
    serial = serial_field(raw.get("serial"), errors)
    labels = []
    for key in ("label_brand", "label_model"):
        value = raw.get(key)
        text = " ".join(value.split()) if isinstance(value, str) else ""
        if not text or len(text) > LABEL_MAX or free_text.fault(text) is not None:
            errors.append(
                FieldError(f"machine.{key}", None, f"1 to {LABEL_MAX} characters, as on the label")
            )
        labels.append(safe_csv.neutralise(text))
    for key in raw:
        if key not in MACHINE_KEYS:
            errors.append(
                FieldError(f"machine.{str(key)[:40]}", None, "unknown field", MACHINE_KEYS)
            )
    if serial is None or not all(labels):
        return None
    return Machine(serial, labels[0], labels[1])


def _photos(raw: Any, terms: PurchaseTerms, errors: list[FieldError]) -> tuple[str, ...]:
    low, high = terms.photos_min, terms.photos_max
    if not isinstance(raw, list) or not low <= len(raw) <= high:
        errors.append(FieldError("photos", None, f"{low} to {high} photo ids"))
        return ()
    if not all(isinstance(p, str) and PHOTO_ID.match(p) for p in raw):
        errors.append(FieldError("photos", None, "not photo ids returned by the upload"))
        return ()
    if len(set(raw)) != len(raw):
        errors.append(FieldError("photos", None, "a photo is listed twice"))
        return ()
    return tuple(raw)


def _payout(raw: Any, terms: PurchaseTerms, errors: list[FieldError]) -> str | None:
    method = raw.get("method") if isinstance(raw, Mapping) else None
    if method not in terms.payout_methods:
        errors.append(
            FieldError("payout.method", preview(method), "not allowed", terms.payout_methods)
        )
        return None
    return str(method)
