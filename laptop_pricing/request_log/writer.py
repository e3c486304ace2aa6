"""Writing one record under one wall-clock deadline, with every record's fate counted once.

``RequestLog.write`` hands the record to a worker thread and waits at most ``deadline`` seconds
(default 1 s, ``REQUEST-LOG-DEADLINE-SECONDS``) whatever the store does: connect, read, retries
and disk all happen inside that wait, so a stalled bucket or a slow disk never holds up a price.

Exact accounting. A record's fate is decided once, by the worker, when the store has answered:
``stored`` or ``lost``. When that happens within the deadline, the caller gets the fate (and the
metric record of that request says it). When the caller has stopped waiting, ``write`` returns
``PENDING`` and the fate arrives later through ``on_late`` (the observer then emits its own
``RequestLogFailures`` record): a write that lands after the deadline is counted stored, not
lost. A put that got no answer (a read timeout: S3 may have stored it) is settled by putting the
same bytes again, which is harmless; only if that too gets no answer within ``settle_seconds``
is the record counted lost, flagged ``unconfirmed`` (it cannot be known). A write that had not
even started by the end of the settle window is dropped and counted lost: it was never sent.

A kind keyed by id (the outcomes): each record is stored alone, and a record whose id another
writer stored first comes back ``EXISTS`` (counted stored: the id is there, once).

The queue is bounded (``max_queued``): while the store is stalled, records waiting for a writer
would otherwise pile up without limit (each holds its line until the settle window ends). A
record that finds the queue full is refused at once: ``LOST`` with reason ``QUEUE_FULL``,
counted lost like any other.
"""

from __future__ import annotations

import atexit
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import Enum

from laptop_pricing.storage.layout import LogLayout, format_timestamp
from laptop_pricing.storage.records import encode_record
from laptop_pricing.storage.stores import RecordExists, RecordNotStored, RecordStore

DEFAULT_DEADLINE = 1.0
DEFAULT_SETTLE_SECONDS = 30.0
# Records waiting for a writer: about 10 MB of lines, far beyond a healthy backlog (a burst of a
# few hundred), reached only when the store has stalled for a while under load.
DEFAULT_MAX_QUEUED = 10_000
QUEUE_FULL = "write queue full"


class Fate(Enum):
    STORED = "stored"
    LOST = "lost"
    PENDING = "pending"  # the deadline passed first; the fate comes through ``on_late``
    EXISTS = "exists"  # keyed by id: another writer had stored this id already


@dataclass(frozen=True)
class Settled:
    """A record's final fate."""

    record_id: str
    stored: bool
    late: bool  # decided after the caller had stopped waiting
    reason: str = ""  # why it was lost
    unconfirmed: bool = False  # lost after puts that got no answer: it may exist after all
    existed: bool = False  # keyed by id: stored before, by another writer


@dataclass(frozen=True)
class WriteResult:
    fate: Fate
    reason: str = ""


@dataclass
class Accounting:
    """Counts of settled records (each record counted once) and of those still in flight."""

    stored: int = 0
    lost: int = 0
    late: int = 0  # settled after the deadline (stored or lost)
    unconfirmed: int = 0
    in_flight: int = 0
    lock: threading.Condition = field(default_factory=threading.Condition, repr=False)

    def snapshot(self) -> dict[str, int]:
        with self.lock:
            return {
                "stored": self.stored,
                "lost": self.lost,
                "late": self.late,
                "unconfirmed": self.unconfirmed,
                "in_flight": self.in_flight,
            }


@dataclass
class _Ticket:
    at: datetime
    record_id: str
    line: bytes
    deadline: float
    on_late: Callable[[Settled], None] | None
    lock: threading.Lock = field(default_factory=threading.Lock)
    done: threading.Event = field(default_factory=threading.Event)
    abandoned: bool = False
    settled: Settled | None = None


