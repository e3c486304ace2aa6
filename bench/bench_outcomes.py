"""Monitoring load with a year of quotes and outcomes against the same load without outcomes.

    python bench/bench_outcomes.py [--days 365] [--quotes 60] [--repeats 3] [--s3]

Writes ``days`` request-log day files (``quotes`` rows a day) and the outcome day files of the
same quotes to a temporary folder (or, with ``--s3``, to ``moto_server`` on loopback), then
measures, in this process and the same run:

* baseline: what the monitoring page computes today — ``read_log`` + ``with_in_schema`` +
  ``compute_view`` over the year;
* with outcomes: the baseline, plus ``read_outcomes`` over the year, plus the "Negócios" view
  (join, segments, figures) and the alert rules over the last week;

and prints the medians and the ratio (with outcomes ÷ without). The request log holds the quotes
(the synthetic quotes, written as the API logs them) and the outcomes are read through the same
sources as the request log (``monitoring.outcome_reader``). Both kinds are compacted first, as
the scheduled compactor leaves them (closed days in each kind's monthly rollup); with
``--day-files-only`` they are read from the day files, as before the compactor's first pass.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench_support import free_port  # noqa: E402

from laptop_pricing.monitoring import alert_rules, alerts, drift, quality, view  # noqa: E402
from laptop_pricing.monitoring.business_view import compute_business_view  # noqa: E402
from laptop_pricing.monitoring.outcome_reader import read_outcomes  # noqa: E402
from laptop_pricing.monitoring.reading import read_log  # noqa: E402
from laptop_pricing.monitoring.sources import LogLocation  # noqa: E402
from laptop_pricing.pricing.artifact import read_metadata  # noqa: E402
from laptop_pricing.record_kinds import OUTCOMES, PREDICTIONS  # noqa: E402
from laptop_pricing.request_log import LogLayout  # noqa: E402
from laptop_pricing.request_log.compact import Compactor  # noqa: E402
from laptop_pricing.storage.s3_store import S3RecordStore  # noqa: E402
from laptop_pricing.storage.stores import LocalRecordStore  # noqa: E402
from tests import synthetic_business as synthetic  # noqa: E402

END = date(2026, 3, 31)
LOG_PREFIX = "laptop-prediction-real-data"
OUTCOMES_PREFIX = "laptop-trade-in-outcomes"
BUCKET = "bench-outcomes"
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def objects(business):
    """The quotes as the request log holds them, and their outcomes' day files."""
    yield from synthetic.quote_day_files(business, LOG_PREFIX)
    yield from business.day_files(OUTCOMES_PREFIX)


def timed(function, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        began = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - began)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--quotes", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--s3", action="store_true", help="moto_server instead of a folder")
    parser.add_argument("--day-files-only", action="store_true", help="do not compact first")
    args = parser.parse_args()

    reference = drift.Reference.from_metadata(read_metadata())
    rules = alert_rules.load_rules()
    business = synthetic.quotes_and_outcomes(END, days=args.days, quotes_per_day=args.quotes)
    start = END - timedelta(days=args.days - 1)
    with tempfile.TemporaryDirectory() as folder:
        generated = list(objects(business))
        server = None
        if args.s3:
            import logging

            from moto.server import ThreadedMotoServer

            from laptop_pricing.storage.s3 import READ_TIMEOUTS, s3_client

            logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per S3 call
            os.environ.update(AWS_ENV)
            port = free_port()
            server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
            server.start()
            endpoint = f"http://127.0.0.1:{port}"
            client = s3_client(endpoint, READ_TIMEOUTS)
            client.create_bucket(Bucket=BUCKET)
            for key, data in generated:
                client.put_object(Bucket=BUCKET, Key=key, Body=data)
            log = LogLocation(BUCKET, LOG_PREFIX, None, endpoint)
            outcomes_at = LogLocation(BUCKET, OUTCOMES_PREFIX, None, endpoint, OUTCOMES.name)
            stores = [
                S3RecordStore(BUCKET, LogLayout(prefix, kind), client)
                for prefix, kind in ((LOG_PREFIX, PREDICTIONS), (OUTCOMES_PREFIX, OUTCOMES))
            ]
        else:
            for key, data in generated:
                path = Path(folder) / key
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
            log = LogLocation(None, LOG_PREFIX, folder)
            outcomes_at = LogLocation(None, OUTCOMES_PREFIX, folder, kind=OUTCOMES.name)
            stores = [
                LocalRecordStore(folder, LogLayout(prefix, kind))
                for prefix, kind in ((LOG_PREFIX, PREDICTIONS), (OUTCOMES_PREFIX, OUTCOMES))
            ]
        if not args.day_files_only:
            began = time.perf_counter()
            days = [start + timedelta(days=i) for i in range(args.days)]
            for store in stores:  # END is long past: every day is closed
                Compactor(store).compact_days(days)
            print(f"compacted both kinds into their rollups in {time.perf_counter() - began:.1f} s")

        def without_outcomes():
            result = read_log(log.open(), start, END)
            rows = quality.with_in_schema(result.rows)
            versions = sorted(rows["model_version"].astype(str).unique())
            filters = view.Filters(start, END, tuple(versions))
            view.compute_view(rows, result.set_aside, result.files, filters, END, reference)
            return rows

        def with_outcomes():
            rows = without_outcomes()
            stored = read_outcomes(outcomes_at, start, END).outcomes
            section = compute_business_view(rows, stored, start, END, rules.acceptance.below)
            fired = alerts.evaluate(rules, rows, stored, reference, END)
            return len(stored), section, fired

        try:
            without_outcomes()  # warm the imports and the page cache of the OS
            base, rows = timed(without_outcomes, args.repeats)
            full, (stored, section, fired) = timed(with_outcomes, args.repeats)
        finally:
            if server is not None:
                server.stop()

    where = "moto S3" if args.s3 else "local folder"
    where += ", day files only" if args.day_files_only else ", closed days from the rollups"
    print(f"{args.days} days x {args.quotes} quotes ({len(rows):,} requests, "
          f"{stored:,} outcome rows) from the {where}, median of {args.repeats}:")  # fmt: skip
    print(f"  monitoring load without outcomes: {base:.2f} s")
    print(f"  with outcomes, Negócios and alerts: {full:.2f} s")
    print(f"  ratio with / without: {full / base:.2f}x")
    print(f"  summary: {section.sentence}")
    print(f"  alerts firing: {[a.rule for a in fired] or 'none'}")


if __name__ == "__main__":
    main()
