"""What became of a quote: the one definition of a recorded outcome.

Like ``schema`` for the laptop fields, this module owns the decisions, the decline reasons, their
pt-BR labels, the stored columns and the rules: when an amount is plausible, what happens after
the quote's validity, how a repeated ``event_id`` is recognised and which outcome of a quote
counts. How a ``POST /outcome`` body is validated (every field at fault named at once) is
``outcome_request``. All of it is pure: the recorder looks the quote up and reads the stored
rows, this module decides.

Outcomes are kept, never overwritten: a later outcome for the same quote supersedes the earlier
one (``monitoring.outcome_reader.current_outcomes``), both stay in the history. They are stored
as a record kind of the request log (``OUTCOMES`` below): day files
``<OUTCOMES-PREFIX>/YYYY-MM-DD_trade_in_outcomes.csv``, one row per ``event_id``.

Who recorded an outcome is kept as the least that serves the store's staff: the masked e-mail
(``recorded_by``, ``a***@loja.com.br``), never the address, and no key is needed for it. The
rollup and the monitoring frames keep no author at all (docs/security.md).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from laptop_pricing import safe_csv
from laptop_pricing.errors import QuoteExpired
from laptop_pricing.formatting import BRASILIA, masked_email
from laptop_pricing.pricing.laptop_spec import FieldError
from laptop_pricing.storage.layout import RecordKind
from laptop_pricing.store_id import DEFAULT_STORE_ID, STORE_ID_FIELD, store_of
from laptop_pricing.trade_in.condition import QUESTION_KEYS

if TYPE_CHECKING:
    import pyarrow as pa

    from laptop_pricing.trade_in.outcome_request import OutcomeRequest

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
# What becomes of a "Sem oferta" quote: nothing was offered, so nothing was declined for price.
TOOK_BACK = "took_back"
REMOVING_LOCKS = "removing_locks"
OFFER_REASONS: tuple[str, ...] = (OFFER_TOO_LOW, KEPT_DEVICE, OTHER)
NO_OFFER_REASONS: tuple[str, ...] = (TOOK_BACK, REMOVING_LOCKS)
REASONS: tuple[str, ...] = (*OFFER_REASONS, *NO_OFFER_REASONS)
REASON_LABELS: Mapping[str, str] = {
    OFFER_TOO_LOW: "Achou a oferta baixa",
    KEPT_DEVICE: "Decidiu ficar com o notebook",
    OTHER: "Outro motivo",
    TOOK_BACK: "Levou o notebook de volta",
    REMOVING_LOCKS: "Vai remover as senhas e volta",
}
NO_OFFER_DECISION_LABEL = "Sem compra"

# The condition answers an inspection can change: the questions of ``condition``.
REVISABLE_ANSWERS: tuple[str, ...] = QUESTION_KEYS

NOTE_MAX_CHARS = 200
REASON_MAX_CHARS = 200
MAX_AMOUNT_FACTOR = 10  # an amount above 10 x the offer is a typo, not a negotiation
MIN_AMOUNT = 1
# A negotiated or revised amount inside this band of the offer needs no explanation; outside
# it (still within MIN_AMOUNT..MAX_AMOUNT_FACTOR x) ``reason`` says why, in the clerk's words.
BAND_LOW = 0.5
BAND_HIGH = 1.5

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
# Frozen in the layout (files that hold it still read) but written empty: the full address is
# personal data a decision's record does not need (``RECORDED_BY`` serves).
CLERK_EMAIL = "clerk_email"
RECORDED_BY = "recorded_by"  # who recorded it, masked (``masked_email``); empty: the app was open
STORE_ID = STORE_ID_FIELD  # the quote's store (a chain): older day files read it as the default
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
    CLERK_EMAIL,  # appended: older day files read it as empty
    STORE_ID,  # appended: older day files read it as ``DEFAULT_STORE_ID``
    RECORDED_BY,  # appended: older day files read it as empty (``from_record`` masks theirs)
)
# Who recorded a decision stays out of the rollup and the monitoring frames: no rollup, chart or
# download needs it, and a month file outlives the day files (PRODUCT.md, personal data).
AUTHOR_COLUMNS: frozenset[str] = frozenset({CLERK_EMAIL, RECORDED_BY})
FRAME_COLUMNS: tuple[str, ...] = tuple(c for c in OUTCOME_COLUMNS if c not in AUTHOR_COLUMNS)


def _without_authors(table: pa.Table) -> pa.Table:
    """The month as the rollup keeps it: every column but the author's (older months too)."""
    return table.drop_columns([c for c in table.column_names if c in AUTHOR_COLUMNS])


def _stored_row(row: dict[str, str]) -> dict[str, str]:
    """The row as a day file keeps it: the author masked in ``recorded_by``, the e-mail column
    empty. A row written before masking is brought to it when its day is compacted again."""
    if not row.get(CLERK_EMAIL):
        return row
    return {**row, CLERK_EMAIL: "", RECORDED_BY: masked_email(_author(row))}


