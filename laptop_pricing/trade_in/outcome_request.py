"""A ``POST /outcome`` body, validated: every field at fault named at once (400).

The decisions, reasons, stored columns and the rules against the quote are ``outcome``; this
module only checks the shape of what a client sent, and folds the free-text note (and the
free reason of a negotiated or revised amount) to one formula-safe line on the way in, refusing
control characters and customer data (``free_text``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from laptop_pricing import free_text, safe_csv
from laptop_pricing.access import EMAIL_PATTERN, MAX_EMAIL_LENGTH
from laptop_pricing.pricing.laptop_spec import FieldError, preview
from laptop_pricing.trade_in.outcome import (
    AMOUNT,
    AMOUNT_DECISIONS,
    CHANGED_ANSWER,
    CLERK_EMAIL,
    DECISION,
    DECISIONS,
    DECLINED,
    EVENT_ID,
    LATE,
    NOTE,
    NOTE_MAX_CHARS,
    OFFER,
    OUTCOME_COLUMNS,
    QUOTE_ID,
    REASON,
    REASON_MAX_CHARS,
    REASONS,
    RECORDED_AT,
    REVISABLE_ANSWERS,
    REVISED,
    InvalidOutcome,
)

_EVENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_QUOTE_ID_MAX = 32
# What a client may send: the stored columns but those the service fills in.
BODY_KEYS: tuple[str, ...] = tuple(
    c for c in OUTCOME_COLUMNS if c not in (OFFER, LATE, RECORDED_AT)
)


@dataclass(frozen=True)
class OutcomeRequest:
    """A body whose shape is valid. The amount is checked against the quote in ``decide``."""

    quote_id: str
    event_id: str
    decision: str
    amount: int | None = None
    reason: str | None = None
    note: str = ""
    changed_answer: str | None = None
    clerk_email: str | None = None  # the signed-in clerk who records it (the app sends it)

    @classmethod
    def from_payload(cls, body: Any) -> OutcomeRequest:
        """Validate a ``POST /outcome`` body, reporting every field error at once."""
        if not isinstance(body, Mapping):
            raise InvalidOutcome([FieldError("body", preview(body), "must be a JSON object")])
        errors: list[FieldError] = []
        quote_id = _quote_id(body.get(QUOTE_ID), errors)
        event_id = _event_id(body.get(EVENT_ID), errors)
        decision: str | None = body.get(DECISION)
        if decision not in DECISIONS:
            missing = "missing" if decision is None else "not an allowed value"
            errors.append(FieldError(DECISION, preview(decision), missing, DECISIONS))
            decision = None
        amount = _amount(body.get(AMOUNT), decision, errors)
        reason = _reason(body.get(REASON), decision, errors)
        note = _note(body.get(NOTE), errors)
        changed = _changed_answer(body.get(CHANGED_ANSWER), decision, errors)
        clerk_email = _clerk_email(body.get(CLERK_EMAIL), errors)
        for key in body:
            if key not in BODY_KEYS:
                errors.append(FieldError(str(key)[:64], None, "unknown field", BODY_KEYS))
        if errors:
            raise InvalidOutcome(errors)
        assert quote_id is not None and event_id is not None and decision is not None
        return cls(quote_id, event_id, decision, amount, reason, note, changed, clerk_email)


def _quote_id(raw: Any, errors: list[FieldError]) -> str | None:
    if raw is None:
        errors.append(FieldError(QUOTE_ID, None, "missing"))
        return None
    text = raw.strip().upper() if isinstance(raw, str) else ""
    if not text or len(text) > _QUOTE_ID_MAX or not text.replace("-", "").isalnum():
        errors.append(FieldError(QUOTE_ID, preview(raw), "not a quote id"))
        return None
    return text


def _event_id(raw: Any, errors: list[FieldError]) -> str | None:
    if raw is None:
        errors.append(FieldError(EVENT_ID, None, "missing"))
        return None
    if not isinstance(raw, str) or not _EVENT_ID.match(raw):
        errors.append(
            FieldError(EVENT_ID, preview(raw), "must be 8 to 64 letters, digits, '-' or '_'")
        )
        return None
    return raw


def _amount(raw: Any, decision: str | None, errors: list[FieldError]) -> int | None:
    if raw is None:
        if decision in AMOUNT_DECISIONS:
            errors.append(FieldError(AMOUNT, None, f"required when decision is '{decision}'"))
        return None
    if decision is not None and decision not in AMOUNT_DECISIONS:
        errors.append(
            FieldError(AMOUNT, preview(raw), f"not allowed when decision is '{decision}'")
        )
        return None
    if isinstance(raw, bool):
        value = None
    elif isinstance(raw, int):
        value = raw
    elif isinstance(raw, float) and raw.is_integer():
        value = int(raw)
    elif isinstance(raw, str) and raw.strip().isascii() and raw.strip().isdigit():
        value = int(raw.strip())
    else:
        value = None
    if value is None:
        errors.append(FieldError(AMOUNT, preview(raw), "must be a whole number of reais"))
    return value


def _reason(raw: Any, decision: str | None, errors: list[FieldError]) -> str | None:
    if raw is None:
        if decision == DECLINED:
            errors.append(FieldError(REASON, None, "required when decision is 'declined'", REASONS))
        return None
    if decision in AMOUNT_DECISIONS:  # why the amount left the band: the clerk's words
        return _free_text(REASON, raw, REASON_MAX_CHARS, errors) or None
    if decision is not None and decision != DECLINED:
        errors.append(
            FieldError(REASON, preview(raw), "only a declined quote or an amount has a reason")
        )
        return None
    if not isinstance(raw, str) or raw not in REASONS:
        errors.append(FieldError(REASON, preview(raw), "not an allowed value", REASONS))
        return None
    return raw


def _note(raw: Any, errors: list[FieldError]) -> str:
    if raw is None:
        return ""
    return _free_text(NOTE, raw, NOTE_MAX_CHARS, errors)


def _free_text(name: str, raw: Any, limit: int, errors: list[FieldError]) -> str:
    """One formula-safe line, or "" with the error: not a string, too long, a control
    character, a CPF or a phone number. The value is echoed only when it is clean."""
    if not isinstance(raw, str):
        errors.append(FieldError(name, preview(raw), "must be a string"))
        return ""
    text = free_text.one_line(raw)  # one line: no newline or tab reaches the CSV
    if len(text) > limit:
        errors.append(FieldError(name, None, f"at most {limit} characters"))
        return ""
    fault = free_text.fault(text)
    if fault is not None:  # never echo customer data or an unprintable byte back
        errors.append(FieldError(name, None, fault.reason))
        return ""
    return safe_csv.neutralise(text)  # on the way in: the stored file is safe


def _clerk_email(raw: Any, errors: list[FieldError]) -> str | None:
    if raw is None:
        return None
    text = raw.strip() if isinstance(raw, str) else ""
    if not (text.isascii() and len(text) <= MAX_EMAIL_LENGTH and EMAIL_PATTERN.fullmatch(text)):
        errors.append(FieldError(CLERK_EMAIL, None, "not an e-mail address"))
        return None
    return text.lower()


def _changed_answer(raw: Any, decision: str | None, errors: list[FieldError]) -> str | None:
    if raw is None:
        if decision == REVISED:
            errors.append(
                FieldError(
                    CHANGED_ANSWER, None, "required when decision is 'revised'", REVISABLE_ANSWERS
                )
            )
        return None
    if decision is not None and decision != REVISED:
        errors.append(
            FieldError(CHANGED_ANSWER, preview(raw), "only a revised quote changes an answer")
        )
        return None
    if not isinstance(raw, str) or raw not in REVISABLE_ANSWERS:
        errors.append(
            FieldError(CHANGED_ANSWER, preview(raw), "not a condition answer", REVISABLE_ANSWERS)
        )
        return None
    return raw
