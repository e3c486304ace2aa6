"""Monitoring reader benchmark: a year of the request log in moto S3, our reader vs the course's.

    python bench/bench_monitoring.py [--days 365] [--rows 3000] [--repeats 3]

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
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench_support import moto_process  # noqa: E402
from monitoring_year import AWS_ENV, BUCKET, END, PREFIX, compact_year, upload  # noqa: E402

from laptop_pricing.settings import KEYS, env_name  # noqa: E402  (after the path insert)

RSS_TARGET_MB = 400


def verdict(rss_mb: float) -> str:
    return "met" if rss_mb <= RSS_TARGET_MB else "NOT met"


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not inherited from the
    parent that spawned it)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


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


def _page(endpoint: str, estimate_first: bool) -> dict:
    """The page through AppTest in this fresh process: one day first (the process's peak with
    the page open: the same-run baseline of the memory target), then the whole year cold, warm
    ``st.cache_data`` reruns and "Atualizar" (Streamlit caches cleared: the rollup is read
    again). With ``estimate_first`` the clerk's estimate page (and its model) runs first."""
    from streamlit.testing.v1 import AppTest

    from components.monitoring_panels import RANGE_KEY
    from tests.app_fixtures import OWNER, SIGN_IN

    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=300)
    at.secrets["PREDICTIONS-BUCKET"] = BUCKET
    at.secrets["PREDICTIONS-PREFIX"] = PREFIX
    at.secrets["AWS-ENDPOINT-URL"] = endpoint
    # A bucket is a production setting: the monitoring page opens for a signed-in owner only.
    for key, value in SIGN_IN.items():
        at.secrets[key] = value
    at.user = {"is_logged_in": True, "email": OWNER, "email_verified": True}
    rss = {"imports": peak_rss_mb()}
    if estimate_first:
        at.run()
        rss["estimate_page"] = peak_rss_mb()
    at.switch_page("views/monitoring.py")
    at.session_state[RANGE_KEY] = (END, END)
    t0 = time.perf_counter()
    at.run()
    first = time.perf_counter() - t0
    rss["one_day"] = peak_rss_mb()
    at.segmented_control(key="monitoring_preset").set_value("Tudo")
    t0 = time.perf_counter()
    at.run()  # the whole year: one cold load of every file
    year_cold = time.perf_counter() - t0
    rss["year"] = peak_rss_mb()
    warm = []
    for _ in range(3):
        t0 = time.perf_counter()
        at.run()
        warm.append(time.perf_counter() - t0)
    figure_bytes = [len(chart.proto.spec.encode("utf-8")) for chart in at.get("plotly_chart")]
    refreshes = []
    for _ in range(2):
        at.button(key="monitoring_refresh").click()
        t0 = time.perf_counter()
        at.run()  # the click's run: caches cleared, every file read again
        refreshes.append(time.perf_counter() - t0)
    rss["after_refreshes"] = peak_rss_mb()
    assert not at.exception, [e.value for e in at.exception]
    return {
        "first_run_one_day": first,
        "year_cold_run": year_cold,
        "warm_reruns": warm,
        "refreshes": refreshes,
        "requests_shown": next(m.value for m in at.metric if m.label == "Pedidos no período"),
        "figure_bytes": figure_bytes,
        "rss": rss,
    }


def child_page(endpoint: str) -> dict:
    return _page(endpoint, estimate_first=False)


def child_page_after_estimate(endpoint: str) -> dict:
    return _page(endpoint, estimate_first=True)


CHILDREN = {
    "baseline": child_baseline,
    "ours": child_ours,
    "old_view": child_old_view,
    "new_view": child_new_view,
    "page": child_page,
    "page_after_estimate": child_page_after_estimate,
}


def add_network_latency(milliseconds: float) -> None:
    """Model the distance to real S3: each HTTP request waits before it is sent (the wait
    releases the GIL, as a network round trip would). Applied alike to both readers."""
    if milliseconds <= 0:
        return
    from botocore.httpsession import URLLib3Session

    send = URLLib3Session.send

    def delayed(self, request):
        time.sleep(milliseconds / 1000)
        return send(self, request)

    URLLib3Session.send = delayed


