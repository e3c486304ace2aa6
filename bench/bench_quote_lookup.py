"""Finding a quote by its id as a key: ``QuoteLookup.find`` against a bare GET of one small object,
on moto S3 in its own process, with 10,000 and 100,000 quotes in the day.

    python bench/bench_quote_lookup.py                    # 10,000 and 100,000 quotes
    python bench/bench_quote_lookup.py --quotes 10000     # one size

For each size the day is filled as the service leaves it after compaction: the day CSV holding
every quote's row, and each quote's row kept under its id (``_quotes/YYYY-MM-DD/<id>.json``).
Measured in the same run, interleaved so both see the same machine noise:

* the baseline: a bare ``GetObject`` of one quote object (about 1 KB), the raw client call;
* the lookup by key: ``QuoteLookup.find`` wired as *Buscar cotação* is (key first, day after),
  quote only (outcomes are a separate read, reported on their own line);
* the old lookup: ``find`` reading the whole day (day CSV parsed), fewer samples.

Target: lookup p50 <= 2x the bare GET, at both sizes.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import statistics
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from bench_support import moto_process, timed  # noqa: E402

from laptop_pricing.api.service import prediction_values  # noqa: E402
from laptop_pricing.pricing.laptop_spec import LaptopSpec  # noqa: E402
from laptop_pricing.record_kinds import OUTCOMES, PREDICTIONS  # noqa: E402
from laptop_pricing.storage.day_csv import encode_day_csv  # noqa: E402
from laptop_pricing.storage.day_reader import day_rows  # noqa: E402
from laptop_pricing.storage.layout import LogLayout  # noqa: E402
from laptop_pricing.storage.records import encode_record  # noqa: E402
from laptop_pricing.storage.s3 import READ_TIMEOUTS, s3_client  # noqa: E402
from laptop_pricing.storage.s3_store import S3RecordStore  # noqa: E402
from laptop_pricing.trade_in.condition import Condition  # noqa: E402
from laptop_pricing.trade_in.policy import load_policy  # noqa: E402
from laptop_pricing.trade_in.quote import QuoteIssuer  # noqa: E402
from laptop_pricing.trade_in.quote_id import QuoteIdGenerator  # noqa: E402
from laptop_pricing.trade_in.quote_keys import QuoteKeys  # noqa: E402
from laptop_pricing.trade_in.quote_lookup import QuoteLookup  # noqa: E402

PREFIX = "laptop-prediction-real-data"
CONDITION = dataclasses.replace(Condition.best(), screen="scratched", battery="weak")
DAY = datetime(2026, 3, 10, tzinfo=UTC)


def p50_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000.0


def unread_day(day: object) -> list[dict[str, str]]:
    raise AssertionError("the quotes' day is not read for outcomes")


def fill_day(store: S3RecordStore, keys: QuoteKeys, quotes: int) -> list[str]:
    """The compacted day CSV and one object per quote; the quote ids."""
    ids, policy = QuoteIdGenerator(), load_policy()
    spec = LaptopSpec.default().as_dict()
    rows, quote_ids = [], []
    for i in range(quotes):
        moment = DAY + timedelta(seconds=i * 86_000 / quotes)
        quote = QuoteIssuer(policy, ids, clock=lambda moment=moment: moment).issue(
            3000 + i % 4000, CONDITION
        )
        values = prediction_values(spec, 3000 + i % 4000, "1", f"r-{i}", moment)
        values.update(quote.log_values())
        rows.append({name: str(value) for name, value in values.items()})
        quote_ids.append(quote.quote_id)
    store.write_day_file(DAY.date(), encode_day_csv(PREDICTIONS, rows), watermark=None)

    def put(row: dict[str, str]) -> None:
        key = keys.quote_key(row["quote_id"])
        store.reader.put_object(Bucket=store.bucket, Key=key, Body=encode_record(row))

    with ThreadPoolExecutor(32) as pool:
        list(pool.map(put, rows))
    return quote_ids


def run(endpoint: str, quotes: int, lookups: int, old_lookups: int) -> float:
    bucket = f"bench-lookup-{quotes}"
    client = s3_client(endpoint, READ_TIMEOUTS, pool=32)
    client.create_bucket(Bucket=bucket)
    store = S3RecordStore(bucket, LogLayout(PREFIX, PREDICTIONS), client)
    outcomes = S3RecordStore(bucket, LogLayout("trade-in-outcomes", OUTCOMES), client)
    keys = QuoteKeys(store, deadline=5.0)
    quote_ids = fill_day(store, keys, quotes)
    today = DAY.date()
    by_key = QuoteLookup(
        lambda day: day_rows(store, day), today=lambda: today, quote_row=keys.quote_row
    )
    by_day = QuoteLookup(lambda day: day_rows(store, day), today=lambda: today)
    rng = random.Random(quotes)
    bare, found = [], []
    for _ in range(3):  # warm the connection pool
        by_key.stored(rng.choice(quote_ids))
    for _ in range(lookups):
        wanted = rng.choice(quote_ids)
        key = keys.quote_key(wanted)
        bare += timed(lambda key=key: client.get_object(Bucket=bucket, Key=key)["Body"].read(), 1)
        found += timed(lambda wanted=wanted: by_key.find(wanted), 1)
    decisions = QuoteLookup(
        unread_day, today=lambda: today, outcome_rows=lambda day: day_rows(outcomes, day)
    )
    outcome_reads = timed(lambda: decisions.outcomes_of(quote_ids[0], today), lookups // 4)
    old = timed(lambda: by_day.find(rng.choice(quote_ids)), old_lookups)
    get_ms, key_ms, old_ms = p50_ms(bare), p50_ms(found), p50_ms(old)
    ratio = key_ms / get_ms
    print(f"{quotes:,} quotes in the day ({lookups} lookups, {old_lookups} old):")
    print(f"  bare GET of one quote object p50   {get_ms:8.2f} ms (baseline)")
    print(f"  lookup by key p50                  {key_ms:8.2f} ms  ratio {ratio:.2f}x (<= 2x)")
    print(f"  old lookup, whole day read, p50    {old_ms:8.2f} ms  ratio {old_ms / get_ms:.1f}x")
    print(f"  outcomes of a quote (by day) p50   {p50_ms(outcome_reads):8.2f} ms")
    return ratio


def write_cost(endpoint: str, calls: int) -> None:
    """What keeping quotes by id costs a quoted request on moto: the handler with the real
    request log, without and with ``QuoteKeys`` (the claim + the quote object), interleaved."""
    from laptop_pricing.api.handler import PricingHandler, get_engine
    from laptop_pricing.api.service import RecordingObserver
    from laptop_pricing.request_log import RequestLog

    client = s3_client(endpoint, READ_TIMEOUTS, pool=32)
    client.create_bucket(Bucket="bench-write-cost")
    store = S3RecordStore("bench-write-cost", LogLayout(PREFIX, PREDICTIONS), client)
    log = RequestLog(store, deadline=5.0)
    keys = QuoteKeys(store, deadline=5.0)
    issuer = QuoteIssuer(load_policy())
    plain = PricingHandler(get_engine(), RecordingObserver(log), issuer)
    kept = PricingHandler(get_engine(), RecordingObserver(log, quote_keys=keys), issuer, None, keys)
    data = LaptopSpec.default().to_payload()
    runs = {
        "without keys": (plain, True),
        "quote object only (no X-Request-Id)": (kept, False),
        "quote object + claim (X-Request-Id)": (kept, True),
    }
    samples: dict[str, list[float]] = {name: [] for name in runs}
    for n in range(calls + 3):
        for name, (handler, with_id) in runs.items():
            event = {
                "body": json.dumps({**data, "condition": CONDITION.as_dict()}),
                "httpMethod": "POST",
                "headers": {"X-Request-Id": f"{len(name)}-{n}"} if with_id else {},
            }
            took = timed(lambda event=event, handler=handler: handler(event), 1)
            if n >= 3:
                samples[name] += took
    base = p50_ms(samples["without keys"])
    print(f"a quoted request, handler + request log on moto ({calls} each, interleaved):")
    for name, taken in samples.items():
        print(f"  {name:<38} p50 {p50_ms(taken):8.2f} ms  ratio {p50_ms(taken) / base:.2f}x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quotes", type=int, action="append")
    parser.add_argument("--lookups", type=int, default=200)
    parser.add_argument("--old-lookups", type=int, default=5)
    parser.add_argument("--write-calls", type=int, default=100)
    args = parser.parse_args()
    for name, value in {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        os.environ[name] = value
    print(f"load average at start: {os.getloadavg()[0]:.1f}")
    with moto_process() as endpoint:
        sizes = args.quotes or [10_000, 100_000]
        ratios = [run(endpoint, n, args.lookups, args.old_lookups) for n in sizes if n > 0]
        write_cost(endpoint, args.write_calls)
    if ratios:
        print("lookup target met" if all(r <= 2.0 for r in ratios) else "lookup target NOT met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
