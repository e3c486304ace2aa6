"""A store-limited owner's monitoring page (issue 25: one store's year out of 200 <= 0.3 s): the
page's computation on its rows path, cold in a fresh process, read for one store's scope
(``read_log(stores=...)``: only the rollup row groups whose ``store_id`` statistics may hold it)
against the same page before the scope (the whole chain read, then the store's rows kept).

    python bench/bench_store_scope.py --folder /tmp/yearq --store loja-007 --repeats 3

``--folder`` is a local log already compacted (``tests/synthetic_logs`` with ``--stores``, as
``bench_monitoring.py`` writes it). Each run is a fresh process: it reads the year, checks the
schema, computes the monitoring view and the "Negócios" view of the store; the two ways run
interleaved and the ratio is of their medians in this run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from monitoring_process import peak_rss_mb  # noqa: E402  (beside this script)

PREFIX = "laptop-prediction-real-data"
END = date(2025, 6, 30)
TARGET_SECONDS = 0.3


def child(way: str, folder: str, store: str, days: int) -> dict[str, float]:
    from laptop_pricing.monitoring import memory, quality, view
    from laptop_pricing.monitoring.aggregate import of_stores
    from laptop_pricing.monitoring.business_view import compute_business_view
    from laptop_pricing.monitoring.outcome_reader import empty_outcomes
    from laptop_pricing.monitoring.reading import read_log
    from laptop_pricing.monitoring.sources import LogLocation

    memory.map_large_blocks()  # as the page does
    filters = view.Filters(END - timedelta(days=days - 1), END, stores=(store,))
    began = time.perf_counter()
    scope = {store} if way == "scoped" else None
    read = read_log(LogLocation(None, PREFIX, folder).open(), *filters.load_window(), stores=scope)
    rows = quality.with_in_schema(read.rows)
    shown = view.compute_view(rows, read.set_aside, read.files, filters, END, None)
    business = compute_business_view(
        of_stores(rows, (store,)), empty_outcomes(), filters.start, filters.end
    )
    return {
        "seconds": time.perf_counter() - began,
        "requests": shown.kpis.requests,
        "quotes": business.quotes,
        "groups_read": read.row_groups.read,
        "groups": read.row_groups.total,
        "peak_mb": peak_rss_mb(),
    }


def run(way: str, args: argparse.Namespace) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", way, "--folder", args.folder]
    command += ["--store", args.store, "--days", str(args.days)]
    output = subprocess.run(command, capture_output=True, text=True, check=True, cwd=REPO)
    return json.loads(output.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folder", required=True, help="a compacted local log")
    parser.add_argument("--store", default="loja-007")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", choices=("chain", "scoped"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.folder, args.store, args.days)))
        return
    results: dict[str, list[dict[str, float]]] = {"chain": [], "scoped": []}
    for _ in range(args.repeats):
        for way in results:
            results[way].append(run(way, args))
    before, after = (statistics.median(r["seconds"] for r in results[w]) for w in results)
    assert {r["requests"] for r in results["chain"]} == {r["requests"] for r in results["scoped"]}
    for way, label in (("chain", "the chain read, then the store"), ("scoped", "scoped read")):
        first = results[way][0]
        each = ", ".join(f"{r['seconds']:.2f}" for r in results[way])
        print(
            f"{label}: {statistics.median(r['seconds'] for r in results[way]):.2f} s "
            f"(runs {each}), "
            f"peak {max(r['peak_mb'] for r in results[way]):.0f} MB, "
            f"{first['requests']:,.0f} requests, {first['quotes']:,.0f} quotes, "
            f"row groups {first['groups_read']:.0f} of {first['groups']:.0f}"
        )
    met = "met" if after <= TARGET_SECONDS else "NOT met"
    print(f"scoped / chain: {after / before:.2f}x  (target <= {TARGET_SECONDS} s: {met})")


if __name__ == "__main__":
    main()