def run_child(kind: str, endpoint: str, latency_ms: float = 0.0, installed: str = "app") -> dict:
    env = {**os.environ, **AWS_ENV, "BENCH_DAYS": os.environ.get("BENCH_DAYS", "365")}
    for key in KEYS:
        env.pop(env_name(key), None)
    output = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            kind,
            "--endpoint",
            endpoint,
            "--latency-ms",
            str(latency_ms),
            "--installed",
            installed,
        ],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


# --- parent -----------------------------------------------------------------------------------


def runs(results: list[dict]) -> str:
    return ", ".join(f"{r['seconds']:.2f}" for r in results)


def versus(baseline: float | None, seconds: float) -> str:
    return "" if baseline is None else f" -> {baseline / seconds:.2f}x"


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


def pages(endpoint: str, b: float | None = None, dev: bool = True) -> None:
    """The page processes: monitoring opened directly, then after the estimate page."""
    page = run_child("page", endpoint)
    mem = page["rss"]
    w = statistics.median(page["warm_reruns"])
    print(
        f"page (AppTest, fresh process, monitoring page opened directly): first run, one "
        f"day {page['first_run_one_day']:.2f} s; whole year cold "
        f"{page['year_cold_run']:.2f} s{versus(b, page['year_cold_run'])}; warm reruns "
        f"{', '.join(f'{x:.2f}' for x in page['warm_reruns'])} s{versus(b, w)}; "
        f"'Atualizar' {', '.join(f'{x:.2f}' for x in page['refreshes'])} s; "
        f"shows {page['requests_shown']} requests"
    )
    print(
        f"figure JSON for the year: {sum(page['figure_bytes']):,} bytes in "
        f"{len(page['figure_bytes'])} figures"
    )
    print(
        f"page process peak RSS (VmHWM): one day {mem['one_day']:.0f} MB (same-run "
        f"baseline), whole year {mem['year']:.0f} MB (+{mem['year'] - mem['one_day']:.0f}), "
        f"after two 'Atualizar' {mem['after_refreshes']:.0f} MB  "
        f"(target <= {RSS_TARGET_MB} MB: {verdict(max(mem['year'], mem['after_refreshes']))})"
    )
    after = run_child("page_after_estimate", endpoint)["rss"]
    print(
        f"the same, after the clerk's estimate page ran in the process (model loaded): "
        f"estimate page {after['estimate_page']:.0f} MB, then monitoring one day "
        f"{after['one_day']:.0f} MB, whole year {after['year']:.0f} MB "
        f"(+{after['year'] - after['one_day']:.0f}; target <= {RSS_TARGET_MB} MB: "
        f"{verdict(after['year'])})"
    )
    if not dev:
        return
    dev = run_child("page_after_estimate", endpoint, installed="dev")["rss"]
    print(
        f"the same with scikit-learn importable (LightGBM then imports it): estimate page "
        f"{dev['estimate_page']:.0f} MB, whole year {dev['year']:.0f} MB -> requirements.txt "
        f"alone saves {dev['year'] - after['year']:.0f} MB ({after['year'] / dev['year']:.2f}x)"
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
    args = parser.parse_args()
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
        size, upload_seconds = upload(endpoint, args.days, args.rows)
        expected_rows = args.days * args.rows
        print(
            f"data: {args.days} day files x {args.rows} rows = {expected_rows:,} rows, "
            f"{size / 1e6:.0f} MB in moto_server (separate process), uploaded in "
            f"{upload_seconds:.1f} s"
        )
        baseline, csv_only, rolled = [], [], []
        for _ in range(0 if args.page_only or args.warehouse else args.repeats):
            baseline.append(run_child("baseline", endpoint))
            csv_only.append(run_child("ours", endpoint))
        compaction = compact_year(endpoint, args.days)
        print(f"compactor, closing the year into the rollup (backfill): {compaction:.1f} s")
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
