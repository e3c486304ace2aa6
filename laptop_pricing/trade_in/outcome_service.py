"""Recording an outcome: validate, find the quote, recognise a retry, store once.

``OutcomeRecorder`` is what ``POST /outcome`` calls (the Lambda handler, the local server and the
embedded client all reach it through ``PricingHandler``). It is wired with how a quote is found
(``quote_terms``: one day of the request log, by the quote id) and where outcomes go
(``OutcomeLog``: the request log's record store, kind ``OUTCOMES``). The steps:

1. the body's shape (``OutcomeRequest``: 400 naming every field at fault);
2. the quote (``QuoteNotFound``, 404);
3. a retry: the ``event_id`` already stored today or yesterday answers 200 with what was stored;
4. the rules against the quote (``outcome.decide``: 400 for an implausible amount, 409
   ``QuoteExpired`` after the validity when the policy refuses late outcomes);
5. the write, under the request log's wall-clock deadline.

Exactly once per ``event_id``: in one process a striped lock covers steps 3 to 5, so two copies
arriving together are stored once; across processes the record's key is its event id
(``layout.OUTCOMES`` is ``keyed_by_id``) and S3 stores it only if that key is free
(``IfNoneMatch='*'``); the loser learns ``EXISTS`` and answers 200 with the winner's outcome. In
the local folder the readers and the compactor keep one row per event id. A write that cannot
be confirmed in time raises ``OutcomeNotStored`` (503): sending the same event again is safe.
"""

from __future__ import annotations

import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from laptop_pricing.errors import OutcomeNotStored, QuoteNotFound
from laptop_pricing.pricing.laptop_spec import FieldError
from laptop_pricing.record_kinds import OUTCOMES
from laptop_pricing.request_log import RequestLog, request_log_from_settings, store_from_settings
from laptop_pricing.request_log.writer import Fate
from laptop_pricing.settings import Settings
from laptop_pricing.trade_in.outcome import (
    ALREADY_STORED,
    QUOTE_ID,
    Decision,
    InvalidOutcome,
    LatePolicy,
    Outcome,
    QuoteTerms,
    decide,
)
from laptop_pricing.trade_in.outcome_request import OutcomeRequest
from laptop_pricing.trade_in.quote_id import InvalidQuoteId, parse_quote_id, quote_id_day
from laptop_pricing.trade_in.quote_keys import QuoteKeys
from laptop_pricing.trade_in.quote_lookup import QuoteLookup
from laptop_pricing.trade_in.store_policies import store_policies_from_settings

LOCK_STRIPES = 64
QUOTES_REMEMBERED = 50_000  # a few MB; a busy store quotes a few hundred a day
# A retry is looked for in the day it is recorded and the one before (a click retried across
# midnight UTC); an event seen again later is still counted once by every reader.
RETRY_DAYS = 2


def _utc_now() -> datetime:
    return datetime.now(UTC)


class OutcomeLog:
    """Outcomes as records of the request log (kind ``OUTCOMES``), local folder or S3."""

    def __init__(self, log: RequestLog):
        if log.layout.kind != OUTCOMES:
            raise ValueError("an outcome log needs a request log of kind OUTCOMES")
        self.log = log

    def describe(self) -> str:
        return self.log.describe()

    def find(self, event_id: str, now: datetime) -> Outcome | None:
        """The outcome stored under ``event_id`` in the last ``RETRY_DAYS`` UTC days."""
        today = now.astimezone(UTC).date()
        for back in range(RETRY_DAYS):
            record = self.log.store.find_record(today - timedelta(days=back), event_id)
            if record is not None:
                return Outcome.from_record(record)
        return None

    def write(self, made: Outcome) -> Fate:
        return self.log.write(made.as_record(), at=made.recorded_at).fate


