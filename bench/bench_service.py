"""Request-log benchmark: the v2 writer (records + group commit) against the old design
(day-file appends: a file lock locally, conditional read-modify-write on S3), in the same run.

    python bench/bench_service.py            # full run
    python bench/bench_service.py --quick    # smaller prefill and counts, for a smoke check

moto_server runs in its own process on loopback (S3 is another machine). Measured:

1. append latency, one writer, with the day empty and with ``--prefill`` rows already in it
   (old: rows in the day file; new: records in the day's records file / prefix). Target for the
   new design: full/empty <= 1.2 (the old S3 design grows with the day);
2. throughput, 32 client threads writing through one log, local folder and moto;
3. compaction of a day of ``--records`` records into the day CSV and the Parquet rollup.

The old design is ``bench/legacy_request_log.py``, a verbatim copy kept only for this baseline.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from bench_support import moto_process  # noqa: E402
from legacy_request_log import LocalRequestLog, encode_rows, header_text  # noqa: E402
from legacy_s3_request_log import S3RequestLog  # noqa: E402

from laptop_pricing.api.service import prediction_values  # noqa: E402
from laptop_pricing.pricing.laptop_spec import LaptopSpec  # noqa: E402
from laptop_pricing.record_kinds import PREDICTIONS  # noqa: E402
from laptop_pricing.request_log import LogLayout, RequestLog  # noqa: E402
from laptop_pricing.request_log.compact import Compactor  # noqa: E402
from laptop_pricing.storage.records import encode_record  # noqa: E402
from laptop_pricing.storage.s3 import READ_TIMEOUTS, Timeouts, s3_client  # noqa: E402
from laptop_pricing.storage.s3_store import S3RecordStore  # noqa: E402
from laptop_pricing.storage.stores import LocalRecordStore  # noqa: E402

PREFIX = "laptop-prediction-real-data"
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "us-east-1",
}
SPEC = LaptopSpec.default().as_dict()
DAY = datetime.now(UTC).date()


def values(n: int, at: datetime | None = None) -> dict[str, object]:
    return prediction_values(SPEC, 1000 + n % 5000, "1.0.0", f"bench-{n}", at or datetime.now(UTC))


def old_row(n: int) -> Any:
    from legacy_request_log import LogRow

    return LogRow(SPEC, 1000 + n % 5000, "1.0.0", datetime.now(UTC))


def median_ms(write: Callable[[int], object], count: int) -> float:
    times = []
    for n in range(count):
        t0 = time.perf_counter()
        write(n)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def new_log(store: Any) -> RequestLog:
    return RequestLog(store, deadline=10.0)  # generous: measure cost, not the deadline


def s3_writer_store(endpoint: str, bucket: str) -> S3RecordStore:
    writer = s3_client(endpoint, Timeouts(connect=4, read=5), pool=32)
    return S3RecordStore(
        bucket, LogLayout(PREFIX, PREDICTIONS), writer, s3_client(endpoint, READ_TIMEOUTS)
    )


def prefill_new_s3(client: Any, bucket: str, rows: int) -> None:
    """``rows`` records under today's prefix, in objects of 100 (as group commit makes them)."""
    layout = LogLayout(PREFIX, PREDICTIONS)

    def put(start: int) -> None:
        body = b"".join(encode_record(values(n)) for n in range(start, start + 100))
        key = layout.record_key(DAY, datetime.now(UTC), f"prefill-{start}")
        client.put_object(Bucket=bucket, Key=key, Body=body)

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(put, range(0, rows, 100)))


