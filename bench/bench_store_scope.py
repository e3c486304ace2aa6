"""A store-limited owner's monitoring page (issue 25: one store's year out of 200 <= 0.3 s): the
page's computation on its rows path, cold in a fresh process, read for one store's scope
(``read_log(stores=...)``: only the rollup row groups whose ``store_id`` statistics may hold it,
fetched by byte ranges) against the same page before the scope (the whole chain read, then the
store's rows kept) and the scoped read with each month fetched whole (before ranged fetches).

    python bench/bench_store_scope.py --folder /tmp/yearq --store loja-007 --repeats 3

``--folder`` is a local log already compacted (``tests/synthetic_logs`` with ``--stores``, as
``bench_monitoring.py`` writes it). Each run is a fresh process: it reads the year, checks the
schema, computes the monitoring view and the "Negócios" view of the store; the ways run
interleaved and the ratio is of their medians in this run. ``--baseline DIR`` adds the scoped
way run on the package checked out in DIR (``git worktree add DIR <commit>``): this script's
measurement, that code.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from datetime import date, timedelta
from pathlib import Path

from bench_support import child_result, code_under_test  # beside this script

CODE = code_under_test()  # before the helper below imports the package

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

    assert Path(view.__file__).resolve().is_relative_to(CODE.resolve())

    memory.map_large_blocks()  # as the page does
    if way == "scoped-whole":  # the scoped read before ranged fetches: each month whole
        from laptop_pricing.monitoring import reading

        reading.open_scoped_month = lambda source, month, stores: source.fetch(month.key)
    filters = view.Filters(END - timedelta(days=days - 1), END, stores=(store,))
    began = time.perf_counter()
    scope = None if way == "chain" else {store}
    read = read_log(LogLocation(None, PREFIX, folder).open(), *filters.load_window(), stores=scope)
    read_seconds = time.perf_counter() - began
    rows = quality.with_in_schema(read.rows)
    viewed = time.perf_counter()
    shown = view.compute_view(rows, read.set_aside, read.files, filters, END, None)
    view_seconds = time.perf_counter() - viewed
    business = compute_business_view(
        of_stores(rows, (store,)), empty_outcomes(), filters.start, filters.end
    )
    ended = time.perf_counter()
    return {
        "seconds": ended - began,
        "read_seconds": read_seconds,
        "view_seconds": view_seconds,
        "business_seconds": ended - viewed - view_seconds,
        "requests": shown.kpis.requests,
        "quotes": business.quotes,
        "groups_read": read.row_groups.read,
        "groups": read.row_groups.total,
        "peak_mb": peak_rss_mb(),
    }


def run(way: str, args: argparse.Namespace) -> dict[str, float]:
    arguments = ["--child", "scoped" if way == "baseline" else way, "--folder", args.folder]
    arguments += ["--store", args.store, "--days", str(args.days)]
    return child_result(__file__, arguments, args.baseline if way == "baseline" else None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folder", required=True, help="a compacted local log")
    parser.add_argument("--store", default="loja-007")
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--baseline", help="a checkout of earlier code: its scoped way too")
    parser.add_argument("--code", help=argparse.SUPPRESS)
    parser.add_argument(
        "--child", choices=("chain", "scoped-whole", "scoped"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.folder, args.store, args.days)))
        return
    labels = {
        "chain": "the chain read, then the store",
        "scoped-whole": "scoped read, each month fetched whole",
        "scoped": "scoped read, footers and the store's row groups fetched by ranges",
    }
    if args.baseline:
        labels["baseline"] = f"scoped read, the code in {args.baseline}"
    results: dict[str, list[dict[str, float]]] = {way: [] for way in labels}
    for _ in range(args.repeats):
        for way in results:
            results[way].append(run(way, args))
    assert len({r["requests"] for runs in results.values() for r in runs}) == 1
    median = {w: statistics.median(r["seconds"] for r in results[w]) for w in results}
    peak = {w: max(r["peak_mb"] for r in results[w]) for w in results}
    for way, label in labels.items():
        first = results[way][0]
        each = ", ".join(f"{r['seconds']:.2f}" for r in results[way])
        read = statistics.median(r["read_seconds"] for r in results[way])
        shown = statistics.median(r["view_seconds"] for r in results[way])
        deals = statistics.median(r["business_seconds"] for r in results[way])
        print(
            f"{label}: {median[way]:.2f} s (runs {each}; read {read:.2f} s, "
            f"monitoring view {shown:.2f} s, Negócios {deals:.2f} s), "
            f"peak {peak[way]:.0f} MB, "
            f"{first['requests']:,.0f} requests, {first['quotes']:,.0f} quotes, "
            f"row groups {first['groups_read']:.0f} of {first['groups']:.0f}"
        )
    met = "met" if median["scoped"] <= TARGET_SECONDS else "NOT met"
    print(
        f"scoped / chain: {median['scoped'] / median['chain']:.2f}x  "
        f"(target <= {TARGET_SECONDS} s: {met})"
    )
    if args.baseline:
        print(
            f"scoped, this code / the code in {args.baseline}: "
            f"{median['scoped'] / median['baseline']:.2f}x the time, "
            f"{peak['scoped'] - peak['baseline']:+.0f} MB peak"
        )
    print(
        f"ranges / whole months: {median['scoped'] / median['scoped-whole']:.2f}x the time, "
        f"{peak['scoped'] - peak['scoped-whole']:+.0f} MB peak"
    )


if __name__ == "__main__":
    main()
