"""Find a quote again by its id (*Buscar cotação*): one day of the request log, one row, and
the decisions recorded for it.

A quote's row is read by its id as a key: one small object (``trade_in.quote_keys``), whatever
the size of its day. A quote not kept by id (issued before keys existed) is looked for in the
UTC day its id names, through the one day reader (``storage.day_reader.day_rows``: the day file
plus the records not yet folded into it, local folder or S3). Its outcomes are read the same way
from the outcomes log, one day at a time from the quote's day to today (at most
``OUTCOME_DAYS``), so a clerk who opens the quote in another session or on another device sees
what was already recorded. ``QuoteLookup`` depends only on those callables; ``from_stores``
wires them to the stores.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from laptop_pricing.formatting import BRASILIA
from laptop_pricing.log_columns import (
    OFFER_COLUMN,
    POLICY_VERSION_COLUMN,
    PRICE_COLUMN,
    PRICING_SOURCE_COLUMN,
    QUOTE_ID_COLUMN,
    STORE_ID_COLUMN,
    TIMESTAMP_COLUMN,
    VALID_UNTIL_COLUMN,
    VERSION_COLUMN,
)
from laptop_pricing.pricing.laptop_spec import InvalidSpec, LaptopSpec
from laptop_pricing.pricing.schema import FIELD_NAMES
from laptop_pricing.storage.day_reader import day_rows
from laptop_pricing.storage.stores import RecordStore
from laptop_pricing.store_id import DEFAULT_STORE_ID, store_of
from laptop_pricing.trade_in.condition import Condition
from laptop_pricing.trade_in.offer import PRICING_SOURCE_MODEL, PRICING_SOURCE_RULE, PricingSource
from laptop_pricing.trade_in.outcome import QUOTE_ID, Outcome
from laptop_pricing.trade_in.quote_id import parse_quote_id, quote_id_day

DayRows = Callable[[date], Iterable[Mapping[str, str]]]
QuoteRow = Callable[[str], Mapping[str, str] | None]  # one quote's row by its id (a key)
OUTCOME_DAYS = 45  # a quote's decisions are looked for up to this many days after it


def brasilia_today() -> date:
    return datetime.now(BRASILIA).date()


LookupStatus = Literal["valid", "expired", "unknown"]


@dataclass(frozen=True)
class StoredQuote:
    """A quote as the request log keeps it."""

    quote_id: str
    quoted_at: datetime
    spec: LaptopSpec | None
    condition: Condition | None
    market_estimate: int
    offer: int | None
    policy_version: str
    valid_until: date
    model_version: str
    store_id: str = DEFAULT_STORE_ID  # the store that issued it (older rows: the default)
    pricing_source: PricingSource = PRICING_SOURCE_RULE  # what priced it (older rows: the rule)


@dataclass(frozen=True)
class LookupResult:
    status: LookupStatus
    quote_id: str
    quote: StoredQuote | None = None
    outcomes: tuple[Outcome, ...] = ()  # oldest first: the last one is the decision that counts


class QuoteLookup:
    """Looks quotes up in the request log. ``find`` raises ``InvalidQuoteId`` for text that is
    not a quote id and lets the request log's own error through when the day cannot be read."""

    def __init__(
        self,
        day_rows: DayRows,
        today: Callable[[], date] | None = None,
        outcome_rows: DayRows | None = None,
        quote_row: QuoteRow | None = None,
    ):
        """``quote_row``: the quote's row read by its id (``trade_in.quote_keys``), tried before
        ``day_rows``, which then only serves quotes not kept by id (issued before keys existed)."""
        self._day_rows = day_rows
        self._quote_row = quote_row
        self._today = today or (lambda: brasilia_today())  # looked up per call: tests move it
        self._outcome_rows = outcome_rows

    @classmethod
    def from_stores(
        cls,
        quotes: RecordStore,
        outcomes: RecordStore | None = None,
        quote_row: QuoteRow | None = None,
    ) -> QuoteLookup:
        """Quotes from the request log's store (by id first when ``quote_row`` is given),
        decisions from the outcomes' store, each day read by the one day reader."""
        outcome_rows = (lambda day: day_rows(outcomes, day)) if outcomes is not None else None
        return cls(
            lambda day: day_rows(quotes, day), outcome_rows=outcome_rows, quote_row=quote_row
        )

    def find(self, text: str) -> LookupResult:
        quote_id = parse_quote_id(text)
        day = quote_id_day(quote_id)
        quote = self.stored(quote_id)
        if quote is None:
            return LookupResult("unknown", quote_id)
        status: LookupStatus = "expired" if self._today() > quote.valid_until else "valid"
        return LookupResult(status, quote_id, quote, self.outcomes_of(quote_id, day))

    def by_key(self, quote_id: str) -> StoredQuote | None:
        """The quote kept under its id, None when not kept there (or no keys are wired)."""
        row = self._quote_row(quote_id) if self._quote_row is not None else None
        return _stored_quote(row) if row else None

    def stored(self, quote_id: str) -> StoredQuote | None:
        """The quote by its key when kept there, else from its day; None when unknown."""
        if (quote := self.by_key(quote_id)) is not None:
            return quote
        rows = self._day_rows(quote_id_day(quote_id))
        row = next((r for r in rows if r.get(QUOTE_ID_COLUMN) == quote_id), None)
        return _stored_quote(row) if row else None

    def outcomes_of(self, quote_id: str, quote_day: date) -> tuple[Outcome, ...]:
        """Every decision recorded for the quote, oldest first, each ``event_id`` once. Outcome
        days are UTC days, so the day after Brasília's today is read too (evening decisions)."""
        if self._outcome_rows is None:
            return ()
        last = min(self._today() + timedelta(days=1), quote_day + timedelta(days=OUTCOME_DAYS))
        by_event: dict[str, Outcome] = {}
        for offset in range((last - quote_day).days + 1):
            for row in self._outcome_rows(quote_day + timedelta(days=offset)):
                if row.get(QUOTE_ID) != quote_id:
                    continue
                try:
                    outcome = Outcome.from_record(row)
                except (KeyError, ValueError):
                    continue  # a row the reader cannot read is not a decision to show
                by_event.setdefault(outcome.event_id, outcome)
        return tuple(sorted(by_event.values(), key=lambda o: o.recorded_at))

    def quotes_of_day(self, day: date) -> list[StoredQuote]:
        """Every readable quote the request log holds for ``day`` (one read of that day)."""
        rows = self._day_rows(day)
        quotes = (_stored_quote(row) for row in rows if row.get(QUOTE_ID_COLUMN))
        return [quote for quote in quotes if quote is not None]


