"""Recording an outcome: validate, find the quote, recognise a retry, store once.

The route (``POST /outcome`` in the handler, the local server, the embedded client) wires in how
a quote is found, how the outcomes already stored for it are read and how a new one is written;
this class holds the order of the steps and the one guarantee the rules alone cannot give:
two copies of the same ``event_id`` arriving at the same time in one process are stored once
(a striped lock around "look for the event, then write"). Across processes (Lambda containers)
the readers count each ``event_id`` once (``outcome.current_outcomes``).

Failures are typed (``InvalidOutcome`` 400, ``QuoteNotFound`` 404, ``QuoteExpired`` 409); the
route picks the status and the words.
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from laptop_pricing.outcome import Decision, LatePolicy, Outcome, OutcomeRequest, QuoteTerms, decide

LOCK_STRIPES = 64


class QuoteNotFound(LookupError):
    """No quote with this id (404)."""

    def __init__(self, quote_id: str):
        self.quote_id = quote_id
        super().__init__(f"no quote {quote_id}")


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class OutcomeRecorder:
    find_quote: Callable[[str], QuoteTerms | None]
    stored_for: Callable[[QuoteTerms], Iterable[Mapping[str, Any]]]
    store: Callable[[Outcome], None]
    late_policy: LatePolicy = LatePolicy.REFUSE
    clock: Callable[[], datetime] = _utc_now
    _locks: tuple[threading.Lock, ...] = field(
        default_factory=lambda: tuple(threading.Lock() for _ in range(LOCK_STRIPES)), repr=False
    )

    def record(self, body: Any) -> Decision:
        """201 (stored now) or 200 (this ``event_id`` was stored before) with the outcome.
        Raises ``InvalidOutcome``, ``QuoteNotFound`` or ``QuoteExpired``."""
        request = OutcomeRequest.from_payload(body)
        terms = self.find_quote(request.quote_id)
        if terms is None:
            raise QuoteNotFound(request.quote_id)
        stripe = zlib.crc32(request.event_id.encode()) % len(self._locks)
        with self._locks[stripe]:
            decision = decide(
                request, terms, self.stored_for(terms), self.clock(), self.late_policy
            )
            if decision.must_store:
                self.store(decision.outcome)
        return decision
