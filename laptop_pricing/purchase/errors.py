"""Typed failures of a purchase, each with the HTTP status the API answers.

Messages never carry personal data: a seller's name, CPF, document or phone is never echoed,
not even the CPF that failed its check digits (the field is named, the value is not).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from laptop_pricing.pricing.laptop_spec import FieldError


class PurchaseError(Exception):
    """Any reason a purchase was not recorded. ``status``: the API's answer."""

    status = 500


class InvalidPurchase(PurchaseError, ValueError):
    """400: the body is not a purchase the store can record; names every field at fault."""

    status = 400

    def __init__(self, errors: Sequence[FieldError]):
        self.errors = list(errors)
        super().__init__("; ".join(f"{e.field}: {e.reason}" for e in self.errors))

    @property
    def fields(self) -> list[str]:
        return list(dict.fromkeys(e.field for e in self.errors))


class PurchaseConflict(PurchaseError):
    """409: the quote cannot be bought now (expired, not accepted, already bought, a flag that
    stops). ``purchase_id``: the purchase it collides with, when the caller may see it."""

    status = 409

    def __init__(
        self,
        reason_code: str,
        message_pt: str,
        purchase_id: str | None = None,
        flags: Sequence[Any] = (),
    ):
        super().__init__(f"{reason_code}: {message_pt}")
        self.reason_code = reason_code
        self.message_pt = message_pt
        self.purchase_id = purchase_id
        self.flags = tuple(flags)

    def as_dict(self) -> dict[str, Any]:
        return {
            "reason": self.reason_code,
            "message": self.message_pt,
            "purchase_id": self.purchase_id,
            "flags": [f.as_dict() for f in self.flags],
        }


class PurchaseForbidden(PurchaseError):
    """403: only an owner may do this (approve, override a warning, look up by serial)."""

    status = 403

    def __init__(self, message_pt: str):
        super().__init__(message_pt)
        self.message_pt = message_pt


class PurchaseNotStored(PurchaseError):
    """503: the purchase could not be confirmed stored in time; sending the same ``event_id``
    again is safe (it completes what is missing, never stores twice)."""

    status = 503


class PersonalDataKeyMissing(PurchaseError):
    """A production setting without ``PERSONAL-DATA-KEY``: purchases are refused rather than
    sealed with a key nobody keeps (503 at the API)."""

    status = 503

    def __init__(self) -> None:
        super().__init__(
            "PERSONAL-DATA-KEY is not set: purchases keep sellers' personal data sealed with "
            "it; set it (a secret of at least 32 characters) in the environment or secrets"
        )
