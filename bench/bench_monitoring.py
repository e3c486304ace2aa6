"""Monitoring reader benchmark: a year of the request log in moto S3, our reader vs the course's.

    python bench/bench_monitoring.py [--days 365] [--rows 3000] [--repeats 3]
    python bench/bench_monitoring.py --days 365 --rows 10000 --stores 200 --chain   # issue 25

Starts ``moto_server`` in its own process on a free loopback port (S3 is another machine in
production, so it must not share the reader's GIL), uploads ``days`` synthetic day CSVs of
``rows`` rows, then measures, each cold load in a fresh child process (no disk cache exists):

* baseline: the course-style reader — listing, then ``get_object`` + ``pd.read_csv`` per day
  file, one after the other, and ``pd.concat``;
* ours on day CSVs only (what a log that was never compacted costs: concurrent fetch + pyarrow);
* the compactor closing the whole year into the Parquet rollup (a backfill, timed);
* ours on the rollup: ``laptop_pricing.monitoring.reading.read_log`` plus the schema check
  (``with_in_schema``) — everything the page's cached loader does — from a dozen month files;

and prints the ratios (target >= 4x and under 1 s) and the reader child's peak RSS next to the
course-style reader's (target <= 400 MB). Then the page through AppTest, in a fresh process
opened on the monitoring page: one day (its peak RSS is the same-run baseline), the whole year
cold (peak RSS, target <= 400 MB), warm reruns and "Atualizar", and the bytes of figure JSON the
page sends; and once more in a process where the clerk's estimate page (and its model) ran first.
Peak RSS is ``VmHWM``. Every child can import only what ``requirements.txt`` installs (what
Streamlit Cloud installs: ``tests.importable``; and pytest, which the AppTest fixtures import),
not the other test tools, MLflow or scikit-learn of this environment. For comparison, the last
child runs the estimate-first case with everything importable (scikit-learn too, as the app's
requirements had it before the model shipped as LightGBM's own text).

``--stores N`` spreads each day's rows uniformly over a chain of ``N`` stores (``loja-001``...).
``--quotes S`` makes that share of rows trade-in quotes, each with its own id, as a store's
counter writes them (the issue's "50 quotes a day": ``--quotes 1``).
``--chain`` (with ``--stores``) skips the reader comparisons and, after the compaction, prints
issue 25's figures: the page processes' year cold and peak RSS (targets <= 1 s, <= 300 MB; run
it at 600 stores x 30 000 rows too: memory flat in rows is within +10 % of the 10 000-row run),
then one store's year against the whole chain's and the row groups that store's statistics
leave to read (``monitoring_chain.py``; target <= 0.3 s). The children live beside this script:
``monitoring_page.py`` (the page), ``monitoring_chain.py``, ``monitoring_process.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench_support import moto_process  # noqa: E402
from monitoring_chain import chain, child_one_store, child_whole_chain  # noqa: E402
from monitoring_page import (  # noqa: E402
    RSS_TARGET_MB,
    child_page,
    child_page_after_estimate,
    pages,
    verdict,
)
from monitoring_process import add_network_latency, peak_rss_mb, run_child, runs  # noqa: E402
from monitoring_year import AWS_ENV, BUCKET, END, PREFIX, compact_year, upload  # noqa: E402

CHAIN_RSS_TARGET_MB = 300  # a chain's monitoring page (issue 25)
CHAIN_COLD_TARGET_S = 1.0  # the page's year, cold


# --- children (one cold measurement each) -----------------------------------------------------


def child_baseline(endpoint: str) -> dict:
    import io

    import boto3
    import pandas as pd

    baseline_rss = peak_rss_mb()
    start = time.perf_counter()
    client = boto3.client("s3", endpoint_url=endpoint)
    keys = []
    pages = client.get_paginator("list_objects_v2").paginate(
        Bucket=BUCKET, Prefix=PREFIX + "/", Delimiter="/"
    )
    for page in pages:
        keys += [item["Key"] for item in page.get("Contents", [])]
    frames = []
    for key in keys:
        body = client.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        frames.append(pd.read_csv(io.BytesIO(body)))
    rows = pd.concat(frames, ignore_index=True)
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "rows": len(rows), "rss_mb": peak_rss_mb(), "rss0": baseline_rss}


def child_ours(endpoint: str) -> dict:
    import boto3  # noqa: F401  (imported before the clock starts, as in the baseline)

    from laptop_pricing.monitoring import quality
    from laptop_pricing.monitoring.reading import read_log
    from laptop_pricing.monitoring.sources import LogLocation

    baseline_rss = peak_rss_mb()
    start = time.perf_counter()
    source = LogLocation(BUCKET, PREFIX, None, endpoint).open()
    downloads = []
    source.client.meta.events.register("before-call.s3.GetObject", lambda **_: downloads.append(1))
    result = read_log(source)
    rows = quality.with_in_schema(result.rows)
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "rows": len(rows),
        "set_aside": len(result.set_aside),
        "downloads": len(downloads),
        "rss_mb": peak_rss_mb(),
        "rss0": baseline_rss,
    }


def _year_filters():
    from datetime import timedelta

    from laptop_pricing.monitoring.view import Filters

    return Filters(END - timedelta(days=int(os.environ["BENCH_DAYS"]) - 1), END)


def child_old_view(endpoint: str) -> dict:
    """The page's computation before the warehouse: the window's rows into one frame (with the
    schema check), then every aggregate from it."""
    from laptop_pricing.monitoring import quality, view
    from laptop_pricing.monitoring.drift import Reference
    from laptop_pricing.monitoring.reading import read_log
    from laptop_pricing.monitoring.sources import LogLocation
    from laptop_pricing.pricing.artifact import read_metadata

    reference = Reference.from_metadata(read_metadata())
    baseline_rss = peak_rss_mb()
    filters = _year_filters()
    start = time.perf_counter()
    result = read_log(LogLocation(BUCKET, PREFIX, None, endpoint).open(), *filters.load_window())
    rows = quality.with_in_schema(result.rows)
    requests, _ = view.period_versions(rows, filters.start, filters.end)
    shown = view.compute_view(rows, result.set_aside, result.files, filters, END, reference)
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "rows": requests,
        "shown": shown.kpis.requests,
        "rss_mb": peak_rss_mb(),
        "rss0": baseline_rss,
    }


def child_new_view(endpoint: str) -> dict:
    """The page's computation now: DuckDB over the rollup's dataset, aggregates only."""
    from laptop_pricing.monitoring import warehouse, warehouse_view
    from laptop_pricing.monitoring.drift import Reference
    from laptop_pricing.monitoring.sources import LogLocation
    from laptop_pricing.pricing.artifact import read_metadata

    reference = Reference.from_metadata(read_metadata())
    baseline_rss = peak_rss_mb()
    filters = _year_filters()
    start = time.perf_counter()
    location = LogLocation(BUCKET, PREFIX, None, endpoint)
    opened = warehouse.open_warehouse(location, *filters.load_window())
    requests, _ = warehouse_view.period_versions(opened, filters.start, filters.end)
    shown = warehouse_view.compute_view(opened, filters, END, reference)
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "rows": requests,
        "shown": shown.kpis.requests,
        "months": opened.months_read,
        "rss_mb": peak_rss_mb(),
        "rss0": baseline_rss,
    }


CHILDREN = {
    "baseline": child_baseline,
    "ours": child_ours,
    "old_view": child_old_view,
    "new_view": child_new_view,
    "page": child_page,
    "page_after_estimate": child_page_after_estimate,
    "one_store": child_one_store,
    "whole_chain": child_whole_chain,
}


# --- parent -----------------------------------------------------------------------------------


def warehouse_vs_rows(endpoint: str, repeats: int) -> None:
    """The page's computation for the whole year, cold, each in a fresh process: the rows in
    one frame (before) and the warehouse's aggregates (now), interleaved."""
    old, new = [], []
    for _ in range(repeats):
        old.append(run_child("old_view", endpoint))
        new.append(run_child("new_view", endpoint))
    assert {r["rows"] for r in old} == {r["rows"] for r in new}, (old, new)
    o = statistics.median(r["seconds"] for r in old)
    n = statistics.median(r["seconds"] for r in new)
    old_rss = max(r["rss_mb"] for r in old)
    new_rss = max(r["rss_mb"] for r in new)
    print(
        f"page computation, whole year cold, {old[0]['rows']:,} requests: rows in a frame "
        f"{o:.2f} s (runs {runs(old)}), peak RSS {old_rss:.0f} MB (after imports "
        f"{old[0]['rss0']:.0f}); DuckDB over the rollup {n:.2f} s (runs {runs(new)}, "
        f"{new[0]['months']} month files in the dataset), peak RSS {new_rss:.0f} MB (after "
        f"imports {new[0]['rss0']:.0f}) -> {o / n:.2f}x faster, "
        f"{old_rss / new_rss:.2f}x less memory"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--rows", type=int, default=3000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", choices=sorted(CHILDREN))
    parser.add_argument("--endpoint")
    parser.add_argument(
        "--latency-ms",
        type=float,
        default=20.0,
        help="per-request network latency of the second scenario (0 to skip it)",
    )
    parser.add_argument(
        "--installed",
        choices=("app", "dev"),
        default="app",
        help="a child imports only what requirements.txt installs (app) or anything (dev)",
    )
    parser.add_argument(
        "--page-only",
        action="store_true",
        help="skip the reader comparisons: only the page processes (after the compaction)",
    )
    parser.add_argument(
        "--warehouse",
        action="store_true",
        help="after the compaction: the page's computation from rows vs from DuckDB, then the "
        "page processes (no reader comparisons)",
    )
    parser.add_argument(
        "--stores", type=int, default=0, help="a chain of N stores (0: rows hold no store_id)"
    )
    parser.add_argument(
        "--quotes",
        type=float,
        default=0.0,
        help="share of rows that are trade-in quotes, each with its own id (0: none)",
    )
    parser.add_argument(
        "--chain",
        action="store_true",
        help="after the compaction: the page processes against issue 25's targets, then one "
        "store's year vs the whole chain's (needs --stores; no reader comparisons)",
    )
    args = parser.parse_args()
    if args.chain and args.stores < 1:
        parser.error("--chain needs --stores N (N >= 1)")
    os.environ.setdefault("BENCH_DAYS", str(args.days))
    if args.child:
        if args.installed == "app":
            from tests.importable import allow_only, closure, installable_from

            # pytest too: the AppTest fixtures of tests/ import it (a few MB, as before).
            allow_only(installable_from(REPO / "requirements.txt") | closure({"pytest"}))
        os.environ.update(AWS_ENV)
        add_network_latency(args.latency_ms)
        print(json.dumps(CHILDREN[args.child](args.endpoint)))
        return

    os.environ.update(AWS_ENV)
    with moto_process() as endpoint:
        size, upload_seconds = upload(endpoint, args.days, args.rows, args.stores, args.quotes)
        expected_rows = args.days * args.rows
        print(
            f"data: {args.days} day files x {args.rows} rows = {expected_rows:,} rows"
            f"{f' over {args.stores} stores' if args.stores else ''}, "
            f"{size / 1e6:.0f} MB in moto_server (separate process), uploaded in "
            f"{upload_seconds:.1f} s"
        )
        baseline, csv_only, rolled = [], [], []
        for _ in range(0 if args.page_only or args.warehouse or args.chain else args.repeats):
            baseline.append(run_child("baseline", endpoint))
            csv_only.append(run_child("ours", endpoint))
        compaction = compact_year(endpoint, args.days)
        print(f"compactor, closing the year into the rollup (backfill): {compaction:.1f} s")
        if args.chain:
            from tests.synthetic_logs import store_ids  # not in the children: numpy and all

            pages(
                endpoint,
                dev=False,
                target_mb=CHAIN_RSS_TARGET_MB,
                cold_target_s=CHAIN_COLD_TARGET_S,
            )
            chain(endpoint, args.repeats, store_ids(args.stores)[0], args.stores)
            return
        if args.warehouse:
            warehouse_vs_rows(endpoint, args.repeats)
            pages(endpoint, dev=False)
            return
        if args.page_only:
            pages(endpoint)
            return
        for _ in range(args.repeats):  # interleaved, so drift in machine load hits both
            baseline.append(run_child("baseline", endpoint))
            rolled.append(run_child("ours", endpoint))
        assert {r["rows"] for r in baseline + csv_only + rolled} == {expected_rows}
        b = statistics.median(r["seconds"] for r in baseline)
        c = statistics.median(r["seconds"] for r in csv_only)
        r = statistics.median(x["seconds"] for x in rolled)
        print(
            f"baseline, course-style cold load (sequential get_object + read_csv): {b:.2f} s "
            f"(runs {runs(baseline)}), peak RSS {max(x['rss_mb'] for x in baseline):.0f} MB"
        )
        print(
            f"ours on day CSVs only (never compacted; concurrent fetch + pyarrow + schema check): "
            f"{c:.2f} s (runs {runs(csv_only)}), peak RSS "
            f"{max(x['rss_mb'] for x in csv_only):.0f} MB -> {b / c:.2f}x"
        )
        print(
            f"ours on the rollup, cold, no disk cache ({rolled[0]['downloads']} GetObject): "
            f"{r:.2f} s (runs {runs(rolled)}) -> {b / r:.2f}x  (target >= 4x and < 1 s)"
        )
        ours_rss = max(x["rss_mb"] for x in rolled)
        course_rss = max(x["rss_mb"] for x in baseline)
        print(
            f"reader process peak RSS with the year loaded (VmHWM): ours on the rollup "
            f"{ours_rss:.0f} MB (after imports {rolled[0]['rss0']:.0f} MB), course-style reader "
            f"{course_rss:.0f} MB -> {ours_rss / course_rss:.2f}x  "
            f"(target <= {RSS_TARGET_MB} MB: {verdict(ours_rss)})"
        )
        pages(endpoint, b)
        if args.latency_ms > 0:
            lb = [run_child("baseline", endpoint, args.latency_ms) for _ in range(args.repeats)]
            lr = [run_child("ours", endpoint, args.latency_ms) for _ in range(args.repeats)]
            lbm, lrm = (statistics.median(x["seconds"] for x in v) for v in (lb, lr))
            print(
                f"with {args.latency_ms:g} ms network latency per request (real S3 is not on "
                f"loopback): course-style {lbm:.2f} s (runs {runs(lb)}); ours on the rollup "
                f"{lrm:.2f} s (runs {runs(lr)}) -> {lbm / lrm:.2f}x"
            )


if __name__ == "__main__":
    main()