def latency(endpoint: str, rows: int, count: int) -> None:
    client = s3_client(endpoint, READ_TIMEOUTS, pool=32)
    results: dict[str, tuple[float, float]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        # old, local: the day file with a lock
        empty = median_ms(lambda n: LocalRequestLog(folder / "oe", PREFIX).append(SPEC, n, "v"), 1)
        log = LocalRequestLog(folder / "oe", PREFIX)
        empty = median_ms(lambda n: log.append(SPEC, 1000 + n, "1.0.0"), count)
        full_path = folder / "of" / PREFIX / f"{DAY:%Y-%m-%d}_laptop_prediction_data.csv"
        full_path.parent.mkdir(parents=True)
        full_path.write_text(header_text() + encode_rows(old_row(n) for n in range(rows)))
        log = LocalRequestLog(folder / "of", PREFIX)
        full = median_ms(lambda n: log.append(SPEC, 1000 + n, "1.0.0"), count)
        results["old local (file lock + append)"] = (empty, full)
        # new, local: the day's records file
        log = new_log(LocalRecordStore(folder / "ne", LogLayout(PREFIX, PREDICTIONS)))
        empty = median_ms(lambda n: log.write(values(n)), count)
        store = LocalRecordStore(folder / "nf", LogLayout(PREFIX, PREDICTIONS))
        records = folder / "nf" / LogLayout(PREFIX, PREDICTIONS).local_records_file(DAY)
        records.parent.mkdir(parents=True)
        records.write_bytes(b"".join(encode_record(values(n)) for n in range(rows)))
        log = new_log(store)
        full = median_ms(lambda n: log.write(values(n)), count)
        results["new local (one O_APPEND line)"] = (empty, full)
    # old, S3: conditional read-modify-write of the day object
    for name in ("old-empty", "old-full", "new-empty", "new-full"):
        client.create_bucket(Bucket=name)
    old = S3RequestLog("old-empty", PREFIX, client)
    empty = median_ms(lambda n: old.append(SPEC, 1000 + n, "1.0.0"), count)
    body = (header_text() + encode_rows(old_row(n) for n in range(rows))).encode()
    client.put_object(
        Bucket="old-full", Key=f"{PREFIX}/{DAY:%Y-%m-%d}_laptop_prediction_data.csv", Body=body
    )
    old = S3RequestLog("old-full", PREFIX, client)
    full = median_ms(lambda n: old.append(SPEC, 1000 + n, "1.0.0"), count)
    results["old S3 (read + conditional put of the day)"] = (empty, full)
    log = new_log(s3_writer_store(endpoint, "new-empty"))
    empty = median_ms(lambda n: log.write(values(n)), count)
    prefill_new_s3(client, "new-full", rows)
    log = new_log(s3_writer_store(endpoint, "new-full"))
    full = median_ms(lambda n: log.write(values(n)), count)
    results["new S3 (one plain put)"] = (empty, full)
    print(f"1. append latency, median of {count} sequential appends, empty day vs {rows:,} rows:")
    for name, (empty, full) in results.items():
        print(f"   {name:45s} {empty:7.2f} ms -> {full:7.2f} ms   full/empty {full / empty:5.2f}")
    old_full = results["old S3 (read + conditional put of the day)"][1]
    new_full = results["new S3 (one plain put)"][1]
    print(f"   S3 on a {rows:,}-row day: old/new {old_full / new_full:.1f}x")


def throughput(endpoint: str, total: int, clients: int = 32) -> None:
    client = s3_client(endpoint, READ_TIMEOUTS, pool=64)
    print(f"2. throughput, {clients} client threads, {total} records each design:")
    measured: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        designs: dict[str, Callable[[int], object]] = {}
        old_local = LocalRequestLog(folder / "old", PREFIX)
        designs["old local"] = lambda n: old_local.append(SPEC, 1000 + n, "1.0.0")
        new_local = new_log(LocalRecordStore(folder / "new", LogLayout(PREFIX, PREDICTIONS)))
        designs["new local"] = lambda n: new_local.write(values(n))
        client.create_bucket(Bucket="tp-old")
        client.create_bucket(Bucket="tp-new")
        old_s3 = S3RequestLog("tp-old", PREFIX, client)
        designs["old S3"] = lambda n: old_s3.append(SPEC, 1000 + n, "1.0.0")
        new_s3 = new_log(s3_writer_store(endpoint, "tp-new"))
        designs["new S3"] = lambda n: new_s3.write(values(n))
        for name, write in designs.items():
            t0 = time.perf_counter()
            with ThreadPoolExecutor(clients) as pool:
                list(pool.map(write, range(total)))
            measured[name] = total / (time.perf_counter() - t0)
        for name, rate in measured.items():
            print(f"   {name:10s} {rate:8.0f} records/s")
        print(
            f"   new/old: local {measured['new local'] / measured['old local']:.2f}x, "
            f"S3 {measured['new S3'] / measured['old S3']:.2f}x"
        )
        counts = new_s3.accounting.snapshot()
        assert counts["lost"] == 0, counts


def compaction(endpoint: str, records: int) -> None:
    client = s3_client(endpoint, READ_TIMEOUTS, pool=32)
    client.create_bucket(Bucket="compact")
    day = DAY - timedelta(days=1)
    at = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    later = at + timedelta(days=1)
    print(f"3. compaction of one day of {records:,} records (day CSV + rollup), twice:")
    with tempfile.TemporaryDirectory() as scratch:
        stores = {
            "local": LocalRecordStore(Path(scratch), LogLayout(PREFIX, PREDICTIONS)),
            "S3": s3_writer_store(endpoint, "compact"),
        }
        for name, store in stores.items():
            log = new_log(store)
            with ThreadPoolExecutor(32) as pool:
                list(pool.map(lambda n, log=log: log.write(values(n, at), at=at), range(records)))
            times = []
            for _ in range(2):
                t0 = time.perf_counter()
                result = Compactor(store, clock=lambda: later).compact_day(day)
                times.append(time.perf_counter() - t0)
            assert result.rows_after == records
            print(f"   {name:6s} first {times[0]:.2f} s, second (nothing to do) {times[1]:.2f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    prefill = 10_000 if args.quick else 100_000
    os.environ.update(AWS_ENV)
    with moto_process() as endpoint:
        latency(endpoint, prefill, 10 if args.quick else 30)
        throughput(endpoint, 500 if args.quick else 2000)
        compaction(endpoint, 2_000 if args.quick else 10_000)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
