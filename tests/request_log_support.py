"""Helpers of the request-log tests: a stalled S3 endpoint, a slow proxy, and readers of what
the compactor produced (day CSVs and the rollup)."""

from __future__ import annotations

import io
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from laptop_pricing.record_kinds import PREDICTIONS
from laptop_pricing.request_log import LogLayout
from laptop_pricing.request_log.compact import Compactor
from laptop_pricing.storage.s3 import READ_TIMEOUTS, s3_client
from laptop_pricing.storage.s3_store import S3RecordStore
from laptop_pricing.storage.stores import LocalRecordStore, RecordStore

PREFIX = "laptop-prediction-real-data"


@contextmanager
def stalled_endpoint() -> Iterator[str]:
    """A TCP server on 127.0.0.1 that accepts connections, reads, and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(512)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            held.append(connection)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        for connection in held:
            connection.close()
        server.close()


@contextmanager
def slow_proxy(target_port: int, delay: float) -> Iterator[str]:
    """A TCP proxy to ``target_port`` that holds every client's first bytes for ``delay``
    seconds before passing them on (S3 that answers late, but answers)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    stop = threading.Event()

    def pipe(source: socket.socket, sink: socket.socket, wait: float) -> None:
        try:
            first = True
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if first and wait:
                    time.sleep(wait)
                first = False
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                client, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", target_port))
            threading.Thread(target=pipe, args=(client, upstream, delay), daemon=True).start()
            threading.Thread(target=pipe, args=(upstream, client, 0), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        server.close()


def local_store(folder: Path, prefix: str = PREFIX) -> LocalRecordStore:
    return LocalRecordStore(folder, LogLayout(prefix, PREDICTIONS))


def s3_store(endpoint: str, bucket: str, prefix: str = PREFIX) -> S3RecordStore:
    return S3RecordStore(
        bucket, LogLayout(prefix, PREDICTIONS), s3_client(endpoint, READ_TIMEOUTS, pool=32)
    )


def compact_closed(store: RecordStore, day: date) -> None:
    """Compact ``day`` as a run after its end would (closing it into the rollup)."""
    later = datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC) + timedelta(hours=1)
    Compactor(store, clock=lambda: later).compact_day(day)


def day_csv_frame(store: RecordStore, day: date) -> pd.DataFrame:
    """The day CSV read the course's way: ``pandas.read_csv`` and nothing else."""
    data, _ = store.read_day_file(day)
    assert data is not None
    return pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)


def rollup_frame(store: RecordStore, day: date) -> pd.DataFrame:
    data, _ = store.read_rollup(day.year, day.month)
    assert data is not None
    frame = pq.read_table(io.BytesIO(data)).to_pandas()
    return frame[frame["day"] == day]


def today() -> date:
    return datetime.now(UTC).date()


def s3_objects(client: Any, bucket: str, prefix: str) -> list[str]:
    paginator = client.get_paginator("list_objects_v2")
    return [
        o["Key"]
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix)
        for o in page.get("Contents", [])
    ]


def logged_rows(store: RecordStore, day: date | None = None) -> list[dict[str, str]]:
    """Compact ``day`` twice (closing it), then the day CSV's rows, each checked: a laptop, an
    integer price, a timestamp; and the rollup holding exactly the same request ids."""
    from laptop_pricing.pricing.laptop_spec import LaptopSpec
    from laptop_pricing.pricing.schema import FIELD_NAMES

    when = day or today()
    compact_closed(store, when)
    compact_closed(store, when)
    frame = day_csv_frame(store, when)
    rows = frame.to_dict("records")
    for row in rows:
        LaptopSpec.from_payload({k: row[k] for k in FIELD_NAMES})
        int(row["price"])
        datetime.fromisoformat(row["timestamp"])
    assert sorted(rollup_frame(store, when)["request_id"]) == sorted(frame["request_id"])
    return rows


def local_logged_rows(folder: Path) -> list[dict[str, str]]:
    return logged_rows(local_store(folder))


def assert_exactly_logged(answers: list[tuple[Any, dict]], rows: list[dict[str, str]]) -> None:
    """Every answered request is one row (same fields, same price): none lost, none doubled."""
    from collections import Counter

    from laptop_pricing.pricing.schema import FIELD_NAMES

    sent = Counter(
        (tuple(str(v) for v in spec.as_dict().values()), str(body["prediction"]))
        for spec, body in answers
    )
    logged = Counter((tuple(r[k] for k in FIELD_NAMES), r["price"]) for r in rows)
    assert len(rows) == len(answers)
    assert len({r["request_id"] for r in rows}) == len(rows)
    assert logged == sent
