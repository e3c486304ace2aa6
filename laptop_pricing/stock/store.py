"""Where stock events are kept: beside the purchases (``PURCHASES-PREFIX``, the same bucket or
local folder, the same store layer), one object per event:

* ``stock/<purchase id>.<seq, 6 digits>.json``: the item's ``seq``-th event, put only if
  absent. Two changes made from the same view race for the same key: exactly one is stored.
  One flat folder, not a folder per item: listing 10,000 items is then one folder's names
  locally (a walk of 10,000 folders took seconds) and the same pages of keys on S3.

* ``stock-snapshots/<events, 9 digits>-<random>.json.gz``: every event some process had read,
  in one object, so a new process (a Lambda's cold start) reads one object and then only the
  events written since, not 20,000 objects one by one. Written when a listing had to read
  ``SNAPSHOT_AFTER`` events one by one; the biggest one is read, older ones are deleted. Any
  snapshot is a subset of the truth (events are never rewritten), so a stale one costs reads,
  never a wrong state.

Events are never rewritten, so an event read once is kept in memory (``_seen``) and a listing
of the stock reads only the keys it has not seen: a page of a 10,000-item store costs one
listing after the first.
"""

from __future__ import annotations

import gzip
import json
import logging
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from threading import Lock

from laptop_pricing.purchase.store import WRITE_DEADLINE
from laptop_pricing.stock.events import StockEvent
from laptop_pricing.storage.stores import RecordNotStored, RecordStore, StoreError

logger = logging.getLogger(__name__)
STOCK_FOLDER = "stock/"
SNAPSHOT_FOLDER = "stock-snapshots/"
SNAPSHOT_AFTER = 200
SEQ_DIGITS = 6
_READERS = ThreadPoolExecutor(max_workers=16, thread_name_prefix="stock-read")


class StockStore:
    def __init__(
        self,
        store: RecordStore,
        deadline: float = WRITE_DEADLINE,
        snapshot_after: int = SNAPSHOT_AFTER,
        prune_snapshots: bool = True,
    ):
        """``prune_snapshots`` False: older snapshots are left (the Lambda's role cannot
        delete; a lifecycle rule expires them)."""
        self.store = store
        self.prune_snapshots = prune_snapshots
        self.deadline = deadline
        self.snapshot_after = snapshot_after
        self.prefix = f"{store.layout.root}{STOCK_FOLDER}"
        self.snapshots = f"{store.layout.root}{SNAPSHOT_FOLDER}"
        self._seen: dict[str, StockEvent] = {}
        self._lock = Lock()
        self._snapshot_read = False

    def describe(self) -> str:
        return self.store.describe()

    def item_prefix(self, purchase_id: str) -> str:
        return f"{self.prefix}{purchase_id}."

    def event_key(self, purchase_id: str, seq: int) -> str:
        return f"{self.item_prefix(purchase_id)}{seq:0{SEQ_DIGITS}d}.json"

    def put_event(self, event: StockEvent) -> bool:
        """True when this call stored it; False when its ``seq`` was taken. Raises
        ``RecordNotStored`` when that could not be confirmed in time."""
        key = self.event_key(event.purchase_id, event.seq)
        stored = self.store.put_new(key, event.as_record(), time.monotonic() + self.deadline)
        if stored:
            with self._lock:
                self._seen[key] = event
        return stored

    def events_of(self, purchase_id: str) -> list[StockEvent]:
        """The item's events in order (one listing, one read per event not seen before)."""
        return self._read(self.store.list_keys(self.item_prefix(purchase_id)))

    def all_events(self) -> dict[str, list[StockEvent]]:
        """Every item's events in order, by purchase id (one listing of the stock)."""
        if not self._snapshot_read:
            self._read_snapshot()
        by_item: dict[str, list[StockEvent]] = {}
        keys = self.store.list_keys(self.prefix)
        read_one_by_one = self._missing(keys)
        for event in self._read(keys):
            by_item.setdefault(event.purchase_id, []).append(event)
        if len(read_one_by_one) >= self.snapshot_after:
            try:
                self._write_snapshot(keys)
            except (RecordNotStored, StoreError) as error:  # the next listing tries again
                logger.warning("stock snapshot not written: %s", type(error).__name__)
        return by_item

    def _missing(self, keys: list[str]) -> list[str]:
        with self._lock:
            return [k for k in keys if k.endswith(".json") and k not in self._seen]

    def _read_snapshot(self) -> None:
        """The biggest snapshot's events into memory (none: nothing to do)."""
        names = sorted(self.store.list_keys(self.snapshots))
        data = self.store.read_object(names[-1]) if names else None
        if data is not None:
            try:
                events = [StockEvent.from_dict(raw) for raw in _unzipped(data)]
            except (OSError, EOFError, ValueError, KeyError, TypeError) as error:
                logger.warning("stock snapshot unreadable, read event by event: %s", error)
                events = []
            with self._lock:
                for event in events:
                    self._seen.setdefault(self.event_key(event.purchase_id, event.seq), event)
        self._snapshot_read = True

    def _write_snapshot(self, keys: list[str]) -> None:
        """Every listed event in one object (put only if absent); then the older ones go."""
        with self._lock:
            events = [self._seen[k].as_dict() for k in keys if k in self._seen]
        data = gzip.compress(json.dumps(events, ensure_ascii=False).encode("utf-8"), 6)
        name = f"{self.snapshots}{len(events):09d}-{secrets.token_hex(4)}.json.gz"
        stored = self.store.put_new(name, data, time.monotonic() + self.deadline)
        if stored and self.prune_snapshots:
            for older in self.store.list_keys(self.snapshots):
                if older < name:
                    self.store.delete_object(older)

    def _read(self, keys: list[str]) -> list[StockEvent]:
        wanted = [k for k in keys if k.endswith(".json")]
        missing = self._missing(wanted)
        if missing:
            datas = list(_READERS.map(self.store.read_object, missing))
            with self._lock:
                for key, data in zip(missing, datas, strict=True):
                    if data is not None:
                        self._seen[key] = StockEvent.from_record(data)
        with self._lock:
            found = [self._seen[k] for k in wanted if k in self._seen]
        return sorted(found, key=lambda e: (e.purchase_id, e.seq))


def _unzipped(data: bytes) -> list[dict[str, object]]:
    raw = json.loads(gzip.decompress(data).decode("utf-8"))
    return [item for item in raw if isinstance(item, dict)] if isinstance(raw, list) else []
