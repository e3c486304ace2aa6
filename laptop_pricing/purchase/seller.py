"""The seller: who sells the laptop to the store (personal data, LGPD).

``Seller.from_payload`` validates the POST body's ``seller`` object (fields ``seller.cpf``,
``seller.name``...), the CPF's check digits with ``python-stdnum`` (never hand-written). A value
at fault is never echoed back in the error: it is personal data. Stored only sealed
(``vault``); a clerk sees ``masked_cpf`` and the first name, an owner the whole record.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from stdnum.br import cpf as stdnum_cpf

from laptop_pricing.pricing.laptop_spec import FieldError, preview
from laptop_pricing.purchase.errors import InvalidPurchase

DOCUMENT_TYPES: tuple[str, ...] = ("rg", "cnh", "passaporte", "rne")
DOCUMENT_LABELS: Mapping[str, str] = {
    "rg": "RG",
    "cnh": "CNH",
    "passaporte": "Passaporte",
    "rne": "RNE",
}
SELLER_KEYS: tuple[str, ...] = ("name", "cpf", "document_type", "document_number", "phone")
NAME_MAX = 120
DOCUMENT_MAX = 30
PHONE_DIGITS = (10, 13)  # area code + 8/9 digits, optionally +55


@dataclass(frozen=True)
class Seller:
    name: str
    cpf: str  # 11 digits, check digits valid
    document_type: str
    document_number: str
    phone: str | None = None  # digits only

    @classmethod
    def from_payload(cls, data: Any, prefix: str = "seller") -> Seller:
        """Raises ``InvalidPurchase`` naming every field at fault (``seller.cpf``...)."""
        if not isinstance(data, Mapping):
            raise InvalidPurchase([FieldError(prefix, preview(data), "must be a JSON object")])
        errors: list[FieldError] = []
        name = _text(data.get("name"), f"{prefix}.name", NAME_MAX, errors)
        if name and len(name.split()) < 2:
            errors.append(FieldError(f"{prefix}.name", None, "full name: first and last name"))
        cpf = cpf_digits(data.get("cpf"), f"{prefix}.cpf", errors)
        doc_type = data.get("document_type")
        if doc_type not in DOCUMENT_TYPES:
            errors.append(
                FieldError(
                    f"{prefix}.document_type", preview(doc_type), "not allowed", DOCUMENT_TYPES
                )
            )
        number = _text(
            data.get("document_number"), f"{prefix}.document_number", DOCUMENT_MAX, errors
        )
        if number and not all(c.isalnum() or c in ".-/ " for c in number):
            errors.append(
                FieldError(f"{prefix}.document_number", None, "letters, digits, '.', '-', '/'")
            )
        phone = _phone(data.get("phone"), f"{prefix}.phone", errors)
        for key in data:
            if key not in SELLER_KEYS:
                errors.append(
                    FieldError(f"{prefix}.{str(key)[:64]}", None, "unknown field", SELLER_KEYS)
                )
        if errors:
            raise InvalidPurchase(errors)
        assert cpf is not None and isinstance(doc_type, str)
        return cls(name, cpf, doc_type, number, phone)

    @property
    def first_name(self) -> str:
        return self.name.split()[0]

    @property
    def masked_cpf(self) -> str:
        return masked_cpf(self.cpf)

    def as_dict(self) -> dict[str, str | None]:
        return {
            "name": self.name,
            "cpf": self.cpf,
            "document_type": self.document_type,
            "document_number": self.document_number,
            "phone": self.phone,
        }

    def to_bytes(self) -> bytes:
        """The JSON the vault seals (never stored in clear)."""
        return json.dumps(self.as_dict(), ensure_ascii=False, sort_keys=True).encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes) -> Seller:
        raw = json.loads(data.decode("utf-8"))
        return cls(
            str(raw["name"]),
            str(raw["cpf"]),
            str(raw["document_type"]),
            str(raw["document_number"]),
            None if raw.get("phone") is None else str(raw["phone"]),
        )


def cpf_digits(raw: Any, field: str, errors: list[FieldError]) -> str | None:
    """The CPF's 11 digits when its check digits are valid; else the error (without the
    value: a CPF, even a mistyped one, is personal data)."""
    if raw is None:
        errors.append(FieldError(field, None, "missing"))
        return None
    if not isinstance(raw, str) or not stdnum_cpf.is_valid(raw):
        errors.append(FieldError(field, None, "not a valid CPF (check the digits)"))
        return None
    digits = str(stdnum_cpf.compact(raw))
    if len(set(digits)) == 1:  # one digit repeated passes the check digits; none is issued
        errors.append(FieldError(field, None, "not a valid CPF (check the digits)"))
        return None
    return digits


def valid_cpf(raw: Any) -> str | None:
    """The CPF's digits, or None when it is not a valid CPF."""
    return cpf_digits(raw, "cpf", [])


def masked_cpf(cpf: str) -> str:
    """``***.456.789-**``: the middle six digits, as the declaration and a clerk show it."""
    digits = str(stdnum_cpf.compact(cpf))
    return f"***.{digits[3:6]}.{digits[6:9]}-**"


def _text(raw: Any, field: str, limit: int, errors: list[FieldError]) -> str:
    if raw is None:
        errors.append(FieldError(field, None, "missing"))
        return ""
    if not isinstance(raw, str):
        errors.append(FieldError(field, None, "must be a string"))
        return ""
    text = " ".join(raw.split())
    if not text:
        errors.append(FieldError(field, None, "missing"))
    elif len(text) > limit:
        errors.append(FieldError(field, None, f"at most {limit} characters"))
    elif any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Cn") for c in text):
        errors.append(FieldError(field, None, "must not contain control characters"))
    else:
        return text
    return ""


def _phone(raw: Any, field: str, errors: list[FieldError]) -> str | None:
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str) or not all(c.isdigit() or c in "+()- ." for c in raw):
        errors.append(FieldError(field, None, "a phone number: digits, with area code"))
        return None
    digits = "".join(c for c in raw if c.isdigit())
    if not PHONE_DIGITS[0] <= len(digits) <= PHONE_DIGITS[1]:
        errors.append(FieldError(field, None, "a phone number: digits, with area code"))
        return None
    return digits


def masked_document(number: str) -> str:
    """The document number with every letter and digit hidden but the last two
    ("12.345.678-9" -> "**.***.**8-9"): the signed paper may be photographed."""
    shown = 2
    hidden = max(0, sum(c.isalnum() for c in number) - shown)
    masked = []
    for char in number:
        if char.isalnum() and hidden > 0:
            masked.append("*")
            hidden -= 1
        else:
            masked.append(char)
    return "".join(masked)