def quote_terms(
    lookup: QuoteLookup, remember: int = QUOTES_REMEMBERED
) -> Callable[[str], QuoteTerms | None]:
    """What ``OutcomeRecorder`` needs of a quote, found by ``lookup`` (None: no such quote).

    A quote never changes once issued, so what a read of the request log finds is kept (the
    last ``remember`` quotes): one read of a day serves the outcomes of every quote of that day,
    and lookups arriving together for the same day wait for that one read instead of each
    reading the day (on S3 a day not yet compacted is one object per group of records). An
    unknown id is looked for again next time (its row may still be on its way)."""
    found: OrderedDict[str, QuoteTerms] = OrderedDict()
    guard = threading.Lock()
    stripes = tuple(threading.Lock() for _ in range(LOCK_STRIPES))

    def remembered(quote_id: str) -> QuoteTerms | None:
        with guard:
            terms = found.get(quote_id)
            if terms is not None:
                found.move_to_end(quote_id)
            return terms

    def find(text: str) -> QuoteTerms | None:
        try:
            quote_id = parse_quote_id(text)
        except InvalidQuoteId:
            raise InvalidOutcome([FieldError(QUOTE_ID, text, "not a quote id")]) from None
        day = quote_id_day(quote_id)
        if (terms := remembered(quote_id)) is not None:
            return terms
        with stripes[day.toordinal() % LOCK_STRIPES]:
            if (terms := remembered(quote_id)) is not None:
                return terms
            quotes = lookup.quotes_of_day(day)
            with guard:
                for quote in quotes:
                    found[quote.quote_id] = QuoteTerms(
                        quote.quote_id, quote.offer, quote.valid_until, quote.store_id
                    )
                    found.move_to_end(quote.quote_id)
                while len(found) > remember:
                    found.popitem(last=False)
        return remembered(quote_id)

    return find


@dataclass
class OutcomeRecorder:
    find_quote: Callable[[str], QuoteTerms | None]
    outcomes: OutcomeLog
    late_policy: LatePolicy = LatePolicy.REFUSE
    clock: Callable[[], datetime] = _utc_now
    # A chain: the late-outcome rule of each store with a policy of its own (by the quote's
    # store); any other store's quote follows ``late_policy``.
    store_late_policies: Mapping[str, LatePolicy] = field(default_factory=dict)
    _locks: tuple[threading.Lock, ...] = field(
        default_factory=lambda: tuple(threading.Lock() for _ in range(LOCK_STRIPES)), repr=False
    )

    def record(self, body: object) -> Decision:
        """201 (stored now) or 200 (this ``event_id`` was stored before) with the outcome.
        Raises ``InvalidOutcome``, ``QuoteNotFound``, ``QuoteExpired`` or ``OutcomeNotStored``;
        lets ``StoreError`` through when the quote or the outcomes cannot be read."""
        request = OutcomeRequest.from_payload(body)
        terms = self.find_quote(request.quote_id)
        if terms is None:
            raise QuoteNotFound(request.quote_id)
        stripe = zlib.crc32(request.event_id.encode()) % len(self._locks)
        with self._locks[stripe]:
            now = self.clock()
            previous = self.outcomes.find(request.event_id, now)
            stored = [previous.as_record()] if previous is not None else []
            late_policy = self.store_late_policies.get(terms.store_id, self.late_policy)
            decision = decide(request, terms, stored, now, late_policy)
            if not decision.must_store:
                return decision
            fate = self.outcomes.write(decision.outcome)
            if fate is Fate.STORED:
                return decision
            if fate is Fate.EXISTS:  # another process stored this event first: its outcome
                winner = self.outcomes.find(request.event_id, now)
                if winner is not None:
                    return Decision(ALREADY_STORED, winner)
            raise OutcomeNotStored(
                f"outcome {request.event_id} not confirmed stored ({fate.value}); send it again"
            )


def quote_lookup_from_settings(settings: Settings) -> QuoteLookup:
    """Quotes from the request log (``PREDICTIONS-PREFIX``) with the decisions recorded beside
    it (``OUTCOMES-PREFIX``), in the same bucket or local folder (``GET /quote/{quote_id}``)."""
    quotes = store_from_settings(settings)
    keys = QuoteKeys(quotes, settings.request_log_deadline)
    return QuoteLookup.from_stores(
        quotes, store_from_settings(settings, OUTCOMES), quote_row=keys.quote_row
    )


def recorder_from_settings(
    settings: Settings, lookup: QuoteLookup | None = None
) -> OutcomeRecorder:
    """The recorder the settings name: quotes found by ``lookup`` (default: the settings'
    ``quote_lookup_from_settings``), outcomes beside them (``OUTCOMES-PREFIX``); outcomes after
    a quote's validity as the store policy says (``[outcomes] after_validity``, default refuse).
    A chain: each quote's store's policy says it, not the deployment's. Raises ``PolicyError``
    for a policy that cannot be used."""
    policies = store_policies_from_settings(settings)
    fallback = policies.default or policies.home_policy
    lookup = lookup or quote_lookup_from_settings(settings)
    log = request_log_from_settings(settings, OUTCOMES)
    return OutcomeRecorder(
        quote_terms(lookup),
        OutcomeLog(log),
        fallback.late_outcomes,
        store_late_policies={store: p.late_outcomes for store, p in policies.own.items()},
    )
