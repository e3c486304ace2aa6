"""The monitoring benchmark's data: where the year lives in moto S3 (bucket, prefix, last day,
the fake credentials), the synthetic day CSVs uploaded there, and the compactor closing them
into the Parquet rollup. Run from ``bench/bench_monitoring.py`` (this folder is on ``sys.path``;
the script puts the repository there before importing this)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date

from laptop_pricing.record_kinds import PREDICTIONS

BUCKET = "bench-monitoring"
PREFIX = "laptop-prediction-real-data"
END = date(2025, 6, 30)
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def upload(
    endpoint: str, days: int, rows: int, stores: int = 0, quotes: float = 0.0
) -> tuple[int, float]:
    """``days`` day CSVs of ``rows`` rows up to ``END`` (over ``stores`` stores: 0, none;
    ``quotes``: the share of rows that are trade-in quotes, each with its own id) into
    the bucket; their bytes and the upload's seconds."""
    import boto3
    from botocore.config import Config

    from tests.synthetic_logs import day_files

    client = boto3.client("s3", endpoint_url=endpoint, config=Config(max_pool_connections=16))
    client.create_bucket(Bucket=BUCKET)
    total = 0

    def put(item: tuple[str, bytes]) -> int:
        client.put_object(Bucket=BUCKET, Key=item[0], Body=item[1])
        return len(item[1])

    t0 = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        total = sum(
            pool.map(
                put,
                day_files(
                    END, days, rows_per_day=rows, prefix=PREFIX, stores=stores, quotes=quotes
                ),
            )
        )
    return total, time.perf_counter() - t0


def compact_year(endpoint: str, days: int) -> float:
    """The compactor closing every day into the rollup, as a run after the last day would."""
    from datetime import UTC, datetime, timedelta

    from laptop_pricing.request_log import LogLayout
    from laptop_pricing.request_log.compact import Compactor
    from laptop_pricing.storage.s3 import READ_TIMEOUTS, s3_client
    from laptop_pricing.storage.s3_store import S3RecordStore

    store = S3RecordStore(
        BUCKET, LogLayout(PREFIX, PREDICTIONS), s3_client(endpoint, READ_TIMEOUTS)
    )
    later = datetime(END.year, END.month, END.day, tzinfo=UTC) + timedelta(days=1, hours=1)
    compactor = Compactor(store, clock=lambda: later)
    t0 = time.perf_counter()
    results = compactor.compact_days(store.day_file_days())
    seconds = time.perf_counter() - t0
    assert len(results) == days and all(r.closed for r in results)
    return seconds