def _stored_quote(row: Mapping[str, Any]) -> StoredQuote | None:
    try:
        quoted_at = datetime.fromisoformat(str(row[TIMESTAMP_COLUMN])).astimezone(UTC)
        offer = str(row.get(OFFER_COLUMN) or "").strip()
        try:
            spec: LaptopSpec | None = LaptopSpec.from_payload({n: row[n] for n in FIELD_NAMES})
        except InvalidSpec:
            spec = None
        return StoredQuote(
            quote_id=str(row[QUOTE_ID_COLUMN]),
            quoted_at=quoted_at,
            spec=spec,
            condition=Condition.from_log_values(row),
            market_estimate=int(float(row[PRICE_COLUMN])),
            offer=int(offer) if offer else None,
            policy_version=str(row.get(POLICY_VERSION_COLUMN) or ""),
            valid_until=date.fromisoformat(str(row[VALID_UNTIL_COLUMN])),
            model_version=str(row.get(VERSION_COLUMN) or ""),
            store_id=store_of(row.get(STORE_ID_COLUMN)),
            pricing_source=(
                PRICING_SOURCE_MODEL
                if row.get(PRICING_SOURCE_COLUMN) == PRICING_SOURCE_MODEL
                else PRICING_SOURCE_RULE
            ),
        )
    except (KeyError, ValueError):
        return None
