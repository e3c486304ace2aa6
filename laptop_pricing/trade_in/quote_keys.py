"""A quote found by its id as a key, and a quote issued once per request id.

Two kinds of small objects beside the request log, each stored only if its key is free
(``RecordStore.put_new``: S3 ``IfNoneMatch='*'``, a hard link in the local folder), so the store
and not a process's memory decides between racing writers (Lambda instances, server workers):

* ``<prefix>/_quotes/YYYY-MM-DD/<quote id>.json``: the quote's request-log row (the same record
  line as ``_records/``), written when the quote is issued. *Buscar cotação* reads this one
  object instead of the whole day, before and after compaction (the compactor never deletes
  it). The day in the key is the day the quote id names, so a lifecycle rule or a purge can
  expire quotes by day, like the day files.
* ``<prefix>/_requests/<request id>.json``: the answer given to a client's ``X-Request-Id``
  with a digest of the body it answered. A retry with the same id and body gets that answer
  again (same quote id, offer, validity); another body under the same id is refused. Not
  day-partitioned on purpose: a retry just after midnight must find its first attempt (S3
  lifecycle rules expire by age under a prefix). It holds no personal data: the answer has no
  e-mail and the body only a digest.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from laptop_pricing.log_columns import QUOTE_ID_COLUMN
from laptop_pricing.storage.layout import safe_record_id
from laptop_pricing.storage.records import decode_records, encode_record
from laptop_pricing.storage.stores import RecordNotStored, RecordStore, StoreError
from laptop_pricing.trade_in.quote_id import parse_quote_id, quote_id_day

QUOTES_FOLDER = "_quotes"
REQUESTS_FOLDER = "_requests"
DIGEST = "digest"
ANSWER = "answer"
REQUEST_ID = "request_id"


class ClaimState(Enum):
    NEW = "new"  # this request id is ours: answer it and record it
    REPLAY = "replay"  # answered before with the same body: give that answer again
    CONFLICT = "conflict"  # answered before for another body: refuse
    UNSETTLED = "unsettled"  # the answer could not be kept: answer, without the guarantee
    UNREADABLE = "unreadable"  # an answer is kept but cannot be read now: ask for a retry


@dataclass(frozen=True)
class Claim:
    state: ClaimState
    answer: str = ""  # REPLAY: the answer's body as first sent
    reason: str = ""  # UNSETTLED, UNREADABLE: why


def body_digest(request: Any) -> str:
    """A digest of a JSON request that does not depend on key order or spacing."""
    text = json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


class QuoteKeys:
    """Quotes by id and answers by request id in ``store`` (its layout's prefix), each write
    bounded by ``deadline`` seconds like the request log's."""

    def __init__(self, store: RecordStore, deadline: float):
        self.store = store
        self.deadline = deadline

    def describe(self) -> str:
        return self.store.describe()

    def quote_key(self, quote_id: str) -> str:
        canonical = parse_quote_id(quote_id)
        day = quote_id_day(canonical)
        return f"{self.store.layout.root}{QUOTES_FOLDER}/{day:%Y-%m-%d}/{canonical}.json"

    def claim_key(self, request_id: str) -> str:
        return f"{self.store.layout.root}{REQUESTS_FOLDER}/{safe_record_id(request_id)}.json"

    def put_quote(self, row: Mapping[str, object]) -> bool:
        """Store the quote's row under its id; False when it was there already (a replay).
        Raises ``RecordNotStored``."""
        key = self.quote_key(str(row[QUOTE_ID_COLUMN]))
        return self.store.put_new(key, encode_record(row), time.monotonic() + self.deadline)

    def quote_row(self, quote_id: str) -> dict[str, str] | None:
        """The row stored under the quote's id (one GET), None when there is none. Raises
        ``InvalidQuoteId`` for text that is not a quote id and ``StoreError``."""
        data = self.store.read_object(self.quote_key(quote_id))
        records = decode_records(data).records if data else []
        return records[0] if records else None

    def claim(self, request_id: str, digest: str, answer: str) -> Claim:
        """Keep ``answer`` as the one answer to ``request_id`` unless another was kept first."""
        record = encode_record({REQUEST_ID: request_id, DIGEST: digest, ANSWER: answer})
        key = self.claim_key(request_id)
        try:
            if self.store.put_new(key, record, time.monotonic() + self.deadline):
                return Claim(ClaimState.NEW)
        except RecordNotStored as error:
            return Claim(ClaimState.UNSETTLED, reason=error.reason)
        try:
            data = self.store.read_object(key)
        except StoreError as error:
            return Claim(ClaimState.UNREADABLE, reason=str(error))
        records = decode_records(data).records if data else []
        if not records or records[0].get(REQUEST_ID) != request_id:
            return Claim(ClaimState.UNREADABLE, reason="the kept answer is not a record")
        kept = records[0]
        if kept.get(DIGEST) != digest:
            return Claim(ClaimState.CONFLICT)
        return Claim(ClaimState.REPLAY, answer=kept.get(ANSWER, ""))
