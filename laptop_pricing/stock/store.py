"""Where stock events are kept: beside the purchases (``PURCHASES-PREFIX``, the same bucket or
local folder, the same store layer), one object per event:

* ``stock/<purchase id>.<seq, 6 digits>.json``: the item's ``seq``-th event, put only if
  absent. Two changes made from the same view race for the same key: exactly one is stored.
  One flat folder, not a folder per item: listing 10,000 items is then one folder's names
  locally (a walk of 10,000 folders took seconds) and the same pages of keys on S3.

Events are never rewritten, so an event read once is kept in memory (``_seen``) and a listing
of the stock reads only the keys it has not seen: a page of a 10,000-item store costs one
listing after the first.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from threading import Lock

from laptop_pricing.purchase.store import WRITE_DEADLINE
from laptop_pricing.stock.events import StockEvent
from laptop_pricing.storage.stores import RecordStore

STOCK_FOLDER = "stock/"
SEQ_DIGITS = 6
_READERS = ThreadPoolExecutor(max_workers=16, thread_name_prefix="stock-read")


class StockStore:
    def __init__(self, store: RecordStore, deadline: float = WRITE_DEADLINE):
        self.store = store
        self.deadline = deadline
        self.prefix = f"{store.layout.root}{STOCK_FOLDER}"
        self._seen: dict[str, StockEvent] = {}
        self._lock = Lock()

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
        by_item: dict[str, list[StockEvent]] = {}
        for event in self._read(self.store.list_keys(self.prefix)):
            by_item.setdefault(event.purchase_id, []).append(event)
        return by_item

    def _read(self, keys: list[str]) -> list[StockEvent]:
        wanted = [k for k in keys if k.endswith(".json")]
        with self._lock:
            missing = [k for k in wanted if k not in self._seen]
        if missing:
            datas = list(_READERS.map(self.store.read_object, missing))
            with self._lock:
                for key, data in zip(missing, datas, strict=True):
                    if data is not None:
                        self._seen[key] = StockEvent.from_record(data)
        with self._lock:
            found = [self._seen[k] for k in wanted if k in self._seen]
        return sorted(found, key=lambda e: (e.purchase_id, e.seq))
