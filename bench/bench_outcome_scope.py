"""A store-limited owner's outcomes (issue 25): ``read_outcomes(stores=...)`` (the rollup's
row groups that may hold the store, fetched by ranges) against the page before it (the chain's
outcomes read, then the store's kept), each cold in a fresh process, interleaved, same run.

    python bench/bench_outcome_scope.py --folder /tmp/outcomes-year --days 365 --per-day 2000

``--folder`` is made once (skipped when it already holds a rollup): ``days`` outcome day files
of ``per-day`` outcomes over ``stores`` stores, compacted by the real compactor into the
outcomes' monthly rollup, as the scheduled compactor leaves a year.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from monitoring_process import peak_rss_mb  # noqa: E402  (beside this script)

PREFIX = "laptop-trade-in-outcomes"
END = date(2025, 6, 30)
DECISIONS = ("accepted", "declined", "negotiated")


def location(folder: str):  # type: ignore[no-untyped-def]
    from laptop_pricing.monitoring.sources import LogLocation
    from laptop_pricing.trade_in.outcome import OUTCOMES

    return LogLocation(None, PREFIX, folder, kind=OUTCOMES.name)


def write_year(folder: str, days: int, per_day: int, stores: int) -> None:
    """The outcome day files of ``days`` days, then the compactor's pass over them."""
    from laptop_pricing.request_log.compact import Compactor
    from laptop_pricing.storage.day_csv import encode_day_csv
    from laptop_pricing.trade_in.outcome import OUTCOMES

    store = location(folder).open()
    if store.rollup_months():
        return
    blank = {c: "" for c in OUTCOMES.columns}
    for n in range(days):
        day = END - timedelta(days=n)
        noon = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
        rows = [
            blank
            | {
                "quote_id": f"Q{day:%y%m%d}{i:05d}",
                "event_id": f"E{day:%y%m%d}{i:05d}",
                "decision": DECISIONS[i % 3],
                "recorded_at": (noon + timedelta(seconds=i)).isoformat(),
                "offer": str(800 + i % 400),
                "store_id": f"loja-{i % stores:03d}",
            }
            for i in range(per_day)
        ]
        store.write_day_file(day, encode_day_csv(OUTCOMES, rows), None)
    later = datetime(END.year, END.month, END.day, tzinfo=UTC) + timedelta(days=1, hours=1)
    Compactor(store, clock=lambda: later).compact_days(store.day_file_days())


def child(way: str, folder: str, store: str, days: int) -> dict[str, float]:
    from laptop_pricing.monitoring.aggregate import of_stores
    from laptop_pricing.monitoring.outcome_reader import read_outcomes

    start = END - timedelta(days=days - 1)
    began = time.perf_counter()
    scope = {store} if way == "scoped" else None
    read = read_outcomes(location(folder), start, END, stores=scope)
    kept = of_stores(read.outcomes, (store,))
    return {
        "seconds": time.perf_counter() - began,
        "outcomes": len(kept),
        "read": len(read.outcomes),
        "peak_mb": peak_rss_mb(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folder", required=True)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--per-day", type=int, default=2000)
    parser.add_argument("--stores", type=int, default=200)
    parser.add_argument("--store", default="loja-007")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", choices=("chain", "scoped"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.folder, args.store, args.days)))
        return
    began = time.perf_counter()
    write_year(args.folder, args.days, args.per_day, args.stores)
    print(f"year ready in {time.perf_counter() - began:.1f} s")
    results: dict[str, list[dict[str, float]]] = {"chain": [], "scoped": []}
    for _ in range(args.repeats):
        for way in results:
            command = [sys.executable, __file__, "--child", way, "--folder", args.folder]
            command += ["--store", args.store, "--days", str(args.days)]
            done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=REPO)
            results[way].append(json.loads(done.stdout.strip().splitlines()[-1]))
    assert len({r["outcomes"] for runs in results.values() for r in runs}) == 1
    median = {w: statistics.median(r["seconds"] for r in runs) for w, runs in results.items()}
    for way, label in (("chain", "the chain's outcomes, then the store's"), ("scoped", "scoped")):
        runs = results[way]
        print(
            f"{label}: {median[way]:.2f} s (runs "
            + ", ".join(f"{r['seconds']:.2f}" for r in runs)
            + f"), peak {max(r['peak_mb'] for r in runs):.0f} MB, "
            f"{runs[0]['read']:,.0f} outcomes read, {runs[0]['outcomes']:,.0f} the store's"
        )
    print(f"scoped / chain: {median['scoped'] / median['chain']:.2f}x")


if __name__ == "__main__":
    main()
