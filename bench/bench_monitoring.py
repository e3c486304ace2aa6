"""Monitoring reader benchmark: a year of day files in moto S3, our reader vs the course's.

    python bench/bench_monitoring.py [--days 365] [--rows 3000] [--repeats 3]

Starts ``moto_server`` in its own process on a free loopback port (S3 is another machine in
production, so it must not share the reader's GIL), uploads ``days`` synthetic day files of
``rows`` rows, then measures, each cold load in a fresh child process:

* baseline: the course-style reader — paginated listing, then ``get_object`` + ``pd.read_csv``
  per file, one after the other, and ``pd.concat``;
* ours: ``laptop_pricing.monitoring.reader.read_log`` (concurrent fetch + pyarrow parse) plus the
  schema check (``with_in_schema``), i.e. everything the page's cached loader does;

and prints the ratio (target >= 3x), each child's peak RSS, the warm rerun of the page through
AppTest with the cache filled (target <= 0.5 s) and the bytes of figure JSON the page sends.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

BUCKET = "bench-monitoring"
PREFIX = "laptop-prediction-real-data"
END = date(2025, 6, 30)
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def peak_rss_mb() -> float:
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
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=PREFIX):
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
    from laptop_pricing.monitoring.reader import LogLocation, read_log

    baseline_rss = peak_rss_mb()
    start = time.perf_counter()
    source = LogLocation(BUCKET, PREFIX, None, endpoint).open()
    result = read_log(source)
    rows = quality.with_in_schema(result.rows)
    seconds = time.perf_counter() - start
    return {
        "seconds": seconds,
        "rows": len(rows),
        "set_aside": len(result.set_aside),
        "rss_mb": peak_rss_mb(),
        "rss0": baseline_rss,
    }


def child_page(endpoint: str) -> dict:
    """The page through AppTest: first run loads, the second is a warm rerun from the cache."""
    from streamlit.testing.v1 import AppTest

    from components.monitoring_data import load_log
    from laptop_pricing.monitoring import aggregate, charts
    from laptop_pricing.monitoring.reader import LogLocation

    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=300)
    at.secrets["PREDICTIONS-BUCKET"] = BUCKET
    at.secrets["PREDICTIONS-PREFIX"] = PREFIX
    at.secrets["AWS-ENDPOINT-URL"] = endpoint
    at.run()
    at.switch_page("pages/monitoring.py")
    t0 = time.perf_counter()
    at.run()
    first = time.perf_counter() - t0
    at.segmented_control(key="monitoring_preset").set_value("Tudo")
    t0 = time.perf_counter()
    at.run()  # the whole year: one cold load of every file
    year_cold = time.perf_counter() - t0
    warm = []
    for _ in range(3):
        t0 = time.perf_counter()
        at.run()
        warm.append(time.perf_counter() - t0)
    assert not at.exception, [e.value for e in at.exception]
    requests = next(m.value for m in at.metric if m.label == "Pedidos no período")
    location = LogLocation(BUCKET, PREFIX, None, endpoint)
    rows = load_log(location, date(END.year - 1, END.month, END.day), END).rows
    figures = [
        charts.volume_figure(aggregate.daily_volume(rows)),
        charts.price_over_time_figure(aggregate.daily_price(rows)),
        charts.price_histogram_figure(aggregate.price_histogram(rows)),
        charts.shares_figure(aggregate.field_shares(rows)),
        charts.version_timeline_figure(aggregate.version_timeline(rows)),
    ]
    return {
        "first_run_30_days": first,
        "year_cold_run": year_cold,
        "warm_reruns": warm,
        "requests_shown": requests,
        "figure_bytes": [charts.figure_bytes(f) for f in figures],
        "rss_mb": peak_rss_mb(),
    }


CHILDREN = {"baseline": child_baseline, "ours": child_ours, "page": child_page}


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


def run_child(kind: str, endpoint: str, latency_ms: float = 0.0) -> dict:
    env = {**os.environ, **AWS_ENV}
    for key in ("PREDICTIONS_BUCKET", "PREDICTIONS_PREFIX", "PREDICTIONS_DIR", "AWS_ENDPOINT_URL"):
        env.pop(key, None)
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
        ],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


# --- parent -----------------------------------------------------------------------------------


def upload(endpoint: str, days: int, rows: int) -> tuple[int, float]:
    import boto3
    from botocore.config import Config

    from laptop_pricing.monitoring.synthetic import day_files

    client = boto3.client("s3", endpoint_url=endpoint, config=Config(max_pool_connections=16))
    client.create_bucket(Bucket=BUCKET)
    total = 0

    def put(item: tuple[str, bytes]) -> int:
        client.put_object(Bucket=BUCKET, Key=item[0], Body=item[1])
        return len(item[1])

    t0 = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        total = sum(pool.map(put, day_files(END, days, rows_per_day=rows, prefix=PREFIX)))
    return total, time.perf_counter() - t0


def runs(results: list[dict]) -> str:
    return ", ".join(f"{r['seconds']:.2f}" for r in results)


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
    args = parser.parse_args()
    if args.child:
        os.environ.update(AWS_ENV)
        add_network_latency(args.latency_ms)
        print(json.dumps(CHILDREN[args.child](args.endpoint)))
        return

    os.environ.update(AWS_ENV)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        size, upload_seconds = upload(endpoint, args.days, args.rows)
        print(
            f"data: {args.days} day files x {args.rows} rows = {args.days * args.rows:,} rows, "
            f"{size / 1e6:.0f} MB in moto_server (separate process), uploaded in "
            f"{upload_seconds:.1f} s"
        )
        baseline, ours = [], []
        for _ in range(args.repeats):  # interleaved, so drift in machine load hits both
            baseline.append(run_child("baseline", endpoint, 0.0))
            ours.append(run_child("ours", endpoint, 0.0))
        assert {r["rows"] for r in baseline} == {r["rows"] for r in ours} == {args.days * args.rows}
        b = statistics.median(r["seconds"] for r in baseline)
        o = statistics.median(r["seconds"] for r in ours)
        print(
            f"cold load, course-style (sequential get_object + read_csv): {b:.2f} s "
            f"(runs {runs(baseline)}), "
            f"peak RSS {max(r['rss_mb'] for r in baseline):.0f} MB"
        )
        print(
            f"cold load, ours (concurrent fetch + pyarrow + schema check): {o:.2f} s "
            f"(runs {runs(ours)}), "
            f"peak RSS {max(r['rss_mb'] for r in ours):.0f} MB "
            f"(process after imports: {ours[0]['rss0']:.0f} MB)"
        )
        print(f"ratio on loopback moto: {b / o:.2f}x faster (target >= 3x)")
        if args.latency_ms > 0:
            lb = [run_child("baseline", endpoint, args.latency_ms) for _ in range(args.repeats)]
            lo = [run_child("ours", endpoint, args.latency_ms) for _ in range(args.repeats)]
            lbm = statistics.median(r["seconds"] for r in lb)
            lom = statistics.median(r["seconds"] for r in lo)
            print(
                f"with {args.latency_ms:g} ms network latency per request (real S3 is not on "
                f"loopback): course-style {lbm:.2f} s (runs {runs(lb)}), ours {lom:.2f} s "
                f"(runs {runs(lo)}); ratio {lbm / lom:.2f}x"
            )
        page = run_child("page", endpoint, 0.0)
        warm = page["warm_reruns"]
        print(
            f"page (AppTest): first run, default 30 days {page['first_run_30_days']:.2f} s; "
            f"whole year, cold {page['year_cold_run']:.2f} s; warm reruns "
            f"{', '.join(f'{w:.2f}' for w in warm)} s (target <= 0.5 s); "
            f"shows {page['requests_shown']} requests"
        )
        print(
            f"figure JSON for the year: {sum(page['figure_bytes']):,} bytes in 5 figures "
            f"({', '.join(f'{n:,}' for n in page['figure_bytes'])}); bound 2,000,000"
        )
        print(f"page process peak RSS {page['rss_mb']:.0f} MB")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
