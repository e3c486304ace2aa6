"""What became of a quote: the one definition of a recorded outcome.

Like ``schema`` for the laptop fields, this module owns the decisions, the decline reasons, their
pt-BR labels, the stored columns and the rules: how a ``POST /outcome`` body is validated (every
field at fault named at once), when an amount is plausible, what happens after the quote's
validity, how a repeated ``event_id`` is recognised and which outcome of a quote counts. All of it
is pure: the handler looks the quote up and reads the stored rows, this module decides.

Outcomes are kept, never overwritten: a later outcome for the same quote supersedes the earlier
one (``current_outcomes``), both stay in the history. How they are stored (one CSV per UTC day,
``<OUTCOMES-PREFIX>/YYYY-MM-DD_trade_in_outcomes.csv``) is ``outcome_file``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

import pandas as pd

from laptop_pricing import safe_csv
from laptop_pricing.formatting import BRASILIA
from laptop_pricing.laptop_spec import FieldError, preview

# ---------------------------------------------------------------------------------------------
# Decisions and reasons

ACCEPTED = "accepted"
NEGOTIATED = "negotiated"
DECLINED = "declined"
REVISED = "revised"
DECISIONS: tuple[str, ...] = (ACCEPTED, NEGOTIATED, DECLINED, REVISED)
DECISION_LABELS: Mapping[str, str] = {
    ACCEPTED: "Aceitou a oferta",
    NEGOTIATED: "Negociou outro valor",
    DECLINED: "Recusou",
    REVISED: "Valor revisto na inspeção",
}
# A deal was made: the store bought the laptop (at the offer or at another amount).
DEAL_DECISIONS: frozenset[str] = frozenset({ACCEPTED, NEGOTIATED, REVISED})
# Decisions that carry the amount actually paid.
AMOUNT_DECISIONS: frozenset[str] = frozenset({NEGOTIATED, REVISED})

OFFER_TOO_LOW = "offer_too_low"
KEPT_DEVICE = "kept_device"
OTHER = "other"
REASONS: tuple[str, ...] = (OFFER_TOO_LOW, KEPT_DEVICE, OTHER)
REASON_LABELS: Mapping[str, str] = {
    OFFER_TOO_LOW: "Achou a oferta baixa",
    KEPT_DEVICE: "Decidiu ficar com o notebook",
    OTHER: "Outro motivo",
}

# The condition answers an inspection can change (the ``condition`` keys of the pricing contract,
# PRODUCT.md). When the condition module of the trade-in offer is on main, this tuple is read
# from it instead.
REVISABLE_ANSWERS: tuple[str, ...] = (
    "powers_on",
    "screen",
    "body",
    "keyboard_ports",
    "battery",
    "charger",
    "locks_removed",
)

NOTE_MAX_CHARS = 200
MAX_AMOUNT_FACTOR = 10  # an amount above 10 x the offer is a typo, not a negotiation
MIN_AMOUNT = 1
_EVENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
_QUOTE_ID_MAX = 32
BODY_KEYS: tuple[str, ...] = (
    "quote_id",
    "event_id",
    "decision",
    "amount",
    "reason",
    "note",
    "changed_answer",
)

# ---------------------------------------------------------------------------------------------
# Stored columns (one source: writer, reader and monitoring read these)

QUOTE_ID = "quote_id"
EVENT_ID = "event_id"
DECISION = "decision"
AMOUNT = "amount"
REASON = "reason"
NOTE = "note"
CHANGED_ANSWER = "changed_answer"
OFFER = "offer"
LATE = "late"
RECORDED_AT = "recorded_at"
OUTCOME_COLUMNS: tuple[str, ...] = (
    QUOTE_ID,
    EVENT_ID,
    DECISION,
    AMOUNT,
    REASON,
    NOTE,
    CHANGED_ANSWER,
    OFFER,
    LATE,
    RECORDED_AT,
)

# ---------------------------------------------------------------------------------------------
# Validation


class InvalidOutcome(ValueError):
    """A body the service refuses (400); carries every field error."""

    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        super().__init__("; ".join(f"{e.field}: {e.reason}" for e in errors))


class QuoteExpired(Exception):
    """The quote's validity is over and the store policy refuses late outcomes (409)."""

    def __init__(self, quote_id: str, valid_until: date):
        self.quote_id = quote_id
        self.valid_until = valid_until
        super().__init__(
            f"quote {quote_id} was valid until {valid_until.isoformat()}; "
            "the store policy does not record outcomes after that: price the laptop again"
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

    @classmethod
    def from_payload(cls, body: Any) -> OutcomeRequest:
        """Validate a ``POST /outcome`` body, reporting every field error at once."""
        if not isinstance(body, Mapping):
            raise InvalidOutcome([FieldError("body", preview(body), "must be a JSON object")])
        errors: list[FieldError] = []
        quote_id = _quote_id(body.get(QUOTE_ID), errors)
        event_id = _event_id(body.get(EVENT_ID), errors)
        decision = body.get(DECISION)
        if decision not in DECISIONS:
            reason = "missing" if decision is None else "not an allowed value"
            errors.append(FieldError(DECISION, preview(decision), reason, DECISIONS))
            decision = None
        amount = _amount(body.get(AMOUNT), decision, errors)
        reason = _reason(body.get(REASON), decision, errors)
        note = _note(body.get(NOTE), errors)
        changed = _changed_answer(body.get(CHANGED_ANSWER), decision, errors)
        for key in body:
            if key not in BODY_KEYS:
                errors.append(FieldError(str(key)[:64], None, "unknown field", BODY_KEYS))
        if errors:
            raise InvalidOutcome(errors)
        assert quote_id is not None and event_id is not None and decision is not None
        return cls(quote_id, event_id, decision, amount, reason, note, changed)


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
    if decision is not None and decision != DECLINED:
        errors.append(FieldError(REASON, preview(raw), "only a declined quote has a reason"))
        return None
    if raw not in REASONS:
        errors.append(FieldError(REASON, preview(raw), "not an allowed value", REASONS))
        return None
    return raw


def _note(raw: Any, errors: list[FieldError]) -> str:
    if raw is None:
        return ""
    if not isinstance(raw, str):
        errors.append(FieldError(NOTE, preview(raw), "must be a string"))
        return ""
    text = " ".join(raw.split())  # one line: no newline or tab reaches the CSV
    if len(text) > NOTE_MAX_CHARS:
        errors.append(FieldError(NOTE, preview(raw), f"at most {NOTE_MAX_CHARS} characters"))
        return ""
    return safe_csv.neutralise(text)  # on the way in: the stored file is safe


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
    if raw not in REVISABLE_ANSWERS:
        errors.append(
            FieldError(CHANGED_ANSWER, preview(raw), "not a condition answer", REVISABLE_ANSWERS)
        )
        return None
    return raw


# ---------------------------------------------------------------------------------------------
# Deciding against the quote


@dataclass(frozen=True)
class QuoteTerms:
    """What an outcome needs to know about its quote (from the quote lookup)."""

    quote_id: str
    offer: int | None  # None: the quote made no offer
    valid_until: date


class LatePolicy(StrEnum):
    """What the store does with an outcome recorded after the quote's validity."""

    ACCEPT = "accept"  # record it, marked late
    REFUSE = "refuse"  # 409: price the laptop again


def is_late(valid_until: date, today: date) -> bool:
    """The validity includes its last day."""
    return today > valid_until


def store_day(moment: datetime) -> date:
    """The store's calendar day (Brasília), the one ``valid_until`` is written in."""
    return moment.astimezone(BRASILIA).date()


def check_expiry(terms: QuoteTerms, today: date, policy: LatePolicy) -> bool:
    """True when the outcome is late (and the policy accepts it); raises ``QuoteExpired`` when
    the policy refuses late outcomes."""
    late = is_late(terms.valid_until, today)
    if late and policy is LatePolicy.REFUSE:
        raise QuoteExpired(terms.quote_id, terms.valid_until)
    return late


def amount_errors(request: OutcomeRequest, terms: QuoteTerms) -> list[FieldError]:
    """Faults that need the quote: no offer to decide on, or an implausible amount."""
    if terms.offer is None:
        if request.decision == DECLINED:
            return []
        return [FieldError(QUOTE_ID, request.quote_id, "this quote made no offer to accept")]
    if request.amount is None:
        return []
    high = MAX_AMOUNT_FACTOR * terms.offer
    if not MIN_AMOUNT <= request.amount <= high:
        return [
            FieldError(AMOUNT, request.amount, f"must be between {MIN_AMOUNT} and {high} reais")
        ]
    return []


@dataclass(frozen=True)
class Outcome:
    """One stored outcome: the request, what the quote offered, and when it was recorded."""

    quote_id: str
    event_id: str
    decision: str
    amount: int | None
    reason: str | None
    note: str
    changed_answer: str | None
    offer: int | None
    late: bool
    recorded_at: datetime

    @property
    def paid(self) -> int | None:
        """What the store paid: the offer when accepted, the amount when negotiated or revised."""
        if self.decision == ACCEPTED:
            return self.offer
        return self.amount if self.decision in AMOUNT_DECISIONS else None

    def as_record(self) -> dict[str, str]:
        """The row as stored: every value a string, in ``OUTCOME_COLUMNS`` order."""
        return {
            QUOTE_ID: self.quote_id,
            EVENT_ID: self.event_id,
            DECISION: self.decision,
            AMOUNT: "" if self.amount is None else str(self.amount),
            REASON: self.reason or "",
            NOTE: safe_csv.neutralise(self.note),
            CHANGED_ANSWER: self.changed_answer or "",
            OFFER: "" if self.offer is None else str(self.offer),
            LATE: "1" if self.late else "0",
            RECORDED_AT: self.recorded_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        }

    def as_dict(self) -> dict[str, Any]:
        """The API's answer body (201 and 200)."""
        return {
            QUOTE_ID: self.quote_id,
            EVENT_ID: self.event_id,
            DECISION: self.decision,
            AMOUNT: self.amount,
            REASON: self.reason,
            NOTE: self.note,
            CHANGED_ANSWER: self.changed_answer,
            OFFER: self.offer,
            LATE: self.late,
            RECORDED_AT: self.as_record()[RECORDED_AT],
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Outcome:
        """A stored row back as an outcome (the reverse of ``as_record``)."""

        def optional_int(key: str) -> int | None:
            text = str(record.get(key) or "").strip()
            return int(text) if text else None

        recorded = pd.Timestamp(str(record[RECORDED_AT]))
        recorded = recorded.tz_localize(UTC) if recorded.tzinfo is None else recorded
        return cls(
            quote_id=str(record[QUOTE_ID]),
            event_id=str(record[EVENT_ID]),
            decision=str(record[DECISION]),
            amount=optional_int(AMOUNT),
            reason=str(record.get(REASON) or "") or None,
            note=str(record.get(NOTE) or ""),
            changed_answer=str(record.get(CHANGED_ANSWER) or "") or None,
            offer=optional_int(OFFER),
            late=str(record.get(LATE) or "0").strip() in ("1", "true", "True"),
            recorded_at=recorded.to_pydatetime(),
        )


def find_event(stored: Iterable[Mapping[str, Any]], event_id: str) -> Outcome | None:
    """The outcome already stored under this ``event_id`` (a client retry), if any."""
    for record in stored:
        if record.get(EVENT_ID) == event_id:
            return Outcome.from_record(record)
    return None


CREATED = 201
ALREADY_STORED = 200


@dataclass(frozen=True)
class Decision:
    """What to answer and whether ``outcome`` still has to be written."""

    status: int
    outcome: Outcome

    @property
    def must_store(self) -> bool:
        return self.status == CREATED


def decide(
    request: OutcomeRequest,
    terms: QuoteTerms,
    stored: Iterable[Mapping[str, Any]],
    now: datetime,
    late_policy: LatePolicy,
) -> Decision:
    """The whole rule, given the quote and the outcome rows already stored for it (or its day):
    a repeated ``event_id`` answers 200 with what was stored; otherwise the amount is checked
    (``InvalidOutcome``), then the validity (``QuoteExpired``), and a new outcome is returned
    for the caller to store (201)."""
    previous = find_event(stored, request.event_id)
    if previous is not None:
        return Decision(ALREADY_STORED, previous)
    errors = amount_errors(request, terms)
    if errors:
        raise InvalidOutcome(errors)
    late = check_expiry(terms, store_day(now), late_policy)
    outcome = Outcome(
        quote_id=terms.quote_id,
        event_id=request.event_id,
        decision=request.decision,
        amount=request.amount,
        reason=request.reason,
        note=request.note,
        changed_answer=request.changed_answer,
        offer=terms.offer,
        late=late,
        recorded_at=now.astimezone(UTC),
    )
    return Decision(CREATED, outcome)


# ---------------------------------------------------------------------------------------------
# Which outcome counts


def current_outcomes(outcomes: pd.DataFrame) -> pd.DataFrame:
    """The outcome that counts for each quote: the latest recorded (file order breaks ties).

    Every outcome stays in ``outcomes`` (the history); only this view drops the superseded."""
    if outcomes.empty:
        return outcomes
    ordered = outcomes.reset_index(drop=True)
    ordered = ordered.assign(_order=range(len(ordered)))
    ordered = ordered.drop_duplicates(subset=[EVENT_ID], keep="first")
    ordered = ordered.sort_values([RECORDED_AT, "_order"], kind="stable")
    latest = ordered.drop_duplicates(subset=[QUOTE_ID], keep="last")
    return latest.sort_values("_order").drop(columns="_order").reset_index(drop=True)
