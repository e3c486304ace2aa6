"""Group commit of the local request log: how many writes 1000 appends cost, 1 thread vs 32.

    python bench/bench_group_commit.py [--rows 1000] [--threads 32]

Moved here from a test: how many appends share one write depends on how the OS schedules the
threads, so it is a measurement, not a pass/fail fact. Prints writes (batches) and rows per write
for one thread (the baseline, one write per row) and for many threads, measured in the same run.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from datetime import UTC, datetime

from laptop_pricing.api.service import prediction_values
from laptop_pricing.pricing.laptop_spec import LaptopSpec
from laptop_pricing.record_kinds import PREDICTIONS
from laptop_pricing.request_log import LocalRecordStore, LogLayout, RequestLog

FIELDS = LaptopSpec.default().as_dict()


def run(rows: int, threads: int) -> tuple[int, float]:
    with tempfile.TemporaryDirectory() as folder:
        log = RequestLog(LocalRecordStore(folder, LogLayout("bench", PREDICTIONS)), deadline=10.0)

        def one(i: int) -> None:
            log.write(prediction_values(FIELDS, i + 1, "bench", f"r-{i}", datetime.now(UTC)))

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(one, range(rows)))
        return log.batches, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=32)
    args = parser.parse_args()
    base_batches, base_time = run(args.rows, 1)
    batches, elapsed = run(args.rows, args.threads)
    print(f"{args.rows} appends, 1 thread: {base_batches} writes in {base_time:.2f} s (baseline)")
    print(
        f"{args.rows} appends, {args.threads} threads: {batches} writes in {elapsed:.2f} s, "
        f"{args.rows / batches:.1f} rows per write; writes {batches / base_batches:.2f}x, "
        f"time {elapsed / base_time:.2f}x the baseline"
    )


if __name__ == "__main__":
    main()