# How outcomes are stored (``storage.layout``): one object per event id, so a replayed event is
# stored once; day files ``<OUTCOMES-PREFIX>/YYYY-MM-DD_trade_in_outcomes.csv``.
OUTCOMES = RecordKind(
    name="outcome",
    columns=OUTCOME_COLUMNS,
    id_column=EVENT_ID,
    timestamp_column=RECORDED_AT,
    day_file_suffix="_trade_in_outcomes.csv",
    prefix_of=attrgetter("outcomes_prefix"),
    keyed_by_id=True,
    defaults={STORE_ID: DEFAULT_STORE_ID},
    rollup_columns=_without_authors,
    stored_row=_stored_row,
)

# ---------------------------------------------------------------------------------------------
# Validation


class InvalidOutcome(ValueError):
    """A body the service refuses (400); carries every field error."""

    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        super().__init__("; ".join(f"{e.field}: {e.reason}" for e in errors))


# ---------------------------------------------------------------------------------------------
# Deciding against the quote


@dataclass(frozen=True)
class QuoteTerms:
    """What an outcome needs to know about its quote (from the quote lookup)."""

    quote_id: str
    offer: int | None  # None: the quote made no offer
    valid_until: date
    store_id: str = DEFAULT_STORE_ID  # the store that issued it: its outcomes are that store's


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
        if request.decision != DECLINED:
            return [FieldError(QUOTE_ID, request.quote_id, "this quote made no offer to accept")]
        if request.reason == OFFER_TOO_LOW:  # nothing was offered, so nothing was too low
            allowed = tuple(r for r in REASONS if r != OFFER_TOO_LOW)
            return [FieldError(REASON, request.reason, "this quote made no offer", allowed)]
        return []
    if request.reason in NO_OFFER_REASONS:
        return [FieldError(REASON, request.reason, "only for a quote without offer", OFFER_REASONS)]
    if request.amount is None:
        return []
    high = MAX_AMOUNT_FACTOR * terms.offer
    if not MIN_AMOUNT <= request.amount <= high:
        return [
            FieldError(AMOUNT, request.amount, f"must be between {MIN_AMOUNT} and {high} reais")
        ]
    low_band, high_band = amount_band(terms.offer)
    if not low_band <= request.amount <= high_band and not request.reason:
        reason = f"required when the amount is outside {low_band} to {high_band} reais"
        return [FieldError(REASON, None, reason)]
    return []


def amount_band(offer: int) -> tuple[int, int]:
    """The amounts (whole reais) a negotiation or revision may reach without a reason."""
    return math.ceil(BAND_LOW * offer), math.floor(BAND_HIGH * offer)


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
    store_id: str = DEFAULT_STORE_ID  # the quote's store
    recorded_by: str | None = None  # the author, masked; None: recorded with the app open

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
            REASON: safe_csv.neutralise(self.reason or ""),
            NOTE: safe_csv.neutralise(self.note),
            CHANGED_ANSWER: self.changed_answer or "",
            OFFER: "" if self.offer is None else str(self.offer),
            LATE: "1" if self.late else "0",
            RECORDED_AT: self.recorded_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            CLERK_EMAIL: "",  # frozen column, never the address again
            STORE_ID: self.store_id,
            RECORDED_BY: self.recorded_by or "",
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
            STORE_ID: self.store_id,
            RECORDED_BY: self.recorded_by,
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Outcome:
        """A stored row back as an outcome (the reverse of ``as_record``). The author is masked
        whatever the row holds: an older row's full ``clerk_email`` never leaves a read."""

        def optional_int(key: str) -> int | None:
            text = str(record.get(key) or "").strip()
            return int(text) if text else None

        recorded = datetime.fromisoformat(str(record[RECORDED_AT]).strip())
        recorded = recorded.replace(tzinfo=UTC) if recorded.tzinfo is None else recorded
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
            recorded_at=recorded.astimezone(UTC),
            store_id=store_of(record.get(STORE_ID)),
            recorded_by=masked_email(_author(record)) or None,
        )


def _author(record: Mapping[str, Any]) -> str:
    """``recorded_by``, else the full ``clerk_email`` a row written before it holds."""
    masked = str(record.get(RECORDED_BY) or "").strip()
    return masked or str(record.get(CLERK_EMAIL) or "").strip()


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
    if previous is not None and previous.quote_id != terms.quote_id:
        reason = "already used for another quote: generate a new one"
        raise InvalidOutcome([FieldError(EVENT_ID, request.event_id, reason)])
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
        store_id=terms.store_id,
        recorded_by=masked_email(request.clerk_email) or None,
    )
    return Decision(CREATED, outcome)