class RequestLog:
    """Records of one kind into one store, each under ``deadline`` seconds.

    Group commit: ``writers`` threads each take every record queued so far and store them
    together (one ``os.write``, or one object), so a burst makes writes larger rather than more
    numerous, while a lone record is written at once on its own."""

    def __init__(
        self,
        store: RecordStore,
        deadline: float = DEFAULT_DEADLINE,
        settle_seconds: float = DEFAULT_SETTLE_SECONDS,
        writers: int = 8,
        max_batch: int = 500,
        max_queued: int = DEFAULT_MAX_QUEUED,
    ):
        if not deadline > 0:
            raise ValueError("the request-log deadline must be positive")
        if max_queued < 1:
            raise ValueError("the request-log queue must hold at least one record")
        self.max_queued = max_queued
        self.store = store
        self.deadline = deadline
        self.settle_seconds = settle_seconds
        self.max_batch = max_batch if store.groups_records else 1
        self.accounting = Accounting()
        self.batches = 0  # stores made, for benchmarks
        self._queue: deque[_Ticket] = deque()
        self._ready = threading.Condition()
        self._writers = [
            threading.Thread(target=self._write_loop, name=f"request-log-{n}", daemon=True)
            for n in range(writers)
        ]
        for thread in self._writers:
            thread.start()
        # Daemon threads would die with the interpreter: give records in flight their fate.
        atexit.register(self.drain, deadline + settle_seconds + 10)

    @property
    def layout(self) -> LogLayout:
        return self.store.layout

    def describe(self) -> str:
        return self.store.describe()

    def write(
        self,
        values: Mapping[str, object],
        at: datetime | None = None,
        on_late: Callable[[Settled], None] | None = None,
    ) -> WriteResult:
        """Store one record (it must hold the kind's id column); never raises for the store's
        sake and never waits longer than the deadline. ``on_late`` gets the fate of a record
        that returned ``PENDING``, exactly once."""
        kind = self.layout.kind
        moment = at or datetime.now(UTC)
        row = {name: values.get(name, "") for name in kind.columns}
        row[kind.timestamp_column] = row[kind.timestamp_column] or format_timestamp(moment)
        record_id = str(row[kind.id_column])
        if not record_id:
            raise ValueError(f"a {kind.name} record needs its {kind.id_column}")
        ticket = _Ticket(
            moment, record_id, encode_record(row), time.monotonic() + self.deadline, on_late
        )
        with self.accounting.lock:
            self.accounting.in_flight += 1
        with self._ready:
            full = len(self._queue) >= self.max_queued
            if not full:
                self._queue.append(ticket)
                self._ready.notify()
        if full:
            self._settle(ticket, False, QUEUE_FULL)
            return WriteResult(Fate.LOST, QUEUE_FULL)
        ticket.done.wait(max(0.0, ticket.deadline - time.monotonic()))
        with ticket.lock:
            settled = ticket.settled
            if settled is None:
                ticket.abandoned = True
                return WriteResult(Fate.PENDING, "deadline passed")
        if settled.existed:
            return WriteResult(Fate.EXISTS, settled.reason)
        return WriteResult(Fate.STORED if settled.stored else Fate.LOST, settled.reason)

    def _write_loop(self) -> None:
        while True:
            with self._ready:
                while not self._queue:
                    self._ready.wait()
                batch = [
                    self._queue.popleft() for _ in range(min(self.max_batch, len(self._queue)))
                ]
            by_day: dict[date, list[_Ticket]] = {}
            for ticket in batch:
                by_day.setdefault(ticket.at.astimezone(UTC).date(), []).append(ticket)
            for day, tickets in by_day.items():
                self._run(day, tickets)

    def _run(self, day: date, tickets: list[_Ticket]) -> None:
        started = time.monotonic()
        live = []
        for ticket in tickets:
            if started >= ticket.deadline + self.settle_seconds:
                self._settle(ticket, False, "not started before the settle window ended")
            else:
                live.append(ticket)
        if not live:
            return
        first = live[0]
        record = self.store.pending(day, first.at, first.record_id, [t.line for t in live])
        # A batch queued past its deadline (every writer busy) still gets one full attempt: its
        # callers have their answers already, and its fate is counted late.
        deadline = max(min(t.deadline for t in live), started + self.deadline)
        until = min(t.deadline for t in live) + self.settle_seconds
        try:
            try:
                stored = self.store.put(record, deadline)
            except RecordExists as failure:
                for ticket in live:
                    self._settle(ticket, True, failure.reason, existed=True)
                return
            except RecordNotStored as failure:
                if failure.ambiguous and self.store.settle(record, until):
                    stored = len(live)
                else:
                    for ticket in live:
                        self._settle(ticket, False, failure.reason, failure.ambiguous)
                    return
            self.batches += 1
            for n, ticket in enumerate(live):
                if n < stored:
                    self._settle(ticket, True)
                else:
                    self._settle(ticket, False, "short write")
        finally:
            for ticket in live:  # a bug in a store: the record is certainly not counted
                if ticket.settled is None:
                    self._settle(ticket, False, "internal error")

    def _settle(
        self,
        ticket: _Ticket,
        stored: bool,
        reason: str = "",
        unconfirmed: bool = False,
        existed: bool = False,
    ) -> None:
        with ticket.lock:
            settled = Settled(
                ticket.record_id, stored, ticket.abandoned, reason, unconfirmed, existed
            )
            ticket.settled = settled
        if settled.late and ticket.on_late is not None:
            # Before the count: ``drain`` (shutdown) must not return while a fate is reported.
            ticket.on_late(settled)
        counts = self.accounting
        with counts.lock:
            counts.in_flight -= 1
            if stored:
                counts.stored += 1
            else:
                counts.lost += 1
                counts.unconfirmed += int(unconfirmed)
            counts.late += int(settled.late)
            counts.lock.notify_all()
        ticket.done.set()

    def drain(self, timeout: float) -> bool:
        """Wait until every record written so far has its fate (tests, shutdown)."""
        end = time.monotonic() + timeout
        with self.accounting.lock:
            while self.accounting.in_flight:
                remaining = end - time.monotonic()
                if remaining <= 0:
                    return False
                self.accounting.lock.wait(remaining)
        return True
